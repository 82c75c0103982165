//! `--format json`: one JSON object per event.

use super::{Event, Reporter};
use std::io::Write;

/// Writes each event as one line of JSON.
pub struct JsonLines<W: Write + Send> {
    out: W,
}

impl JsonLines<std::io::Stdout> {
    /// On standard output.
    pub fn stdout() -> Self {
        JsonLines {
            out: std::io::stdout(),
        }
    }
}

impl<W: Write + Send> JsonLines<W> {
    /// Into `out`.
    pub fn new(out: W) -> Self {
        JsonLines { out }
    }
}

impl<W: Write + Send> Reporter for JsonLines<W> {
    fn report(&mut self, event: &Event) {
        if let Ok(line) = serde_json::to_string(event) {
            let _ = writeln!(self.out, "{line}");
            let _ = self.out.flush();
        }
    }
}
