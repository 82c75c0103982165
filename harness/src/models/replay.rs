//! `replay:DIR`: answers read from files, for offline runs and tests.
//!
//! Sample `k` of task `<category>/<name>` is `DIR/<category>/<name>.<k>.md` when that
//! file exists, else `DIR/<category>/<name>.md`, else a bare source
//! `DIR/<category>/<name>.<extension>` (the first in name order); without any there is
//! no answer.

use super::{Answer, AnswerRequest, Model, ModelError};
use std::path::{Path, PathBuf};

/// The folders shipped with kbench (`solutions/<backend>`, `prompts/<backend>/exemplars`)
/// are also found, when absent from the working directory, where this binary was built
/// from.
const SHIPPED: [&str; 2] = ["solutions/", "prompts/"];

/// The bundled answers of a backend: its reference solutions, or its exemplar solutions.
pub fn bundled(backend: &str, exemplars: bool) -> String {
    if exemplars {
        format!("replay:prompts/{backend}/exemplars")
    } else {
        format!("replay:solutions/{backend}")
    }
}

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
        } else if SHIPPED.iter().any(|p| dir.starts_with(p)) && beside_source.is_dir() {
            beside_source
        } else {
            return Err(ModelError::MissingFolder(dir.to_string()));
        };
        Ok(Replay { dir: found })
    }
}

/// The first file `<name>.<extension>` in `dir`, by name, that is not an answer (`.md`).
fn bare_source(dir: &Path, name: &str) -> Option<PathBuf> {
    let prefix = format!("{name}.");
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix(&prefix))
                .is_some_and(|ext| !ext.contains('.') && ext != "md")
        })
        .collect();
    found.sort();
    found.into_iter().next()
}

impl Model for Replay {
    fn concurrency(&self) -> usize {
        64
    }

    fn answer(&self, request: &AnswerRequest) -> Result<Option<Answer>, ModelError> {
        let (task, sample) = (request.task, request.sample);
        let base = self.dir.join(task.category.as_str());
        let candidates = [
            base.join(format!("{}.{sample}.md", task.name)),
            base.join(format!("{}.md", task.name)),
        ];
        let bare = bare_source(&base, task.name);
        for path in candidates.into_iter().chain(bare) {
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
