//! `replay:DIR`: answers read from files, for offline runs and tests.
//!
//! Sample `k` of task `<category>/<name>` is `DIR/<category>/<name>.<k>.md` when that
//! file exists, else `DIR/<category>/<name>.md`, else the bare source
//! `DIR/<category>/<name>.cpp`; without any there is no answer.

use super::{Answer, AnswerRequest, Model, ModelError};
use std::path::PathBuf;

/// The bundled reference solutions, found relative to the working directory or, when
/// run elsewhere, where this binary was built from.
pub const BUNDLED: &str = "solutions/cpu";

/// The cpu exemplar solutions, found like [`BUNDLED`].
pub const EXEMPLARS: &str = "prompts/cpu/exemplars";

/// Answers from a folder.
#[derive(Debug, Clone)]
pub struct Replay {
    dir: PathBuf,
}

impl Replay {
    /// Opens `dir`; the bundled folder is also looked up beside the source tree.
    pub fn new(dir: &str) -> Result<Self, ModelError> {
        let direct = PathBuf::from(dir);
        let beside_source = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(dir);
        let found = if direct.is_dir() {
            direct
        } else if (dir == BUNDLED || dir == EXEMPLARS) && beside_source.is_dir() {
            beside_source
        } else {
            return Err(ModelError::MissingFolder(dir.to_string()));
        };
        Ok(Replay { dir: found })
    }
}

impl Model for Replay {
    fn answer(&self, request: &AnswerRequest) -> Result<Option<Answer>, ModelError> {
        let (task, sample) = (request.task, request.sample);
        let base = self.dir.join(task.category.as_str());
        for file in [
            format!("{}.{sample}.md", task.name),
            format!("{}.md", task.name),
            format!("{}.cpp", task.name),
        ] {
            let path = base.join(&file);
            if path.is_file() {
                let text = std::fs::read_to_string(&path).map_err(|source| ModelError::Read {
                    path: path.display().to_string(),
                    source,
                })?;
                return Ok(Some(Answer {
                    text,
                    ..Answer::default()
                }));
            }
        }
        Ok(None)
    }
}
