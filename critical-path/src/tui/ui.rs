//! Draws an [`App`] into a ratatui [`Frame`]. Nothing here changes the
//! state, except the scroll offsets, which only the renderer can know.
//!
//! Lists format only their visible rows, and the Gantt strip resamples a
//! histogram computed with the analysis: a frame costs the same for 1,000
//! modules as for 1,000,000.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Clear, Paragraph, Row, Table};

use super::app::{App, Mode, Target, View};
use crate::report::{bar, secs};
use depgraph::{CriticalPath, ModuleId};

/// Styles, with colour or (under `NO_COLOR`) with modifiers only.
struct Theme {
    color: bool,
}

impl Theme {
    fn pick(&self, color: Style, plain: Style) -> Style {
        if self.color { color } else { plain }
    }

    fn value(&self) -> Style {
        let s = Style::new().add_modifier(Modifier::BOLD);
        self.pick(s.fg(Color::Cyan), s)
    }

    fn key(&self) -> Style {
        let s = Style::new().add_modifier(Modifier::BOLD);
        self.pick(s.fg(Color::Cyan), s)
    }

    fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
    }

    fn on_path(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Yellow),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    fn changed(&self) -> Style {
        let s = Style::new().add_modifier(Modifier::BOLD);
        self.pick(s.fg(Color::Magenta), s)
    }

    fn gain(&self, delta: f64) -> Style {
        let s = Style::new().add_modifier(Modifier::BOLD);
        let c = if delta <= 0.0 {
            Color::Green
        } else {
            Color::Red
        };
        self.pick(s.fg(c), s)
    }

    fn busy(&self) -> Style {
        self.pick(Style::new().fg(Color::Blue), Style::new())
    }

    fn note(&self) -> Style {
        let s = Style::new().add_modifier(Modifier::ITALIC);
        self.pick(s.fg(Color::Yellow), s)
    }

    fn dim(&self) -> Style {
        self.pick(
            Style::new().fg(Color::DarkGray),
            Style::new().add_modifier(Modifier::DIM),
        )
    }

    fn header(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }
}

/// Draws the whole screen.
pub(crate) fn draw(frame: &mut Frame, app: &App) {
    let t = Theme {
        color: app.options().color,
    };
    let area = frame.area();
    // The Gantt strip is the first to go when rows are scarce: the lists
    // matter more.
    let gantt_h = if area.height >= 18 { 5 } else { 0 };
    let [header, body, gantt, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(3),
        Constraint::Length(gantt_h),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(frame, header, app, &t);
    let [list, details] =
        Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)]).areas(body);
    match app.view() {
        View::Path => draw_path_list(frame, list, app, &t),
        View::Modules => draw_module_list(frame, list, app, &t),
        View::Paths => draw_paths_list(frame, list, app, &t),
    }
    match (app.selected_module(), app.selected_top_path()) {
        (Some(id), _) => draw_module_details(frame, details, app, id, &t),
        (None, Some((k, p))) => draw_path_details(frame, details, app, k, p, &t),
        (None, None) => frame.render_widget(Block::bordered().title(" details "), details),
    }
    if gantt_h > 0 {
        draw_gantt(frame, gantt, app, &t);
    }
    draw_footer(frame, footer, app, &t);
    if *app.mode() == Mode::Help {
        draw_help(frame, area, &t);
    }
}

fn width(spans: &[Span]) -> usize {
    spans.iter().map(Span::width).sum()
}

