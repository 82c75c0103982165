//! Every registered task and exemplar, resolved for a size profile.
//!
//! A task is declared as data: `tasks/<category>/<name>.toml` beside its PyTorch source
//! `<name>.py` ([`crate::declare`]); its reference function is named there and lives in
//! [`crate::references`]. The declarations are embedded at build time and checked by the
//! crate's tests, so resolving them cannot fail at run time in a released build.

use crate::declare::{
    self, Declared, DeclaredFiles, EXEMPLAR_FILES, SizeProfile, TASK_FILES, parse_all,
};
use crate::error::{Result, TaskError};
use crate::spec::{Category, Task};
use std::sync::OnceLock;

/// The declarations of the benchmark tasks, or the first invalid one's error.
pub fn task_declarations() -> Result<&'static [Declared]> {
    declarations(&TASK_FILES_PARSED, TASK_FILES)
}

/// The declarations of the exemplars, or the first invalid one's error.
pub fn exemplar_declarations() -> Result<&'static [Declared]> {
    declarations(&EXEMPLAR_FILES_PARSED, EXEMPLAR_FILES)
}

static TASK_FILES_PARSED: OnceLock<std::result::Result<Vec<Declared>, String>> = OnceLock::new();
static EXEMPLAR_FILES_PARSED: OnceLock<std::result::Result<Vec<Declared>, String>> =
    OnceLock::new();

fn declarations(
    cell: &'static OnceLock<std::result::Result<Vec<Declared>, String>>,
    files: &'static [DeclaredFiles],
) -> Result<&'static [Declared]> {
    match cell.get_or_init(|| parse_all(files).map_err(|e| e.to_string())) {
        Ok(d) => Ok(d),
        Err(message) => Err(TaskError::Declaration {
            task: "registry".into(),
            message: message.clone(),
        }),
    }
}

/// Resolves every declaration of `declared` at `profile`, sorted by identifier.
pub fn resolve_all(declared: &'static [Declared], profile: SizeProfile) -> Result<Vec<Task>> {
    let mut tasks = declared
        .iter()
        .map(|d| declare::resolve(d, profile))
        .collect::<Result<Vec<_>>>()?;
    tasks.sort_by_key(Task::id);
    Ok(tasks)
}

type Resolved = OnceLock<Vec<Task>>;
static TASKS: [Resolved; 2] = [OnceLock::new(), OnceLock::new()];
static EXEMPLARS: [Resolved; 2] = [OnceLock::new(), OnceLock::new()];

fn slot(profile: SizeProfile) -> usize {
    match profile {
        SizeProfile::Paper => 0,
        SizeProfile::Current => 1,
    }
}

/// Resolves `declared` at `profile` once per process. The embedded declarations are
/// checked by this crate's tests (`tests/declarations.rs`), so an error here is a build
/// that skipped them; it stops with the declaration's message.
fn resolved(
    cell: &'static [Resolved; 2],
    declared: fn() -> Result<&'static [Declared]>,
    profile: SizeProfile,
) -> &'static [Task] {
    cell[slot(profile)].get_or_init(|| match declared().and_then(|d| resolve_all(d, profile)) {
        Ok(tasks) => tasks,
        Err(e) => panic!("an embedded task declaration is invalid: {e}"),
    })
}

/// All benchmark tasks at the `paper` sizes, sorted by identifier.
pub fn all() -> &'static [Task] {
    all_in(SizeProfile::Paper)
}

/// All benchmark tasks at `profile`'s sizes, sorted by identifier.
pub fn all_in(profile: SizeProfile) -> &'static [Task] {
    resolved(&TASKS, task_declarations, profile)
}

/// The one-shot exemplars (none of them a benchmark task) at the `paper` sizes: one per
/// category, plus the elementwise-add exemplar.
pub fn exemplars() -> &'static [Task] {
    exemplars_in(SizeProfile::Paper)
}

/// The exemplars at `profile`'s sizes.
pub fn exemplars_in(profile: SizeProfile) -> &'static [Task] {
    resolved(&EXEMPLARS, exemplar_declarations, profile)
}

/// The exemplar of `category`.
pub fn exemplar(category: Category) -> Option<&'static Task> {
    exemplars().iter().find(|t| t.category == category)
}

/// The elementwise-add exemplar of the paper's `add-shot` strategy.
pub fn add_exemplar() -> Option<&'static Task> {
    exemplars().iter().find(|t| t.name == "elementwise_add")
}

/// A benchmark task or, with the `exemplar:` prefix, an exemplar, at the `paper` sizes.
pub fn find_any(id: &str) -> Result<&'static Task> {
    find_any_in(id, SizeProfile::Paper)
}

/// A benchmark task or, with the `exemplar:` prefix, an exemplar, at `profile`'s sizes.
pub fn find_any_in(id: &str, profile: SizeProfile) -> Result<&'static Task> {
    match id.strip_prefix("exemplar:") {
        Some(rest) => exemplars_in(profile)
            .iter()
            .find(|t| t.id() == rest)
            .ok_or_else(|| TaskError::UnknownTask { id: id.to_string() }),
        None => find_in(id, profile),
    }
}

/// The identifier [`find_any`] finds `task` by: its id, prefixed with `exemplar:` for
/// an exemplar.
pub fn key_of(task: &Task) -> String {
    if exemplars_in(task.profile)
        .iter()
        .any(|e| std::ptr::eq(e, task))
    {
        format!("exemplar:{}", task.id())
    } else {
        task.id()
    }
}

/// The task with identifier `id` (`<category>/<name>`) at the `paper` sizes.
pub fn find(id: &str) -> Result<&'static Task> {
    find_in(id, SizeProfile::Paper)
}

/// The task with identifier `id` at `profile`'s sizes.
pub fn find_in(id: &str, profile: SizeProfile) -> Result<&'static Task> {
    all_in(profile)
        .iter()
        .find(|t| t.id() == id)
        .ok_or_else(|| TaskError::UnknownTask { id: id.to_string() })
}
