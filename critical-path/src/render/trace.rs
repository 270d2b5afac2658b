//! Chrome Trace Event format, for Perfetto (<https://ui.perfetto.dev>) and
//! `chrome://tracing`.
//!
//! - process 1, "schedule": one thread per lane (`job 1`, `job 2`, …), one
//!   complete event (`"ph":"X"`) per module;
//! - process 2, "critical path", sorted first: one thread holding the steps
//!   of the critical path end to end.
//!
//! Times are integer microseconds (`ts`, `dur`); events of one thread never
//! overlap, as the trace viewers require for complete events. Each event's
//! `args` carry the module name, duration, slack and path.

use std::io::{self, Write};

use serde_json::{Value, json};

use super::{Timeline, slack};

const SCHEDULE_PID: u32 = 1;
const PATH_PID: u32 = 2;

/// Seconds to whole microseconds.
fn micros(s: f64) -> i64 {
    (s * 1e6).round() as i64
}

/// The trace of a timeline: `{"traceEvents":[…],"displayTimeUnit":"ms",…}`.
///
/// Holds every event in memory (about 1 KB each); for large graphs prefer
/// [`write_chrome_trace`], which streams the same document (the tests
/// compare the two).
#[cfg(test)]
pub(crate) fn chrome_trace(t: &Timeline) -> Value {
    let mut events: Vec<Value> = Vec::with_capacity(t.drawn() + t.path.steps.len() + 8);
    for_each_event(t, |e| events.push(e));
    json!({
        "traceEvents": events,
        "displayTimeUnit": "ms",
        "otherData": other_data(t),
    })
}

/// Writes the document of [`chrome_trace`] to `w`, one event per line,
/// without holding the events in memory.
pub(crate) fn write_chrome_trace(t: &Timeline, w: &mut impl Write) -> io::Result<()> {
    w.write_all(b"{\"traceEvents\":[")?;
    let mut first = true;
    let mut result = Ok(());
    for_each_event(t, |e| {
        if result.is_ok() {
            result = (|| {
                w.write_all(if first { b"\n" } else { b",\n" })?;
                first = false;
                serde_json::to_writer(&mut *w, &e).map_err(io::Error::from)
            })();
        }
    });
    result?;
    w.write_all(b"\n],\"displayTimeUnit\":\"ms\",\"otherData\":")?;
    serde_json::to_writer(&mut *w, &other_data(t))?;
    w.write_all(b"}\n")
}

fn other_data(t: &Timeline) -> Value {
    json!({
        "title": t.title,
        "schedule": t.schedule_label,
        "modules": t.graph.len(),
        "critical_path_s": t.path.length_s,
        "makespan_s": t.makespan(),
    })
}

/// Every event of the trace, in order: metadata, critical path, schedule.
fn for_each_event(t: &Timeline, mut emit: impl FnMut(Value)) {
    let g = t.graph;
    let critical = t.critical_set();
    let slack = slack(t);
    let lanes = t.lane_count();
    let n = t.drawn();

    // Metadata: names and order of the tracks.
    let meta = |pid: u32, tid: Option<u32>, name: &str, args: Value| json!({"ph": "M", "pid": pid, "tid": tid.unwrap_or(0), "name": name, "args": args});
    emit(meta(
        PATH_PID,
        None,
        "process_name",
        json!({"name": "critical path"}),
    ));
    emit(meta(
        PATH_PID,
        None,
        "process_sort_index",
        json!({"sort_index": 0}),
    ));
    emit(meta(
        PATH_PID,
        Some(0),
        "thread_name",
        json!({"name": format!("critical path ({:.1} s)", t.path.length_s)}),
    ));
    emit(meta(
        SCHEDULE_PID,
        None,
        "process_name",
        json!({"name": format!("schedule ({})", t.schedule_label)}),
    ));
    emit(meta(
        SCHEDULE_PID,
        None,
        "process_sort_index",
        json!({"sort_index": 1}),
    ));
    for lane in 0..lanes as u32 {
        emit(meta(
            SCHEDULE_PID,
            Some(lane),
            "thread_name",
            json!({"name": format!("job {}", lane + 1)}),
        ));
        emit(meta(
            SCHEDULE_PID,
            Some(lane),
            "thread_sort_index",
            json!({"sort_index": lane}),
        ));
    }

    let args = |id: depgraph::ModuleId, extra: &mut serde_json::Map<String, Value>| {
        let m = g.module(id);
        let mut a = serde_json::Map::new();
        a.insert("module".into(), json!(m.name));
        a.insert("duration_s".into(), json!(m.duration_s));
        a.insert("slack_s".into(), json!(slack[id.index()]));
        a.insert("critical".into(), json!(critical[id.index()]));
        if let Some(p) = &m.path {
            a.insert("path".into(), json!(p));
        }
        a.append(extra);
        Value::Object(a)
    };

    // The critical path, end to end. Rounding to microseconds keeps the
    // order; clamping to the previous end removes sub-microsecond overlaps.
    let mut prev_end = i64::MIN;
    for (i, step) in t.path.steps.iter().enumerate() {
        let ts = micros(step.start_s).max(prev_end);
        let end = micros(step.start_s + step.span_s.max(0.0)).max(ts);
        prev_end = end;
        let mut extra = serde_json::Map::new();
        extra.insert("step".into(), json!(i + 1));
        extra.insert("span_s".into(), json!(step.span_s));
        extra.insert("start_s".into(), json!(step.start_s));
        if let Some(k) = step.next_kind {
            extra.insert("next_waits_for".into(), json!(k));
        }
        emit(slice(
            PATH_PID,
            0,
            g.name(step.module),
            "critical",
            ts,
            end - ts,
            args(step.module, &mut extra),
        ));
    }

    // The schedule, lane by lane in time order.
    let order = super::lane_order(t, n);
    let mut lane = u32::MAX;
    for i in order {
        let s = &t.slots[i as usize];
        if s.worker != lane {
            lane = s.worker;
            prev_end = i64::MIN;
        }
        let ts = micros(s.start_s).max(prev_end);
        let end = micros(s.end_s).max(ts);
        prev_end = end;
        let id = depgraph::ModuleId(i);
        let mut extra = serde_json::Map::new();
        extra.insert("start_s".into(), json!(s.start_s));
        extra.insert("end_s".into(), json!(s.end_s));
        emit(slice(
            SCHEDULE_PID,
            s.worker,
            g.name(id),
            if critical[i as usize] {
                "critical"
            } else {
                "module"
            },
            ts,
            end - ts,
            args(id, &mut extra),
        ));
    }
}

