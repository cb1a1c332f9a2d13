//! Line charts as SVG, rendered on the server: a y scale of round steps
//! from zero, a time axis with labelled ticks in UTC, a line per series
//! (broken where a series has no value) and its latest value as text.
//! The markup holds numbers and the charts' own fixed words only (escaped
//! all the same), so it is safe to put in a page as is.

use std::fmt::Write as _;

use super::series::Point;
use crate::store::Millis;

/// The drawing's size (the page scales it to its width).
const WIDTH: f64 = 360.0;
const HEIGHT: f64 = 170.0;
/// Room for the y labels (left) and the time labels (bottom).
const LEFT: f64 = 44.0;
const RIGHT: f64 = 10.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 22.0;

/// Most y intervals; the time axis has as many or one more.
const Y_INTERVALS: f64 = 4.0;
/// Time steps the axis ticks at, in milliseconds.
const TIME_STEPS: [Millis; 18] = [
    1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000,
    1_800_000, 3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
];

/// What a chart's values are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    PerSecond,
    Seconds,
    Count,
}

/// One series.
pub struct Line {
    /// Names its latest value's element (`latest-<key>`).
    pub key: &'static str,
    pub name: &'static str,
    pub points: Vec<Point>,
}

/// A chart of `lines` over the time from `from` to `to` (Unix ms).
pub struct Chart {
    /// Names the chart's elements (`chart-<id>`).
    pub id: &'static str,
    pub title: &'static str,
    /// What the chart shows, in a sentence.
    pub note: &'static str,
    pub unit: Unit,
    pub lines: Vec<Line>,
    pub from: Millis,
    pub to: Millis,
}

/// A chart as the page shows it.
pub struct Rendered {
    pub id: &'static str,
    pub title: &'static str,
    pub note: &'static str,
    pub svg: String,
    pub latest: Vec<Latest>,
}

/// A series' latest value.
pub struct Latest {
    pub key: &'static str,
    pub name: &'static str,
    /// The number, for scripts and tests (empty when there is none).
    pub value: String,
    /// As a reader wants it, with its unit.
    pub text: String,
}

/// The top of a y scale from zero that shows `highest`, and its step: a
/// round number (1, 2, 2.5 or 5 times a power of ten; whole numbers for
/// counts), at most [`Y_INTERVALS`] steps.
pub fn scale(highest: f64, whole: bool) -> (f64, f64) {
    if !(highest.is_finite() && highest > 0.0) {
        return if whole { (1.0, 1.0) } else { (1.0, 0.25) };
    }
    let raw = highest / Y_INTERVALS;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|factor| factor * magnitude)
        .filter(|step| !whole || step.fract() == 0.0)
        .find(|step| *step >= raw)
        .unwrap_or(10.0 * magnitude);
    let step = if whole { step.max(1.0) } else { step };
    ((highest / step).ceil() * step, step)
}

/// The ticks of a time axis from `from` to `to`: round times in UTC.
pub fn time_ticks(from: Millis, to: Millis) -> (Vec<Millis>, Millis) {
    let span = (to - from).max(1);
    let step = TIME_STEPS
        .iter()
        .copied()
        .find(|step| span / step <= Y_INTERVALS as i64)
        .unwrap_or(TIME_STEPS[TIME_STEPS.len() - 1]);
    let first = from.div_euclid(step) * step + if from.rem_euclid(step) == 0 { 0 } else { step };
    let ticks = (0..)
        .map(|index| first + index * step)
        .take_while(|tick| *tick <= to)
        .collect();
    (ticks, step)
}

/// `HH:MM` (or `HH:MM:SS` for steps under a minute), UTC.
fn clock(at: Millis, step: Millis) -> String {
    let seconds = at.div_euclid(1000).rem_euclid(86_400);
    let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if step < 60_000 {
        format!("{hours:02}:{minutes:02}:{seconds:02}")
    } else {
        format!("{hours:02}:{minutes:02}")
    }
}

