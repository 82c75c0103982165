//! Errors of the task registry.

use thiserror::Error;

/// Everything that can go wrong while looking up a task, generating its tensors,
/// running its reference or exporting it.
#[derive(Debug, Error)]
pub enum TaskError {
    /// No task has this identifier.
    #[error("unknown task `{id}`: run `kbench tasks list` to see the registered tasks")]
    UnknownTask {
        /// The identifier that was asked for.
        id: String,
    },
    /// A tensor was not of the dtype an operation needs.
    #[error("tensor `{name}` has dtype {found}, expected {expected}")]
    DType {
        /// Which tensor.
        name: String,
        /// Its dtype.
        found: &'static str,
        /// The dtype that was needed.
        expected: &'static str,
    },
    /// A tensor had the wrong rank or shape for an operation.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// A reference was called with the wrong number of tensors.
    #[error("task `{task}` takes {expected} tensors (inputs then parameters), got {found}")]
    Arity {
        /// The task.
        task: String,
        /// How many it takes.
        expected: usize,
        /// How many it got.
        found: usize,
    },
    /// A task's declaration (`tasks/<category>/<name>.toml`) is invalid.
    #[error("declaration of `{task}`: {message}")]
    Declaration {
        /// The task.
        task: String,
        /// What is wrong.
        message: String,
    },
    /// A reference function's declared argument is missing or of the wrong kind.
    #[error("reference argument: {0}")]
    Argument(String),
    /// The tensor library refused an operation.
    #[error("tensor library: {0}")]
    Backend(String),
    /// Writing an export failed.
    #[error("cannot write `{path}`")]
    Io {
        /// The file or folder.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// Result alias of this crate.
pub type Result<T, E = TaskError> = std::result::Result<T, E>;
