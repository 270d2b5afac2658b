//! Ruby's own warnings: `path.rb:16: warning: message`.
//!
//! Some warnings come in two lines, the second pointing at another place:
//! Ruby 2.7's keyword-argument deprecations (`Using the last argument as
//! keyword parameters is deprecated; ...` then `The called method `foo' is
//! defined here`) and redefinitions (`method redefined; discarding old
//! name` then `previous definition of name was here`). They are joined into
//! one warning at the first line's place, the second place in its message:
//! `... (the called method `foo' is defined at /app/models/base.rb:5)`.
//!
//! Only Ruby sources count (`.rb`, `.rake`, `.erb`, `Gemfile`, `bin/x`,
//! `(eval)`, `-e`...): C compilers, javac and make print the same shape.
//! Test runners' progress marks glued to an absolute path
//! (`..F/home/runner/...`, stdout and stderr interleaved) are removed.

use super::{Context, Recognizer, number};
use crate::warning::{Category, Found};

#[derive(Debug, Default)]
pub struct Ruby {
    /// The last warning, held for one line in case its second half follows.
    pending: Option<Found>,
}

impl Recognizer for Ruby {
    fn triggers(&self) -> &'static [&'static str] {
        &[": warning: "]
    }

    fn in_block(&self) -> bool {
        self.pending.is_some()
    }

    fn line(&mut self, line: &str, _lineno: usize, ctx: &mut Context, out: &mut Vec<Found>) {
        let parsed = parse(line);
        if let Some(mut first) = self.pending.take() {
            if let Some(second) = &parsed
                && let Some(what) = second_half(second.message)
            {
                first.message = format!(
                    "{} ({} at {}:{})",
                    first.message, what, second.file, second.line
                );
                out.push(first);
                return;
            }
            out.push(first);
        }
        if let Some(w) = parsed {
            self.pending = Some(Found {
                file: w.file.to_owned(),
                line: Some(w.line),
                message: w.message.to_owned(),
                category: category(w.message),
                tool: "ruby",
                test: w
                    .test
                    .map(str::to_owned)
                    .or_else(|| ctx.current_test.clone()),
                count: 1,
            });
        }
    }

    fn finish(&mut self, _ctx: &mut Context, out: &mut Vec<Found>) {
        out.extend(self.pending.take());
    }
}

struct Parsed<'a> {
    file: &'a str,
    line: u32,
    message: &'a str,
    /// minitest -v's `Class#test_name`, printed before the warning.
    test: Option<&'a str>,
}

/// `path:line: warning: message`, for a Ruby `path`.
fn parse(line: &str) -> Option<Parsed<'_>> {
    let (head, message) = line.split_once(": warning: ")?;
    let (file, num) = head.rsplit_once(':')?;
    let line = number(num)?;
    // minitest -v prints the test's name before the path.
    let (test, file) = super::path_start(file);
    let file = strip_progress_marks(file.trim_start());
    is_ruby_source(file).then_some(Parsed {
        file,
        line,
        message: message.trim_end(),
        test,
    })
}

fn category(message: &str) -> Category {
    if message.contains("deprecated")
        || message.contains("Deprecated")
        || message.contains("obsolete")
    {
        Category::Deprecation
    } else {
        Category::Warning
    }
}

/// The second line of a two-line warning, as it reads inside the first's
/// message: `The called method `foo' is defined here` becomes
/// `the called method `foo' is defined`, to which ` at path:line` is added.
fn second_half(message: &str) -> Option<String> {
    let what = message.strip_suffix(" here")?;
    let lower = if let Some(rest) = what.strip_prefix("The called method") {
        format!("the called method{rest}")
    } else if what.starts_with("previous definition of ") {
        what.to_owned()
    } else {
        return None;
    };
    Some(lower)
}

