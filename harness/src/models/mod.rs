//! Where answers come from. Only `replay:DIR` exists so far: answers read from a folder.

mod replay;

pub use replay::Replay;

use kbench_tasks::Task;
use thiserror::Error;

/// Errors of answer providers.
#[derive(Debug, Error)]
pub enum ModelError {
    /// The `--model` value is not understood.
    #[error("unknown model `{0}`: use `replay:DIR` (answers read from DIR/<category>/<name>.md)")]
    UnknownProvider(String),
    /// The replay folder does not exist.
    #[error("replay folder `{0}` does not exist")]
    MissingFolder(String),
    /// An answer file could not be read.
    #[error("cannot read answer `{path}`: {source}")]
    Read {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// One answer of a model.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The prompt that produced it, when one was sent.
    pub prompt: Option<String>,
    /// The full answer text.
    pub text: String,
}

/// A source of answers.
pub trait Model: Send + Sync {
    /// The spec it was built from, as stored with the run.
    fn spec(&self) -> String;
    /// The answer for `sample` of `task`; `None` when there is none.
    fn answer(&self, task: &Task, sample: usize) -> Result<Option<Answer>, ModelError>;
}

/// Builds a model from its `--model` spec.
pub fn from_spec(spec: &str) -> Result<Box<dyn Model>, ModelError> {
    match spec.split_once(':') {
        Some(("replay", dir)) => Ok(Box::new(Replay::new(dir)?)),
        _ => Err(ModelError::UnknownProvider(spec.to_string())),
    }
}
