//! PLACEHOLDER: the Python recogniser is being written. It recognises nothing yet.

use super::{Context, Recognizer};
use crate::warning::Found;

#[derive(Debug, Default)]
pub struct Python;

impl Recognizer for Python {
    fn triggers(&self) -> &'static [&'static str] {
        &[]
    }

    fn line(&mut self, _line: &str, _lineno: usize, _ctx: &mut Context, _out: &mut Vec<Found>) {}
}