/// A y label: as many decimals as the step needs, large values in k or M.
fn axis_label(value: f64, step: f64) -> String {
    if value == 0.0 {
        return "0".to_owned();
    }
    if value >= 1_000_000.0 {
        return trim(format!("{:.1}", value / 1_000_000.0)) + "M";
    }
    if value >= 10_000.0 {
        return trim(format!("{:.1}", value / 1000.0)) + "k";
    }
    let decimals = (0..3)
        .find(|decimals| {
            let scaled = step * 10f64.powi(*decimals);
            (scaled - scaled.round()).abs() < 1e-6
        })
        .unwrap_or(3);
    format!("{value:.*}", decimals as usize)
}

/// Drops a trailing `.0`.
fn trim(text: String) -> String {
    text.strip_suffix(".0").map(str::to_owned).unwrap_or(text)
}

/// A value with its unit, as the latest value and the description say it.
pub fn reading(value: f64, unit: Unit) -> String {
    let amount = |value: f64| {
        if value == 0.0 {
            "0".to_owned()
        } else if value >= 100.0 {
            format!("{value:.0}")
        } else if value >= 10.0 {
            format!("{value:.1}")
        } else {
            format!("{value:.2}")
        }
    };
    match unit {
        Unit::PerSecond => format!("{}/s", amount(value)),
        Unit::Seconds if value < 1.0 => format!("{:.0} ms", value * 1000.0),
        Unit::Seconds if value < 120.0 => format!("{} s", amount(value)),
        Unit::Seconds => format!("{} min", amount(value / 60.0)),
        Unit::Count => format!("{value:.0}"),
    }
}

/// `text` with `&`, `<`, `>` and `"` escaped.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The last value of `points`.
fn last(points: &[Point]) -> Option<f64> {
    points
        .iter()
        .rev()
        .find_map(|point| point.value)
        .filter(|value| value.is_finite())
}

impl Chart {
    /// The chart's SVG and its series' latest values.
    pub fn render(&self) -> Rendered {
        let latest = self
            .lines
            .iter()
            .map(|line| {
                let value = last(&line.points);
                Latest {
                    key: line.key,
                    name: line.name,
                    value: value.map(|value| value.to_string()).unwrap_or_default(),
                    text: value
                        .map_or_else(|| "none yet".to_owned(), |value| reading(value, self.unit)),
                }
            })
            .collect();
        Rendered {
            id: self.id,
            title: self.title,
            note: self.note,
            svg: self.svg(),
            latest,
        }
    }

