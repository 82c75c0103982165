//! Progress as plain lines, for logs and pipes: one line per finished sample turn.

use super::{Event, Reporter};
use std::io::Write;

/// Writes a line per event that matters.
pub struct Lines<W: Write + Send> {
    out: W,
    total: usize,
    finished: usize,
}

impl Lines<std::io::Stderr> {
    /// On standard error.
    pub fn stderr() -> Self {
        Lines::new(std::io::stderr())
    }
}

impl<W: Write + Send> Lines<W> {
    /// Into `out`.
    pub fn new(out: W) -> Self {
        Lines {
            out,
            total: 0,
            finished: 0,
        }
    }
}

impl<W: Write + Send> Reporter for Lines<W> {
    fn report(&mut self, event: &Event) {
        let line = match event {
            Event::RunStarted {
                run_id,
                tasks,
                samples,
                done,
                jobs,
                ..
            } => {
                self.total = *samples;
                self.finished = *done;
                format!(
                    "run {run_id}: {tasks} tasks, {samples} samples ({done} already done), {jobs} jobs"
                )
            }
            Event::Notice { task, message } => match task {
                Some(t) => format!("{t}: {message}"),
                None => message.clone(),
            },
            Event::SampleFinished(s) => {
                if s.final_turn {
                    self.finished += 1;
                }
                let speed = s.speedup.map(|x| format!(" {x:.2}x")).unwrap_or_default();
                let why = match (&s.detail, s.outcome) {
                    (Some(d), o) if o != crate::outcome::Outcome::Correct => format!(": {d}"),
                    _ => String::new(),
                };
                format!(
                    "[{}/{}] {} #{} turn {}: {}{speed} ({:.1} s){why}",
                    self.finished, self.total, s.task, s.sample, s.turn, s.outcome, s.seconds
                )
            }
            Event::TaskFinished { .. } | Event::RunFinished(_) => return,
        };
        let _ = writeln!(self.out, "{line}");
    }
}
