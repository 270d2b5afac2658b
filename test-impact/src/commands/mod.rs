//! One module per subcommand: its arguments and its `run`.

pub mod evaluate;
pub mod explain;
pub mod select;
pub mod shard;
