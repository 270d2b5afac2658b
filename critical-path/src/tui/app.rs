//! The TUI's state and key handling, with no terminal in sight: [`App`]
//! takes key events and exposes what [`super::ui`] draws, so tests drive it
//! directly and render it into a `TestBackend`.
//!
//! What-if changes are recomputed from the original graph (clone, set the
//! changed durations, then CPM, path, improvements, schedule, top paths and
//! the slack order). With [`Recompute::Background`] that runs on a worker
//! thread: a key press only sends a request tagged with a new generation
//! number and returns; the event loop calls [`App::poll`], which applies a
//! result only if it carries the newest generation, so a burst of `+`
//! presses on a 100,000-module graph costs one recomputation per result the
//! user can still see, and the UI never waits for one.

pub(crate) use crate::owners::Owners;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};

use depgraph::{Cpm, CriticalPath, ModuleGraph, ModuleId, Schedule, Slot};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::report::round;

/// How many longest paths the third view lists.
pub(crate) const TOP_PATHS: usize = 10;
/// Resolution of the precomputed "busy workers over time" histogram; the
/// Gantt strip resamples it to its width, so a frame never walks the slots.
const BUSY_BUCKETS: usize = 1024;
const NOT_ON_PATH: u32 = u32::MAX;
/// `+` and `-` scale the selected module's duration by this much.
const STEP: f64 = 0.10;

/// Where what-if recomputations run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Recompute {
    /// In [`App::on_key`] itself: deterministic, for tests and small graphs
    /// (only the tests ask for it today).
    #[cfg_attr(not(test), allow(dead_code))]
    Inline,
    /// On a worker thread; results are picked up by [`App::poll`].
    Background,
}

/// The three lists `Tab` cycles through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum View {
    /// The critical path, or the path shown by a drill-down.
    Path,
    /// Every module, least slack first.
    Modules,
    /// The [`TOP_PATHS`] longest paths.
    Paths,
}

impl View {
    const ALL: [View; 3] = [View::Path, View::Modules, View::Paths];

    fn index(self) -> usize {
        self as usize
    }

    fn next(self) -> View {
        View::ALL[(self.index() + 1) % 3]
    }

    fn prev(self) -> View {
        View::ALL[(self.index() + 2) % 3]
    }
}

/// Everything drawn from one version of the graph (original or what-if).
pub(crate) struct Analysis {
    pub graph: Arc<ModuleGraph>,
    pub cpm: Cpm,
    pub path: CriticalPath,
    /// Potential improvement of each step of `path`.
    pub improvements: Vec<f64>,
    /// Position of each module on `path`, or [`NOT_ON_PATH`].
    path_pos: Vec<u32>,
    pub schedule: Schedule,
    pub top_paths: Vec<CriticalPath>,
    /// All modules, least slack first (as `critical-path slack` orders them).
    pub by_slack: Vec<ModuleId>,
    /// Mean number of busy workers in each of [`BUSY_BUCKETS`] equal slices
    /// of `0..horizon_s`.
    pub busy: Vec<f64>,
    /// The Gantt strip's time axis: the makespan (never shorter than the
    /// critical path).
    pub horizon_s: f64,
    pub total_work_s: f64,
}

impl Analysis {
    pub(crate) fn compute(graph: Arc<ModuleGraph>, jobs: usize) -> Analysis {
        let g = &*graph;
        let cpm = g.cpm();
        let path = g.critical_path_with(&cpm);
        // Each of these only reads the graph and the CPM: one per core.
        let ((improvements, top_paths), (schedule, by_slack)) = rayon::join(
            || {
                rayon::join(
                    || g.potential_improvements(&cpm, &path),
                    || g.longest_paths(TOP_PATHS),
                )
            },
            || {
                rayon::join(
                    || g.schedule_with_tails(jobs, &cpm.tail),
                    || sorted_by_slack(g, &cpm),
                )
            },
        );
        let mut path_pos = vec![NOT_ON_PATH; g.len()];
        for (p, s) in path.steps.iter().enumerate() {
            path_pos[s.module.index()] = p as u32;
        }
        let horizon_s = schedule.makespan_s.max(path.length_s);
        let busy = busy_histogram(&schedule.slots, horizon_s);
        let total_work_s = g.total_work();
        Analysis {
            graph,
            cpm,
            path,
            improvements,
            path_pos,
            schedule,
            top_paths,
            by_slack,
            busy,
            horizon_s,
            total_work_s,
        }
    }

    /// Position of `id` on the critical path.
    pub(crate) fn on_path(&self, id: ModuleId) -> Option<usize> {
        match self.path_pos[id.index()] {
            NOT_ON_PATH => None,
            p => Some(p as usize),
        }
    }

    /// How much the critical path shrinks if `id` took no time. Zero off the
    /// critical path: the critical path itself stays as long.
    pub(crate) fn improvement(&self, id: ModuleId) -> f64 {
        self.on_path(id).map_or(0.0, |p| self.improvements[p])
    }

    pub(crate) fn slack(&self, id: ModuleId) -> f64 {
        self.cpm.slack(id)
    }

    /// Total work / critical path: more workers than this cannot help.
    pub(crate) fn parallelism(&self) -> f64 {
        if self.path.length_s > 0.0 {
            self.total_work_s / self.path.length_s
        } else {
            1.0
        }
    }
}