fn draw_header(frame: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let a = app.analysis();
    let jobs = app.options().jobs;
    let figures = [
        secs(a.total_work_s),
        secs(a.path.length_s),
        format!("{:.1}x", a.parallelism()),
        secs(a.schedule.makespan_s),
    ];
    let line = |labels: [String; 4]| -> Vec<Span<'static>> {
        labels
            .into_iter()
            .zip(figures.iter())
            .flat_map(|(l, v)| [Span::raw(l), Span::styled(v.clone(), t.value())])
            .collect()
    };
    let mut first = line([
        "total work ".into(),
        " · critical path ".into(),
        " · parallelism ceiling ".into(),
        format!(" · makespan with {jobs} jobs "),
    ]);
    if width(&first) > area.width as usize {
        first = line([
            "work ".into(),
            " · critical path ".into(),
            " · parallelism ≤".into(),
            format!(" · {jobs} jobs "),
        ]);
    }

    let mut second: Vec<Span> = Vec::new();
    let n = app.changed_count();
    let changed = format!(" · {n} changed{}", if n > 0 { " (r resets)" } else { "" });
    match app.what_if_delta() {
        // The figures on screen are the previous result's until the new
        // one arrives: no saving is shown for them.
        Some(_) if app.recomputing() => {
            second.push(Span::raw("what-if: "));
            second.push(Span::styled("recomputing…", t.note()));
            second.push(Span::raw(changed));
        }
        Some((path, makespan)) => {
            let base = app.base().path.length_s;
            let pct = if base > 0.0 { path / base * 100.0 } else { 0.0 };
            second.push(Span::raw("what-if: "));
            second.push(Span::styled(
                format!("{} ({pct:+.1}%)", signed_secs(path)),
                t.gain(path),
            ));
            second.push(Span::raw(" · makespan "));
            second.push(Span::styled(signed_secs(makespan), t.gain(makespan)));
            second.push(Span::raw(changed));
        }
        None => {
            let g = app.base().graph.as_ref();
            second.push(Span::styled(app.options().source.clone(), t.dim()));
            second.push(Span::raw(format!(
                " · {} modules · {} edges",
                g.len(),
                g.edge_count()
            )));
        }
    }
    frame.render_widget(
        Paragraph::new(vec![Line::from(first), Line::from(second)]),
        area,
    );
}

/// `-12.3 s`, `+4.00 s`: a change of duration.
pub(crate) fn signed_secs(d: f64) -> String {
    if d < 0.0 {
        secs(d)
    } else {
        format!("+{}", secs(d))
    }
}

/// A list's border, with the active filters on its bottom edge, where a
/// long title cannot push them out of sight.
fn list_block(title: String, app: &App, with_name: bool) -> Block<'static> {
    let mut notes = Vec::new();
    if with_name && let Some(n) = app.name_filter() {
        notes.push(format!("name ~ \"{n}\""));
    }
    if let Some(o) = app.owner_filter() {
        notes.push(format!("owner {o}"));
    }
    let block = Block::bordered().title(title);
    if notes.is_empty() {
        block
    } else {
        block.title_bottom(format!(" {} ", notes.join(", ")))
    }
}

/// A list's frame: everything but its rows.
struct ListSpec<'a> {
    view: View,
    block: Block<'a>,
    header: Row<'a>,
    widths: Vec<Constraint>,
    /// Shown when no row passes the filters.
    empty: &'a str,
}

/// Renders a table of the visible rows only: `make_row` is called for the
/// rows between the scroll offset and the bottom of the list.
fn draw_table<'a>(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    spec: ListSpec<'a>,
    t: &Theme,
    mut make_row: impl FnMut(usize) -> Row<'a>,
) {
    let ListSpec {
        view,
        block,
        header,
        widths,
        empty,
    } = spec;
    let inner = block.inner(area);
    let height = inner.height.saturating_sub(1) as usize;
    if app.row_count(view) == 0 {
        frame.render_widget(
            Paragraph::new(Line::styled(empty.to_owned(), t.dim())).block(block),
            area,
        );
        return;
    }
    let first = app.scroll(view, height);
    let last = (first + height).min(app.row_count(view));
    let selected = app.selected_row(view);
    let rows: Vec<Row> = (first..last)
        .map(|row| {
            let item = app.row_item(view, row).expect("row below row_count");
            let r = make_row(item);
            if row == selected {
                r.style(t.selected())
            } else {
                r
            }
        })
        .collect();
    let table = Table::new(rows, widths)
        .header(header.style(t.header()))
        .column_spacing(1)
        .block(block);
    frame.render_widget(table, area);
}

