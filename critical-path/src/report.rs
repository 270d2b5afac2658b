//! Plain-text building blocks shared by the commands: seconds, bars, tables.
//! Output is meant to read well without colour, in a CI log or a terminal.

use std::fmt::Write as _;

/// Seconds as a person reads them in a table: `0.42 s`, `12.3 s`,
/// `4m 05s`, `1h 02m`.
pub fn secs(s: f64) -> String {
    duration(s, 10.0, 100.0)
}

/// Seconds as a short label (pictures): `4.2 s`, `59.9 s`, `3m 07s`,
/// `1h 02m`.
pub fn secs_short(s: f64) -> String {
    duration(s, 0.0, 59.95)
}

/// Two decimals below `two_decimals_below`, one below `minutes_from`, then
/// minutes and seconds, then hours and minutes.
fn duration(s: f64, two_decimals_below: f64, minutes_from: f64) -> String {
    if !s.is_finite() {
        return format!("{s} s");
    }
    let a = s.abs();
    let sign = if s < 0.0 { "-" } else { "" };
    if a < two_decimals_below {
        format!("{sign}{a:.2} s")
    } else if a < minutes_from {
        format!("{sign}{a:.1} s")
    } else if a.round() < 3600.0 {
        let t = a.round() as u64;
        format!("{sign}{}m {:02}s", t / 60, t % 60)
    } else {
        let t = (a / 60.0).round() as u64;
        format!("{sign}{}h {:02}m", t / 60, t % 60)
    }
}

/// A bar of `width` cells filled to `fraction` with eighth blocks.
pub fn bar(fraction: f64, width: usize) -> String {
    const PARTS: [char; 8] = ['▏', '▎', '▍', '▌', '▋', '▊', '▉', '█'];
    let f = if fraction.is_finite() {
        fraction.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let eighths = (f * (width * 8) as f64).round() as usize;
    let mut s = String::with_capacity(width * 3);
    for _ in 0..eighths / 8 {
        s.push('█');
    }
    if !eighths.is_multiple_of(8) {
        s.push(PARTS[eighths % 8 - 1]);
    }
    let used = s.chars().count();
    s.extend(std::iter::repeat_n(' ', width - used));
    s
}

/// Rounds to microseconds for JSON, so `0.1 + 0.2` prints as `0.3`.
pub fn round(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Column alignment.
#[derive(Clone, Copy)]
pub enum Align {
    Left,
    Right,
}

/// A table with a header row, columns padded to their widest cell.
pub struct Table {
    aligns: Vec<Align>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: &[(&str, Align)]) -> Table {
        Table {
            aligns: header.iter().map(|h| h.1).collect(),
            rows: vec![header.iter().map(|h| h.0.to_owned()).collect()],
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.aligns.len());
        self.rows.push(cells);
    }

    pub fn render(&self, indent: &str) -> String {
        let n = self.aligns.len();
        let mut widths = vec![0; n];
        for r in &self.rows {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        let mut out = String::new();
        for r in &self.rows {
            let mut line = String::from(indent);
            for (i, c) in r.iter().enumerate() {
                let pad = widths[i] - c.chars().count();
                if i > 0 {
                    line.push_str("  ");
                }
                match self.aligns[i] {
                    Align::Left if i + 1 == n => line.push_str(c),
                    Align::Left => {
                        line.push_str(c);
                        line.extend(std::iter::repeat_n(' ', pad));
                    }
                    Align::Right => {
                        line.extend(std::iter::repeat_n(' ', pad));
                        line.push_str(c);
                    }
                }
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_read_well() {
        assert_eq!(secs(0.424), "0.42 s");
        assert_eq!(secs(12.34), "12.3 s");
        assert_eq!(secs(245.0), "4m 05s");
        assert_eq!(secs(3725.0), "1h 02m");
        assert_eq!(secs(-5.5), "-5.50 s");
    }

    #[test]
    fn short_seconds_for_labels() {
        assert_eq!(secs_short(4.24), "4.2 s");
        assert_eq!(secs_short(59.9), "59.9 s");
        assert_eq!(secs_short(59.97), "1m 00s");
        assert_eq!(secs_short(187.0), "3m 07s");
        assert_eq!(secs_short(3720.0), "1h 02m");
    }

    #[test]
    fn bars_fill_proportionally() {
        assert_eq!(bar(0.0, 4), "    ");
        assert_eq!(bar(1.0, 4), "████");
        assert_eq!(bar(0.5, 4), "██  ");
        assert_eq!(bar(1.0 / 32.0, 4), "▏   ");
        assert_eq!(bar(f64::NAN, 2), "  ");
    }

    #[test]
    fn table_aligns_columns() {
        let mut t = Table::new(&[("name", Align::Left), ("s", Align::Right)]);
        t.row(vec!["a".into(), "10".into()]);
        t.row(vec!["long".into(), "2".into()]);
        assert_eq!(t.render(""), "name   s\na     10\nlong   2\n");
    }

    #[test]
    fn rounding_hides_float_noise() {
        assert_eq!(round(0.1 + 0.2).to_string(), "0.3");
    }
}
