//! `critical-path tui`: walk the graph in the terminal. Three parts, kept
//! apart as ratatui's examples do: [`app`] is the state and key handling
//! (no terminal; tests drive it), [`ui`] draws an [`App`] into a frame, and
//! this module owns the terminal and the event loop.

pub(crate) mod app;
pub(crate) mod ui;

pub(crate) use app::{App, Options, Recompute};

use std::io;
use std::time::Duration;

use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{self, Event, KeyEventKind};

/// How long the loop sleeps between looks at the what-if worker while it
/// computes; otherwise it waits for input up to [`IDLE_WAIT`].
const BUSY_WAIT: Duration = Duration::from_millis(20);
const IDLE_WAIT: Duration = Duration::from_millis(250);

/// Runs the TUI until the user quits. The terminal is restored when it
/// returns, also on error, and on a panic by the hook [`ratatui::try_init`]
/// installs (Ctrl-C is a key in raw mode: the App quits on it).
pub(crate) fn run(mut app: App) -> io::Result<()> {
    let mut terminal = match ratatui::try_init() {
        Ok(t) => t,
        Err(e) => {
            // Raw mode may be on already.
            let _ = ratatui::try_restore();
            return Err(e);
        }
    };
    let result = event_loop(&mut terminal, &mut app);
    let restored = ratatui::try_restore();
    result.and(restored)
}

fn event_loop(terminal: &mut DefaultTerminal, app: &mut App) -> io::Result<()> {
    let mut dirty = true;
    while !app.should_quit() {
        if dirty {
            terminal.draw(|frame| ui::draw(frame, app))?;
            dirty = false;
        }
        let wait = if app.recomputing() {
            BUSY_WAIT
        } else {
            IDLE_WAIT
        };
        if event::poll(wait)? {
            // Take every pending event before drawing again, so held-down
            // keys never queue up frames.
            loop {
                match event::read()? {
                    Event::Key(key) if key.kind != KeyEventKind::Release => {
                        app.on_key(key);
                        dirty = true;
                    }
                    Event::Resize(..) => dirty = true,
                    _ => {}
                }
                if app.should_quit() || !event::poll(Duration::ZERO)? {
                    break;
                }
            }
        }
        dirty |= app.poll();
        if app.worker_failed() {
            return Err(io::Error::other("the what-if recomputation panicked"));
        }
    }
    Ok(())
}

/// Fixtures and helpers shared by the App and rendering tests.
#[cfg(test)]
pub(crate) mod testutil {
    use std::path::Path;

    use depgraph::input::{self, LoadOptions};
    use depgraph::{Dep, GraphBuilder, Module, ModuleGraph};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use super::{App, Options, Recompute, ui};

    /// `fixtures/monorepo-1000.json`: the README's example.
    pub(crate) fn monorepo() -> ModuleGraph {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/monorepo-1000.json");
        input::load(&[path], &LoadOptions::default())
            .expect("the fixture loads")
            .graph
    }

    /// A small graph to reason about by hand:
    ///
    /// ```text
    /// core 10 ── net 5 ── app 20        critical: core → net → app = 35
    ///    └────── ui 4 ──┘               ui has 1 s of slack
    /// tools 3 (alone)
    /// ```
    pub(crate) fn small() -> ModuleGraph {
        let mut b = GraphBuilder::new();
        let mut m = |name: &str, d: f64, path: &str, deps: &[&str]| {
            let mut module = Module::new(name, d);
            module.path = Some(path.to_owned());
            b.add(module, deps.iter().map(|&d| Dep::full(d)).collect());
        };
        m("core", 10.0, "libs/core", &[]);
        m("net", 5.0, "libs/net", &["core"]);
        m("ui", 4.0, "apps/ui", &["core"]);
        m("app", 20.0, "apps/app", &["net", "ui"]);
        m("tools", 3.0, "tools", &[]);
        b.build().expect("a valid graph")
    }

    pub(crate) fn app(graph: ModuleGraph, recompute: Recompute) -> App {
        App::new(
            graph,
            Options {
                jobs: 16,
                source: "fixtures/monorepo-1000.json".into(),
                color: false,
                recompute,
            },
        )
    }

    pub(crate) fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    /// Presses each character of `keys` in turn.
    pub(crate) fn type_keys(app: &mut App, keys: &str) {
        for c in keys.chars() {
            app.on_key(key(KeyCode::Char(c)));
        }
    }

    pub(crate) fn press(app: &mut App, code: KeyCode) {
        app.on_key(key(code));
    }

    /// The App drawn on a `width` × `height` test terminal.
    pub(crate) fn render(app: &App, width: u16, height: u16) -> TestBackend {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
        terminal
            .draw(|frame| ui::draw(frame, app))
            .expect("drawing succeeds");
        terminal.backend().clone()
    }
}
