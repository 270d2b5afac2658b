//! Node.js process warnings:
//! `(node:12345) [DEP0005] DeprecationWarning: Buffer() is deprecated ...`,
//! also without a code, `(node:PID) Warning: ...`, `ExperimentalWarning`
//! and any other type. The message is what follows `(node:PID) `, code and
//! type included.
//!
//! With `--trace-deprecation` or `--trace-warnings` the stack follows
//! (`    at fn (/repo/src/a.js:3:1)`; `#     at ...` under `node --test`'s
//! TAP reporter): the place is its first frame outside `node_modules` and
//! outside Node itself (`node:internal/...`, `node:buffer`). `file://`
//! URLs of ES modules are decoded to paths. Without a stack, or with only
//! library frames, the warning has no place. The test is the first test
//! file in the stack (`*.test.js`, `*.spec.ts`, `*_test.mjs`, or a file
//! under `test/`, `tests/`, `__tests__/` or `spec/`; every runner's
//! stack passes through it), as a test suite; else the runner's progress,
//! if any.

use super::{Context, Recognizer};
use crate::warning::{Category, Found};

#[derive(Debug, Default)]
pub struct Node {
    /// The last warning, while its stack may follow.
    pending: Option<Found>,
    /// The pending warning's test came from its stack.
    test_from_stack: bool,
}

impl Recognizer for Node {
    fn triggers(&self) -> &'static [&'static str] {
        &["(node:"]
    }

    fn in_block(&self) -> bool {
        self.pending.is_some()
    }

    fn line(&mut self, line: &str, _lineno: usize, ctx: &mut Context, out: &mut Vec<Found>) {
        if let Some(p) = &mut self.pending {
            if let Some(frame) = frame(line) {
                let place = user_place(frame);
                if !self.test_from_stack
                    && let Some((file, _)) = &place
                    && is_test_file(file)
                {
                    p.test = Some(file.clone());
                    self.test_from_stack = true;
                }
                if p.line.is_none()
                    && let Some((file, line)) = place
                {
                    p.file = file;
                    p.line = Some(line);
                }
                return;
            }
            out.extend(self.pending.take());
        }
        if let Some((message, kind)) = parse(line) {
            self.test_from_stack = false;
            self.pending = Some(Found {
                file: String::new(),
                line: None,
                message: message.to_owned(),
                category: if kind.contains("Deprecation") {
                    Category::Deprecation
                } else {
                    Category::Warning
                },
                tool: "node",
                test: ctx.current_test.clone(),
                count: 1,
            });
        }
    }

    fn finish(&mut self, _ctx: &mut Context, out: &mut Vec<Found>) {
        out.extend(self.pending.take());
    }
}

/// `(node:PID) [CODE] Type: message`: the message from `[CODE]` on, and
/// the type.
fn parse(line: &str) -> Option<(&str, &str)> {
    let (_, rest) = line.split_once("(node:")?;
    let (pid, message) = rest.split_once(") ")?;
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let body = match message.strip_prefix('[') {
        Some(coded) => coded.split_once("] ")?.1,
        None => message,
    };
    let (kind, _) = body.split_once(": ")?;
    let is_type = !kind.is_empty() && kind.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    is_type.then_some((message.trim_end(), kind))
}

/// The frame of a stack line: `    at fn (place)`, `#     at place`.
fn frame(line: &str) -> Option<&str> {
    let t = line.trim_start();
    if t.len() == line.len() && !t.starts_with('#') {
        return None;
    }
    let t = t.strip_prefix('#').map_or(t, str::trim_start);
    t.strip_prefix("at ")
}

/// The file and line of a frame in the project's own code.
fn user_place(frame: &str) -> Option<(String, u32)> {
    // `fn (place)` or `place`; `eval at ...` and `Promise.all (index 0)`
    // have none.
    let place = match frame.strip_suffix(')').and_then(|f| f.split_once(" (")) {
        Some((_name, place)) => place,
        None => frame,
    };
    let (rest, col) = place.rsplit_once(':')?;
    let (file, line) = rest.rsplit_once(':')?;
    if col.is_empty() || !col.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let line = super::number(line)?;
    let library = file.starts_with("node:")
        || file.contains("/node_modules/")
        || file.contains("\\node_modules\\")
        || file.starts_with("eval at ")
        || file.starts_with('<')
        || file.is_empty();
    (!library).then(|| (from_file_url(file), line))
}

