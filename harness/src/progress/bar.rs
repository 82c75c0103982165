//! Progress as a bar, on a terminal.

use super::{Event, Reporter};
use indicatif::{ProgressBar, ProgressStyle};

/// An indicatif bar over the run's samples.
pub struct Bar {
    bar: ProgressBar,
}

impl Bar {
    /// A hidden bar until the run starts.
    pub fn new() -> Self {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        Bar { bar }
    }
}

impl Default for Bar {
    fn default() -> Self {
        Bar::new()
    }
}

impl Reporter for Bar {
    fn report(&mut self, event: &Event) {
        match event {
            Event::RunStarted { samples, done, .. } => {
                self.bar.set_length(*samples as u64);
                self.bar.set_position(*done as u64);
            }
            Event::Notice { task, message } => self.bar.println(match task {
                Some(t) => format!("{t}: {message}"),
                None => message.clone(),
            }),
            Event::SampleFinished(s) => {
                if s.final_turn {
                    self.bar.inc(1);
                }
                self.bar
                    .set_message(format!("{} #{}: {}", s.task, s.sample, s.outcome));
            }
            Event::TaskFinished { .. } => {}
            Event::RunFinished(_) => self.bar.finish_and_clear(),
        }
    }
}