fn draw_path_list(frame: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let a = app.analysis();
    let g = app.graph();
    let path = app.shown_path();
    let what = match app.drill_target() {
        None => "critical path".to_owned(),
        Some(Target::To(id)) => format!("path to {}", g.name(id)),
        Some(Target::Top(k)) => format!("path #{} of {}", k + 1, a.top_paths.len()),
    };
    let title = format!(
        " {what}: {} modules, {} ",
        path.steps.len(),
        secs(path.length_s),
    );
    let inner_w = area.width.saturating_sub(2) as usize;
    let bar_w = if inner_w >= 56 { 10 } else { 5 };
    let widths = [
        Constraint::Length(1),
        Constraint::Min(8),
        Constraint::Length(7),
        Constraint::Length(bar_w as u16 + 5),
        Constraint::Length(7),
    ];
    let header = Row::new(["", "module", "   time", "share", "improve"]);
    let drilled = app.drill_target().is_some();
    draw_table(
        frame,
        area,
        app,
        ListSpec {
            view: View::Path,
            block: list_block(title, app, false),
            header,
            widths: widths.to_vec(),
            empty: "no module of this owner on this path (o: next team)",
        },
        t,
        |i| {
            let s = &path.steps[i];
            let share = if path.length_s > 0.0 {
                s.span_s / path.length_s
            } else {
                0.0
            };
            let name_style = if drilled && a.on_path(s.module).is_some() {
                t.on_path()
            } else {
                Style::new()
            };
            let improvement = match a.on_path(s.module) {
                Some(_) => secs(a.improvement(s.module)),
                None => "-".into(),
            };
            Row::new([
                mark(app, s.module, t),
                Cell::from(Span::styled(g.name(s.module).to_owned(), name_style)),
                Cell::from(format!("{:>7}", secs(app.duration(s.module)))),
                Cell::from(format!("{}{:>4.0}%", bar(share, bar_w), share * 100.0)),
                Cell::from(format!("{improvement:>7}")),
            ])
        },
    );
}

/// `*` on a module whose duration a what-if changed.
fn mark(app: &App, id: ModuleId, t: &Theme) -> Cell<'static> {
    if app.is_changed(id) {
        Cell::from(Span::styled("*", t.changed()))
    } else {
        Cell::from(" ")
    }
}

fn draw_module_list(frame: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let a = app.analysis();
    let g = app.graph();
    let n = app.row_count(View::Modules);
    let title = format!(" all modules by slack: {n} ");
    let widths = [
        Constraint::Length(1),
        Constraint::Min(8),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(7),
    ];
    let header = Row::new(["", "module", "  slack", "   time", "  start"]);
    draw_table(
        frame,
        area,
        app,
        ListSpec {
            view: View::Modules,
            block: list_block(title, app, true),
            header,
            widths: widths.to_vec(),
            empty: "no module matches (/ then Enter clears the filter)",
        },
        t,
        |i| {
            let id = a.by_slack[i];
            let style = if a.on_path(id).is_some() {
                t.on_path()
            } else {
                Style::new()
            };
            Row::new([
                mark(app, id, t),
                Cell::from(Span::styled(g.name(id).to_owned(), style)),
                Cell::from(format!("{:>7}", secs(a.slack(id)))),
                Cell::from(format!("{:>7}", secs(app.duration(id)))),
                Cell::from(format!("{:>7}", secs(a.cpm.earliest_start[id.index()]))),
            ])
        },
    );
}