/// A file of tests, by the names runners look for: `*.test.js`,
/// `*.spec.ts`, `*_test.mjs`, or any script under `test/`, `tests/`,
/// `__tests__/` or `spec/`.
fn is_test_file(file: &str) -> bool {
    let unified = file.replace('\\', "/");
    let name = unified.rsplit('/').next().unwrap_or_default();
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    stem.ends_with(".test")
        || stem.ends_with(".spec")
        || stem.ends_with("_test")
        || stem.ends_with("-test")
        || ["/test/", "/tests/", "/__tests__/", "/spec/"]
            .iter()
            .any(|d| format!("/{unified}").contains(d))
}

/// `file:///home/a%20b/x.mjs` as the path `/home/a b/x.mjs`
/// (`file:///C:/x.mjs` as `C:/x.mjs`); other text as it is.
fn from_file_url(file: &str) -> String {
    let Some(path) = file.strip_prefix("file://") else {
        return file.to_owned();
    };
    let b = path.as_bytes();
    let path = if b.len() > 3 && b[0] == b'/' && b[1].is_ascii_alphabetic() && b[2] == b':' {
        &path[1..]
    } else {
        path
    };
    let mut bytes = Vec::with_capacity(path.len());
    let mut i = 0;
    let b = path.as_bytes();
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            bytes.push((h * 16 + l) as u8);
            i += 3;
        } else {
            bytes.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{LogFormat, parse_log, parse_with};

    const PLAIN: &str = include_str!("../../../fixtures/warnings/node/node-20-plain.log");
    const TRACE: &str =
        include_str!("../../../fixtures/warnings/node/node-20-trace-deprecation.log");
    const ESM: &str =
        include_str!("../../../fixtures/warnings/node/node-20-esm-trace-warnings.log");
    const TAP: &str =
        include_str!("../../../fixtures/warnings/node/node-20-test-tap-trace-deprecation.log");

    const WEB: &str = "/home/runner/work/shop/shop/web";
    const LEGACYBUF: &str =
        "[LEGACYBUF001] DeprecationWarning: legacy-buf: alloc() is deprecated, use Buffer.alloc()";
    const DEP0005: &str = "[DEP0005] DeprecationWarning: Buffer() is deprecated due to security and usability issues. Please use the Buffer.alloc(), Buffer.allocUnsafe(), or Buffer.from() methods instead.";

    fn w(place: Option<(&str, u32)>, message: &str, category: Category) -> Found {
        Found {
            file: place.map_or(String::new(), |(f, _)| format!("{WEB}/{f}")),
            line: place.map(|(_, l)| l),
            message: message.into(),
            category,
            tool: "node",
            test: None,
            count: 1,
        }
    }

    #[test]
    fn without_a_stack_a_warning_has_no_place() {
        use Category::{Deprecation, Warning};
        assert_eq!(
            parse_with(PLAIN, LogFormat::Node),
            [
                w(None, LEGACYBUF, Deprecation),
                w(None, DEP0005, Deprecation),
                w(None, "Warning: cache size 0 disables caching", Warning),
                // Its `detail` line after it is not read.
                w(None, "[SHOP_W1] CustomWarning: something odd", Warning),
            ]
        );
    }

    #[test]
    fn trace_deprecation_takes_the_first_frame_outside_node_modules_and_node() {
        use Category::{Deprecation, Warning};
        assert_eq!(
            parse_with(TRACE, LogFormat::Node),
            [
                // `at make (.../node_modules/legacy-buf/index.js:10:10)` skipped.
                w(Some(("src/app.js", 4)), LEGACYBUF, Deprecation),
                // `at new Buffer (node:buffer:269:3)` skipped.
                w(Some(("src/app.js", 8)), DEP0005, Deprecation),
                w(None, "Warning: cache size 0 disables caching", Warning),
                w(None, "[SHOP_W1] CustomWarning: something odd", Warning),
            ]
        );
    }

    #[test]
    fn es_module_frames_are_file_urls() {
        assert_eq!(
            parse_with(ESM, LogFormat::Auto),
            [w(Some(("src/esm.mjs", 2)), DEP0005, Category::Deprecation)]
        );
        assert_eq!(
            from_file_url("file:///home/a%20b/%C3%A9.mjs"),
            "/home/a b/é.mjs"
        );
        assert_eq!(from_file_url("file:///C:/app/x.mjs"), "C:/app/x.mjs");
        assert_eq!(from_file_url("file:///bad%2"), "/bad%2");
    }

    #[test]
    fn node_test_tap_comments() {
        // The test file in the stack is the warnings' test suite.
        let in_test = |mut f: Found| {
            f.test = Some(format!("{WEB}/test/buffer.test.js"));
            f
        };
        assert_eq!(
            parse_with(TAP, LogFormat::Auto),
            [
                in_test(w(
                    Some(("test/buffer.test.js", 6)),
                    LEGACYBUF,
                    Category::Deprecation
                )),
                in_test(w(
                    Some(("test/buffer.test.js", 10)),
                    DEP0005,
                    Category::Deprecation
                )),
            ]
        );
    }

    #[test]
    fn test_files_by_the_names_runners_look_for() {
        for f in [
            "/r/test/a.js",
            "/r/a.test.mjs",
            "/r/src/a.spec.ts",
            "/r/a_test.js",
            "/r/__tests__/a.js",
            "C:\\r\\tests\\a.js",
        ] {
            assert!(is_test_file(f), "{f}");
        }
        for f in [
            "/r/src/app.js",
            "/r/contest.js",
            "/r/latest/a.js",
            "/r/testing.js",
        ] {
            assert!(!is_test_file(f), "{f}");
        }
    }

    #[test]
    fn frames_and_lookalikes() {
        assert_eq!(
            user_place("Object.<anonymous> (/r/a.js:3:1)"),
            Some(("/r/a.js".into(), 3))
        );
        assert_eq!(user_place("/r/a.js:3:1"), Some(("/r/a.js".into(), 3)));
        assert_eq!(
            user_place("C:\\r\\a.js:3:1"),
            Some(("C:\\r\\a.js".into(), 3))
        );
        for f in [
            "async Promise.all (index 0)",
            "eval (eval at <anonymous> (/r/a.js:1:1), <anonymous>:1:1)",
            "node:internal/main/run_main_module:28:49",
            "Module._compile (node:internal/modules/cjs/loader:1521:14)",
            "x (/r/node_modules/y/z.js:1:2)",
            "<anonymous>",
        ] {
            assert_eq!(user_place(f), None, "{f}");
        }
        let text = r"(Use `node --trace-deprecation ...` to show where the warning was created)
(node:abc) Warning: not a pid
(node:12) no type here
see (node:12) [DEP0005 Buffer
    at Object.<anonymous> (/r/a.js:3:1)
";
        assert_eq!(parse_with(text, LogFormat::Auto), []);
    }

    #[test]
    fn the_stack_ends_at_the_first_other_line() {
        let text = "(node:1) ExperimentalWarning: VM Modules is an experimental feature\n\
                    done\n    at f (/r/a.js:1:1)\n";
        let mut ctx = Context {
            current_test: Some("suite > case".into()),
        };
        let mut out = Vec::new();
        parse_log(text, LogFormat::Node, &mut ctx, &mut out);
        assert_eq!(
            out,
            [Found {
                file: String::new(),
                line: None,
                message: "ExperimentalWarning: VM Modules is an experimental feature".into(),
                category: Category::Warning,
                tool: "node",
                test: Some("suite > case".into()),
                count: 1,
            }]
        );
    }
}