    /// Every value shown, finite ones only.
    fn values(&self) -> impl Iterator<Item = f64> + '_ {
        self.lines
            .iter()
            .flat_map(|line| &line.points)
            .filter(|point| (self.from..=self.to).contains(&point.at))
            .filter_map(|point| point.value)
            .filter(|value| value.is_finite())
    }

    fn svg(&self) -> String {
        let highest = self.values().fold(0.0, f64::max);
        let (top, step) = scale(highest, self.unit == Unit::Count);
        let span = (self.to - self.from).max(1) as f64;
        let plot_width = WIDTH - LEFT - RIGHT;
        let plot_height = HEIGHT - TOP - BOTTOM;
        let x = |at: Millis| LEFT + (at - self.from) as f64 / span * plot_width;
        let y = |value: f64| TOP + plot_height - (value / top).clamp(0.0, 1.0) * plot_height;
        let id = escape(self.id);
        let mut svg = String::with_capacity(4096);
        let _ = write!(
            svg,
            r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="chart-{id}-title chart-{id}-desc" xmlns="http://www.w3.org/2000/svg">"#
        );
        let _ = write!(
            svg,
            r#"<title id="chart-{id}-title">{}</title><desc id="chart-{id}-desc">{}</desc>"#,
            escape(self.title),
            escape(&self.description(highest)),
        );
        svg.push_str(r#"<g class="grid">"#);
        let mut labels = String::new();
        let steps = (top / step).round() as i64;
        for index in 0..=steps {
            let value = index as f64 * step;
            let level = y(value);
            let _ = write!(
                svg,
                r#"<line x1="{LEFT}" y1="{level:.1}" x2="{:.1}" y2="{level:.1}"/>"#,
                WIDTH - RIGHT
            );
            let _ = write!(
                labels,
                r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
                LEFT - 4.0,
                level + 3.5,
                escape(&axis_label(value, step)),
            );
        }
        let (ticks, time_step) = time_ticks(self.from, self.to);
        for tick in ticks {
            let at = x(tick);
            let _ = write!(
                svg,
                r#"<line x1="{at:.1}" y1="{TOP}" x2="{at:.1}" y2="{:.1}"/>"#,
                TOP + plot_height
            );
            let anchor = if at > WIDTH - 24.0 { "end" } else { "middle" };
            let _ = write!(
                labels,
                r#"<text class="tick" x="{at:.1}" y="{:.1}" text-anchor="{anchor}">{}</text>"#,
                HEIGHT - 6.0,
                clock(tick, time_step),
            );
        }
        svg.push_str("</g>");
        svg.push_str(&labels);
        for (index, line) in self.lines.iter().enumerate() {
            let mut path = String::new();
            let mut drawing = false;
            let mut end = None;
            for point in line
                .points
                .iter()
                .filter(|point| (self.from..=self.to).contains(&point.at))
            {
                match point.value.filter(|value| value.is_finite()) {
                    Some(value) => {
                        let (px, py) = (x(point.at), y(value));
                        let _ =
                            write!(path, "{}{px:.1} {py:.1}", if drawing { " L" } else { " M" });
                        // A lone point still shows (a round cap on no length).
                        if !drawing {
                            path.push_str(" h0.01");
                        }
                        drawing = true;
                        end = Some((px, py));
                    }
                    None => drawing = false,
                }
            }
            if !path.is_empty() {
                let _ = write!(
                    svg,
                    r#"<path class="line line-{index}" d="{}"/>"#,
                    path.trim_start()
                );
            }
            if let Some((px, py)) = end {
                let _ = write!(
                    svg,
                    r#"<circle class="dot line-{index}" cx="{px:.1}" cy="{py:.1}" r="2.5"/>"#
                );
            }
        }
        if self.values().next().is_none() {
            let _ = write!(
                svg,
                r#"<text class="empty" x="{:.1}" y="{:.1}" text-anchor="middle">No samples yet</text>"#,
                LEFT + plot_width / 2.0,
                TOP + plot_height / 2.0,
            );
        }
        svg.push_str("</svg>");
        svg
    }

    /// What a screen reader says: each series' latest value, and the
    /// highest shown.
    fn description(&self, highest: f64) -> String {
        let mut text = String::new();
        for line in &self.lines {
            let latest = last(&line.points)
                .map_or_else(|| "none yet".to_owned(), |value| reading(value, self.unit));
            let _ = write!(text, "{}: latest {latest}. ", line.name);
        }
        let _ = write!(
            text,
            "Highest {} from {} to {} UTC.",
            reading(highest, self.unit),
            clock(self.from, 1000),
            clock(self.to, 1000)
        );
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(unit: Unit, points: Vec<Point>) -> Chart {
        Chart {
            id: "test",
            title: "A <test> & chart",
            note: "",
            unit,
            lines: vec![Line {
                key: "test",
                name: "Test",
                points,
            }],
            from: 0,
            to: 3_600_000,
        }
    }

    fn point(at: Millis, value: Option<f64>) -> Point {
        Point { at, value }
    }

    #[test]
    fn scales_are_round_from_zero_and_show_the_highest_value() {
        assert_eq!(scale(0.0, false), (1.0, 0.25), "all zero");
        assert_eq!(scale(0.0, true), (1.0, 1.0), "all zero, counts");
        assert_eq!(scale(f64::NAN, false), (1.0, 0.25));
        assert_eq!(scale(7.0, false), (8.0, 2.0));
        assert_eq!(scale(10.0, false), (10.0, 2.5));
        assert_eq!(scale(0.37, false), (0.4, 0.1));
        assert_eq!(scale(1234.0, false), (1500.0, 500.0));
        assert_eq!(scale(3.0, true), (3.0, 1.0));
        assert_eq!(scale(9.0, true), (10.0, 5.0), "no 2.5 for counts");
        for highest in [0.001, 0.3, 1.0, 4.9, 99.0, 12_345.0] {
            let (top, step) = scale(highest, false);
            assert!(
                top >= highest && top / step <= Y_INTERVALS + 1e-9,
                "{highest}"
            );
        }
    }

    #[test]
    fn the_time_axis_ticks_at_round_utc_times() {
        let (ticks, step) = time_ticks(0, 3_600_000);
        assert_eq!(step, 900_000);
        assert_eq!(ticks, [0, 900_000, 1_800_000, 2_700_000, 3_600_000]);
        let (ticks, step) = time_ticks(1_500, 36_000);
        assert_eq!(step, 10_000);
        assert_eq!(ticks, [10_000, 20_000, 30_000]);
        assert_eq!(clock(3_600_000 * 25 + 61_000, 60_000), "01:01");
        assert_eq!(clock(61_000, 1_000), "00:01:01");
    }

    #[test]
    fn an_empty_series_says_so_and_has_no_line() {
        for points in [vec![], vec![point(10, None)]] {
            let rendered = chart(Unit::PerSecond, points).render();
            assert!(rendered.svg.contains("No samples yet"), "{}", rendered.svg);
            assert!(!rendered.svg.contains("<path"), "{}", rendered.svg);
            assert_eq!(rendered.latest[0].value, "");
            assert_eq!(rendered.latest[0].text, "none yet");
            // The y axis still has its ticks.
            assert!(rendered.svg.contains(">0.25<"), "{}", rendered.svg);
        }
    }

    #[test]
    fn an_all_zero_series_is_drawn_along_the_bottom() {
        let rendered = chart(
            Unit::Count,
            vec![point(0, Some(0.0)), point(3_600_000, Some(0.0))],
        )
        .render();
        let bottom = HEIGHT - BOTTOM;
        assert!(
            rendered.svg.contains(&format!(
                "M{LEFT:.1} {bottom:.1} h0.01 L{:.1} {bottom:.1}",
                WIDTH - RIGHT
            )),
            "{}",
            rendered.svg
        );
        assert!(!rendered.svg.contains("No samples yet"));
        assert_eq!(rendered.latest[0].value, "0");
        assert_eq!(rendered.latest[0].text, "0");
    }

    #[test]
    fn a_gap_breaks_the_line_and_the_latest_value_is_the_last_known() {
        let rendered = chart(
            Unit::PerSecond,
            vec![
                point(0, Some(4.0)),
                point(1_800_000, None),
                point(3_600_000, Some(2.0)),
                point(3_600_000, None),
            ],
        )
        .render();
        let (_, path) = rendered
            .svg
            .split_once(r#"<path class="line line-0" d=""#)
            .expect("a line");
        let path = path.split('"').next().expect("its path");
        assert_eq!(path.matches('M').count(), 2, "two pieces: {path}");
        assert_eq!(rendered.latest[0].value, "2");
        assert_eq!(rendered.latest[0].text, "2.00/s");
        // The highest value is the scale's top: 4 at the top edge.
        assert!(
            rendered.svg.contains(&format!("M{LEFT:.1} {TOP:.1}")),
            "{}",
            rendered.svg
        );
    }

    #[test]
    fn the_markup_is_numbers_and_escaped_words() {
        let rendered = chart(
            Unit::Seconds,
            vec![
                point(0, Some(f64::NAN)),
                point(10, Some(f64::INFINITY)),
                point(20, Some(0.25)),
            ],
        )
        .render();
        assert!(!rendered.svg.contains("<test>"), "{}", rendered.svg);
        assert!(rendered.svg.contains("A &lt;test&gt; &amp; chart"));
        assert!(!rendered.svg.contains("NaN") && !rendered.svg.contains("inf"));
        assert!(rendered.svg.contains(r#"role="img""#));
        assert!(
            rendered
                .svg
                .contains(r#"aria-labelledby="chart-test-title chart-test-desc""#)
        );
        assert_eq!(rendered.latest[0].text, "250 ms");
    }

    #[test]
    fn readings_carry_their_unit() {
        assert_eq!(reading(0.0, Unit::PerSecond), "0/s");
        assert_eq!(reading(12.34, Unit::PerSecond), "12.3/s");
        assert_eq!(reading(1234.4, Unit::PerSecond), "1234/s");
        assert_eq!(reading(1.5, Unit::Seconds), "1.50 s");
        assert_eq!(reading(600.0, Unit::Seconds), "10.0 min");
        assert_eq!(reading(42.0, Unit::Count), "42");
        assert_eq!(axis_label(0.5, 0.25), "0.50");
        assert_eq!(axis_label(0.0, 0.25), "0");
        assert_eq!(axis_label(20_000.0, 5_000.0), "20k");
        assert_eq!(axis_label(2_500_000.0, 500_000.0), "2.5M");
    }
}