fn draw_paths_list(frame: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let a = app.analysis();
    let g = app.graph();
    let title = format!(" {} longest paths ", a.top_paths.len());
    let widths = [
        Constraint::Length(3),
        Constraint::Length(7),
        Constraint::Length(4),
        Constraint::Min(10),
    ];
    let chain_w = area.width.saturating_sub(2 + 3 + 7 + 4 + 3) as usize;
    let header = Row::new([" #", " length", "mods", "chain"]);
    draw_table(
        frame,
        area,
        app,
        ListSpec {
            view: View::Paths,
            block: list_block(title, app, false),
            header,
            widths: widths.to_vec(),
            empty: "no top path has a module of this owner (o: next team)",
        },
        t,
        |k| {
            let p = &a.top_paths[k];
            Row::new([
                format!("{:>2}.", k + 1),
                format!("{:>7}", secs(p.length_s)),
                format!("{:>4}", p.steps.len()),
                chain(g, p, chain_w),
            ])
        },
    )
}

/// `first → … → last`, or the whole chain when it fits.
fn chain(g: &depgraph::ModuleGraph, p: &CriticalPath, width: usize) -> String {
    let names: Vec<&str> = p.steps.iter().map(|s| g.name(s.module)).collect();
    let whole = names.join(" → ");
    if whole.chars().count() <= width || names.len() < 3 {
        return whole;
    }
    format!("{} → … → {}", names[0], names[names.len() - 1])
}

/// `label     value` lines of the details pane.
fn field<'a>(label: &'a str, value: String, t: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::raw(format!("{label:<10}")),
        Span::styled(value, t.value()),
    ])
}

