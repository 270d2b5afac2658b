//! The JVM's own run-time deprecation warnings, printed on stderr by the
//! running program (a test run, a Gradle or Maven build) when code calls
//! a method that is terminally deprecated:
//!
//! ```text
//! WARNING: A terminally deprecated method in java.lang.System has been called
//! WARNING: System::setSecurityManager has been called by shop.Legacy (file:/…/build/classes/)
//! WARNING: Please consider reporting this to the maintainers of shop.Legacy
//! WARNING: System::setSecurityManager will be removed in a future release
//! ```
//!
//! (JDK 17 on; JDK 23 on says the same of `sun.misc.Unsafe`'s memory
//! methods.) One deprecation is read per block: the method and the class
//! that called it are the message, the class's code source (`file:` a jar
//! or a classes folder) is the file, as no source line is printed. JDK 9
//! to 16's `Illegal reflective access by X (file:…) to method Y` blocks
//! are read the same way. So is the launcher's one-line `OpenJDK 64-Bit
//! Server VM warning: Options -Xverify:none and -noverify were deprecated
//! in JDK 13 …` (a deprecation when it says so, else a plain warning; no
//! file).

use super::{Context, Recognizer};
use crate::warning::{Category, Found};

#[derive(Debug, Default)]
pub struct Jvm {
    /// Inside a block: what the first line said.
    block: Option<Block>,
}

#[derive(Debug)]
struct Block {
    /// `A terminally deprecated method in java.lang.System has been called`.
    headline: String,
    /// `System::setSecurityManager has been called by shop.Legacy`, and
    /// the code source.
    call: Option<(String, String)>,
}

const TERMINAL: &str = "WARNING: A terminally deprecated method in ";
const ILLEGAL: &str = "WARNING: An illegal reflective access operation has occurred";
const VM: &str = " VM warning: ";

impl Recognizer for Jvm {
    fn triggers(&self) -> &'static [&'static str] {
        &[TERMINAL, ILLEGAL, VM]
    }

    fn in_block(&self) -> bool {
        self.block.is_some()
    }

    fn line(&mut self, line: &str, _lineno: usize, ctx: &mut Context, out: &mut Vec<Found>) {
        let line = line.trim_end();
        // `OpenJDK 64-Bit Server VM warning: …`, `Java HotSpot(TM) … VM warning: …`.
        if let Some(at) = line.find(VM)
            && line[..at].ends_with("Server")
                | line[..at].ends_with("Client")
                | line[..at].ends_with("Zero")
        {
            let message = &line[at + VM.len()..];
            out.push(Found {
                file: String::new(),
                line: None,
                message: format!("VM warning: {message}"),
                category: if message.contains("deprecated") {
                    Category::Deprecation
                } else {
                    Category::Warning
                },
                tool: "jvm",
                test: ctx.current_test.clone(),
                count: 1,
            });
            return;
        }
        if let Some(at) = line.find(TERMINAL).or_else(|| line.find(ILLEGAL)) {
            self.flush(ctx, out);
            self.block = Some(Block {
                headline: line[at + "WARNING: ".len()..].to_owned(),
                call: None,
            });
            return;
        }
        let Some(block) = &mut self.block else {
            return;
        };
        let Some(text) = line
            .find("WARNING: ")
            .map(|i| &line[i + "WARNING: ".len()..])
        else {
            // The block ended without its last line.
            self.flush(ctx, out);
            return;
        };
        if block.call.is_none()
            && let Some((call, source)) = text.split_once(" (file:")
            && (call.contains(" has been called by ")
                || call.starts_with("Illegal reflective access by "))
        {
            let (source, rest) = source.split_once(')').unwrap_or((source, ""));
            let mut message = call.to_owned();
            message.push_str(rest);
            block.call = Some((message, source.to_owned()));
            return;
        }
        if text.ends_with("will be removed in a future release")
            || text.starts_with("All illegal access operations will be denied")
        {
            self.flush(ctx, out);
        }
    }

    fn finish(&mut self, ctx: &mut Context, out: &mut Vec<Found>) {
        self.flush(ctx, out);
    }
}

impl Jvm {
    fn flush(&mut self, ctx: &mut Context, out: &mut Vec<Found>) {
        let Some(block) = self.block.take() else {
            return;
        };
        let (message, file) = match block.call {
            Some((call, source)) => (format!("{}: {call}", block.headline), source),
            None => (block.headline, String::new()),
        };
        out.push(Found {
            file,
            line: None,
            message,
            category: Category::Deprecation,
            tool: "jvm",
            test: ctx.current_test.clone(),
            count: 1,
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::parse::{LogFormat, parse_with};

    #[test]
    fn terminally_deprecated_methods_of_jdk_17_and_25() {
        for (log, method, class) in [
            (
                include_str!("../../../fixtures/warnings/jvm/openjdk-17.0.15-security-manager.log"),
                "java.lang.System has been called: System::setSecurityManager has been called by shop.Legacy",
                "shop.Legacy",
            ),
            (
                include_str!("../../../fixtures/warnings/jvm/temurin-25.0.3-unsafe-memory.log"),
                "sun.misc.Unsafe has been called: sun.misc.Unsafe::allocateMemory has been called by shop.Mem",
                "shop.Mem",
            ),
        ] {
            for format in [LogFormat::Jvm, LogFormat::Auto] {
                let got = parse_with(log, format);
                assert_eq!(got.len(), 1, "{got:?}");
                let w = &got[0];
                assert_eq!(w.file, "/home/runner/work/shop/shop/jvm/build/classes/");
                assert_eq!(w.line, None);
                assert_eq!(w.tool, "jvm");
                assert!(
                    w.message.starts_with("A terminally deprecated method in "),
                    "{}",
                    w.message
                );
                assert!(w.message.ends_with(method), "{}", w.message);
                assert!(w.message.contains(class));
            }
        }
    }

    #[test]
    fn illegal_reflective_access_and_cut_blocks() {
        let log = "WARNING: An illegal reflective access operation has occurred\n\
                   WARNING: Illegal reflective access by com.x.Y (file:/a/y.jar) to method java.lang.Object.clone()\n\
                   WARNING: Please consider reporting this to the maintainers of com.x.Y\n\
                   WARNING: Use --illegal-access=warn to enable warnings of further illegal reflective access operations\n\
                   WARNING: All illegal access operations will be denied in a future release\n\
                   WARNING: A terminally deprecated method in java.lang.System has been called\n\
                   ok\n";
        let got = parse_with(log, LogFormat::Jvm);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].file, "/a/y.jar");
        assert_eq!(
            got[0].message,
            "An illegal reflective access operation has occurred: Illegal reflective access by com.x.Y to method java.lang.Object.clone()"
        );
        assert_eq!(got[1].file, "");
        assert_eq!(
            got[1].message,
            "A terminally deprecated method in java.lang.System has been called"
        );
    }

    #[test]
    fn the_launchers_vm_warnings() {
        let got = parse_with(
            include_str!("../../../fixtures/warnings/kotlin/kotlinc-1.3.31-openjdk-17.log"),
            LogFormat::Jvm,
        );
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].category, crate::warning::Category::Deprecation);
        assert!(got[0].message.starts_with(
            "VM warning: Options -Xverify:none and -noverify were deprecated in JDK 13"
        ));
        assert!(parse_with("Java HotSpot(TM) 64-Bit Server VM warning: Sharing is only supported for boot loader classes\n", LogFormat::Jvm)[0].category == crate::warning::Category::Warning);
        assert!(parse_with("the VM warning: x\n", LogFormat::Jvm).is_empty());
    }
}