/// Least slack first; among equals the earliest to start, then by name, as
/// `critical-path slack` prints them, compared to the microsecond so float
/// noise does not decide.
fn sorted_by_slack(g: &ModuleGraph, cpm: &Cpm) -> Vec<ModuleId> {
    let slack: Vec<f64> = g.ids().map(|id| round(cpm.slack(id))).collect();
    let earliest: Vec<f64> = cpm.earliest_start.iter().map(|&e| round(e)).collect();
    let mut ids: Vec<ModuleId> = g.ids().collect();
    ids.sort_unstable_by(|&a, &b| {
        slack[a.index()]
            .total_cmp(&slack[b.index()])
            .then(earliest[a.index()].total_cmp(&earliest[b.index()]))
            .then_with(|| g.name(a).cmp(g.name(b)))
    });
    ids
}

/// Mean busy workers per time slice, in `O(modules + buckets)`: partial
/// slices at both ends of a slot directly, whole slices through a
/// difference array.
fn busy_histogram(slots: &[Slot], horizon_s: f64) -> Vec<f64> {
    let n = BUSY_BUCKETS;
    let mut busy = vec![0.0f64; n];
    if horizon_s <= 0.0 {
        return busy;
    }
    let mut whole = vec![0.0f64; n + 1];
    let scale = n as f64 / horizon_s;
    for s in slots {
        let a = (s.start_s * scale).clamp(0.0, n as f64);
        let b = (s.end_s * scale).clamp(0.0, n as f64);
        if b <= a {
            continue;
        }
        let (ia, ib) = ((a as usize).min(n - 1), b as usize);
        if ia == ib {
            busy[ia] += b - a;
            continue;
        }
        busy[ia] += (ia + 1) as f64 - a;
        if ib < n {
            busy[ib] += b - ib as f64;
        }
        whole[ia + 1] += 1.0;
        whole[ib] -= 1.0;
    }
    let mut running = 0.0;
    for (b, w) in busy.iter_mut().zip(&whole) {
        running += w;
        *b += running;
    }
    busy
}

/// What a key press currently means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Normal,
    /// Typing a search; `matches` counts the modules whose name contains it.
    Search {
        query: String,
        matches: usize,
    },
    Help,
}

/// What a drill-down shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// The critical path that ends at this module.
    To(ModuleId),
    /// The n-th longest path (0-based) of the top-paths view.
    Top(usize),
}

struct Drill {
    target: Target,
    /// Where `Backspace` returns to.
    back_view: View,
    back_selected: usize,
}

/// The rows a view lists: all of its items, or the indices that pass the
/// filters. `All` keeps 100,000 unfiltered modules free of an index vector.
enum Rows {
    All(usize),
    Some(Vec<u32>),
}

impl Rows {
    fn len(&self) -> usize {
        match self {
            Rows::All(n) => *n,
            Rows::Some(v) => v.len(),
        }
    }

    fn get(&self, row: usize) -> Option<usize> {
        match self {
            Rows::All(n) => (row < *n).then_some(row),
            Rows::Some(v) => v.get(row).map(|&i| i as usize),
        }
    }

    fn position(&self, item: usize) -> Option<usize> {
        match self {
            Rows::All(n) => (item < *n).then_some(item),
            Rows::Some(v) => v.iter().position(|&i| i as usize == item),
        }
    }
}

/// How the App was started.
#[derive(Clone, Debug)]
pub(crate) struct Options {
    /// Workers of the simulated schedule.
    pub jobs: usize,
    /// The inputs, as the header names them.
    pub source: String,
    /// False under `NO_COLOR`: the UI then uses only bold, reversed, etc.
    pub color: bool,
    pub recompute: Recompute,
}

struct Request {
    generation: u64,
    changes: Vec<(ModuleId, f64)>,
}

struct Done {
    generation: u64,
    analysis: Arc<Analysis>,
}

enum Engine {
    Inline,
    Background {
        requests: Sender<Request>,
        results: Receiver<Done>,
    },
}

/// The graph with the changed durations, analysed.
fn what_if(base: &ModuleGraph, changes: &[(ModuleId, f64)], jobs: usize) -> Analysis {
    let mut g = base.clone();
    for &(id, seconds) in changes {
        g.set_duration(id, seconds)
            .expect("App only records finite durations >= 0");
    }
    Analysis::compute(Arc::new(g), jobs)
}

/// The worker: computes the newest request it has, skipping any that a
/// later one has already replaced, until the App is dropped.
fn spawn_worker(base: Arc<ModuleGraph>, jobs: usize) -> Engine {
    let (requests, inbox) = mpsc::channel::<Request>();
    let (outbox, results) = mpsc::channel::<Done>();
    std::thread::Builder::new()
        .name("what-if".into())
        .spawn(move || {
            while let Ok(mut req) = inbox.recv() {
                while let Ok(newer) = inbox.try_recv() {
                    req = newer;
                }
                let analysis = Arc::new(what_if(&base, &req.changes, jobs));
                let done = Done {
                    generation: req.generation,
                    analysis,
                };
                if outbox.send(done).is_err() {
                    break;
                }
            }
        })
        .expect("failed to start the what-if thread");
    Engine::Background { requests, results }
}