/// Whether Ruby could have printed `file` as a source location.
fn is_ruby_source(file: &str) -> bool {
    const EXTENSIONS: [&str; 14] = [
        "rb", "rake", "gemspec", "ru", "erb", "rbw", "builder", "jbuilder", "haml", "slim", "thor",
        "rabl", "arb", "podspec",
    ];
    const NAMES: [&str; 12] = [
        "Gemfile",
        "Rakefile",
        "Guardfile",
        "Capfile",
        "Vagrantfile",
        "Podfile",
        "Fastfile",
        "Berksfile",
        "Thorfile",
        "Dangerfile",
        "Brewfile",
        "Steepfile",
    ];
    if file == "-e" || (file.starts_with('<') && file.ends_with('>')) {
        return true; // `-e:1:`, `<internal:kernel>:12:`
    }
    if file.starts_with('(') && file.ends_with(')') {
        return true; // `(eval)`, `(irb)`, `(erb)`, `(eval at /app/a.rb:3)`
    }
    let (dir, base) = file.rsplit_once(['/', '\\']).unwrap_or(("", file));
    if base.is_empty() || base.contains(':') {
        return false;
    }
    match base.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => EXTENSIONS.contains(&ext),
        // Executables without an extension: `bin/rails`, `exe/tool`.
        _ => NAMES.contains(&base) || dir.ends_with("bin") || dir.ends_with("exe"),
    }
}

