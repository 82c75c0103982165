//! `kbench report`: leaderboards from the store, as files a person can open or publish.
//!
//! [`load`] reads the selected runs; [`groups`] puts side by side only runs with the same
//! backend, size profile and task set; [`view`] computes what every page shows (the
//! metrics of [`leaderboard`]); [`markdown`], [`export`] and [`html`] write `report.md`,
//! `results.csv` / `results.json`, and `index.html` with one page per run and task.

pub mod export;
pub mod groups;
pub mod html;
pub mod leaderboard;
pub mod markdown;
mod svg;
pub mod view;

use crate::store::{ReportRunRow, ReportSampleRow, RunTaskRow, Store, StoreError};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Errors of the report.
#[derive(Debug, Error)]
pub enum ReportError {
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A requested run is not in the store.
    #[error("no run {0} in the database; `kbench runs` lists them")]
    NoSuchRun(i64),
    /// The store holds no run at all.
    #[error("the database holds no run yet; `kbench evaluate` makes one")]
    NoRuns,
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A page template failed.
    #[error("page template: {0}")]
    Template(#[from] minijinja::Error),
    /// JSON could not be written.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// CSV could not be written.
    #[error("csv: {0}")]
    Csv(#[from] csv::Error),
}

/// Which runs a report covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every stored run.
    All,
    /// These runs, in this order (a repeated id counts once).
    Runs(Vec<i64>),
}

/// One run with everything the report shows of it.
#[derive(Debug, Clone)]
pub struct RunData {
    /// The run's settings.
    pub run: ReportRunRow,
    /// Its task set: task id to definition hash.
    pub tasks: BTreeMap<String, String>,
    /// Its task set with costs and baseline medians.
    pub task_rows: Vec<RunTaskRow>,
    /// Every sample turn.
    pub samples: Vec<ReportSampleRow>,
}

impl RunData {
    /// Whether the run is still in progress (or was cut off before it finished).
    pub fn in_progress(&self) -> bool {
        self.run.finished_at.is_none()
    }
}

/// The selected runs' settings, in selection order (a repeated id counts once).
pub async fn choose_runs(
    store: &Store,
    selection: &Selection,
) -> Result<Vec<ReportRunRow>, ReportError> {
    let all = store.report_runs().await?;
    if all.is_empty() {
        return Err(ReportError::NoRuns);
    }
    match selection {
        Selection::All => Ok(all),
        Selection::Runs(ids) => ids
            .iter()
            .enumerate()
            .filter(|(i, id)| !ids[..*i].contains(id))
            .map(|(_, id)| {
                all.iter()
                    .find(|r| r.id == *id)
                    .cloned()
                    .ok_or(ReportError::NoSuchRun(*id))
            })
            .collect(),
    }
}

/// Reads the selected runs from the store.
pub async fn load(store: &Store, selection: &Selection) -> Result<Vec<RunData>, ReportError> {
    let chosen = choose_runs(store, selection).await?;
    let mut runs = Vec::with_capacity(chosen.len());
    for run in chosen {
        let task_rows = store.run_tasks(run.id).await?;
        let tasks = task_rows
            .iter()
            .map(|t| (t.task_id.clone(), t.definition_hash.clone()))
            .collect();
        let samples = store.report_samples(run.id).await?;
        runs.push(RunData {
            run,
            tasks,
            task_rows,
            samples,
        });
    }
    Ok(runs)
}

/// What a report wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    /// The files, `index.html` first.
    pub files: Vec<PathBuf>,
    /// Groups of comparable runs.
    pub groups: usize,
    /// Bytes of `index.html`.
    pub index_bytes: u64,
}

/// Writes the report of `runs` into `out` (created if needed).
pub async fn write(store: &Store, runs: &[RunData], out: &Path) -> Result<Written, ReportError> {
    create_dir(out)?;
    let groups = groups::group(runs);
    let views = view::build(runs, &groups);
    let index = out.join("index.html");
    write_file(&index, html::index(&views)?.as_bytes())?;
    let mut files = vec![index.clone()];
    files.extend(html::sample_pages(store, runs, out).await?);
    let md = out.join("report.md");
    write_file(&md, markdown::render(&views).as_bytes())?;
    let csv_path = out.join("results.csv");
    write_file(&csv_path, &export::csv(runs)?)?;
    let json_path = out.join("results.json");
    write_file(&json_path, &export::json(runs)?)?;
    files.extend([md, csv_path, json_path]);
    let index_bytes = std::fs::metadata(&index)
        .map_err(|source| ReportError::Io {
            path: index.clone(),
            source,
        })?
        .len();
    Ok(Written {
        files,
        groups: groups.len(),
        index_bytes,
    })
}

/// Creates a folder and its parents.
fn create_dir(dir: &Path) -> Result<(), ReportError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportError::Io {
        path: dir.to_path_buf(),
        source,
    })
}

/// Writes a whole file.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    std::fs::write(path, bytes).map_err(|source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// The file name of a task's page: the id with `/` as `~` and every other byte outside
/// `[A-Za-z0-9._-]` (and a leading `.`) percent-encoded as `%XX`, so that no two ids
/// share a page and no id names a file outside the run's folder.
pub fn task_slug(task_id: &str) -> String {
    let mut slug = String::with_capacity(task_id.len());
    for b in task_id.bytes() {
        match b {
            b'/' => slug.push('~'),
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => slug.push(b as char),
            _ => slug.push_str(&format!("%{b:02X}")),
        }
    }
    if slug.starts_with('.') {
        slug.replace_range(0..1, "%2E");
    }
    slug
}

/// The link to a task's page from `index.html` (its `%` encoded once more, as a browser
/// decodes a link once).
pub fn task_link(run: i64, task_id: &str) -> String {
    format!(
        "samples/run-{run}/{}.html",
        task_slug(task_id).replace('%', "%25")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_pages_stay_in_their_folder_and_never_share_a_name() {
        assert_eq!(task_slug("activation/relu"), "activation~relu");
        let ids = [
            "a/b", "a__b", "a~b", "a%7Eb", "a b", "a:b", "../../x", ".hidden", "a\\b",
        ];
        let slugs: Vec<String> = ids.iter().map(|i| task_slug(i)).collect();
        for (i, s) in slugs.iter().enumerate() {
            assert!(
                !s.contains('/') && !s.contains('\\') && !s.starts_with('.'),
                "{s}"
            );
            assert!(
                !slugs[..i].contains(s),
                "{} and another id share {s}",
                ids[i]
            );
        }
        assert_eq!(task_link(3, "a b"), "samples/run-3/a%2520b.html");
    }
}