/// The TUI's whole state. See the module docs.
pub(crate) struct App {
    options: Options,
    base: Arc<Analysis>,
    analysis: Arc<Analysis>,
    /// What-if durations, by module.
    changes: BTreeMap<ModuleId, f64>,
    /// Generation of the newest change; `applied` is that of `analysis`.
    generation: u64,
    applied: u64,
    engine: Engine,
    view: View,
    selected: [usize; 3],
    /// First visible row of each view. Scrolling is the renderer's business
    /// (it alone knows the height), hence a `Cell` written while drawing.
    offsets: [Cell<usize>; 3],
    /// Visible list rows at the last draw, for PageUp / PageDown.
    page: Cell<usize>,
    rows: [Rows; 3],
    stack: Vec<Drill>,
    /// The path the Path view lists: the top of `stack`, or the critical path.
    shown: CriticalPath,
    /// From a search: the Modules view lists only names containing this.
    name_filter: Option<String>,
    owners: Option<Owners>,
    owner_filter: Option<usize>,
    mode: Mode,
    /// A one-line message in the footer until the next key.
    status: Option<String>,
    quit: bool,
    /// The what-if worker panicked (its panic message is on stderr).
    worker_failed: bool,
}

impl App {
    pub(crate) fn new(graph: ModuleGraph, options: Options) -> App {
        let graph = Arc::new(graph);
        let base = Arc::new(Analysis::compute(Arc::clone(&graph), options.jobs));
        let engine = match options.recompute {
            Recompute::Inline => Engine::Inline,
            Recompute::Background => spawn_worker(graph, options.jobs),
        };
        let mut app = App {
            options,
            analysis: Arc::clone(&base),
            shown: base.path.clone(),
            base,
            changes: BTreeMap::new(),
            generation: 0,
            applied: 0,
            engine,
            view: View::Path,
            selected: [0; 3],
            offsets: Default::default(),
            page: Cell::new(10),
            rows: [Rows::All(0), Rows::All(0), Rows::All(0)],
            stack: Vec::new(),
            name_filter: None,
            owners: None,
            owner_filter: None,
            mode: Mode::Normal,
            status: None,
            quit: false,
            worker_failed: false,
        };
        app.refresh_rows();
        app
    }

    /// Adds module owners (from CODEOWNERS), which `o` filters by.
    pub(crate) fn with_owners(mut self, owners: Owners) -> App {
        self.owners = Some(owners);
        self
    }

    // ---- what the renderer reads ----

    pub(crate) fn options(&self) -> &Options {
        &self.options
    }

    pub(crate) fn analysis(&self) -> &Analysis {
        &self.analysis
    }

    pub(crate) fn base(&self) -> &Analysis {
        &self.base
    }

    pub(crate) fn graph(&self) -> &ModuleGraph {
        &self.analysis.graph
    }

    pub(crate) fn view(&self) -> View {
        self.view
    }

    pub(crate) fn mode(&self) -> &Mode {
        &self.mode
    }

    pub(crate) fn status(&self) -> Option<&str> {
        self.status.as_deref()
    }

    pub(crate) fn should_quit(&self) -> bool {
        self.quit
    }

    /// Whether the what-if worker thread died (by panicking): the event
    /// loop then stops with an error.
    pub(crate) fn worker_failed(&self) -> bool {
        self.worker_failed
    }

    /// Whether a what-if result is still being computed.
    pub(crate) fn recomputing(&self) -> bool {
        self.generation != self.applied
    }

    /// Generation of the newest change (0 before any).
    #[cfg(test)]
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    pub(crate) fn shown_path(&self) -> &CriticalPath {
        &self.shown
    }

    /// What the Path view shows, when it is not the critical path.
    pub(crate) fn drill_target(&self) -> Option<Target> {
        self.stack.last().map(|d| d.target)
    }

    #[cfg(test)]
    pub(crate) fn drill_depth(&self) -> usize {
        self.stack.len()
    }

    pub(crate) fn name_filter(&self) -> Option<&str> {
        self.name_filter.as_deref()
    }

    pub(crate) fn owners(&self) -> Option<&Owners> {
        self.owners.as_ref()
    }

    pub(crate) fn owner_filter(&self) -> Option<&str> {
        let t = self.owner_filter?;
        Some(self.owners.as_ref()?.teams()[t].as_str())
    }

    /// The module's duration, what-if changes included (also while they are
    /// still being recomputed).
    pub(crate) fn duration(&self, id: ModuleId) -> f64 {
        self.changes
            .get(&id)
            .copied()
            .unwrap_or_else(|| self.base.graph.duration(id))
    }

    pub(crate) fn is_changed(&self, id: ModuleId) -> bool {
        self.changes.contains_key(&id)
    }

    pub(crate) fn changed_count(&self) -> usize {
        self.changes.len()
    }

    /// With what-if changes: the critical path's change (negative when
    /// shorter) and the makespan's, in seconds, of the newest result.
    pub(crate) fn what_if_delta(&self) -> Option<(f64, f64)> {
        if self.changes.is_empty() && !self.recomputing() {
            return None;
        }
        Some((
            self.analysis.path.length_s - self.base.path.length_s,
            self.analysis.schedule.makespan_s - self.base.schedule.makespan_s,
        ))
    }

    pub(crate) fn row_count(&self, view: View) -> usize {
        self.rows[view.index()].len()
    }

    pub(crate) fn selected_row(&self, view: View) -> usize {
        self.selected[view.index()]
    }

    /// The index into the view's items (path steps, `by_slack`, top paths)
    /// that `row` lists.
    pub(crate) fn row_item(&self, view: View, row: usize) -> Option<usize> {
        self.rows[view.index()].get(row)
    }

    /// The first row to draw so that the selection is visible in `height`
    /// rows, moving as little as possible since the last frame.
    pub(crate) fn scroll(&self, view: View, height: usize) -> usize {
        let cell = &self.offsets[view.index()];
        let sel = self.selected[view.index()];
        let len = self.row_count(view);
        let mut off = cell.get();
        if sel < off {
            off = sel;
        } else if height > 0 && sel >= off + height {
            off = sel + 1 - height;
        }
        off = off.min(len.saturating_sub(height));
        cell.set(off);
        if view == self.view {
            self.page.set(height.max(1));
        }
        off
    }

