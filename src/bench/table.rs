//! A Markdown table that also reads well in a terminal (every column padded
//! to its widest cell), and the number formats its cells use.

use std::fmt;

/// A header row and the rows under it; a short row is padded with empty
/// cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new<S: Into<String>>(header: impl IntoIterator<Item = S>) -> Self {
        Self {
            header: header.into_iter().map(cell).collect(),
            rows: Vec::new(),
        }
    }

    pub fn push<S: Into<String>>(&mut self, row: impl IntoIterator<Item = S>) {
        self.rows.push(row.into_iter().map(cell).collect());
    }

    /// The widest cell of each column, in characters.
    fn widths(&self) -> Vec<usize> {
        let columns = self
            .rows
            .iter()
            .map(Vec::len)
            .chain([self.header.len()])
            .max()
            .unwrap_or(0);
        (0..columns)
            .map(|column| {
                std::iter::once(&self.header)
                    .chain(&self.rows)
                    .filter_map(|row| row.get(column))
                    .map(|cell| cell.chars().count())
                    .max()
                    .unwrap_or(0)
                    // Markdown wants at least three dashes under a header.
                    .max(3)
            })
            .collect()
    }
}

/// A cell's text, with `|` escaped so that it cannot end the cell early.
fn cell(text: impl Into<String>) -> String {
    text.into().replace('|', "\\|")
}

fn write_row(f: &mut fmt::Formatter<'_>, widths: &[usize], row: &[String]) -> fmt::Result {
    f.write_str("|")?;
    for (column, width) in widths.iter().enumerate() {
        let cell = row.get(column).map_or("", String::as_str);
        write!(f, " {cell:<width$} |")?;
    }
    f.write_str("\n")
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let widths = self.widths();
        write_row(f, &widths, &self.header)?;
        let rule: Vec<String> = widths.iter().map(|width| "-".repeat(*width)).collect();
        write_row(f, &widths, &rule)?;
        for row in &self.rows {
            write_row(f, &widths, row)?;
        }
        Ok(())
    }
}

/// A rate or count rounded to a whole number, in groups of three digits:
/// `68,400`.
pub fn grouped(value: f64) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    let whole = value.abs().round() as u64;
    let digits = whole.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if value < 0.0 && whole > 0 {
        out.push('-');
    }
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_padded_to_the_widest_cell() {
        let mut table = Table::new(["run", "req/s"]);
        table.push(["bare handler", "68,400"]);
        table.push(["accept", "8,960 (0.13×)"]);
        table.push(["short"]);
        assert_eq!(
            table.to_string(),
            "| run          | req/s         |\n\
             | ------------ | ------------- |\n\
             | bare handler | 68,400        |\n\
             | accept       | 8,960 (0.13×) |\n\
             | short        |               |\n"
        );
    }

    #[test]
    fn narrow_columns_keep_three_dashes_and_pipes_are_escaped() {
        let mut table = Table::new(["a"]);
        table.push(["x|y"]);
        assert_eq!(table.to_string(), "| a    |\n| ---- |\n| x\\|y |\n");
        assert_eq!(Table::new(["a"]).to_string(), "| a   |\n| --- |\n");
    }

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(grouped(0.0), "0");
        assert_eq!(grouped(999.4), "999");
        assert_eq!(grouped(999.5), "1,000");
        assert_eq!(grouped(68_400.0), "68,400");
        assert_eq!(grouped(1_234_567.0), "1,234,567");
        assert_eq!(grouped(-1_500.0), "-1,500");
        assert_eq!(grouped(-0.2), "0");
        assert_eq!(grouped(f64::NAN), "NaN");
    }
}
