//! Times files: CSV `name,duration_s`, one module a line.
//!
//! Blank lines and lines starting with `#` are skipped. The first line may be
//! a header; with a header, the columns are found by name (`name` and
//! `duration_s` required; `path`, `start_s`, `metadata_s` optional; others
//! ignored). Without one, every line has exactly the two fields
//! `name,duration_s`. Fields may be quoted (`"a,b",1.5`, `""` for a quote).

use super::native::{TimesTable, Timing};
use super::{InputError, Source};
use crate::graph::Module;

/// Whether the start of a file looks like a times CSV: its first data line is
/// `name,number` (after an optional header).
pub(crate) fn looks_like_times(s: &[u8]) -> bool {
    let text = String::from_utf8_lossy(s.get(..s.len().min(4096)).unwrap_or_default());
    let mut lines = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'));
    let Some(first) = lines.next() else {
        return false;
    };
    let is_data = |l: &str| {
        let f = split_fields(l).unwrap_or_default();
        f.len() >= 2 && f.get(1).is_some_and(|d| d.trim().parse::<f64>().is_ok())
    };
    if is_data(first) {
        return true;
    }
    let header = split_fields(first).unwrap_or_default();
    let is_header = header.len() >= 2
        && header.iter().any(|h| h.trim().eq_ignore_ascii_case("name"))
        && header.iter().any(|h| is_duration_header(h.trim()));
    is_header && lines.next().is_none_or(is_data)
}

fn is_duration_header(h: &str) -> bool {
    h.eq_ignore_ascii_case("duration_s") || h.eq_ignore_ascii_case("duration")
}

/// Splits a CSV line into fields, unquoting quoted ones.
fn split_fields(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        // One field.
        while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
            chars.next();
        }
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err("unterminated quoted field".into()),
                    Some('"') => {
                        if chars.peek() == Some(&'"') {
                            chars.next();
                            field.push('"');
                        } else {
                            break;
                        }
                    }
                    Some(c) => field.push(c),
                }
            }
            while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
                chars.next();
            }
            match chars.peek() {
                None | Some(',') => {}
                Some(c) => return Err(format!("unexpected `{c}` after a quoted field")),
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                field.push(c);
                chars.next();
            }
            field = field.trim().to_owned();
        }
        fields.push(field);
        match chars.next() {
            Some(',') => continue,
            _ => return Ok(fields),
        }
    }
}

struct Columns {
    name: usize,
    duration: usize,
    path: Option<usize>,
    start: Option<usize>,
    metadata: Option<usize>,
}

fn number(field: &str) -> Option<f64> {
    field.trim().parse::<f64>().ok()
}

/// Parses a times CSV.
pub(crate) fn parse(src: &Source<'_>) -> Result<TimesTable, InputError> {
    let text = String::from_utf8_lossy(src.bytes);
    let mut table = TimesTable::default();
    let mut columns: Option<Columns> = None;
    let mut seen_data_or_header = false;
    const EXPECTED: &str = "expected `name,duration_s`";
    for (i, raw) in text.lines().enumerate() {
        let lineno = i + 1;
        let line = raw.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields = split_fields(line)
            .map_err(|e| src.error_at(Some(lineno), None, format!("{e}; {EXPECTED}")))?;
        if !seen_data_or_header {
            seen_data_or_header = true;
            let second_is_number = fields.get(1).is_some_and(|f| number(f).is_some());
            if !second_is_number {
                // A header.
                let find = |pred: &dyn Fn(&str) -> bool| fields.iter().position(|f| pred(f.trim()));
                let name = find(&|h| h.eq_ignore_ascii_case("name"));
                let duration = find(&is_duration_header);
                let (Some(name), Some(duration)) = (name, duration) else {
                    return Err(src.error_at(
                        Some(lineno),
                        None,
                        format!(
                            "`{line}` is neither a header with `name` and `duration_s` columns nor a line `name,seconds`; {EXPECTED}"
                        ),
                    ));
                };
                columns = Some(Columns {
                    name,
                    duration,
                    path: find(&|h| h.eq_ignore_ascii_case("path")),
                    start: find(&|h| h.eq_ignore_ascii_case("start_s")),
                    metadata: find(&|h| h.eq_ignore_ascii_case("metadata_s")),
                });
                continue;
            }
        }
        let module = match &columns {
            None => {
                if fields.len() != 2 {
                    return Err(src.error_at(
                        Some(lineno),
                        None,
                        format!("{} fields; {EXPECTED} (2 fields)", fields.len()),
                    ));
                }
                let name = fields.first().cloned().unwrap_or_default();
                let d = fields.get(1).map(String::as_str).unwrap_or_default();
                let duration = seconds(src, lineno, &name, "duration", d)?;
                Module::new(name, duration)
            }
            Some(c) => {
                let get = |i: usize| fields.get(i).map(String::as_str);
                let (Some(name), Some(d)) = (get(c.name), get(c.duration)) else {
                    return Err(src.error_at(
                        Some(lineno),
                        None,
                        format!(
                            "{} fields, fewer than the header; expected a field for each column",
                            fields.len()
                        ),
                    ));
                };
                let mut m = Module::new(name, seconds(src, lineno, name, "duration", d)?);
                m.path = c
                    .path
                    .and_then(get)
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned);
                if let Some(s) = c.start.and_then(get).filter(|s| !s.trim().is_empty()) {
                    m.observed_start_s =
                        Some(number(s).filter(|v| v.is_finite()).ok_or_else(|| {
                            src.error_at(
                                Some(lineno),
                                None,
                                format!(
                                    "start `{s}` of `{name}` is not a number; expected seconds"
                                ),
                            )
                        })?);
                }
                if let Some(s) = c.metadata.and_then(get).filter(|s| !s.trim().is_empty()) {
                    m.metadata_s = Some(seconds(src, lineno, name, "metadata time", s)?);
                }
                m
            }
        };
        if module.name.is_empty() {
            return Err(src.error_at(Some(lineno), None, format!("empty module name; {EXPECTED}")));
        }
        let name = module.name.clone();
        if let Err(at) = table.insert(Timing {
            module,
            line: Some(lineno),
        }) {
            let first = table.entries.get(at).and_then(|t| t.line).unwrap_or(0);
            return Err(src.error_at(
                Some(lineno),
                None,
                format!("module `{name}` is listed twice (first on line {first}); expected one line per module"),
            ));
        }
    }
    if !seen_data_or_header {
        return Err(src.error(format!("no module lines; {EXPECTED}")));
    }
    Ok(table)
}

