//! End-to-end tests of `critical-path tui`: the real binary in a real
//! terminal (tmux, 80×24), driven by keys, read back with `capture-pane`.
//! The expected names and figures come from `critical-path analyze --format
//! json`, not from the TUI's own code.
//!
//! tmux is required in CI (`.ci/run` installs it); elsewhere these tests
//! skip with a note when it is missing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use critical_path::report::secs;
use serde_json::Value;

const MONOREPO: &str = "fixtures/monorepo-1000.json";
/// Long enough for a slow debug build on a busy CI machine.
const TIMEOUT: Duration = Duration::from_secs(60);

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("the repository root exists")
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_critical-path")
}

/// `'text'` for `sh -c`.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Whether tmux can run here. Missing tmux fails in CI and skips elsewhere.
fn have_tmux() -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
            panic!(
                "tmux is not installed, and CI must run the TUI end-to-end tests: \
                 install it (`apt-get install -y tmux`, as .ci/run does)"
            );
        }
        eprintln!("note: tmux is not installed; skipping the TUI end-to-end test");
    }
    ok
}

/// A private tmux server (its own socket, no user config) running one
/// session; killed on drop, also when a test fails.
struct Tmux {
    socket: String,
    session: String,
    /// Holds the tmux config and socket; dropped after the server is killed.
    dir: tempfile::TempDir,
}