fn draw_module_details(frame: &mut Frame, area: Rect, app: &App, id: ModuleId, t: &Theme) {
    let a = app.analysis();
    let g = app.graph();
    let m = g.module(id);
    let title = if app.is_changed(id) {
        format!(" {} * ", m.name)
    } else {
        format!(" {} ", m.name)
    };
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    let (w, h) = (inner.width as usize, inner.height as usize);

    let mut lines: Vec<Line> = Vec::new();
    let mut duration = vec![
        Span::raw(format!("{:<10}", "duration")),
        Span::styled(secs(app.duration(id)), t.value()),
    ];
    if app.is_changed(id) {
        duration.push(Span::styled(
            format!(" (was {})", secs(app.base().graph.duration(id))),
            t.changed(),
        ));
    }
    lines.push(Line::from(duration));
    lines.push(field("earliest", secs(a.cpm.earliest_start[id.index()]), t));
    lines.push(field("latest", secs(a.cpm.latest_start[id.index()]), t));
    let mut slack = vec![
        Span::raw(format!("{:<10}", "slack")),
        Span::styled(secs(a.slack(id)), t.value()),
    ];
    if let Some(p) = a.on_path(id) {
        slack.push(Span::styled(format!(" critical #{}", p + 1), t.on_path()));
    }
    lines.push(Line::from(slack));
    lines.push(field("improve", secs(a.improvement(id)), t));
    if let Some(owners) = app.owners() {
        let list: Vec<&str> = owners.of(id).collect();
        let text = if list.is_empty() {
            "-".to_owned()
        } else {
            list.join(" ")
        };
        lines.push(field("owners", text, t));
    }
    if let Some(p) = &m.path {
        lines.push(field("path", p.clone(), t));
    }

    // Direct dependencies and dependents, least slack first, as many as fit.
    let deps: Vec<ModuleId> = g.deps(id).iter().map(|d| d.module).collect();
    let rdeps: Vec<ModuleId> = g.dependents(id).iter().map(|d| d.module).collect();
    let room = h.saturating_sub(lines.len() + 2);
    // Half each; what one list does not need goes to the other.
    let n_deps = deps.len().min(room / 2);
    let n_rdeps = rdeps.len().min(room - n_deps);
    let n_deps = deps.len().min(room - n_rdeps);
    for (label, list, n) in [("depends on", deps, n_deps), ("dependents", rdeps, n_rdeps)] {
        if lines.len() >= h {
            break;
        }
        let heading = format!("{label} ({})", list.len());
        let pad = w.saturating_sub(heading.chars().count());
        lines.push(Line::from(vec![
            Span::styled(heading, t.header()),
            Span::raw(if list.is_empty() {
                String::new()
            } else {
                format!("{:>pad$}", "slack")
            }),
        ]));
        let shown = least_slack(a, list.clone(), n);
        let hidden = list.len() - shown.len();
        for (i, &d) in shown.iter().enumerate() {
            if hidden > 0 && i + 1 == shown.len() {
                lines.push(Line::styled(format!("  … {} more", hidden + 1), t.dim()));
                break;
            }
            let name_w = w.saturating_sub(2 + 1 + 7);
            let style = if a.on_path(d).is_some() {
                t.on_path()
            } else {
                Style::new()
            };
            lines.push(Line::from(vec![
                mark_span(app, d, t),
                Span::raw(" "),
                Span::styled(format!("{:<name_w$}", truncate(g.name(d), name_w)), style),
                Span::raw(format!(" {:>7}", secs(a.slack(d)))),
            ]));
        }
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn mark_span(app: &App, id: ModuleId, t: &Theme) -> Span<'static> {
    if app.is_changed(id) {
        Span::styled("*", t.changed())
    } else {
        Span::raw(" ")
    }
}

/// The `n` modules of `ids` with the least slack, in that order (ties by
/// name), in `O(len)` plus sorting the `n`.
fn least_slack(a: &super::app::Analysis, mut ids: Vec<ModuleId>, n: usize) -> Vec<ModuleId> {
    let g = &a.graph;
    let cmp = |x: &ModuleId, y: &ModuleId| {
        a.slack(*x)
            .total_cmp(&a.slack(*y))
            .then_with(|| g.name(*x).cmp(g.name(*y)))
    };
    if n == 0 {
        return Vec::new();
    }
    if n < ids.len() {
        ids.select_nth_unstable_by(n - 1, cmp);
        ids.truncate(n);
    }
    ids.sort_by(cmp);
    ids
}

fn truncate(s: &str, w: usize) -> String {
    if s.chars().count() <= w {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(w.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn draw_path_details(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    k: usize,
    p: &CriticalPath,
    t: &Theme,
) {
    let a = app.analysis();
    let g = app.graph();
    let block = Block::bordered().title(format!(" path #{} ", k + 1));
    let inner = block.inner(area);
    let (w, h) = (inner.width as usize, inner.height as usize);
    let mut lines = vec![
        field("length", secs(p.length_s), t),
        field("vs crit.", signed_secs(p.length_s - a.path.length_s), t),
        field("modules", p.steps.len().to_string(), t),
        Line::styled("Enter shows it", t.dim()),
    ];
    let name_w = w.saturating_sub(1 + 7);
    for (i, s) in p.steps.iter().enumerate() {
        if lines.len() + 1 >= h && i + 1 < p.steps.len() {
            lines.push(Line::styled(
                format!("… {} more", p.steps.len() - i),
                t.dim(),
            ));
            break;
        }
        lines.push(Line::raw(format!(
            "{:<name_w$} {:>7}",
            truncate(g.name(s.module), name_w),
            secs(app.duration(s.module))
        )));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// The schedule in three rows: busy workers over time, the critical path's
/// modules where the schedule runs them (gaps: the path waited for a free
/// worker), and the selected module.
fn draw_gantt(frame: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let a = app.analysis();
    let jobs = app.options().jobs;
    let block = Block::bordered()
        .title(format!(
            " schedule: {jobs} jobs, makespan {} ",
            secs(a.schedule.makespan_s)
        ))
        .title_bottom(Line::from(" 0 ").left_aligned())
        .title_bottom(Line::from(format!(" {} ", secs(a.horizon_s))).right_aligned());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    const LABEL: usize = 5;
    let cols = (inner.width as usize).saturating_sub(LABEL);
    if cols == 0 || inner.height == 0 {
        return;
    }
    let horizon = a.horizon_s;
    let col_of = |s: f64| -> usize {
        if horizon > 0.0 {
            ((s / horizon * cols as f64) as usize).min(cols - 1)
        } else {
            0
        }
    };

    // Busy workers: the histogram's buckets averaged per column.
    const LEVELS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let nb = a.busy.len();
    let busy: String = (0..cols)
        .map(|c| {
            let lo = c * nb / cols;
            let hi = ((c + 1) * nb / cols).max(lo + 1).min(nb);
            let mean = a.busy[lo..hi].iter().sum::<f64>() / (hi - lo) as f64;
            let level = (mean / jobs.max(1) as f64 * 8.0).round().clamp(0.0, 8.0) as usize;
            // Any work at all shows: a one-eighth bar, not a blank.
            LEVELS[if mean > 0.0 { level.max(1) } else { 0 }]
        })
        .collect();

    // The critical path where the schedule runs it; alternate blocks tell
    // neighbouring modules apart.
    let selected = app.selected_module();
    let mut path: Vec<(char, bool)> = vec![(' ', false); cols];
    for (i, s) in a.path.steps.iter().enumerate() {
        let slot = a.schedule.slots[s.module.index()];
        let (c0, c1) = (col_of(slot.start_s), col_of(slot.end_s.max(slot.start_s)));
        for cell in &mut path[c0..=c1] {
            *cell = (
                if i % 2 == 0 { '█' } else { '▓' },
                Some(s.module) == selected,
            );
        }
    }
    let mut path_spans = vec![Span::raw("path ")];
    for (is_sel, run) in runs(&path) {
        let text: String = run.into_iter().collect();
        path_spans.push(Span::styled(
            text,
            if is_sel { t.selected() } else { t.on_path() },
        ));
    }

    let mut sel_line = vec![Span::raw("sel  ")];
    if let Some(id) = selected {
        let slot = a.schedule.slots[id.index()];
        let (c0, c1) = (col_of(slot.start_s), col_of(slot.end_s.max(slot.start_s)));
        sel_line.push(Span::raw(" ".repeat(c0)));
        sel_line.push(Span::styled("━".repeat(c1 - c0 + 1), t.selected()));
        let label = format!(" {}", secs(slot.start_s));
        if c1 + 1 + label.chars().count() <= cols {
            sel_line.push(Span::styled(label, t.dim()));
        }
    }
    let lines = vec![
        Line::from(vec![Span::raw("busy "), Span::styled(busy, t.busy())]),
        Line::from(path_spans),
        Line::from(sel_line),
    ];
    frame.render_widget(Paragraph::new(lines), inner);
}

/// Consecutive cells with the same flag, as (flag, chars).
fn runs(cells: &[(char, bool)]) -> Vec<(bool, Vec<char>)> {
    let mut out: Vec<(bool, Vec<char>)> = Vec::new();
    for &(c, f) in cells {
        match out.last_mut() {
            Some((g, run)) if *g == f => run.push(c),
            _ => out.push((f, vec![c])),
        }
    }
    out
}

fn draw_footer(frame: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let line = if let Mode::Search { query, matches } = app.mode() {
        Line::from(vec![
            Span::styled("/", t.key()),
            Span::raw(query.clone()),
            Span::styled("▏", t.selected()),
            Span::styled(
                format!("  {matches} matches · Enter: go · Esc: cancel"),
                t.dim(),
            ),
        ])
    } else if let Some(s) = app.status() {
        Line::styled(s.to_owned(), t.note())
    } else {
        let mut keys: Vec<(&str, &str)> = vec![
            ("j/k", "move"),
            ("Enter", "drill"),
            ("Bksp", "back"),
            ("Tab", "view"),
            ("/", "find"),
            ("+-0", "what-if"),
            ("?", "help"),
            ("q", "quit"),
        ];
        // Optional keys, kept only if they fit.
        let extra: Vec<(&str, &str)> = [
            app.owners().is_some().then_some(("o", "owner")),
            (app.changed_count() > 0).then_some(("r", "reset")),
        ]
        .into_iter()
        .flatten()
        .collect();
        let len = |keys: &[(&str, &str)]| -> usize {
            keys.iter()
                .map(|(k, l)| k.chars().count() + 1 + l.chars().count() + 2)
                .sum::<usize>()
        };
        for e in extra {
            let mut with = keys.clone();
            with.insert(with.len() - 2, e);
            if len(&with) <= area.width as usize + 2 {
                keys = with;
            }
        }
        let mut spans = Vec::new();
        for (i, (k, l)) in keys.into_iter().enumerate() {
            if i > 0 {
                spans.push(Span::raw("  "));
            }
            spans.push(Span::styled(k, t.key()));
            spans.push(Span::raw(format!(" {l}")));
        }
        Line::from(spans)
    };
    frame.render_widget(Paragraph::new(line), area);
}

const HELP: &[(&str, &str)] = &[
    (
        "j k ↓ ↑",
        "move; PgDn PgUp, Ctrl-d Ctrl-u: a page; g G: first, last",
    ),
    ("Enter", "the critical path ending at the selected module;"),
    ("", "in the top paths: show that path"),
    ("Backspace", "back to the previous path"),
    ("Tab", "critical path → modules by slack → top paths"),
    ("/", "search by name: Enter jumps on the path, else filters"),
    ("", "the module list (empty: clears); Esc cancels"),
    ("+ -", "what-if: the selected module 10% slower / faster"),
    ("0", "what-if: the selected module takes no time"),
    ("r", "reset every what-if change"),
    ("o", "next owner team (with --codeowners)"),
    ("?", "this help (any key closes it)"),
    ("q Esc", "quit (also Ctrl-C)"),
];

fn draw_help(frame: &mut Frame, area: Rect, t: &Theme) {
    let w = area.width.min(72);
    let h = area.height.min(HELP.len() as u16 + 4);
    let popup = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    let mut lines: Vec<Line> = HELP
        .iter()
        .map(|(k, d)| {
            Line::from(vec![
                Span::styled(format!(" {k:<10} "), t.key()),
                Span::raw(*d),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        " * changed by a what-if · improve: path saved if the module took 0 s",
        t.dim(),
    ));
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" keys ")),
        popup,
    );
}

#[cfg(test)]
mod tests {
    use insta::assert_snapshot;
    use ratatui::crossterm::event::KeyCode;
    use ratatui::style::Color;

    use super::super::app::{App, Options, Owners, Recompute};
    use super::super::testutil::{app, monorepo, press, render, small, type_keys};

    fn monorepo_app() -> App {
        app(monorepo(), Recompute::Inline)
    }

    /// `testutil::small()`, the hand-made graph.
    fn small_app() -> App {
        App::new(
            small(),
            Options {
                jobs: 2,
                source: "small test graph".into(),
                color: false,
                recompute: Recompute::Inline,
            },
        )
    }

    #[test]
    fn layout_80x24() {
        assert_snapshot!(render(&monorepo_app(), 80, 24));
    }

    #[test]
    fn layout_100x30() {
        assert_snapshot!(render(&monorepo_app(), 100, 30));
    }

    #[test]
    fn navigation_moves_the_selection_and_the_details() {
        let mut a = monorepo_app();
        type_keys(&mut a, "jj");
        assert_snapshot!(render(&a, 80, 24));
    }

    #[test]
    fn enter_shows_the_path_to_the_selection_and_backspace_returns() {
        let mut a = monorepo_app();
        type_keys(&mut a, "jjjj");
        press(&mut a, KeyCode::Enter);
        assert_snapshot!("drill_down", render(&a, 80, 24));
        press(&mut a, KeyCode::Backspace);
        assert_snapshot!("drill_down_back", render(&a, 80, 24));
    }

    #[test]
    fn what_if_zero_on_the_top_module() {
        let mut a = monorepo_app();
        type_keys(&mut a, "0");
        assert_snapshot!(render(&a, 80, 24));
    }

    #[test]
    fn what_if_marks_changed_modules() {
        // ads-0333, 57% of the path, 10% slower; then back to the modules
        // view, where it is marked.
        let mut a = monorepo_app();
        type_keys(&mut a, "jjjjjj+");
        assert_snapshot!("what_if_plus", render(&a, 80, 24));
        press(&mut a, KeyCode::Tab);
        assert_snapshot!("what_if_plus_modules", render(&a, 80, 24));
    }

    #[test]
    fn search_prompt_then_filter() {
        let mut a = monorepo_app();
        type_keys(&mut a, "/web-09");
        assert_snapshot!("search_typing", render(&a, 80, 24));
        press(&mut a, KeyCode::Enter);
        assert_snapshot!("search_filtered", render(&a, 80, 24));
    }

    #[test]
    fn tab_switches_views() {
        let mut a = monorepo_app();
        press(&mut a, KeyCode::Tab);
        assert_snapshot!("view_modules_by_slack", render(&a, 80, 24));
        press(&mut a, KeyCode::Tab);
        type_keys(&mut a, "j");
        assert_snapshot!("view_top_paths", render(&a, 80, 24));
        press(&mut a, KeyCode::Enter);
        assert_snapshot!("view_top_path_2", render(&a, 80, 24));
    }

    #[test]
    fn help_popup() {
        let mut a = monorepo_app();
        type_keys(&mut a, "?");
        assert_snapshot!(render(&a, 80, 24));
    }

    #[test]
    fn owners_in_details_and_filter() {
        let g = small();
        let owners = Owners::build(&g, |path| match path.split('/').next() {
            Some("libs") => vec!["@org/platform".into()],
            Some("apps") => vec!["@org/apps".into(), "@alice".into()],
            _ => vec![],
        });
        let mut a = small_app().with_owners(owners);
        type_keys(&mut a, "oo");
        assert_snapshot!(render(&a, 80, 24));
    }

    #[test]
    fn no_color_means_no_colour_at_all() {
        let mut a = monorepo_app();
        type_keys(&mut a, "j0"); // a changed module, a what-if line
        let buf = render(&a, 80, 24).buffer().clone();
        assert!(
            buf.content()
                .iter()
                .all(|c| c.fg == Color::Reset && c.bg == Color::Reset),
            "NO_COLOR: only modifiers"
        );
        let sel = buf
            .content()
            .iter()
            .filter(|c| c.modifier.contains(ratatui::style::Modifier::REVERSED))
            .count();
        assert!(sel > 0, "the selection is shown reversed");

        let mut colored = App::new(
            monorepo(),
            Options {
                jobs: 16,
                source: "x".into(),
                color: true,
                recompute: Recompute::Inline,
            },
        );
        type_keys(&mut colored, "j0");
        let buf = render(&colored, 80, 24).buffer().clone();
        assert!(buf.content().iter().any(|c| c.fg != Color::Reset));
    }

    #[test]
    fn any_size_renders() {
        let mut a = monorepo_app();
        type_keys(&mut a, "j?");
        for (w, h) in [(80, 24), (40, 12), (20, 6), (1, 1), (200, 60), (0, 0)] {
            render(&a, w, h);
        }
        type_keys(&mut a, "q");
        press(&mut a, KeyCode::Tab);
        press(&mut a, KeyCode::Tab);
        for (w, h) in [(80, 24), (30, 10), (3, 3)] {
            render(&a, w, h);
        }
    }
}
