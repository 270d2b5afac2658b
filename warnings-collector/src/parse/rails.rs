//! Rails (ActiveSupport) deprecations:
//! `DEPRECATION WARNING: message (called from label at path:line)`, and
//! the older `(called from path:line:in `method')` and
//! `(called from path:line)`. The place is the caller's; the message is
//! without the `(called from ...)` suffix.
//!
//! The marker may follow a test runner's progress dots on the same line.
//! Messages written as heredocs span several lines, the suffix on the
//! last: the message is then the first paragraph joined into one line. A
//! warning whose suffix does not come within [`MAX_LINES`] lines (or
//! before the next warning) keeps its first line and no place.

use super::number;
use super::{Context, Recognizer};
use crate::warning::{Category, Found};

const MARKER: &str = "DEPRECATION WARNING: ";
const CALLED_FROM: &str = "(called from ";
/// How far the `(called from ...)` of a multi-line message is looked for.
const MAX_LINES: usize = 64;

#[derive(Debug, Default)]
pub struct Rails {
    /// A warning whose `(called from ...)` has not been read yet.
    pending: Option<Pending>,
}

#[derive(Debug)]
struct Pending {
    found: Found,
    /// The first line's length in `found.message`.
    first_line: usize,
    /// Whether the first paragraph goes on.
    paragraph: bool,
    /// Lines read after the first.
    lines: usize,
}

impl Recognizer for Rails {
    fn triggers(&self) -> &'static [&'static str] {
        &[MARKER]
    }

    fn in_block(&self) -> bool {
        self.pending.is_some()
    }

    fn line(&mut self, line: &str, _lineno: usize, ctx: &mut Context, out: &mut Vec<Found>) {
        let start = line.find(MARKER);
        if start.is_none()
            && let Some(p) = &mut self.pending
        {
            p.lines += 1;
            if let Some(at) = line.rfind(CALLED_FROM) {
                if p.paragraph {
                    push_words(&mut p.found.message, &line[..at]);
                }
                (p.found.file, p.found.line) = called_from(&line[at..]);
                out.extend(self.pending.take().map(|p| p.found));
            } else if p.lines > MAX_LINES {
                out.extend(self.take_unplaced());
            } else if line.trim().is_empty() {
                p.paragraph = false;
            } else if p.paragraph {
                push_words(&mut p.found.message, line);
            }
            return;
        }
        out.extend(self.take_unplaced());
        let Some(start) = start else { return };
        let rest = &line[start + MARKER.len()..];
        let mut found = Found {
            file: String::new(),
            line: None,
            message: String::new(),
            category: Category::Deprecation,
            tool: "rails",
            test: ctx.current_test.clone(),
            count: 1,
        };
        if let Some(at) = rest.rfind(CALLED_FROM) {
            found.message = rest[..at].trim().to_owned();
            (found.file, found.line) = called_from(&rest[at..]);
            out.push(found);
        } else {
            found.message = rest.trim().to_owned();
            self.pending = Some(Pending {
                first_line: found.message.len(),
                found,
                paragraph: true,
                lines: 0,
            });
        }
    }

    fn finish(&mut self, _ctx: &mut Context, out: &mut Vec<Found>) {
        out.extend(self.take_unplaced());
    }
}

impl Rails {
    /// The pending warning without a place: its first line only, since
    /// what followed may not have been its message.
    fn take_unplaced(&mut self) -> Option<Found> {
        let mut p = self.pending.take()?;
        p.found.message.truncate(p.first_line);
        Some(p.found)
    }
}

fn push_words(message: &mut String, text: &str) {
    let text = text.trim();
    if !text.is_empty() {
        if !message.is_empty() {
            message.push(' ');
        }
        message.push_str(text);
    }
}