    /// The module the details pane and the what-if keys are about.
    pub(crate) fn selected_module(&self) -> Option<ModuleId> {
        let item = self.row_item(self.view, self.selected[self.view.index()])?;
        match self.view {
            View::Path => Some(self.shown.steps[item].module),
            View::Modules => Some(self.analysis.by_slack[item]),
            View::Paths => None,
        }
    }

    /// In the Paths view: the selected path's rank (0-based) and the path.
    pub(crate) fn selected_top_path(&self) -> Option<(usize, &CriticalPath)> {
        if self.view != View::Paths {
            return None;
        }
        let k = self.row_item(View::Paths, self.selected[View::Paths.index()])?;
        Some((k, &self.analysis.top_paths[k]))
    }

    // ---- events ----

    /// Handles one key. Never waits for a recomputation.
    pub(crate) fn on_key(&mut self, key: KeyEvent) {
        if key.kind == KeyEventKind::Release {
            return;
        }
        // Raw mode turns Ctrl-C into a key: quit cleanly, whatever the mode.
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            self.quit = true;
            return;
        }
        self.status = None;
        match self.mode {
            Mode::Help => self.mode = Mode::Normal,
            Mode::Search { .. } => self.on_search_key(key),
            Mode::Normal => self.on_normal_key(key),
        }
    }

    fn on_normal_key(&mut self, key: KeyEvent) {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('q') | KeyCode::Esc => self.quit = true,
            KeyCode::Char('j') | KeyCode::Down => self.move_by(1),
            KeyCode::Char('k') | KeyCode::Up => self.move_by(-1),
            KeyCode::Char('d') if ctrl => self.move_by(self.page.get() as isize),
            KeyCode::Char('u') if ctrl => self.move_by(-(self.page.get() as isize)),
            KeyCode::PageDown => self.move_by(self.page.get() as isize),
            KeyCode::PageUp => self.move_by(-(self.page.get() as isize)),
            KeyCode::Char('g') | KeyCode::Home => self.move_by(isize::MIN),
            KeyCode::Char('G') | KeyCode::End => self.move_by(isize::MAX),
            KeyCode::Enter => self.drill(),
            KeyCode::Backspace => self.back(),
            KeyCode::Tab => self.view = self.view.next(),
            KeyCode::BackTab => self.view = self.view.prev(),
            KeyCode::Char('/') => {
                self.mode = Mode::Search {
                    query: String::new(),
                    matches: self.graph().len(),
                }
            }
            KeyCode::Char('+') | KeyCode::Char('=') => self.change(|cur, base| {
                if cur > 0.0 {
                    cur * (1.0 + STEP)
                } else if base > 0.0 {
                    base * STEP
                } else {
                    STEP
                }
            }),
            KeyCode::Char('-') | KeyCode::Char('_') => self.change(|cur, _| cur * (1.0 - STEP)),
            KeyCode::Char('0') => self.change(|_, _| 0.0),
            KeyCode::Char('r') => self.reset(),
            KeyCode::Char('o') => self.next_owner(),
            KeyCode::Char('?') => self.mode = Mode::Help,
            _ => {}
        }
    }

    fn on_search_key(&mut self, key: KeyEvent) {
        let Mode::Search { query, .. } = &mut self.mode else {
            return;
        };
        match key.code {
            KeyCode::Esc => self.mode = Mode::Normal,
            KeyCode::Enter => {
                let q = std::mem::take(query);
                self.mode = Mode::Normal;
                self.search(q);
            }
            KeyCode::Backspace => {
                query.pop();
                self.count_matches();
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                query.push(c);
                self.count_matches();
            }
            _ => {}
        }
    }

    fn count_matches(&mut self) {
        let Mode::Search { query, matches } = &mut self.mode else {
            return;
        };
        let g = &self.analysis.graph;
        *matches = g
            .modules()
            .filter(|m| contains_ignore_case(&m.name, query))
            .count();
    }

    /// Enter in a search: on the Path view, jump to the first step whose name
    /// matches; otherwise list the matching modules in the Modules view. An
    /// empty search clears that filter.
    fn search(&mut self, query: String) {
        if query.is_empty() {
            if self.name_filter.take().is_some() {
                self.status = Some("name filter cleared".into());
                self.refresh_rows();
            }
            return;
        }
        if self.view == View::Path {
            let hit = (0..self.row_count(View::Path)).find(|&row| {
                let step = self.row_item(View::Path, row).expect("row in range");
                contains_ignore_case(self.graph().name(self.shown.steps[step].module), &query)
            });
            if let Some(row) = hit {
                self.selected[View::Path.index()] = row;
                return;
            }
        }
        self.name_filter = Some(query);
        self.view = View::Modules;
        self.selected[View::Modules.index()] = 0;
        self.refresh_rows();
        if self.row_count(View::Modules) == 0 {
            self.status = Some("no module matches; `/` then Enter clears the filter".into());
        }
    }

    fn move_by(&mut self, delta: isize) {
        let len = self.row_count(self.view);
        let sel = &mut self.selected[self.view.index()];
        *sel = sel.saturating_add_signed(delta).min(len.saturating_sub(1));
    }

    /// Enter: the critical path ending at the selected module, or the
    /// selected top path, pushed on the back stack.
    fn drill(&mut self) {
        let target = if let Some((k, _)) = self.selected_top_path() {
            Target::Top(k)
        } else if let Some(id) = self.selected_module() {
            Target::To(id)
        } else {
            return;
        };
        self.stack.push(Drill {
            target,
            back_view: self.view,
            back_selected: self.selected[self.view.index()],
        });
        self.view = View::Path;
        self.refresh_shown();
        self.refresh_rows();
        // The path ends at the chosen module: select it.
        self.selected[View::Path.index()] = match target {
            Target::To(_) => self.row_count(View::Path).saturating_sub(1),
            Target::Top(_) => 0,
        };
    }

    fn back(&mut self) {
        let Some(d) = self.stack.pop() else {
            self.status = Some("already at the critical path".into());
            return;
        };
        self.refresh_shown();
        self.refresh_rows();
        self.view = d.back_view;
        let len = self.row_count(d.back_view);
        self.selected[d.back_view.index()] = d.back_selected.min(len.saturating_sub(1));
    }

    fn change(&mut self, to: impl FnOnce(f64, f64) -> f64) {
        let Some(id) = self.selected_module() else {
            self.status = Some("select a module (Enter shows the path) to change it".into());
            return;
        };
        let base = self.base.graph.duration(id);
        let current = self.duration(id);
        let new = to(current, base);
        if !(new.is_finite() && new >= 0.0) {
            self.status = Some("that duration is out of range".into());
            return;
        }
        if new == current {
            return;
        }
        if (new - base).abs() <= 1e-9 * base.max(1.0) {
            self.changes.remove(&id);
        } else {
            self.changes.insert(id, new);
        }
        self.recompute();
    }

    fn reset(&mut self) {
        if self.changes.is_empty() {
            self.status = Some("no what-if changes to reset".into());
            return;
        }
        self.changes.clear();
        self.recompute();
    }

    /// Starts recomputing for the current changes under a new generation;
    /// with no changes the original analysis is applied at once.
    fn recompute(&mut self) {
        self.generation += 1;
        let generation = self.generation;
        if self.changes.is_empty() {
            self.apply(generation, Arc::clone(&self.base));
            return;
        }
        let changes: Vec<(ModuleId, f64)> = self.changes.iter().map(|(&k, &v)| (k, v)).collect();
        match &self.engine {
            Engine::Inline => {
                let a = Arc::new(what_if(&self.base.graph, &changes, self.options.jobs));
                self.apply(generation, a);
            }
            Engine::Background { requests, .. } => {
                if requests
                    .send(Request {
                        generation,
                        changes,
                    })
                    .is_err()
                {
                    self.status = Some("the what-if thread stopped".into());
                }
            }
        }
    }

    /// Applies the newest finished recomputation, if any. Returns whether
    /// anything changed (the event loop then redraws).
    pub(crate) fn poll(&mut self) -> bool {
        let mut newest = None;
        if let Engine::Background { results, .. } = &self.engine {
            loop {
                match results.try_recv() {
                    Ok(done) => newest = Some(done),
                    Err(TryRecvError::Empty) => break,
                    // The worker only stops early by panicking.
                    Err(TryRecvError::Disconnected) => {
                        self.worker_failed = true;
                        break;
                    }
                }
            }
        }
        match newest {
            Some(done) => self.apply(done.generation, done.analysis),
            None => false,
        }
    }

    /// Blocks until the newest change is applied or `timeout` passes, for
    /// tests that want a settled state. Returns whether it was applied.
    #[cfg(test)]
    pub(crate) fn wait_for_recompute(&mut self, timeout: std::time::Duration) -> bool {
        use std::sync::mpsc::RecvTimeoutError;
        use std::time::Instant;

        let deadline = Instant::now() + timeout;
        while self.recomputing() {
            let Engine::Background { results, .. } = &self.engine else {
                return false;
            };
            let left = deadline.saturating_duration_since(Instant::now());
            match results.recv_timeout(left) {
                Ok(done) => {
                    self.apply(done.generation, done.analysis);
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return false,
            }
        }
        true
    }

    /// Takes a result if it is for the newest generation; older ones are
    /// dropped, as newer changes have replaced them.
    fn apply(&mut self, generation: u64, analysis: Arc<Analysis>) -> bool {
        if generation != self.generation {
            return false;
        }
        let keep: Vec<Option<ModuleId>> = [View::Path, View::Modules]
            .iter()
            .map(|&v| self.module_at(v, self.selected[v.index()]))
            .collect();
        self.analysis = analysis;
        self.applied = generation;
        self.refresh_shown();
        self.refresh_rows();
        // Stay on the same module where it is still listed.
        for (v, id) in [View::Path, View::Modules].into_iter().zip(keep) {
            if let Some(row) = id.and_then(|id| self.row_of(v, id)) {
                self.selected[v.index()] = row;
            }
        }
        true
    }

    fn module_at(&self, view: View, row: usize) -> Option<ModuleId> {
        let item = self.row_item(view, row)?;
        match view {
            View::Path => Some(self.shown.steps[item].module),
            View::Modules => Some(self.analysis.by_slack[item]),
            View::Paths => None,
        }
    }

    fn row_of(&self, view: View, id: ModuleId) -> Option<usize> {
        let item = match view {
            View::Path => self.shown.steps.iter().position(|s| s.module == id)?,
            View::Modules => self.analysis.by_slack.iter().position(|&m| m == id)?,
            View::Paths => return None,
        };
        self.rows[view.index()].position(item)
    }

    fn next_owner(&mut self) {
        let Some(owners) = &self.owners else {
            self.status = Some("no owners: start with --codeowners FILE to filter by team".into());
            return;
        };
        let n = owners.teams().len();
        if n == 0 {
            self.status = Some("CODEOWNERS names no owner for any module".into());
            return;
        }
        self.owner_filter = match self.owner_filter {
            None => Some(0),
            Some(t) if t + 1 < n => Some(t + 1),
            Some(_) => None,
        };
        self.status = Some(match self.owner_filter {
            Some(t) => format!("owner {} ({}/{n}); o: next team", owners.teams()[t], t + 1),
            None => "all owners".into(),
        });
        self.selected = [0; 3];
        self.refresh_rows();
    }

    fn refresh_shown(&mut self) {
        let a = &self.analysis;
        self.shown = match self.stack.last().map(|d| d.target) {
            None => a.path.clone(),
            Some(Target::To(id)) => a.graph.critical_path_to(id),
            Some(Target::Top(k)) => a
                .top_paths
                .get(k)
                .cloned()
                .unwrap_or_else(|| a.path.clone()),
        };
    }

    /// Recomputes which rows each view lists, and clamps the selections.
    fn refresh_rows(&mut self) {
        let a = &self.analysis;
        let by_owner = |id: ModuleId| match (self.owner_filter, &self.owners) {
            (Some(t), Some(o)) => o.owns(t, id),
            _ => true,
        };
        let owner_on = self.owner_filter.is_some();
        let path = if owner_on {
            Rows::Some(
                (0..self.shown.steps.len() as u32)
                    .filter(|&i| by_owner(self.shown.steps[i as usize].module))
                    .collect(),
            )
        } else {
            Rows::All(self.shown.steps.len())
        };
        let modules = if owner_on || self.name_filter.is_some() {
            let name = self.name_filter.as_deref().unwrap_or("");
            Rows::Some(
                (0..a.by_slack.len() as u32)
                    .filter(|&i| {
                        let id = a.by_slack[i as usize];
                        by_owner(id) && contains_ignore_case(a.graph.name(id), name)
                    })
                    .collect(),
            )
        } else {
            Rows::All(a.by_slack.len())
        };
        let paths = if owner_on {
            Rows::Some(
                (0..a.top_paths.len() as u32)
                    .filter(|&k| {
                        a.top_paths[k as usize]
                            .steps
                            .iter()
                            .any(|s| by_owner(s.module))
                    })
                    .collect(),
            )
        } else {
            Rows::All(a.top_paths.len())
        };
        self.rows = [path, modules, paths];
        for v in View::ALL {
            let len = self.row_count(v);
            let s = &mut self.selected[v.index()];
            *s = (*s).min(len.saturating_sub(1));
        }
    }
}

