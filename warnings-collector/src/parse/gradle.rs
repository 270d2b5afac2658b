//! Gradle's own deprecation warnings, printed with `--warning-mode all`
//! (or `fail`):
//!
//! ```text
//! Build file '/home/runner/work/x/x/app/build.gradle': line 12
//! The Project.getConvention() method has been deprecated. This is scheduled to be removed in Gradle 9.0. Consult the upgrading guide for further information: https://docs.gradle.org/8.5/userguide/upgrading_version_8.html#deprecated_access_to_conventions
//!         at build_4f1kx$_run_closure2.doCall$original(/home/runner/work/x/x/app/build.gradle:12)
//!         (Run with --stacktrace to get the full stack trace of this deprecation warning.)
//! ```
//!
//! A deprecation is a line that says when it goes away: "This is scheduled
//! to be removed in Gradle N" or "This will fail with an error in Gradle
//! N". Its file and line come from the location line Gradle prints just
//! before it (`Build file '...': line N`, also `Settings file`, `Script`,
//! `Initialization script`) or, when there is none, from the first stack
//! frame under it that is in a `.gradle` or `.gradle.kts` script. A
//! deprecation raised inside a plugin has neither and is reported without
//! a file.
//!
//! The closing advice (" Consult the upgrading guide ...", " For more
//! information, please refer to ...", " See https://docs.gradle.org/...") links to the docs of the running
//! Gradle version; it is cut off so that a Gradle upgrade does not make
//! every deprecation look new. The summary `Deprecated Gradle features were
//! used in this build, making it incompatible with Gradle 9.0.` is not a
//! warning.

use super::{Context, Recognizer, number};
use crate::warning::{Category, Found};

#[derive(Debug, Default)]
pub struct Gradle {
    /// The location line just read: its log line number, file and line.
    location: Option<(usize, String, u32)>,
    /// A deprecation without a location line, waiting for the stack frames
    /// under it.
    pending: Option<Found>,
}

/// The end of a deprecation's own text: what follows is a link.
const ADVICE: [&str; 3] = [
    " Consult the upgrading guide",
    " For more information, please refer to ",
    " See https://docs.gradle.org/",
];

impl Recognizer for Gradle {
    fn triggers(&self) -> &'static [&'static str] {
        &[
            "is scheduled to be removed in Gradle",
            "will fail with an error in Gradle",
            "': line ",
        ]
    }

    fn in_block(&self) -> bool {
        self.pending.is_some()
    }

    fn line(&mut self, line: &str, lineno: usize, ctx: &mut Context, out: &mut Vec<Found>) {
        if let Some(pending) = &mut self.pending {
            let frame = line.trim_start();
            if let Some(frame) = frame.strip_prefix("at ") {
                if let Some((file, n)) = script_frame(frame) {
                    pending.file = file.to_owned();
                    pending.line = Some(n);
                    out.extend(self.pending.take());
                }
                return;
            }
            out.extend(self.pending.take());
            if frame.starts_with("(Run with --stacktrace") {
                return;
            }
        }
        if let Some((file, n)) = location(line) {
            self.location = Some((lineno, file.to_owned(), n));
            return;
        }
        let Some(message) = deprecation(line) else {
            return;
        };
        let mut found = Found {
            file: String::new(),
            line: None,
            message: message.to_owned(),
            category: Category::Deprecation,
            tool: "gradle",
            test: ctx.current_test.clone(),
            count: 1,
        };
        match self.location.take() {
            Some((at, file, n)) if at + 1 == lineno => {
                found.file = file;
                found.line = Some(n);
                out.push(found);
            }
            _ => self.pending = Some(found),
        }
    }

    fn finish(&mut self, _ctx: &mut Context, out: &mut Vec<Found>) {
        out.extend(self.pending.take());
    }
}

/// The message of a deprecation line, without its closing advice.
fn deprecation(line: &str) -> Option<&str> {
    let line = line.trim();
    if !line.contains("is scheduled to be removed in Gradle")
        && !line.contains("will fail with an error in Gradle")
    {
        return None;
    }
    let end = ADVICE
        .iter()
        .filter_map(|a| line.find(a))
        .min()
        .unwrap_or(line.len());
    Some(line[..end].trim_end())
}

/// `Build file '/a/build.gradle': line 12` (or `Settings file`, `Script`,
/// ...): the file and the line.
fn location(line: &str) -> Option<(&str, u32)> {
    let (head, n) = line.trim_end().rsplit_once("': line ")?;
    let (kind, file) = head.split_once(" '")?;
    let known = [
        "Build file",
        "Settings file",
        "Script",
        "Initialization script",
    ];
    if !known.contains(&kind) || file.is_empty() {
        return None;
    }
    Some((file, number(n)?))
}

