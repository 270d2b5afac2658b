//! critical-path's integration tests, one binary (as nextest and jj keep
//! them): the real binary on the fixtures, and the TUI in a real terminal.

mod cli;
mod tui;