/// Whether `hay` contains `needle`, ASCII case-insensitively (module names
/// are ASCII in practice; others compare exactly byte for byte).
pub(crate) fn contains_ignore_case(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use depgraph::ModuleGraph;
    use graph_gen::{GenOptions, layered};
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use super::super::testutil::{app, monorepo, press, render, small, type_keys};
    use super::*;

    fn names(app: &App, p: &CriticalPath) -> Vec<String> {
        p.steps
            .iter()
            .map(|s| app.graph().name(s.module).to_owned())
            .collect()
    }

    fn selected_name(app: &App) -> Option<String> {
        app.selected_module()
            .map(|id| app.graph().name(id).to_owned())
    }

    #[test]
    fn moves_within_the_list() {
        let mut a = app(small(), Recompute::Inline);
        assert_eq!(names(&a, a.shown_path()), ["core", "net", "app"]);
        assert_eq!(selected_name(&a).as_deref(), Some("core"));
        press(&mut a, KeyCode::Up);
        assert_eq!(a.selected_row(View::Path), 0, "stops at the top");
        type_keys(&mut a, "jjjj");
        assert_eq!(
            selected_name(&a).as_deref(),
            Some("app"),
            "stops at the end"
        );
        type_keys(&mut a, "k");
        assert_eq!(selected_name(&a).as_deref(), Some("net"));
        type_keys(&mut a, "G");
        assert_eq!(a.selected_row(View::Path), 2);
        type_keys(&mut a, "g");
        assert_eq!(a.selected_row(View::Path), 0);
    }

    #[test]
    fn enter_drills_down_and_backspace_goes_back() {
        let mut a = app(small(), Recompute::Inline);
        press(&mut a, KeyCode::Tab);
        // Modules by slack: core, net, app (0 s), ui (1 s), tools (32 s).
        let order: Vec<&str> = a
            .analysis()
            .by_slack
            .iter()
            .map(|&id| a.graph().name(id))
            .collect();
        assert_eq!(order, ["core", "net", "app", "ui", "tools"]);
        type_keys(&mut a, "jjj");
        assert_eq!(selected_name(&a).as_deref(), Some("ui"));
        press(&mut a, KeyCode::Enter);
        assert_eq!(a.view(), View::Path);
        assert_eq!(
            a.drill_target(),
            Some(Target::To(a.graph().find("ui").unwrap()))
        );
        assert_eq!(names(&a, a.shown_path()), ["core", "ui"]);
        assert_eq!(
            selected_name(&a).as_deref(),
            Some("ui"),
            "ends at the module"
        );
        // Drill again, from the path: the chain ending at `core`.
        type_keys(&mut a, "k");
        press(&mut a, KeyCode::Enter);
        assert_eq!(a.drill_depth(), 2);
        assert_eq!(names(&a, a.shown_path()), ["core"]);
        press(&mut a, KeyCode::Backspace);
        assert_eq!(names(&a, a.shown_path()), ["core", "ui"]);
        assert_eq!(selected_name(&a).as_deref(), Some("core"));
        press(&mut a, KeyCode::Backspace);
        assert_eq!(a.view(), View::Modules, "back where Enter was pressed");
        assert_eq!(selected_name(&a).as_deref(), Some("ui"));
        assert_eq!(a.drill_depth(), 0);
        press(&mut a, KeyCode::Backspace);
        assert_eq!(a.status(), Some("already at the critical path"));
    }

    #[test]
    fn tab_cycles_views_and_enter_shows_a_top_path() {
        let mut a = app(small(), Recompute::Inline);
        press(&mut a, KeyCode::Tab);
        assert_eq!(a.view(), View::Modules);
        press(&mut a, KeyCode::Tab);
        assert_eq!(a.view(), View::Paths);
        assert_eq!(a.selected_module(), None);
        let lengths: Vec<f64> = a.analysis().top_paths.iter().map(|p| p.length_s).collect();
        assert_eq!(lengths, [35.0, 34.0, 3.0]);
        type_keys(&mut a, "j");
        press(&mut a, KeyCode::Enter);
        assert_eq!(a.view(), View::Path);
        assert_eq!(a.drill_target(), Some(Target::Top(1)));
        assert_eq!(names(&a, a.shown_path()), ["core", "ui", "app"]);
        press(&mut a, KeyCode::Backspace);
        assert_eq!(a.view(), View::Paths);
        press(&mut a, KeyCode::BackTab);
        assert_eq!(a.view(), View::Modules);
        press(&mut a, KeyCode::Tab);
        press(&mut a, KeyCode::Tab);
        assert_eq!(a.view(), View::Path);
    }

    #[test]
    fn zeroing_the_top_module_saves_its_potential_improvement() {
        let mut a = app(monorepo(), Recompute::Inline);
        let before = a.analysis().path.length_s;
        let top = a.selected_module().unwrap();
        let gain = a.analysis().improvement(top);
        assert!(gain > 0.0);
        type_keys(&mut a, "0");
        assert!(!a.recomputing(), "inline: done within on_key");
        assert!(a.is_changed(top));
        assert_eq!(a.duration(top), 0.0);
        let after = a.analysis().path.length_s;
        assert!(
            (before - after - gain).abs() < 1e-9,
            "{before} - {after} != {gain}"
        );
        let (delta, _) = a.what_if_delta().unwrap();
        assert!((delta + gain).abs() < 1e-9);
        // The path changed: the zeroed module no longer holds it up.
        assert!(a.analysis().on_path(top).is_none() || a.analysis().improvement(top) == 0.0);
        type_keys(&mut a, "r");
        assert_eq!(a.analysis().path.length_s, before);
        assert_eq!(a.what_if_delta(), None);
        assert_eq!(a.changed_count(), 0);
    }

    #[test]
    fn plus_and_minus_scale_by_ten_percent() {
        let mut a = app(small(), Recompute::Inline);
        type_keys(&mut a, "G"); // app, 20 s
        let id = a.selected_module().unwrap();
        type_keys(&mut a, "+");
        assert!((a.duration(id) - 22.0).abs() < 1e-9);
        assert!((a.analysis().path.length_s - 37.0).abs() < 1e-9);
        type_keys(&mut a, "-");
        assert!((a.duration(id) - 19.8).abs() < 1e-9);
        type_keys(&mut a, "0");
        assert_eq!(a.duration(id), 0.0);
        type_keys(&mut a, "+");
        assert!((a.duration(id) - 2.0).abs() < 1e-9, "10% of the original");
        // Back to the original duration: no longer a change.
        let mut b = app(small(), Recompute::Inline);
        type_keys(&mut b, "G0r");
        assert_eq!(b.changed_count(), 0);
    }

    #[test]
    fn search_jumps_on_the_path_or_filters_the_modules() {
        let mut a = app(small(), Recompute::Inline);
        type_keys(&mut a, "/NE");
        assert_eq!(
            *a.mode(),
            Mode::Search {
                query: "NE".into(),
                matches: 1
            }
        );
        press(&mut a, KeyCode::Enter);
        assert_eq!(a.view(), View::Path, "net is on the path: jump to it");
        assert_eq!(selected_name(&a).as_deref(), Some("net"));
        assert_eq!(a.name_filter(), None);

        type_keys(&mut a, "/o");
        press(&mut a, KeyCode::Enter);
        // `core` is on the path, so that is a jump too.
        assert_eq!(selected_name(&a).as_deref(), Some("core"));

        type_keys(&mut a, "/t");
        press(&mut a, KeyCode::Backspace);
        type_keys(&mut a, "too");
        press(&mut a, KeyCode::Enter);
        assert_eq!(a.view(), View::Modules, "tools is not on the path");
        assert_eq!(a.name_filter(), Some("too"));
        assert_eq!(a.row_count(View::Modules), 1);
        assert_eq!(selected_name(&a).as_deref(), Some("tools"));

        type_keys(&mut a, "/x");
        press(&mut a, KeyCode::Esc);
        assert_eq!(*a.mode(), Mode::Normal);
        assert!(!a.should_quit(), "Esc cancels the search only");
        assert_eq!(a.name_filter(), Some("too"));

        type_keys(&mut a, "/");
        press(&mut a, KeyCode::Enter);
        assert_eq!(a.name_filter(), None, "an empty search clears the filter");
        assert_eq!(a.row_count(View::Modules), 5);
    }

    #[test]
    fn help_closes_on_any_key_and_quit_keys_quit() {
        let mut a = app(small(), Recompute::Inline);
        type_keys(&mut a, "?");
        assert_eq!(*a.mode(), Mode::Help);
        type_keys(&mut a, "q");
        assert_eq!(*a.mode(), Mode::Normal);
        assert!(!a.should_quit());
        type_keys(&mut a, "q");
        assert!(a.should_quit());

        let mut a = app(small(), Recompute::Inline);
        press(&mut a, KeyCode::Esc);
        assert!(a.should_quit());

        // Ctrl-C arrives as a key in raw mode, in any mode.
        let mut a = app(small(), Recompute::Inline);
        type_keys(&mut a, "/ab");
        a.on_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
        assert!(a.should_quit());
    }

    #[test]
    fn owner_filter_cycles_through_teams() {
        let owners_of = |path: &str| -> Vec<String> {
            match path.split('/').next() {
                Some("libs") => vec!["@org/platform".into()],
                Some("apps") => vec!["@org/apps".into(), "@alice".into()],
                _ => vec![],
            }
        };
        let g = small();
        let owners = Owners::build(&g, owners_of);
        assert_eq!(owners.teams(), ["@alice", "@org/apps", "@org/platform"]);
        let mut a = app(g, Recompute::Inline).with_owners(owners);
        let app_id = a.graph().find("app").unwrap();
        assert_eq!(
            a.owners().unwrap().of(app_id).collect::<Vec<_>>(),
            ["@org/apps", "@alice"]
        );
        type_keys(&mut a, "oo");
        assert_eq!(a.owner_filter(), Some("@org/apps"));
        assert_eq!(a.row_count(View::Path), 1, "only `app` on the path");
        assert_eq!(selected_name(&a).as_deref(), Some("app"));
        press(&mut a, KeyCode::Tab);
        assert_eq!(a.row_count(View::Modules), 2, "app and ui");
        type_keys(&mut a, "o");
        assert_eq!(a.owner_filter(), Some("@org/platform"));
        assert_eq!(a.row_count(View::Modules), 2, "core and net");
        type_keys(&mut a, "o");
        assert_eq!(a.owner_filter(), None);
        assert_eq!(a.row_count(View::Modules), 5);

        let mut plain = app(small(), Recompute::Inline);
        type_keys(&mut plain, "o");
        assert!(plain.status().unwrap().contains("--codeowners"));
    }

    #[test]
    fn background_results_apply_newest_generation_only() {
        let mut a = app(small(), Recompute::Background);
        type_keys(&mut a, "G0+"); // app: 0 s, then 2 s
        assert_eq!(a.generation(), 2);
        assert!(a.wait_for_recompute(Duration::from_secs(60)));
        assert!(!a.recomputing());
        // core 10 + net 5 + app 2.
        assert!((a.analysis().path.length_s - 17.0).abs() < 1e-9);
        assert!((a.analysis().graph.duration(a.selected_module().unwrap()) - 2.0).abs() < 1e-9);
        type_keys(&mut a, "r");
        assert!(!a.recomputing(), "a reset needs no recomputation");
        assert_eq!(a.analysis().path.length_s, 35.0);
    }

    fn generated(modules: usize) -> ModuleGraph {
        layered(&GenOptions {
            modules,
            avg_deps: 5.0,
            seed: 1,
        })
        .build()
        .expect("the generator builds valid graphs")
    }

    /// On 100,000 modules a what-if key press only queues the recomputation:
    /// `on_key` returns with the new generation pending, and the result
    /// arrives later through the channel. (How fast is a benchmark's job.)
    #[test]
    fn key_press_does_not_wait_for_the_recompute_on_100k_modules() {
        let mut a = app(generated(100_000), Recompute::Background);
        let before = a.analysis().path.length_s;
        let top = a.selected_module().unwrap();
        type_keys(&mut a, "0");
        assert_eq!(a.generation(), 1);
        assert!(a.recomputing(), "on_key returned before the result");
        assert_eq!(
            a.analysis().path.length_s,
            before,
            "still showing the previous analysis"
        );
        assert_eq!(a.duration(top), 0.0, "the change itself shows at once");
        let screen = render(&a, 80, 24).to_string();
        assert!(screen.contains("recomputing…"), "{screen}");
        // Navigation stays live meanwhile.
        type_keys(&mut a, "j");
        assert_eq!(a.selected_row(View::Path), 1);
        assert!(a.wait_for_recompute(Duration::from_secs(300)));
        assert!(!a.recomputing());
        assert_eq!(a.analysis().graph.duration(top), 0.0);
        assert!(a.analysis().path.length_s <= before);
    }

    #[test]
    fn busy_histogram_spreads_slots_over_buckets() {
        let slot = |s: f64, e: f64| Slot {
            start_s: s,
            end_s: e,
            worker: 0,
        };
        let h = busy_histogram(&[slot(0.0, 1024.0), slot(0.5, 2.25)], 1024.0);
        assert_eq!(h.len(), BUSY_BUCKETS);
        assert_eq!(&h[..4], &[1.5, 2.0, 1.25, 1.0]);
        assert_eq!(h[1023], 1.0);
        let total: f64 = h.iter().sum();
        assert!((total - (1024.0 + 1.75)).abs() < 1e-9);
    }

    #[test]
    fn case_insensitive_search() {
        assert!(contains_ignore_case("Core-0002", "core"));
        assert!(contains_ignore_case("core", ""));
        assert!(!contains_ignore_case("co", "core"));
    }
}
