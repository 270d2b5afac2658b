//! PLACEHOLDER: the Maven recogniser is being written. It recognises nothing yet.

use super::{Context, Recognizer};
use crate::warning::Found;

#[derive(Debug, Default)]
pub struct Maven;

impl Recognizer for Maven {
    fn triggers(&self) -> &'static [&'static str] {
        &[]
    }

    fn line(&mut self, _line: &str, _lineno: usize, _ctx: &mut Context, _out: &mut Vec<Found>) {}
}
