//! Algorithms over a [`ModuleGraph`]: critical path (CPM), slack, potential
//! improvement, K longest paths, list scheduling with N workers, what-if
//! changes, reverse-dependency closure, and the observed critical chain of a
//! real build.
//!
//! Edges carry a [`DepKind`]: over a [`DepKind::Full`] edge a dependent may
//! start when its dependency finishes, over a [`DepKind::Metadata`] edge when
//! the dependency's metadata is ready ([`crate::Module::ready_after`]). Every
//! algorithm here honours that, so Cargo's pipelining is modelled throughout.

use crate::graph::{DepKind, ModuleGraph, ModuleId};

/// Critical path method figures for every module, indexed by [`ModuleId`].
#[derive(Clone, Debug, PartialEq)]
pub struct Cpm {
    /// Earliest time the module can start: when all its dependencies are ready.
    pub earliest_start: Vec<f64>,
    /// Latest time it can start without lengthening the critical path.
    pub latest_start: Vec<f64>,
    /// Longest time from this module's start to the end of the build along
    /// its dependents (its own duration included).
    pub tail: Vec<f64>,
    /// Length of the critical path: the shortest possible build time with
    /// unlimited workers.
    pub length_s: f64,
}

impl Cpm {
    /// Total slack: how much the module can slip without delaying the build.
    pub fn slack(&self, id: ModuleId) -> f64 {
        (self.latest_start[id.index()] - self.earliest_start[id.index()]).max(0.0)
    }
}

/// One module on a path.
#[derive(Clone, Debug, PartialEq)]
pub struct PathStep {
    /// The module, an id of the graph the path was found in.
    pub module: ModuleId,
    /// Earliest start of the module, in seconds from the build start.
    pub start_s: f64,
    /// The time this step holds the path: the module's duration, or its
    /// metadata time when the next step waits only for its metadata.
    pub span_s: f64,
    /// How the next step depends on this one; `None` on the last step.
    pub next_kind: Option<DepKind>,
}

/// A chain of modules, each depending on the one before it.
#[derive(Clone, Debug, PartialEq)]
pub struct CriticalPath {
    /// Time from the first module's start to the last module's end.
    pub length_s: f64,
    /// Dependencies first.
    pub steps: Vec<PathStep>,
}

/// Where and when one module runs in a simulated schedule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Slot {
    /// When the module starts, in seconds from the build start.
    pub start_s: f64,
    /// When it finishes: `start_s` plus its duration.
    pub end_s: f64,
    /// Worker that runs it, `0..workers`.
    pub worker: u32,
}

/// A list schedule with N workers.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    /// Workers simulated: the number asked for, at least 1.
    pub workers: usize,
    /// Simulated build time in seconds: the latest end of any module (0 for
    /// an empty graph).
    pub makespan_s: f64,
    /// Indexed by [`ModuleId`].
    pub slots: Vec<Slot>,
}

/// One what-if change.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// Set the duration to this many seconds.
    Set {
        /// The module, an id of the graph being changed.
        module: ModuleId,
        /// The new duration, finite and `>= 0`.
        seconds: f64,
    },
    /// Multiply the duration by this factor.
    Scale {
        /// The module, an id of the graph being changed.
        module: ModuleId,
        /// Finite and `>= 0`: 0.5 halves the duration, 2 doubles it.
        factor: f64,
    },
    /// Split into N equal parts that build in parallel, each with the
    /// original's dependencies; its dependents depend on every part.
    Split {
        /// The module, an id of the graph being changed.
        module: ModuleId,
        /// N, the number of parts; 0 counts as 1.
        parts: u32,
    },
}

/// The outcome of what-if changes.
#[derive(Clone, Debug)]
pub struct WhatIf {
    /// The changed graph (split parts are new modules named `NAME#1/N` ...).
    pub graph: ModuleGraph,
    /// Critical path of the original graph (ids of the original graph).
    pub before: CriticalPath,
    /// Critical path of the changed graph (ids of `graph`).
    pub after: CriticalPath,
    /// `before.length_s - after.length_s`.
    pub saved_s: f64,
}

/// One link of the observed critical chain of a real build.
#[derive(Clone, Debug, PartialEq)]
pub struct ObservedStep {
    /// The module at this link.
    pub module: ModuleId,
    /// Its observed start ([`crate::Module::observed_start_s`]), in seconds
    /// from the build start.
    pub start_s: f64,
    /// Its observed start plus its duration.
    pub end_s: f64,
    /// Time between the moment the previous link made this module ready and
    /// this module's actual start (queueing for a free job slot, etc.); for
    /// the first link, its start time.
    pub wait_s: f64,
}

/// The chain of last-finishing dependencies behind the module that finished
/// last, in a build with observed start times.
#[derive(Clone, Debug, PartialEq)]
pub struct ObservedChain {
    /// Dependencies first.
    pub steps: Vec<ObservedStep>,
    /// Observed wall time: last end minus first start.
    pub wall_s: f64,
}

mod closure;
mod cpm;
mod improve;
mod observed;
mod paths;
mod schedule;
mod what_if;