impl Tmux {
    /// Starts `command` (a shell command) in a detached `width`×`height`
    /// session, from the repository root. The pane stays after the command
    /// exits, so its last screen and exit status can be read.
    fn start(name: &str, width: u16, height: u16, command: &str) -> Tmux {
        static N: AtomicUsize = AtomicUsize::new(0);
        let unique = format!(
            "cp-tui-{}-{}-{name}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let dir = tempfile::tempdir().expect("a temporary directory");
        let conf = dir.path().join("tmux.conf");
        // No status line: the pane gets the whole 80×24.
        std::fs::write(&conf, "set -g status off\nset -g remain-on-exit on\n")
            .expect("write tmux.conf");
        let t = Tmux {
            socket: unique.clone(),
            session: unique,
            dir,
        };
        let out = t.tmux(&[
            "-f",
            conf.to_str().expect("a UTF-8 temporary path"),
            "new-session",
            "-d",
            "-s",
            &t.session,
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            "-c",
            root().to_str().expect("a UTF-8 repository path"),
            command,
        ]);
        assert!(
            out.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        t
    }

    fn tmux(&self, args: &[&str]) -> Output {
        // The socket option must come first.
        let (config, rest) = match args {
            ["-f", conf, rest @ ..] => (Some(*conf), rest),
            rest => (None, rest),
        };
        let mut c = Command::new("tmux");
        c.arg("-L").arg(&self.socket);
        if let Some(conf) = config {
            c.arg("-f").arg(conf);
        }
        c.args(rest)
            .env("TERM", "xterm-256color")
            // The socket goes in our temporary directory, removed on drop.
            .env("TMUX_TMPDIR", self.dir.path())
            .env_remove("TMUX")
            .output()
            .expect("tmux runs")
    }

    fn send(&self, keys: &str) {
        let out = self.tmux(&["send-keys", "-t", &self.session, keys]);
        assert!(out.status.success(), "tmux send-keys {keys} failed");
    }

    fn capture(&self) -> String {
        let out = self.tmux(&["capture-pane", "-p", "-t", &self.session]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A tmux format (`#{pane_dead}` ...) of the pane.
    fn format(&self, f: &str) -> String {
        let out = self.tmux(&["display-message", "-p", "-t", &self.session, f]);
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Polls the pane until `ok` holds, for at most [`TIMEOUT`]; fails with
    /// the last screen otherwise.
    fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.capture();
            if ok(&screen) {
                return screen;
            }
            if start.elapsed() > TIMEOUT {
                panic!("timed out waiting for {what}; the pane shows:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

/// The TUI, then what the terminal looks like afterwards: its exit status,
/// and whether the line discipline is back to canonical mode with echo.
/// The shell then waits for a line, because tmux may drop output that a
/// process writes just before it exits: the test reads the screen first,
/// then sends Enter.
fn tui_command(args: &str) -> String {
    format!(
        "{} tui {args}; code=$?; \
         echo \"exit=$code tty: $(stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' ')(end)\"; \
         read -r _; exit $code",
        quote(bin())
    )
}

/// `analyze --format json` of the fixture, as the reference.
fn analyze() -> Value {
    let o = Command::new(bin())
        .current_dir(root())
        .args(["analyze", MONOREPO, "--jobs", "16", "--format", "json"])
        .output()
        .expect("the binary runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("JSON on stdout")
}

/// The process exited 0 and left the terminal as it found it.
fn assert_exited_cleanly(t: &Tmux) {
    let screen = t.wait_for("the TUI to exit", |s| s.contains("(end)"));
    assert!(screen.contains("exit=0 "), "exit status:\n{screen}");
    assert!(
        screen.contains("tty: icanon echo (end)"),
        "raw mode left on (want `icanon echo`):\n{screen}"
    );
    assert!(
        !screen.contains("critical path:"),
        "the TUI's screen is still shown: the alternate screen was not left\n{screen}"
    );
    assert_eq!(
        t.format("#{alternate_on}"),
        "0",
        "alternate screen still on"
    );
    assert_eq!(t.format("#{cursor_flag}"), "1", "cursor left hidden");
    // Let the shell exit; the process is gone when the pane is dead. (Its
    // status is the `exit=` above: tmux 3.3 does not always record
    // `#{pane_dead_status}`.)
    t.send("Enter");
    t.wait_for("the pane to close", |_| t.format("#{pane_dead}") == "1");
}

#[test]
fn walk_drill_down_what_if_and_quit() {
    if !have_tmux() {
        return;
    }
    let report = analyze();
    let path = report["critical_path"]["modules"].as_array().unwrap();
    let name = |i: usize| path[i]["name"].as_str().unwrap().to_owned();
    let t = Tmux::start(
        "walk",
        80,
        24,
        &tui_command(&format!("{MONOREPO} --jobs 16")),
    );

    // The header, the critical path and the details of its first module.
    let screen = t.wait_for("the header", |s| s.contains("critical path:"));
    assert!(
        screen.contains(&format!(
            "critical path {}",
            secs(report["critical_path"]["duration_s"].as_f64().unwrap())
        )),
        "{screen}"
    );
    assert!(
        screen.contains(&format!(
            "16 jobs {}",
            secs(report["makespan_s"].as_f64().unwrap())
        )),
        "{screen}"
    );
    assert!(
        screen.contains(&format!("critical path: {} modules", path.len())),
        "{screen}"
    );
    assert!(screen.contains(&format!("┌ {} ─", name(0))), "{screen}");

    // j j: the third module of the path in the details pane.
    t.send("j");
    t.send("j");
    let third = name(2);
    let screen = t.wait_for("the third module's details", |s| {
        s.contains(&format!("┌ {third} ─"))
    });
    assert!(screen.contains("slack     0.00 s critical #3"), "{screen}");

    // Enter: the critical path that ends at it, three modules long.
    t.send("Enter");
    let ends_at = report["critical_path"]["modules"][2]["start_s"]
        .as_f64()
        .unwrap()
        + report["critical_path"]["modules"][2]["duration_s"]
            .as_f64()
            .unwrap();
    let screen = t.wait_for("the path to the third module", |s| {
        s.contains(&format!("path to {third}: 3 modules"))
    });
    assert!(
        screen.contains(&format!("3 modules, {}", secs(ends_at))),
        "{screen}"
    );

    // Tab: all modules by slack; the first is the path's first module.
    t.send("Tab");
    let screen = t.wait_for("the modules view", |s| {
        s.contains("all modules by slack: 1000")
    });
    assert!(screen.contains(&format!("┌ {} ─", name(0))), "{screen}");

    // 0: it takes no time; the path shrinks by its potential improvement.
    t.send("0");
    let gain = path[0]["potential_improvement_s"].as_f64().unwrap();
    let want = format!("what-if: -{}", secs(gain));
    let screen = t.wait_for("the what-if saving", |s| {
        s.contains("what-if:") && !s.contains("recomputing")
    });
    assert!(screen.contains(&want), "want {want:?}:\n{screen}");
    assert!(
        screen.contains(&format!("* {}", name(0))),
        "changed module marked:\n{screen}"
    );

    t.send("q");
    assert_exited_cleanly(&t);
}

#[test]
fn owners_resize_and_ctrl_c() {
    if !have_tmux() {
        return;
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let codeowners = dir.path().join("CODEOWNERS");
    std::fs::write(&codeowners, "/libs/ @org/platform\n/apps/ @org/apps\n")
        .expect("write CODEOWNERS");
    let t = Tmux::start(
        "owners",
        80,
        24,
        &tui_command(&format!(
            "{MONOREPO} --jobs 16 --codeowners {}",
            quote(codeowners.to_str().expect("a UTF-8 temporary path"))
        )),
    );
    let screen = t.wait_for("the header", |s| s.contains("critical path:"));
    // The path starts in libs/.
    assert!(screen.contains("owners    @org/platform"), "{screen}");
    // o: the first team, alphabetically; the path's modules in apps/ only.
    t.send("o");
    let screen = t.wait_for("the owner filter", |s| s.contains("owner @org/apps (1/2)"));
    assert!(screen.contains("└ owner @org/apps ─"), "{screen}");
    assert!(screen.contains("owners    @org/apps"), "{screen}");

    // Wider: the header's long form fits.
    let out = t.tmux(&["resize-window", "-t", &t.session, "-x", "110", "-y", "30"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    t.wait_for("the wide header", |s| s.contains("makespan with 16 jobs"));
    let out = t.tmux(&["resize-window", "-t", &t.session, "-x", "60", "-y", "16"]);
    assert!(out.status.success());
    t.wait_for("the narrow header", |s| {
        s.contains("16 jobs") && !s.contains("makespan with")
    });
    // Raw mode makes Ctrl-C a key: the TUI quits and restores the terminal.
    t.send("C-c");
    assert_exited_cleanly(&t);
}

#[test]
fn bad_codeowners_is_a_clear_error() {
    let o = Command::new(bin())
        .current_dir(root())
        .args(["tui", MONOREPO, "--codeowners", "no/such/CODEOWNERS"])
        .output()
        .expect("the binary runs");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--codeowners no/such/CODEOWNERS"),
        "names the flag and file: {err}"
    );
}

#[test]
fn not_a_terminal_is_a_clear_error() {
    let o = Command::new(bin())
        .current_dir(root())
        .args(["tui", MONOREPO])
        .output()
        .expect("the binary runs");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("not a terminal"), "{err}");
    assert!(o.stdout.is_empty());
}