/// `file` without the progress marks of a test runner (`.`, `F`, `E`,
/// `S`, `*`; unittest's `s`, `x`, `u`) printed on stdout just before the
/// warning on stderr: `..F/home/runner/work/a/a/x.rb` is
/// `/home/runner/work/a/a/x.rb`. Removed only when what follows is an
/// absolute path under a usual root folder, because `./x.rb` and
/// `../x.rb` are relative paths too.
pub(super) fn strip_progress_marks(file: &str) -> &str {
    const ROOTS: [&str; 19] = [
        "/home/",
        "/Users/",
        "/builds/",
        "/github/",
        "/__w/",
        "/workspace/",
        "/buildkite/",
        "/usr/",
        "/opt/",
        "/var/",
        "/tmp/",
        "/root/",
        "/srv/",
        "/app/",
        "/private/",
        "/nix/",
        "/mnt/",
        "/data/",
        "/code/",
    ];
    let marks = file
        .bytes()
        .take_while(|b| matches!(b, b'.' | b'F' | b'E' | b'S' | b'*' | b's' | b'x' | b'u'))
        .count();
    let rest = &file[marks..];
    if marks > 0 && ROOTS.iter().any(|r| rest.starts_with(r)) {
        rest
    } else {
        file
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{Context, LogFormat, parse_log, parse_with};

    const MINITEST_31: &str = include_str!("../../../fixtures/warnings/ruby/ruby-3.1-minitest.log");
    const RSPEC_27: &str =
        include_str!("../../../fixtures/warnings/ruby/hand-written-ruby-2.7-kwargs-rspec.log");

    fn w(file: &str, line: u32, message: &str, category: Category) -> Found {
        Found {
            file: file.into(),
            line: Some(line),
            message: message.into(),
            category,
            tool: "ruby",
            test: None,
            count: 1,
        }
    }

    const APP: &str = "/home/runner/work/shop/shop/app/models";

    #[test]
    fn ruby_31_redefinitions_joined_and_progress_dot_removed() {
        use Category::{Deprecation, Warning};
        assert_eq!(
            parse_with(MINITEST_31, LogFormat::Ruby),
            [
                w(
                    &format!("{APP}/base.rb"),
                    11,
                    &format!(
                        "method redefined; discarding old name (previous definition of name was at {APP}/base.rb:7)"
                    ),
                    Warning
                ),
                w(
                    &format!("{APP}/user.rb"),
                    4,
                    &format!(
                        "already initialized constant Base::LIMIT (previous definition of LIMIT was at {APP}/base.rb:2)"
                    ),
                    Warning
                ),
                w(
                    &format!("{APP}/user.rb"),
                    7,
                    "deprecated Object#=~ is called on Integer; it always returns nil",
                    Deprecation
                ),
                // Printed as `./home/runner/...` after minitest's first dot.
                w(
                    &format!("{APP}/user.rb"),
                    11,
                    "`$,' is deprecated",
                    Deprecation
                ),
                w(
                    &format!("{APP}/user.rb"),
                    12,
                    "$, is set to non-nil value",
                    Warning
                ),
            ]
        );
    }

    #[test]
    fn ruby_27_keyword_argument_warnings_are_joined_with_the_called_method() {
        let root = "/home/runner/work/shop/shop";
        let gem = format!(
            "{root}/vendor/bundle/ruby/2.7.0/gems/anyway_config-2.0.0/lib/anyway/rails/config.rb"
        );
        let last_arg = "Using the last argument as keyword parameters is deprecated; maybe ** should be added to the call";
        let passing = "Passing the keyword argument as the last hash parameter is deprecated";
        let d = Category::Deprecation;
        let ruby = parse_with(RSPEC_27, LogFormat::Ruby);
        // In `Auto` the other recognisers of this crate's scripting tools
        // find nothing more (javac reads its own line).
        let mut auto = parse_with(RSPEC_27, LogFormat::Auto);
        auto.retain(|f| ["ruby", "rails", "python", "node"].contains(&f.tool));
        assert_eq!(auto, ruby);
        assert_eq!(
            ruby,
            [
                w(
                    &gem,
                    30,
                    &format!(
                        "{last_arg} (the called method `load_from_file' is defined at {gem}:36)"
                    ),
                    d
                ),
                w(
                    &format!("{root}/app/models/user.rb"),
                    12,
                    &format!(
                        "{last_arg} (the called method `initialize' is defined at {root}/app/models/base.rb:5)"
                    ),
                    d
                ),
                w(
                    &format!("{root}/app/services/checkout.rb"),
                    41,
                    &format!(
                        "{passing} (the called method `charge' is defined at {root}/app/services/payment.rb:8)"
                    ),
                    d
                ),
                // No second line: the next line is RSpec's progress.
                w(&format!("{root}/app/models/order.rb"), 27, passing, d),
                w(
                    &format!("{root}/lib/shop/legacy.rb"),
                    19,
                    &format!(
                        "Splitting the last argument into positional and keyword parameters is deprecated (the called method `call' is defined at {root}/lib/shop/legacy.rb:3)"
                    ),
                    d
                ),
                w(
                    &format!("{root}/app/models/user.rb"),
                    30,
                    "instance variable @cart not initialized",
                    Category::Warning
                ),
                // Then: parser's `warning:` without a place, `ruby: warning:`,
                // a C compiler's, make's and javac's warnings: not Ruby's.
            ]
        );
    }

    #[test]
    fn a_pending_warning_keeps_the_test_of_its_first_line_and_is_flushed_at_the_end() {
        let text = "a.rb:1: warning: method redefined; discarding old x\n";
        let mut ctx = Context {
            current_test: Some("UserTest#test_sep".into()),
        };
        let mut out = Vec::new();
        parse_log(text, LogFormat::Ruby, &mut ctx, &mut out);
        let mut want = w(
            "a.rb",
            1,
            "method redefined; discarding old x",
            Category::Warning,
        );
        want.test = Some("UserTest#test_sep".into());
        assert_eq!(out, [want]);
    }

    #[test]
    fn a_second_half_alone_or_after_an_unrelated_line_stands_alone() {
        let text = "a.rb:1: warning: already initialized constant X\n\
                    Run options: --seed 1\n\
                    b.rb:2: warning: previous definition of X was here\n";
        let out = parse_with(text, LogFormat::Ruby);
        assert_eq!(
            out,
            [
                w(
                    "a.rb",
                    1,
                    "already initialized constant X",
                    Category::Warning
                ),
                w(
                    "b.rb",
                    2,
                    "previous definition of X was here",
                    Category::Warning
                ),
            ]
        );
    }

    #[test]
    fn which_files_are_ruby_sources() {
        for f in [
            "app/a.rb",
            "lib/tasks/db.rake",
            "shop.gemspec",
            "config.ru",
            "app/views/a.html.erb",
            "Gemfile",
            "bin/rails",
            "-e",
            "<internal:kernel>",
            "(eval at /app/a.rb:3)",
            "(irb)",
            "C:\\app\\a.rb",
        ] {
            assert!(is_ruby_source(f), "{f}");
        }
        for f in [
            "a.c:12",
            "Makefile",
            "X.java",
            "a.py",
            "(node:12) Warning: a.rb",
            ".rb",
            "",
        ] {
            assert!(!is_ruby_source(f), "{f}");
        }
    }

    #[test]
    fn progress_marks_only_before_an_absolute_path() {
        assert_eq!(
            strip_progress_marks("..F*/home/runner/a.rb"),
            "/home/runner/a.rb"
        );
        assert_eq!(strip_progress_marks("./app/a.rb"), "/app/a.rb");
        assert_eq!(strip_progress_marks("./lib/a.rb"), "./lib/a.rb");
        assert_eq!(strip_progress_marks("../lib/a.rb"), "../lib/a.rb");
        assert_eq!(strip_progress_marks("/home/a.rb"), "/home/a.rb");
        assert_eq!(strip_progress_marks("src/a.py"), "src/a.py");
    }
}