/// `build_x$_run_closure1.doCall(/a/build.gradle:12)`: the script and the
/// line, when the frame is in a build script.
fn script_frame(frame: &str) -> Option<(&str, u32)> {
    let (_, source) = frame.trim_end().strip_suffix(')')?.rsplit_once('(')?;
    let (file, n) = source.rsplit_once(':')?;
    if !file.ends_with(".gradle") && !file.ends_with(".gradle.kts") {
        return None;
    }
    Some((file, number(n)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{LogFormat, parse_with};

    const GRADLE_8: &str = include_str!(
        "../../../fixtures/warnings/gradle/hand-written-gradle-8.5-warning-mode-all.log"
    );
    const GRADLE_7: &str = include_str!(
        "../../../fixtures/warnings/gradle/hand-written-gradle-7.6-warning-mode-all.log"
    );
    const SUMMARY: &str =
        include_str!("../../../fixtures/warnings/gradle/hand-written-gradle-8.5-summary.log");

    const ROOT: &str = "/home/runner/work/shop/shop";

    fn found(file: &str, line: Option<u32>, message: &str) -> Found {
        Found {
            file: file.into(),
            line,
            message: message.into(),
            category: Category::Deprecation,
            tool: "gradle",
            test: None,
            count: 1,
        }
    }

    #[test]
    fn location_lines_are_attached() {
        let expected = vec![
            found(
                &format!("{ROOT}/settings.gradle"),
                Some(3),
                "enableFeaturePreview('VERSION_CATALOGS') has been deprecated. This is scheduled to be removed in Gradle 9.0. The feature flag is no longer relevant, please remove it from your settings file.",
            ),
            found(
                &format!("{ROOT}/app/build.gradle"),
                Some(12),
                "The Project.getConvention() method has been deprecated. This is scheduled to be removed in Gradle 9.0.",
            ),
            found(
                &format!("{ROOT}/app/build.gradle"),
                Some(30),
                "The org.gradle.api.plugins.JavaPluginConvention type has been deprecated. This is scheduled to be removed in Gradle 9.0.",
            ),
            found(
                &format!("{ROOT}/lib/build.gradle.kts"),
                Some(21),
                "Declaring client module dependencies has been deprecated. This is scheduled to be removed in Gradle 9.0. Please use component metadata rules instead.",
            ),
            // Raised inside a plugin: no script frame, no file.
            found(
                "",
                None,
                "The org.gradle.util.ConfigureUtil type has been deprecated. This is scheduled to be removed in Gradle 9.0.",
            ),
            found(
                "",
                None,
                "Resolution of the configuration :app:runtimeClasspath was attempted from a context different than the project context. Have a look at the documentation to understand why this is a problem and how it can be resolved. This behavior has been deprecated. This will fail with an error in Gradle 9.0.",
            ),
        ];
        assert_eq!(parse_with(GRADLE_8, LogFormat::Gradle), expected);
        // javac's and Kotlin's warnings in the same log go to their readers.
        let auto = parse_with(GRADLE_8, LogFormat::Auto);
        let tools: Vec<_> = auto.iter().map(|f| f.tool).collect();
        assert_eq!(
            tools,
            [
                "gradle", "gradle", "gradle", "gradle", "gradle", "gradle", "kotlin", "javac"
            ]
        );
        let gradle: Vec<_> = auto.into_iter().filter(|f| f.tool == "gradle").collect();
        assert_eq!(gradle, expected);
    }

    #[test]
    fn without_location_lines_the_script_frame_is_used() {
        let expected = vec![
            found(
                &format!("{ROOT}/build.gradle"),
                Some(9),
                "The RepositoryHandler.jcenter() method has been deprecated. This is scheduled to be removed in Gradle 8.0. JFrog announced JCenter's sunset in February 2021. Use mavenCentral() instead.",
            ),
            // --stacktrace: Gradle's frames first, then the script's.
            found(
                &format!("{ROOT}/app/build.gradle"),
                Some(41),
                "The AbstractArchiveTask.archiveName property has been deprecated. This is scheduled to be removed in Gradle 8.0. Please use the archiveFileName property instead.",
            ),
            // Last in the log: flushed at the end.
            found(
                "",
                None,
                "The Report.destination property has been deprecated. This is scheduled to be removed in Gradle 8.0. Please use the outputLocation property instead.",
            ),
        ];
        assert_eq!(parse_with(GRADLE_7, LogFormat::Auto), expected);
    }

    #[test]
    fn the_summary_is_not_a_warning() {
        assert_eq!(parse_with(SUMMARY, LogFormat::Auto), vec![]);
    }

    #[test]
    fn locations_and_frames() {
        assert_eq!(
            location("Build file '/a b/build.gradle.kts': line 7"),
            Some(("/a b/build.gradle.kts", 7))
        );
        assert_eq!(location("Plugin 'org.example.x': line 7"), None);
        assert_eq!(location("Build file '/a/build.gradle': line x"), None);
        assert_eq!(
            script_frame("Build_gradle.<init>(build.gradle.kts:5)"),
            Some(("build.gradle.kts", 5))
        );
        assert_eq!(
            script_frame("org.example.Plugin.apply(Plugin.java:41)"),
            None
        );
        assert_eq!(
            script_frame("org.example.Plugin.apply(Unknown Source)"),
            None
        );
    }
}
