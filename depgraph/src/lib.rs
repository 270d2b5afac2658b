//! The dependency-graph core shared by the toolkit's tools.
//!
//! - [`graph`]: the validated module graph ([`ModuleGraph`], [`GraphBuilder`]).
//! - [`analysis`]: critical path, slack, scheduling, what-if.
//! - [`input`]: readers for native JSON, DOT plus times, Cargo timings and Ninja logs.
//! - [`paths`]: which module a file belongs to.

#![warn(missing_docs, unreachable_pub)]

pub mod analysis;
pub mod graph;
pub mod input;
pub mod paths;

pub use analysis::{Change, Cpm, CriticalPath, ObservedChain, PathStep, Schedule, Slot, WhatIf};
pub use graph::{Adjacent, Dep, DepKind, GraphBuilder, GraphError, Module, ModuleGraph, ModuleId};