fn seconds(
    src: &Source<'_>,
    line: usize,
    name: &str,
    what: &str,
    field: &str,
) -> Result<f64, InputError> {
    match number(field) {
        Some(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(src.error_at(
            Some(line),
            None,
            format!("{what} `{field}` of `{name}` is not a number of seconds >= 0; expected `name,duration_s`"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::test_util::src;

    fn parse_str(text: &str) -> Result<Vec<Module>, String> {
        parse(&src("times.csv", text))
            .map(|t| t.entries.into_iter().map(|e| e.module).collect())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn plain_lines_comments_and_quotes() {
        let m = parse_str("# durations\n\napp, 12.5\n\"a,\"\"b\"\"\",0\r\ncore,3e1\n").unwrap();
        assert_eq!(
            m,
            [
                Module::new("app", 12.5),
                Module::new("a,\"b\"", 0.0),
                Module::new("core", 30.0)
            ]
        );
    }

    #[test]
    fn header_maps_columns() {
        let m =
            parse_str("path,duration_s,name,extra,start_s\nlibs/a,1,a,x,0.5\n,2,b,y,\n").unwrap();
        let mut a = Module::new("a", 1.0);
        a.path = Some("libs/a".into());
        a.observed_start_s = Some(0.5);
        assert_eq!(m, [a, Module::new("b", 2.0)]);
        assert_eq!(parse_str("name,duration_s\n").unwrap(), []);
    }

    #[test]
    fn errors_have_lines() {
        assert_eq!(
            parse_str("a,1\nb,-1\n").unwrap_err(),
            "times.csv:2: duration `-1` of `b` is not a number of seconds >= 0; expected `name,duration_s`"
        );
        assert_eq!(
            parse_str("a,1\n\nb,1,2\n").unwrap_err(),
            "times.csv:3: 3 fields; expected `name,duration_s` (2 fields)"
        );
        assert_eq!(
            parse_str("a,1\n# c\na,2\n").unwrap_err(),
            "times.csv:3: module `a` is listed twice (first on line 1); expected one line per module"
        );
        let e = parse_str("foo,bar\n").unwrap_err();
        assert!(
            e.starts_with("times.csv:1: `foo,bar` is neither a header"),
            "{e}"
        );
        let e = parse_str("a,1\nb,x\n").unwrap_err();
        assert!(e.starts_with("times.csv:2: duration `x`"), "{e}");
        let e = parse_str("\"a,1\n").unwrap_err();
        assert!(
            e.starts_with("times.csv:1: unterminated quoted field"),
            "{e}"
        );
        assert_eq!(
            parse_str("# only\n").unwrap_err(),
            "times.csv: no module lines; expected `name,duration_s`"
        );
    }
}
