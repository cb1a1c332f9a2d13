//! Reading the simulator's recorded arrival times (Unix milliseconds) as a
//! pace, against what the dispatcher's pacer guarantees.
//!
//! The pacer (`wagate::dispatch::pacing`) starts one number's submissions
//! at least one period apart, 1/limit widened by its margin, so the slots
//! of any n + 1 of them span at least n periods. The simulator records
//! when a send arrived: its slot plus however long the gateway took to
//! write it and the simulator to read it, a millisecond on an idle machine
//! and far more on a loaded one. Two arrivals n sends apart are therefore
//! at least n periods apart less how late the earlier one was, never less
//! than that. Granting every send [`ARRIVAL_LAG`] of lateness keeps the
//! check independent of the machine's speed yet still catches a faster
//! pace: over a run of sends the shortfall grows with the run, the lag
//! does not (twice the limit fails after about 2 × lag × limit sends).

use wagate::dispatch::pacing::MARGIN;

/// How late after its slot a send may reach the simulator.
pub const ARRIVAL_LAG_MILLIS: f64 = 500.0;

/// The pacer's spacing at `limit` a second, in milliseconds.
pub fn period_millis(limit: usize) -> f64 {
    1000.0 * (1.0 + MARGIN) / limit.max(1) as f64
}

/// Where the arrivals `times` of one number's sends came faster than
/// `limit` a second allows, lateness granted: the worst run, described;
/// `None` when every run is slow enough.
pub fn faster_than_paced(times: &[i64], limit: usize) -> Option<String> {
    let mut sorted = times.to_vec();
    sorted.sort_unstable();
    let period = period_millis(limit);
    let mut worst: Option<(f64, usize, usize)> = None;
    for (i, earlier) in sorted.iter().enumerate() {
        for (j, later) in sorted.iter().enumerate().skip(i + 1) {
            let needed = (j - i) as f64 * period - ARRIVAL_LAG_MILLIS;
            let shortfall = needed - (later - earlier) as f64;
            if shortfall > 0.0 && worst.is_none_or(|(most, ..)| shortfall > most) {
                worst = Some((shortfall, i, j));
            }
        }
    }
    worst.map(|(_, i, j)| {
        format!(
            "sends {i} to {j} of {} arrived within {} ms; at {limit}/s their slots span at \
             least {:.0} ms ({} periods of {period:.1} ms), so even {ARRIVAL_LAG_MILLIS} ms \
             late they need {:.0} ms",
            sorted.len(),
            sorted[j] - sorted[i],
            (j - i) as f64 * period,
            j - i,
            (j - i) as f64 * period - ARRIVAL_LAG_MILLIS,
        )
    })
}
