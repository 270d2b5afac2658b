//! The SVG timeline: the critical path as a stack of blocks on top, the
//! schedule as a Gantt chart below, with a time axis and a legend.
//!
//! Self-contained (no fonts, scripts or external references); every block
//! has a `<title>` tooltip. The size stays bounded for any graph: bars
//! narrower than [`MIN_BAR_PX`] that follow each other in a lane are merged
//! into one bar (its tooltip says how many modules it holds), so a lane
//! holds at most about one bar per pixel of width.

use std::borrow::Cow;
use std::fmt::Write;

use depgraph::ModuleId;

use super::{Timeline, slack};
use crate::report::secs_short;

/// Width of the picture.
const WIDTH: f64 = 1200.0;
/// Outer margin.
const PAD: f64 = 24.0;
/// Room for the lane numbers left of the Gantt chart.
const GUTTER: f64 = 44.0;
/// Bars narrower than this are merged with their narrow neighbours.
pub(crate) const MIN_BAR_PX: f64 = 2.0;
/// Mean advance of a character, in font sizes (sans-serif, mostly
/// lowercase): to decide what fits.
const CHAR_EM: f64 = 0.6;
/// How much wider bold text is.
const BOLD: f64 = 1.1;

const FONT: &str = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";
const STYLE: &str = "
text{font-family:FONT;fill:#0f172a}
.t{font-size:20px;font-weight:700}
.s{font-size:13px;fill:#475569}
.h{font-size:15px;font-weight:700}
.n{font-size:12px;fill:#64748b}
.ax{font-size:11px;fill:#64748b}
.bl{font-size:12px;font-weight:600;fill:#fff}
.bs{font-size:11px;fill:#fff;fill-opacity:.85}
.gl{font-size:10.5px;fill:#1e293b}
.glc{font-size:10.5px;fill:#fff;font-weight:600}
.k0{fill:#d9480f}.k1{fill:#f76707}
.c{fill:#e8590c}.cm{fill:#f59f00}
.o{fill:#b6c2d4}.om{fill:#97a6bb}
.k0,.k1,.c,.cm,.o,.om{stroke:#fff;stroke-width:.75}
.g{stroke:#e2e8f0;stroke-width:1}
.tk{stroke:#94a3b8;stroke-width:1}
.cp{stroke:#c2410c;stroke-width:1.5;stroke-dasharray:5 4}
.z{fill:#f8fafc}
.ln{fill:none;stroke:#9a3412;stroke-width:1.25;stroke-opacity:.8}
";

/// One bar of the Gantt chart: a module, or a run of adjacent modules of a
/// lane that are each too narrow to draw.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Bar {
    pub lane: u32,
    pub start_s: f64,
    pub end_s: f64,
    pub critical: bool,
    /// The module, or the first of the run.
    pub first: ModuleId,
    /// Modules in the bar (1 for a single module).
    pub count: usize,
    /// Sum of their durations.
    pub work_s: f64,
}

/// One block of the critical-path stack: a step, or a run of steps too
/// narrow to draw one by one.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Block {
    /// Range of `path.steps`.
    pub steps: std::ops::Range<usize>,
    /// Offset from the path's start, in seconds.
    pub offset_s: f64,
    pub span_s: f64,
}

/// Bars of the Gantt chart at `px_per_s`, lane by lane, in time order.
pub(crate) fn gantt_bars(t: &Timeline, critical: &[bool], px_per_s: f64) -> Vec<Bar> {
    let n = t.drawn();
    let order = super::lane_order(t, n);
    let mut bars: Vec<Bar> = Vec::new();
    let mut pending: Option<Bar> = None;
    for i in order {
        let s = &t.slots[i as usize];
        let (start, end) = (s.start_s, s.end_s.max(s.start_s));
        let bar = Bar {
            lane: s.worker,
            start_s: start,
            end_s: end,
            critical: critical[i as usize],
            first: ModuleId(i),
            count: 1,
            work_s: end - start,
        };
        if (end - start) * px_per_s >= MIN_BAR_PX {
            bars.extend(pending.take());
            bars.push(bar);
            continue;
        }
        match &mut pending {
            Some(p)
                if p.lane == bar.lane
                    && p.critical == bar.critical
                    && (start - p.end_s) * px_per_s < 1.0 =>
            {
                p.end_s = p.end_s.max(end);
                p.count += 1;
                p.work_s += bar.work_s;
            }
            _ => {
                bars.extend(pending.take());
                pending = Some(bar);
            }
        }
    }
    bars.extend(pending);
    bars
}

/// Blocks of the critical-path stack at `px_per_s`.
pub(crate) fn stack_blocks(t: &Timeline, px_per_s: f64) -> Vec<Block> {
    let mut blocks: Vec<Block> = Vec::new();
    let mut offset = 0.0;
    let mut narrow_run = false;
    for (i, step) in t.path.steps.iter().enumerate() {
        let span = step.span_s.max(0.0);
        let narrow = span * px_per_s < MIN_BAR_PX;
        match blocks.last_mut() {
            Some(b) if narrow && narrow_run => {
                b.steps.end = i + 1;
                b.span_s += span;
            }
            _ => blocks.push(Block {
                steps: i..i + 1,
                offset_s: offset,
                span_s: span,
            }),
        }
        narrow_run = narrow;
        offset += span;
    }
    blocks
}

/// The SVG picture of a timeline. See the module docs.
///
/// Lays the picture out (`Layout`), then draws it section by section.
/// The analysis comes with the timeline (the path, the schedule, the slack
/// of its [`Cpm`](depgraph::Cpm)); none of it is computed again here.
pub(crate) fn svg(t: &Timeline) -> String {
    let l = Layout::new(t);
    let bars = gantt_bars(t, &t.critical_set(), l.gantt_scale);
    let merged = Merged::of(&bars);

    let mut o = String::with_capacity(64 * 1024);
    document_head(&mut o, t, &l);
    critical_path_stack(&mut o, t, &l);
    schedule_heading(&mut o, t, &l, merged);
    lanes(&mut o, &l);
    let slack = slack(t);
    for b in &bars {
        gantt_bar(&mut o, t, &l, b, &slack);
    }
    critical_chain(&mut o, t, &l);
    critical_path_marker(&mut o, t, &l);
    notes(&mut o, t, &l, merged);
    o.push_str("</svg>\n");
    o
}

/// Height of the critical-path stack's blocks.
const STACK_H: f64 = 46.0;

/// Where every part of the picture goes, worked out from the timeline
/// before anything is drawn: the scales, the lanes' rows, the baselines.
#[derive(Clone, Debug, PartialEq)]
struct Layout {
    /// Left edge of both plots (the stack and the Gantt chart), after the
    /// lane numbers.
    x0: f64,
    plot_w: f64,
    /// End of the schedule (0 without slots).
    makespan: f64,
    /// Length of the stack: the sum of the path's spans.
    path_len: f64,
    /// Pixels per second of the stack (0 for an empty path).
    stack_scale: f64,
    /// Baseline of the stack's heading.
    stack_heading_y: f64,
    /// Top of the stack's blocks.
    stack_top: f64,
    /// Baseline of the schedule's heading and legend.
    schedule_heading_y: f64,
    /// End of the Gantt chart's time axis: the makespan or the critical
    /// path, whichever is longer.
    t_end: f64,
    /// Pixels per second of the Gantt chart.
    gantt_scale: f64,
    lanes: usize,
    /// Height of a lane, and the room left between the bars of two lanes.
    row_h: f64,
    gap: f64,
    gantt_top: f64,
    gantt_bottom: f64,
    /// Baseline of the notes under the chart.
    notes_y: f64,
    height: f64,
}

impl Layout {
    fn new(t: &Timeline) -> Self {
        let x0 = PAD + GUTTER;
        let plot_w = WIDTH - x0 - PAD;
        let makespan = t.makespan();
        let path_len: f64 = t.path.steps.iter().map(|s| s.span_s.max(0.0)).sum();
        let stack_scale = if path_len > 0.0 {
            plot_w / path_len
        } else {
            0.0
        };
        let stack_heading_y = 92.0;
        let stack_top = stack_heading_y + 12.0;
        // Room under the stack for its axis.
        let schedule_heading_y = stack_top + STACK_H + 52.0;
        let t_end = makespan.max(t.path.length_s).max(1e-9);
        let lanes = t.lane_count();
        let row_h = (560.0 / lanes as f64).floor().clamp(4.0, 30.0);
        let gap = if row_h >= 12.0 {
            3.0
        } else if row_h >= 6.0 {
            1.0
        } else {
            0.0
        };
        // Room under the heading for the "job" label and the path's marker.
        let gantt_top = schedule_heading_y + 14.0 + 16.0;
        let gantt_bottom = gantt_top + row_h * lanes as f64;
        let notes_y = gantt_bottom + 40.0;
        Layout {
            x0,
            plot_w,
            makespan,
            path_len,
            stack_scale,
            stack_heading_y,
            stack_top,
            schedule_heading_y,
            t_end,
            gantt_scale: plot_w / t_end,
            lanes,
            row_h,
            gap,
            gantt_top,
            gantt_bottom,
            notes_y,
            height: notes_y + PAD,
        }
    }

    /// Top of a lane's row.
    fn lane_y(&self, lane: u32) -> f64 {
        self.gantt_top + lane as f64 * self.row_h
    }
}

/// The modules merged into bars: how many, and into how many bars.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Merged {
    modules: usize,
    bars: usize,
}

impl Merged {
    fn of(bars: &[Bar]) -> Self {
        let merged = bars.iter().filter(|b| b.count > 1);
        Merged {
            modules: merged.clone().map(|b| b.count).sum(),
            bars: merged.count(),
        }
    }
}

/// `<svg>`, its title and style, the background, and the heading with the
/// summary line.
fn document_head(o: &mut String, t: &Timeline, l: &Layout) {
    let height = l.height;
    let _ = write!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}">"#
    );
    let _ = write!(
        o,
        "<title>{}</title><style>{}</style>",
        esc(&t.title),
        STYLE.replace("FONT", FONT)
    );
    let _ = write!(
        o,
        r##"<rect width="100%" height="100%" fill="#fff"/><text class="t" x="{PAD}" y="38">{}</text><text class="s" x="{PAD}" y="60">{}</text>"##,
        esc(&t.title),
        esc(&summary(t, l.makespan))
    );
}

/// The line under the title: the graph's size and work, the critical path,
/// and the makespan of the schedule drawn.
fn summary(t: &Timeline, makespan: f64) -> String {
    let g = t.graph;
    let mut s = format!(
        "{} modules · {} dependencies · {} of work · critical path {}",
        thousands(g.len()),
        thousands(g.edge_count()),
        secs_short(g.total_work()),
        secs_short(t.path.length_s),
    );
    if t.drawn() > 0 {
        let _ = write!(
            s,
            " · makespan {} ({})",
            secs_short(makespan),
            t.schedule_label
        );
    }
    s
}

/// The critical path as a stack of blocks, one per step (or per run of
/// steps too short to draw), with its heading and time axis.
fn critical_path_stack(o: &mut String, t: &Timeline, l: &Layout) {
    let (x0, y) = (l.x0, l.stack_heading_y);
    let steps = t.path.steps.len();
    let _ = write!(
        o,
        r#"<text class="h" x="{PAD}" y="{y}">Critical path · {} · {} module{}</text>"#,
        secs_short(t.path.length_s),
        thousands(steps),
        if steps == 1 { "" } else { "s" },
    );
    let _ = write!(
        o,
        r#"<text class="n" x="{}" y="{y}" text-anchor="end">the chain of dependencies that bounds the build, however many jobs run</text>"#,
        WIDTH - PAD
    );
    if t.path.steps.is_empty() {
        let _ = write!(
            o,
            r#"<text class="n" x="{x0}" y="{}">empty graph: no critical path</text>"#,
            l.stack_top + 26.0
        );
    }
    for (k, b) in stack_blocks(t, l.stack_scale).iter().enumerate() {
        stack_block(o, t, l, k, b);
    }
    let axis_y = l.stack_top + STACK_H;
    if l.path_len > 0.0 {
        axis(
            o,
            x0,
            l.plot_w,
            axis_y,
            axis_y,
            l.path_len,
            l.stack_scale,
            false,
        );
    }
}

/// One block of the stack, the `k`th: alternating colours for single steps
/// with their name and span inside when they fit, one colour for a run.
fn stack_block(o: &mut String, t: &Timeline, l: &Layout, k: usize, b: &Block) {
    let y = l.stack_top;
    let bx = l.x0 + b.offset_s * l.stack_scale;
    let bw = (b.span_s * l.stack_scale).max(1.0);
    let first = &t.path.steps[b.steps.start];
    let (class, label) = if b.steps.len() == 1 {
        let name = t.graph.name(first.module);
        let class = if k.is_multiple_of(2) { "k0" } else { "k1" };
        (class, Some((name, secs_short(first.span_s))))
    } else {
        ("cm", None)
    };
    let _ = write!(
        o,
        r#"<rect class="{class}" x="{}" y="{y}" width="{}" height="{STACK_H}" rx="2"><title>{}</title></rect>"#,
        f1(bx),
        f1(bw),
        esc(&block_tooltip(t, b))
    );
    if let Some((name, secs)) = label
        && let Some(name) = fit(name, bw, 12.0 * BOLD)
    {
        let _ = write!(
            o,
            r#"<text class="bl" x="{}" y="{}">{}</text>"#,
            f1(bx + 5.0),
            y + 19.0,
            esc(&name)
        );
        if let Some(secs) = fit(&secs, bw, 11.0) {
            let _ = write!(
                o,
                r#"<text class="bs" x="{}" y="{}">{}</text>"#,
                f1(bx + 5.0),
                y + 35.0,
                esc(&secs)
            );
        }
    }
}

/// A stack block's tooltip: the step, its place on the path and its times,
/// or what a run of steps holds.
fn block_tooltip(t: &Timeline, b: &Block) -> String {
    let g = t.graph;
    let first = &t.path.steps[b.steps.start];
    if b.steps.len() > 1 {
        return format!(
            "{} steps too short to draw one by one ({} … {})\n{} together",
            b.steps.len(),
            g.name(first.module),
            g.name(t.path.steps[b.steps.end - 1].module),
            secs_short(b.span_s),
        );
    }
    let m = g.module(first.module);
    let mut tip = format!(
        "{}\n{} on the path (step {} of {}), from {} to {}",
        m.name,
        secs_short(first.span_s),
        b.steps.start + 1,
        t.path.steps.len(),
        secs_short(first.start_s),
        secs_short(first.start_s + first.span_s),
    );
    if first.span_s < m.duration_s {
        let _ = write!(
            tip,
            "\nbuilds in {}; the next step waits only for its metadata",
            secs_short(m.duration_s)
        );
    }
    if let Some(p) = &m.path {
        let _ = write!(tip, "\n{p}");
    }
    tip
}

/// The Gantt chart's heading, with the legend on its baseline.
fn schedule_heading(o: &mut String, t: &Timeline, l: &Layout, merged: Merged) {
    let _ = write!(
        o,
        r#"<text class="h" x="{PAD}" y="{}">Schedule · {} · {}</text>"#,
        l.schedule_heading_y,
        esc(&t.schedule_label),
        secs_short(l.makespan)
    );
    legend(o, l.schedule_heading_y, merged.modules > 0);
}

/// The lanes under the bars: every other one striped, numbered as often as
/// the numbers fit, and the time axis with its grid.
fn lanes(o: &mut String, l: &Layout) {
    let x0 = l.x0;
    let label_every = (14.0 / l.row_h).ceil().max(1.0) as usize;
    for lane in 0..l.lanes {
        let ly = l.lane_y(lane as u32);
        if lane % 2 == 1 {
            let _ = write!(
                o,
                r#"<rect class="z" x="{x0}" y="{}" width="{}" height="{}"/>"#,
                f1(ly),
                f1(l.plot_w),
                f1(l.row_h)
            );
        }
        if lane % label_every == 0 {
            let _ = write!(
                o,
                r#"<text class="ax" x="{}" y="{}" text-anchor="end">{}</text>"#,
                x0 - 8.0,
                f1(ly + l.row_h / 2.0 + 4.0),
                lane + 1
            );
        }
    }
    let _ = write!(
        o,
        r#"<text class="ax" x="{}" y="{}" text-anchor="end">job</text>"#,
        x0 - 8.0,
        l.gantt_top - 6.0
    );
    axis(
        o,
        x0,
        l.plot_w,
        l.gantt_top,
        l.gantt_bottom,
        l.t_end,
        l.gantt_scale,
        true,
    );
}

/// One bar of the Gantt chart, coloured by whether it is on the critical
/// path and whether it is merged, with the module's name when it fits.
fn gantt_bar(o: &mut String, t: &Timeline, l: &Layout, b: &Bar, slack: &[f64]) {
    let bx = l.x0 + b.start_s * l.gantt_scale;
    let bw = ((b.end_s - b.start_s) * l.gantt_scale).max(1.0);
    let by = l.lane_y(b.lane) + l.gap / 2.0;
    let bh = l.row_h - l.gap;
    let class = match (b.critical, b.count > 1) {
        (true, false) => "c",
        (true, true) => "cm",
        (false, false) => "o",
        (false, true) => "om",
    };
    let _ = write!(
        o,
        r#"<rect class="{class}" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>"#,
        f1(bx),
        f1(by),
        f1(bw),
        f1(bh),
        esc(&bar_tooltip(t, b, slack))
    );
    let font = if b.critical { 10.5 * BOLD } else { 10.5 };
    if b.count == 1
        && bh >= 13.0
        && let Some(name) = fit(t.graph.name(b.first), bw, font)
    {
        let _ = write!(
            o,
            r#"<text class="{}" x="{}" y="{}">{}</text>"#,
            if b.critical { "glc" } else { "gl" },
            f1(bx + 4.0),
            f1(by + bh / 2.0 + 3.8),
            esc(&name)
        );
    }
}

/// A Gantt bar's tooltip: the module, its times, job and slack, or what a
/// merged bar holds.
fn bar_tooltip(t: &Timeline, b: &Bar, slack: &[f64]) -> String {
    if b.count > 1 {
        return format!(
            "{} modules too short to draw one by one{}\n{} of work, {} → {}, job {}",
            b.count,
            if b.critical {
                ", on the critical path"
            } else {
                ""
            },
            secs_short(b.work_s),
            secs_short(b.start_s),
            secs_short(b.end_s),
            b.lane + 1
        );
    }
    let m = t.graph.module(b.first);
    let mut tip = format!(
        "{}\n{}: {} → {}, job {}",
        m.name,
        secs_short(m.duration_s),
        secs_short(b.start_s),
        secs_short(b.end_s),
        b.lane + 1
    );
    if b.critical {
        tip.push_str("\non the critical path");
    } else {
        let _ = write!(tip, "\nslack {}", secs_short(slack[b.first.index()]));
    }
    if let Some(p) = &m.path {
        let _ = write!(tip, "\n{p}");
    }
    tip
}

/// The critical chain: each step's bar linked to the next one's, so the
/// eye can follow it across lanes (a long link is time spent waiting for
/// a free job). Bars too narrow to see get no links.
fn critical_chain(o: &mut String, t: &Timeline, l: &Layout) {
    let slots = &t.slots[..t.drawn()];
    // Along the lower part of the bars, under their labels.
    let lane_mid = |lane: u32| l.lane_y(lane) + (l.row_h * 0.82).max(l.row_h - 5.0);
    let mut links = String::new();
    for w in t.path.steps.windows(2) {
        let (Some(a), Some(b)) = (
            slots.get(w[0].module.index()),
            slots.get(w[1].module.index()),
        ) else {
            continue;
        };
        // Only between bars one can see (a huge schedule squeezes them).
        if (a.end_s - a.start_s).min(b.end_s - b.start_s) * l.gantt_scale < MIN_BAR_PX {
            continue;
        }
        // Where the next step may start: the end, or the metadata point.
        let ready = a.start_s + w[0].span_s;
        let _ = write!(
            links,
            "M{} {}L{} {}",
            f1(l.x0 + ready * l.gantt_scale),
            f1(lane_mid(a.worker)),
            f1(l.x0 + b.start_s * l.gantt_scale),
            f1(lane_mid(b.worker))
        );
    }
    if !links.is_empty() {
        let _ = write!(o, r#"<path class="ln" d="{links}"/>"#);
    }
}

/// The critical path's length across the Gantt chart: the bound the
/// schedule tries to reach.
fn critical_path_marker(o: &mut String, t: &Timeline, l: &Layout) {
    if t.path.length_s <= 0.0 {
        return;
    }
    let cx = l.x0 + t.path.length_s * l.gantt_scale;
    let _ = write!(
        o,
        r#"<line class="cp" x1="{0}" y1="{1}" x2="{0}" y2="{2}"/>"#,
        f1(cx),
        f1(l.gantt_top - 4.0),
        f1(l.gantt_bottom)
    );
    let (anchor, dx) = if cx - l.x0 > 220.0 {
        ("end", -5.0)
    } else {
        ("start", 5.0)
    };
    let _ = write!(
        o,
        r##"<text class="ax" x="{}" y="{}" text-anchor="{anchor}" style="fill:#c2410c">critical path {}</text>"##,
        f1(cx + dx),
        f1(l.gantt_top - 5.0),
        secs_short(t.path.length_s)
    );
}

/// The line under the chart: how to read it, and what it leaves out.
fn notes(o: &mut String, t: &Timeline, l: &Layout, merged: Merged) {
    let mut note = String::from("Hover a block for its module, times and slack.");
    if merged.modules > 0 {
        let _ = write!(
            note,
            " {} modules shorter than {MIN_BAR_PX} px are merged into {} darker bar{}.",
            thousands(merged.modules),
            thousands(merged.bars),
            if merged.bars == 1 { "" } else { "s" }
        );
    }
    let modules = t.graph.len();
    if t.slots.len() < modules {
        let _ = write!(
            note,
            " {} modules have no slot and are not drawn.",
            thousands(modules - t.slots.len())
        );
    }
    let _ = write!(
        o,
        r#"<text class="n" x="{PAD}" y="{}">{}</text>"#,
        l.notes_y,
        esc(&note)
    );
}

/// The legend, right-aligned on the schedule heading's baseline.
fn legend(o: &mut String, y: f64, merged: bool) {
    let mut items: Vec<(&str, &str)> = vec![("c", "on the critical path"), ("o", "other modules")];
    if merged {
        items.push(("om", "merged short modules"));
    }
    items.push(("cp", "critical path length"));
    // Lay out from the right.
    let mut x = WIDTH - PAD;
    let mut parts = Vec::new();
    for (class, text) in items.iter().rev() {
        let w = text.chars().count() as f64 * 12.0 * 0.52;
        x -= w;
        parts.push(format!(
            r#"<text class="n" x="{}" y="{y}">{text}</text>"#,
            f1(x)
        ));
        x -= 18.0;
        if *class == "cp" {
            parts.push(format!(
                r#"<line class="cp" x1="{0}" y1="{1}" x2="{0}" y2="{2}"/>"#,
                f1(x + 7.0),
                y - 11.0,
                y + 1.0
            ));
        } else {
            parts.push(format!(
                r#"<rect class="{class}" x="{}" y="{}" width="13" height="11" rx="1.5"/>"#,
                f1(x),
                y - 10.0
            ));
        }
        x -= 16.0;
    }
    for p in parts {
        o.push_str(&p);
    }
}

/// Ticks of a time axis along `y_bottom`; grid lines from `y_top` when
/// `grid`.
#[allow(clippy::too_many_arguments)]
fn axis(
    o: &mut String,
    x0: f64,
    w: f64,
    y_top: f64,
    y_bottom: f64,
    t_end: f64,
    px_per_s: f64,
    grid: bool,
) {
    let step = nice_step(t_end, (w / 85.0).max(2.0) as usize);
    let mut k = 0u64;
    loop {
        let t = k as f64 * step;
        if t > t_end * (1.0 + 1e-9) {
            break;
        }
        let x = f1(x0 + t * px_per_s);
        if grid {
            let _ = write!(
                o,
                r#"<line class="g" x1="{x}" y1="{y_top}" x2="{x}" y2="{y_bottom}"/>"#
            );
        }
        let _ = write!(
            o,
            r#"<line class="tk" x1="{x}" y1="{y_bottom}" x2="{x}" y2="{}"/><text class="ax" x="{x}" y="{}" text-anchor="{}">{}</text>"#,
            y_bottom + 4.0,
            y_bottom + 16.0,
            if k == 0 { "start" } else { "middle" },
            tick_label(t, step)
        );
        k += 1;
    }
}

/// A round tick step giving at most `max_ticks` intervals over `range`
/// seconds: 1-2-5 under a minute, then whole minutes and hours.
pub(crate) fn nice_step(range: f64, max_ticks: usize) -> f64 {
    const STEPS: &[f64] = &[
        0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 20.0,
        30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1200.0, 1800.0, 3600.0, 7200.0, 10800.0, 21600.0,
        43200.0, 86400.0,
    ];
    let max_ticks = max_ticks.max(1) as f64;
    STEPS
        .iter()
        .copied()
        .find(|&s| range / s <= max_ticks)
        .unwrap_or_else(|| (range / max_ticks / 86400.0).ceil() * 86400.0)
}

/// `0`, `45s`, `2m`, `2m30s`, `1h`, `1h15`; fractions for sub-second steps.
pub(crate) fn tick_label(t: f64, step: f64) -> String {
    if t == 0.0 {
        return "0".into();
    }
    if step < 1.0 {
        let digits = (-step.log10()).ceil().max(1.0) as usize;
        return format!("{t:.digits$}s");
    }
    let s = t.round() as u64;
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        match s % 60 {
            0 => format!("{}m", s / 60),
            r => format!("{}m{r:02}s", s / 60),
        }
    } else {
        match (s % 3600) / 60 {
            0 => format!("{}h", s / 3600),
            m => format!("{}h{m:02}", s / 3600),
        }
    }
}

/// `text` shortened with an ellipsis to fit in a box `width_px` wide at
/// `font_px`, with 5 px of padding each side; `None` if it does not fit
/// whole and fewer than 6 characters would be left (`"ran…"` says nothing).
pub(crate) fn fit(text: &str, width_px: f64, font_px: f64) -> Option<String> {
    let room = ((width_px - 10.0) / (font_px * CHAR_EM)).floor();
    if room < 1.0 {
        return None;
    }
    let room = room as usize;
    let len = text.chars().count();
    if len <= room {
        return Some(text.to_owned());
    }
    if room < 7 {
        return None;
    }
    // A path says the most at its end: `…/printf-test.cc.o`.
    if let Some((_, base)) = text.trim_end_matches('/').rsplit_once('/')
        && !base.is_empty()
    {
        let base_len = base.chars().count();
        if base_len + 2 <= room {
            return Some(format!("…/{base}"));
        }
        let mut s: String = base.chars().take(room - 1).collect();
        s.push('…');
        return Some(s);
    }
    let mut s: String = text.chars().take(room - 1).collect();
    s.push('…');
    Some(s)
}

/// Escapes text for XML content and attribute values.
pub(crate) fn esc(s: &str) -> Cow<'_, str> {
    if !s.contains(['&', '<', '>', '"', '\'']) && !s.chars().any(is_xml_invalid) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if is_xml_invalid(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Characters XML 1.0 does not allow at all (control characters other than
/// tab and newlines).
fn is_xml_invalid(c: char) -> bool {
    (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
}

/// A coordinate with one decimal, without a trailing `.0`.
fn f1(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

/// `1234567` as `1,234,567`.
fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::graph;
    use super::*;
    use graph_gen::{GenOptions, layered};

    fn timeline<'a>(
        g: &'a depgraph::ModuleGraph,
        path: &'a depgraph::CriticalPath,
        sched: &'a depgraph::Schedule,
    ) -> Timeline<'a> {
        Timeline {
            graph: g,
            cpm: Box::leak(Box::new(g.cpm())),
            path,
            slots: &sched.slots,
            lanes: sched.workers,
            title: "test".into(),
            schedule_label: format!("simulated, {} jobs", sched.workers),
        }
    }

    #[test]
    fn escapes_names() {
        assert_eq!(esc("plain"), "plain");
        assert_eq!(
            esc(r#"<a & "b" 'c'>"#),
            "&lt;a &amp; &quot;b&quot; &apos;c&apos;&gt;"
        );
        assert_eq!(esc("bell\u{7}"), "bell\u{FFFD}");
        let g = graph(&[("<core & co>", 3.0, &[]), ("app\"'", 2.0, &["<core & co>"])]);
        let p = g.critical_path();
        let s = g.schedule(2);
        let mut t = timeline(&g, &p, &s);
        t.title = "a < b".into();
        let out = svg(&t);
        assert!(!out.contains("<core"), "{out}");
        assert!(out.contains("&lt;core &amp; co&gt;"));
        assert!(out.contains("a &lt; b"));
        assert!(out.contains("app&quot;&apos;"));
    }

    #[test]
    fn fits_and_ellipsizes() {
        assert_eq!(fit("core", 100.0, 10.0).as_deref(), Some("core"));
        assert_eq!(
            fit("a-very-long-module-name", 70.0, 10.0).as_deref(),
            Some("a-very-lo…")
        );
        assert_eq!(fit("core", 20.0, 10.0), None);
        assert_eq!(fit("ab", 29.0, 10.0).as_deref(), Some("ab"));
        assert_eq!(fit("ranking-0773", 50.0, 10.0), None);
        assert_eq!(
            fit(
                "test/CMakeFiles/printf-test.dir/printf-test.cc.o",
                130.0,
                10.0
            )
            .as_deref(),
            Some("…/printf-test.cc.o")
        );
        assert_eq!(
            fit(
                "test/CMakeFiles/printf-test.dir/printf-test.cc.o",
                70.0,
                10.0
            )
            .as_deref(),
            Some("printf-te…")
        );
    }

    #[test]
    fn ticks() {
        assert_eq!(nice_step(400.0, 12), 60.0);
        assert_eq!(nice_step(90.0, 12), 10.0);
        assert_eq!(nice_step(0.3, 12), 0.05);
        assert_eq!(nice_step(30000.0, 12), 3600.0);
        assert_eq!(tick_label(0.0, 60.0), "0");
        assert_eq!(tick_label(150.0, 30.0), "2m30s");
        assert_eq!(tick_label(3600.0 + 900.0, 900.0), "1h15");
        assert_eq!(tick_label(0.25, 0.05), "0.25s");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(12), "12");
        assert_eq!(f1(3.04), "3");
        assert_eq!(f1(3.06), "3.1");
    }

    #[test]
    fn every_module_appears_once_in_the_gantt() {
        let g = layered(&GenOptions {
            modules: 300,
            avg_deps: 3.0,
            seed: 1,
        })
        .build()
        .unwrap();
        let p = g.critical_path();
        let s = g.schedule(8);
        let t = timeline(&g, &p, &s);
        let crit = t.critical_set();
        // Wide enough that nothing merges: one bar per module.
        let bars = gantt_bars(&t, &crit, 1e6);
        assert_eq!(bars.len(), g.len());
        let mut seen = vec![false; g.len()];
        for b in &bars {
            assert_eq!(b.count, 1);
            assert!(!std::mem::replace(&mut seen[b.first.index()], true));
            assert_eq!(b.critical, crit[b.first.index()]);
        }
        // At the real scale, merged or not, the counts add up.
        let scale = (WIDTH - PAD * 2.0 - GUTTER) / s.makespan_s;
        let bars = gantt_bars(&t, &crit, scale);
        assert_eq!(bars.iter().map(|b| b.count).sum::<usize>(), g.len());
        // And every single-module bar shows up as a tooltip.
        let out = svg(&t);
        for b in bars.iter().filter(|b| b.count == 1) {
            assert!(out.contains(&format!("<title>{}\n", g.name(b.first))));
        }
    }

    #[test]
    fn bars_of_a_lane_never_overlap() {
        let g = layered(&GenOptions {
            modules: 2000,
            avg_deps: 4.0,
            seed: 5,
        })
        .build()
        .unwrap();
        let p = g.critical_path();
        let s = g.schedule(16);
        let t = timeline(&g, &p, &s);
        let crit = t.critical_set();
        for scale in [1e6, 1.0, 0.01] {
            let bars = gantt_bars(&t, &crit, scale);
            assert_eq!(bars.iter().map(|b| b.count).sum::<usize>(), g.len());
            for w in bars.windows(2) {
                if w[0].lane == w[1].lane {
                    assert!(w[0].end_s <= w[1].start_s + 1e-9, "{w:?}");
                }
            }
            assert!(bars.iter().all(|b| (b.lane as usize) < 16));
        }
    }

    #[test]
    fn path_blocks_sum_to_the_path_length() {
        let g = layered(&GenOptions {
            modules: 1000,
            avg_deps: 4.0,
            seed: 42,
        })
        .build()
        .unwrap();
        let p = g.critical_path();
        let s = g.schedule(4);
        let t = timeline(&g, &p, &s);
        for scale in [1e6, 1.0, 0.001] {
            let blocks = stack_blocks(&t, scale);
            let sum: f64 = blocks.iter().map(|b| b.span_s).sum();
            assert!((sum - p.length_s).abs() < 1e-6, "{sum} vs {}", p.length_s);
            assert_eq!(
                blocks.iter().map(|b| b.steps.len()).sum::<usize>(),
                p.steps.len()
            );
            // Contiguous.
            for w in blocks.windows(2) {
                assert!((w[0].offset_s + w[0].span_s - w[1].offset_s).abs() < 1e-6);
                assert_eq!(w[0].steps.end, w[1].steps.start);
            }
        }
    }

    #[test]
    fn size_stays_bounded_for_a_huge_graph() {
        let g = layered(&GenOptions {
            modules: 100_000,
            avg_deps: 4.0,
            seed: 2,
        })
        .build()
        .unwrap();
        let p = g.critical_path();
        let s = g.schedule(16);
        let t = timeline(&g, &p, &s);
        let out = svg(&t);
        let rects = out.matches("<rect").count();
        assert!(rects < 40_000, "{rects} rects");
        assert!(out.len() < 8 << 20, "{} bytes", out.len());
        assert!(out.contains("merged into"));
    }

    #[test]
    fn observed_schedule_with_assigned_lanes() {
        // Modules overlapping in time as a real build ran them.
        let g = graph(&[
            ("core", 4.0, &[]),
            ("log", 2.0, &[]),
            ("net", 3.0, &["core"]),
            ("db", 5.0, &["core", "log"]),
            ("app", 1.0, &["net", "db"]),
        ]);
        let real = [(0.0, 4.0), (0.5, 2.5), (4.2, 7.2), (4.1, 9.1), (9.3, 10.3)];
        let (lanes, count) = super::super::assign_lanes(&real);
        assert_eq!(count, 2);
        let slots: Vec<depgraph::Slot> = real
            .iter()
            .zip(&lanes)
            .map(|(&(start_s, end_s), &worker)| depgraph::Slot {
                start_s,
                end_s,
                worker,
            })
            .collect();
        let p = g.critical_path();
        let t = Timeline {
            graph: &g,
            cpm: Box::leak(Box::new(g.cpm())),
            path: &p,
            slots: &slots,
            lanes: count,
            title: "observed build".into(),
            schedule_label: "observed".into(),
        };
        let bars = gantt_bars(&t, &t.critical_set(), 100.0);
        assert_eq!(bars.len(), 5);
        for w in bars.windows(2) {
            if w[0].lane == w[1].lane {
                assert!(w[0].end_s <= w[1].start_s);
            }
        }
        let out = svg(&t);
        assert!(out.contains("Schedule · observed · 10.3 s"));
        assert!(out.contains("critical path 10.0 s"));
    }

    /// Every part of the picture on a graph small enough to read: a
    /// step whose dependent waits only for its metadata, two modules too
    /// short to draw that merge into one bar, slack, links across lanes, a
    /// name to escape.
    #[test]
    fn snapshot_of_a_small_svg() {
        let mut b = depgraph::GraphBuilder::new();
        let mut core = depgraph::Module::new("core", 2.0);
        core.path = Some("libs/core".into());
        core.metadata_s = Some(1.0);
        b.add(core, vec![]);
        b.add(depgraph::Module::new("tiny-a", 0.001), vec![]);
        b.add(depgraph::Module::new("tiny-b", 0.001), vec![]);
        b.add(
            depgraph::Module::new("util", 1.5),
            vec![depgraph::Dep::full("core")],
        );
        b.add(
            depgraph::Module::new("net <&>", 4.0),
            vec![depgraph::Dep::metadata("core")],
        );
        b.add(
            depgraph::Module::new("app", 3.25),
            vec![depgraph::Dep::full("net <&>"), depgraph::Dep::full("util")],
        );
        let g = b.build().unwrap();
        let p = g.critical_path();
        let s = g.schedule(2);
        let mut t = timeline(&g, &p, &s);
        t.title = "small".into();
        let out = svg(&t);
        assert!(out.starts_with("<svg") && out.ends_with("</svg>\n"));
        // One element a line, so a change reads as a diff.
        insta::with_settings!({prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!("small_svg", out.replace("><", ">\n<"));
        });
    }

    #[test]
    fn empty_graph_renders() {
        let g = graph(&[]);
        let p = g.critical_path();
        let s = g.schedule(4);
        let out = svg(&timeline(&g, &p, &s));
        assert!(out.starts_with("<svg") && out.ends_with("</svg>\n"));
        assert!(out.contains("no critical path"));
    }
}