/// The place in `(called from label at path:line)`, `(called from
/// path:line:in `method')` or `(called from path:line)`.
fn called_from(suffix: &str) -> (String, Option<u32>) {
    let inside = suffix[CALLED_FROM.len()..].trim_end();
    let inside = inside.strip_suffix(')').unwrap_or(inside);
    let place = inside.rsplit_once(" at ").map_or(inside, |(_label, p)| p);
    let place = place.split_once(":in ").map_or(place, |(p, _method)| p);
    match place.rsplit_once(':') {
        Some((file, num)) if !file.is_empty() && number(num).is_some() => {
            (file.to_owned(), number(num))
        }
        _ => (String::new(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{LogFormat, parse_with};

    const RAILS_71: &str =
        include_str!("../../../fixtures/warnings/rails/hand-written-rails-7.1-rspec.log");
    const RAILS_OLD: &str = include_str!(
        "../../../fixtures/warnings/rails/hand-written-rails-4.2-and-3.2-minitest.log"
    );
    const RUBY_31: &str = include_str!("../../../fixtures/warnings/ruby/ruby-3.1-minitest.log");
    const PYTEST: &str =
        include_str!("../../../fixtures/warnings/python/pytest-9.2-warnings-summary.log");
    const NODE: &str =
        include_str!("../../../fixtures/warnings/node/node-20-trace-deprecation.log");

    const ROOT: &str = "/home/runner/work/shop/shop";

    fn w(file: &str, line: u32, message: &str) -> Found {
        Found {
            file: format!("{ROOT}/{file}"),
            line: Some(line),
            message: message.into(),
            category: Category::Deprecation,
            tool: "rails",
            test: None,
            count: 1,
        }
    }

    #[test]
    fn rails_71_called_from_label_at_path_and_a_multi_line_message() {
        assert_eq!(
            parse_with(RAILS_71, LogFormat::Rails),
            [
                w(
                    "config/initializers/stripe.rb",
                    3,
                    "`Rails.application.secrets` is deprecated in favor of `Rails.application.credentials` and will be removed in Rails 7.2."
                ),
                w(
                    "app/models/invoice.rb",
                    22,
                    "Using a :default format for Date#to_s is deprecated. Please use Date#to_fs instead. If you fixed all places inside your application that you see this deprecation, you can set `ENV['RAILS_DISABLE_DEPRECATED_TO_S_CONVERSION']` to `\"true\"` in the `config/application.rb` file before the `Bundler.require` call to fix all the callers outside of your application."
                ),
                // Parentheses in the message itself.
                w(
                    "spec/models/user_spec.rb",
                    12,
                    "update_attributes is deprecated and will be removed from Rails 6.1 (please, use update instead)"
                ),
                w(
                    "config/environment.rb",
                    5,
                    "Using legacy connection handling is deprecated. Please set `legacy_connection_handling` to `false` in your application."
                ),
                // RSpec's own `Deprecation Warnings:` are not Rails'.
            ]
        );
    }

    #[test]
    fn rails_42_and_32_forms_and_a_warning_without_a_caller() {
        assert_eq!(
            parse_with(RAILS_OLD, LogFormat::Rails),
            [
                w(
                    "app/models/order.rb",
                    8,
                    "`serialized_attributes` is deprecated without replacement, and will be removed in Rails 5.0."
                ),
                w(
                    "test/models/cart_test.rb",
                    14,
                    "You're trying to create an attribute `user_id'. Writing arbitrary attributes on a model is deprecated. Please just use `attr_writer` etc."
                ),
                w(
                    "app/controllers/products_controller.rb",
                    6,
                    "Model.scoped is deprecated. Please use Model.all instead."
                ),
                Found {
                    file: String::new(),
                    line: None,
                    ..w(
                        "",
                        0,
                        "ActionController::Base.page_cache_directory is deprecated."
                    )
                },
            ]
        );
    }

    #[test]
    fn a_warning_without_a_caller_ends_at_the_next_warning() {
        let text = "DEPRECATION WARNING: first\n\
                    next line\n\
                    DEPRECATION WARNING: second (called from a.rb:2)\n";
        let got: Vec<_> = parse_with(text, LogFormat::Rails)
            .into_iter()
            .map(|f| (f.message, f.file, f.line))
            .collect();
        assert_eq!(
            got,
            [
                ("first".into(), String::new(), None),
                ("second".into(), "a.rb".into(), Some(2)),
            ]
        );
    }

    #[test]
    fn auto_on_a_mixed_log_reports_each_warning_once() {
        let logs = [RAILS_71, RUBY_31, PYTEST, NODE, RAILS_OLD];
        let mut separately = Vec::new();
        for (log, format) in logs.iter().zip([
            LogFormat::Rails,
            LogFormat::Ruby,
            LogFormat::Python,
            LogFormat::Node,
            LogFormat::Rails,
        ]) {
            separately.extend(parse_with(log, format));
        }
        let mixed = parse_with(&logs.concat(), LogFormat::Auto);
        assert_eq!(mixed, separately);
        let count = |tool| {
            mixed
                .iter()
                .filter(|f| f.tool == tool)
                .map(|f| f.count)
                .sum::<u64>()
        };
        assert_eq!(
            [
                count("rails"),
                count("ruby"),
                count("python"),
                count("node")
            ],
            [8, 5, 19, 4]
        );
    }
}