/// A module's event: a complete (`X`) event, or a thread-scoped instant
/// (`i`) event when it took no time. Zero-length `X` events are legal but
/// viewers mishandle them: Catapult nests one under the slice starting at
/// the same microsecond, and speedscope stretches that slice to the end of
/// the track.
fn slice(pid: u32, tid: u32, name: &str, cat: &str, ts: i64, dur: i64, args: Value) -> Value {
    if dur > 0 {
        json!({
            "ph": "X", "pid": pid, "tid": tid, "name": name, "cat": cat,
            "ts": ts, "dur": dur, "args": args,
        })
    } else {
        json!({
            "ph": "i", "s": "t", "pid": pid, "tid": tid, "name": name, "cat": cat,
            "ts": ts, "args": args,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::super::tests::graph;
    use super::*;
    use graph_gen::{GenOptions, layered};

    /// Checks what Perfetto and chrome://tracing need; returns the modules'
    /// events (`X`, or `i` for those that took no time).
    fn validate(trace: &Value) -> Vec<Value> {
        // Round trip through text.
        let text = serde_json::to_string(trace).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["displayTimeUnit"], "ms");
        let events = v["traceEvents"].as_array().unwrap();
        let mut by_track: HashMap<(u64, u64), Vec<(i64, i64)>> = HashMap::new();
        let mut xs = Vec::new();
        let mut thread_names = HashMap::new();
        for e in events {
            let ph = e["ph"].as_str().unwrap();
            let pid = e["pid"].as_u64().unwrap();
            assert!(e["name"].is_string());
            match ph {
                "X" => {
                    let ts = e["ts"].as_i64().unwrap();
                    let dur = e["dur"].as_i64().unwrap();
                    assert!(ts >= 0 && dur >= 0, "{e}");
                    let tid = e["tid"].as_u64().unwrap();
                    by_track.entry((pid, tid)).or_default().push((ts, ts + dur));
                    assert!(e["args"]["module"].is_string());
                    assert!(e["args"]["duration_s"].is_number());
                    assert!(e["args"]["slack_s"].is_number());
                    xs.push(e.clone());
                }
                "i" => {
                    assert_eq!(e["s"], "t", "{e}");
                    assert!(e["ts"].as_i64().unwrap() >= 0, "{e}");
                    assert!(e["tid"].is_u64(), "{e}");
                    assert!(e["args"]["module"].is_string());
                    xs.push(e.clone());
                }
                "M" => {
                    if e["name"] == "thread_name" {
                        thread_names.insert(
                            (pid, e["tid"].as_u64().unwrap()),
                            e["args"]["name"].as_str().unwrap().to_owned(),
                        );
                    }
                }
                other => panic!("unexpected phase {other}"),
            }
        }
        for (track, mut iv) in by_track {
            assert!(thread_names.contains_key(&track), "unnamed track {track:?}");
            iv.sort();
            for w in iv.windows(2) {
                assert!(w[0].1 <= w[1].0, "overlap on {track:?}: {w:?}");
            }
        }
        xs
    }

    #[test]
    fn trace_round_trips_and_is_well_formed() {
        let g = layered(&GenOptions {
            modules: 500,
            avg_deps: 4.0,
            seed: 11,
        })
        .build()
        .unwrap();
        let p = g.critical_path();
        let s = g.schedule(6);
        let t = Timeline {
            graph: &g,
            cpm: Box::leak(Box::new(g.cpm())),
            path: &p,
            slots: &s.slots,
            lanes: 6,
            title: "t".into(),
            schedule_label: "simulated, 6 jobs".into(),
        };
        let trace = chrome_trace(&t);
        let xs = validate(&trace);
        // The streamed document is the same.
        let mut streamed = Vec::new();
        write_chrome_trace(&t, &mut streamed).unwrap();
        let streamed: Value = serde_json::from_slice(&streamed).unwrap();
        let reparsed: Value = serde_json::from_str(&trace.to_string()).unwrap();
        assert!(streamed == reparsed, "streamed and in-memory traces differ");
        let sched: Vec<_> = xs.iter().filter(|e| e["pid"] == 1).collect();
        let path: Vec<_> = xs.iter().filter(|e| e["pid"] == 2).collect();
        assert_eq!(sched.len(), g.len());
        assert_eq!(path.len(), p.steps.len());
        // Path on its own track adds up to the critical path length.
        let total: i64 = path.iter().map(|e| e["dur"].as_i64().unwrap_or(0)).sum();
        assert!((total as f64 / 1e6 - p.length_s).abs() < 1e-3 * p.steps.len() as f64);
        // Every module once in the schedule.
        let mut names: Vec<&str> = sched.iter().map(|e| e["name"].as_str().unwrap()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), g.len());
        assert!(
            sched
                .iter()
                .filter(|e| e["cat"] == "critical")
                .all(|e| e["args"]["slack_s"] == 0.0)
        );
    }

    #[test]
    fn a_module_that_took_no_time_is_an_instant_at_its_start() {
        // Cargo reports some build-script runs as 0.00 s, starting at the
        // same moment as the next unit on the same job.
        let g = graph(&[("a", 2.0, &[]), ("b", 1.0, &["a"]), ("z", 0.0, &["a"])]);
        let p = g.critical_path();
        let slot = |start_s, end_s| depgraph::Slot {
            start_s,
            end_s,
            worker: 0,
        };
        // b has the lower id: only the tie-break on the end puts z first.
        let slots = [slot(0.0, 2.0), slot(2.0, 3.0), slot(2.0, 2.0)];
        let t = Timeline {
            graph: &g,
            cpm: Box::leak(Box::new(g.cpm())),
            path: &p,
            slots: &slots,
            lanes: 1,
            title: "t".into(),
            schedule_label: "observed".into(),
        };
        let events = validate(&chrome_trace(&t));
        let sched: Vec<&Value> = events.iter().filter(|e| e["pid"] == 1).collect();
        let by_name = |n: &str| *sched.iter().find(|e| e["name"] == n).unwrap();
        assert_eq!(by_name("z")["ph"], "i");
        assert_eq!(by_name("z")["ts"], 2_000_000);
        assert_eq!(by_name("b")["ph"], "X");
        assert_eq!(by_name("b")["ts"], 2_000_000);
        assert_eq!(by_name("b")["dur"], 1_000_000);
        assert!(sched.iter().all(|e| e["dur"] != 0));
    }

    #[test]
    fn snapshot_of_a_small_trace() {
        let g = graph(&[
            ("core", 2.0, &[]),
            ("util", 1.5, &["core"]),
            ("net", 4.0, &["core"]),
            ("app", 3.25, &["net", "util"]),
        ]);
        let p = g.critical_path();
        let s = g.schedule(2);
        let t = Timeline {
            graph: &g,
            cpm: Box::leak(Box::new(g.cpm())),
            path: &p,
            slots: &s.slots,
            lanes: 2,
            title: "small".into(),
            schedule_label: "simulated, 2 jobs".into(),
        };
        let trace = chrome_trace(&t);
        validate(&trace);
        insta::with_settings!({prepend_module_to_snapshot => false}, {
            insta::assert_json_snapshot!("small_trace", trace);
        });
    }

    #[test]
    fn sub_microsecond_overlaps_are_clamped() {
        let g = graph(&[("a", 1.0, &[]), ("b", 1.0, &[])]);
        let p = g.critical_path();
        let slots = [
            depgraph::Slot {
                start_s: 0.0,
                end_s: 1.000_001_6,
                worker: 0,
            },
            depgraph::Slot {
                start_s: 1.000_001_2,
                end_s: 2.0,
                worker: 0,
            },
        ];
        let t = Timeline {
            graph: &g,
            cpm: Box::leak(Box::new(g.cpm())),
            path: &p,
            slots: &slots,
            lanes: 1,
            title: String::new(),
            schedule_label: "observed".into(),
        };
        validate(&chrome_trace(&t));
    }
}
