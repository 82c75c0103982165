//! `kbench curate`: a ConCuR-style training set from stored runs.
//!
//! [`plan`] reads every sample turn's numbers (texts left in the store), runs the
//! [`filters`] (each rejection keeps its reason), drops duplicate code ([`normalize`]),
//! applies the selection rules of [`select`], buckets tasks by [`difficulty`], then
//! streams the texts once to write `train.jsonl`, `train_prompt_completion.jsonl` and
//! `rejects.jsonl` ([`records`]) and the dataset card ([`card`]). Nothing depends on
//! time or hash order: the same store and options give the same bytes.

pub mod card;
pub mod difficulty;
pub mod filters;
pub mod holdout;
pub mod normalize;
pub mod records;
pub mod select;

use crate::report::{self, ReportError, Selection};
use crate::store::{CurateSampleRow, CurateTextRow, ReportRunRow, Store, StoreError};
use difficulty::{Difficulties, DifficultyMode};
use filters::Reason;
use holdout::Holdout;
use records::{ChatRecord, Message, Meta, PromptCompletionRecord, RejectRecord};
use select::{Eligible, Rule};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Errors of curation.
#[derive(Debug, Error)]
pub enum CurateError {
    /// The runs could not be chosen.
    #[error(transparent)]
    Runs(#[from] ReportError),
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The hold-out file could not be read.
    #[error("cannot read the hold-out file {path}: {source}")]
    HoldoutRead {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The hold-out file names tasks that do not exist.
    #[error("hold-out file {path}: {detail} (`kbench tasks list` lists the task ids)")]
    HoldoutEntries {
        /// The file.
        path: PathBuf,
        /// The bad lines.
        detail: String,
    },
    /// An option is out of range.
    #[error("{0}")]
    Option(String),
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A record could not be encoded.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
}

/// What to keep and how.
#[derive(Debug, Clone, PartialEq)]
pub struct CurateOptions {
    /// The selection rules to apply.
    pub rules: Vec<Rule>,
    /// Rule B keeps correct samples with a speedup strictly above this.
    pub speedup_b: f64,
    /// Samples whose timed calls' standard deviation over mean exceeds this are unstable.
    pub max_spread: f64,
    /// A file of held-out tasks.
    pub holdout: Option<PathBuf>,
    /// How tasks are bucketed by difficulty.
    pub difficulty: DifficultyMode,
}

impl Default for CurateOptions {
    fn default() -> Self {
        CurateOptions {
            rules: vec![Rule::A, Rule::B, Rule::C],
            speedup_b: 5.0,
            max_spread: DEFAULT_MAX_SPREAD,
            holdout: None,
            difficulty: DifficultyMode::Buckets,
        }
    }
}

/// The default limit on the timed calls' standard deviation over their mean.
pub const DEFAULT_MAX_SPREAD: f64 = 0.5;

/// The files of a dataset, in the order they are written.
pub const FILES: [&str; 4] = [
    "train.jsonl",
    "train_prompt_completion.jsonl",
    "rejects.jsonl",
    "README.md",
];

/// One sample turn under curation.
#[derive(Debug, Clone)]
pub struct Curated {
    /// Its stored numbers.
    pub row: CurateSampleRow,
    /// Index of its run in [`Dataset::runs`].
    pub run: usize,
    /// Tokens of its trace (`None` without one).
    pub trace_tokens: Option<u64>,
    /// The count was estimated from characters.
    pub trace_estimated: bool,
    /// Why it is rejected (empty when kept).
    pub reasons: Vec<Reason>,
    /// What the reasons found.
    pub detail: String,
    /// The rule that kept it.
    pub rule: Option<Rule>,
}

impl Curated {
    /// Its task's category.
    pub fn category(&self) -> &str {
        self.row
            .sample
            .task_id
            .split('/')
            .next()
            .unwrap_or_default()
    }
}

/// Everything decided before a text is read.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The source runs, by id.
    pub runs: Vec<ReportRunRow>,
    /// Every sample turn of them, in run, task, sample and turn order.
    pub samples: Vec<Curated>,
    /// Every task's difficulty.
    pub difficulties: Difficulties,
    /// The hold-out list.
    pub holdout: Holdout,
    /// The options.
    pub options: CurateOptions,
}

impl Dataset {
    /// The kept samples.
    pub fn kept(&self) -> impl Iterator<Item = &Curated> {
        self.samples.iter().filter(|s| s.rule.is_some())
    }
}

/// Categories whose tasks chain several operators: fused chains, architectures and
/// attention layers (projections, products and a softmax); the rest are single
/// operators.
pub const MULTI_OPERATOR_CATEGORIES: [&str; 3] = ["fuse", "arch", "attention"];

/// Decides every sample's fate: filters, duplicates, rules, difficulty.
pub async fn plan(
    store: &Store,
    selection: &Selection,
    options: CurateOptions,
) -> Result<Dataset, CurateError> {
    if options.speedup_b.is_nan() || options.max_spread.is_nan() || options.max_spread < 0.0 {
        return Err(CurateError::Option(
            "--speedup-b and --max-spread take numbers (--max-spread at least 0)".into(),
        ));
    }
    let mut runs = report::choose_runs(store, selection).await?;
    runs.sort_by_key(|r| r.id);
    let mut samples = Vec::new();
    for (run, r) in runs.iter().enumerate() {
        for row in store.curate_samples(r.id).await? {
            let (trace_tokens, trace_estimated) = trace_tokens(&row);
            samples.push(Curated {
                row,
                run,
                trace_tokens,
                trace_estimated,
                reasons: Vec::new(),
                detail: String::new(),
                rule: None,
            });
        }
    }
    let holdout = read_holdout(options.holdout.as_deref(), &samples)?;
    for s in samples.iter_mut() {
        let (reasons, detail) = filters::screen(
            &s.row,
            holdout.holds(&s.row.sample.task_id),
            options.max_spread,
        );
        s.reasons = reasons;
        s.detail = detail;
    }
    mark_duplicates(store, &runs, &mut samples).await?;
    apply_rules(&runs, &mut samples, &options);
    // Held-out tasks are not part of the set: listed without traces, they are `unknown`
    // and move no bound.
    let mut lengths: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for s in &samples {
        let entry = lengths.entry(s.row.sample.task_id.clone()).or_default();
        if !s.reasons.contains(&Reason::Holdout) {
            entry.extend(s.trace_tokens);
        }
    }
    let difficulties = difficulty::classify(&lengths, options.difficulty);
    Ok(Dataset {
        runs,
        samples,
        difficulties,
        holdout,
        options,
    })
}

/// A trace's tokens: the provider's count, or characters / 4 (rounded up) where it gave
/// none; `None` without a trace.
fn trace_tokens(row: &CurateSampleRow) -> (Option<u64>, bool) {
    if row.reasoning_chars <= 0 {
        return (None, false);
    }
    match row.reasoning_tokens.filter(|&n| n > 0) {
        Some(n) => (Some(n as u64), false),
        None => (Some((row.reasoning_chars as u64).div_ceil(4)), true),
    }
}

/// Reads and checks the hold-out file against the registry and the stored task ids.
fn read_holdout(path: Option<&Path>, samples: &[Curated]) -> Result<Holdout, CurateError> {
    let Some(path) = path else {
        return Ok(Holdout::default());
    };
    let text = std::fs::read_to_string(path).map_err(|source| CurateError::HoldoutRead {
        path: path.to_path_buf(),
        source,
    })?;
    let known: BTreeSet<String> = kbench_tasks::registry::all()
        .iter()
        .map(|t| t.id())
        .chain(samples.iter().map(|s| s.row.sample.task_id.clone()))
        .collect();
    Holdout::parse(&text, &known).map_err(|detail| CurateError::HoldoutEntries {
        path: path.to_path_buf(),
        detail,
    })
}

/// Among samples that passed every filter, the same normalised code twice for one task
/// and backend keeps the shorter trace (then the earlier sample); the others are
/// duplicates.
async fn mark_duplicates(
    store: &Store,
    runs: &[ReportRunRow],
    samples: &mut [Curated],
) -> Result<(), CurateError> {
    let by_id: HashMap<i64, usize> = samples
        .iter()
        .enumerate()
        .filter(|(_, s)| s.reasons.is_empty())
        .map(|(i, s)| (s.row.id, i))
        .collect();
    let mut keys: Vec<(usize, [u8; 16])> = Vec::new();
    for r in runs {
        store
            .for_each_correct_code(r.id, |id, code| {
                if let Some(&i) = by_id.get(&id) {
                    keys.push((i, normalize::code_key(code)));
                }
            })
            .await?;
    }
    let mut groups: BTreeMap<(&str, &str, [u8; 16]), Vec<usize>> = BTreeMap::new();
    for (i, key) in keys {
        let s = &samples[i];
        let slot = (
            runs[s.run].backend.as_str(),
            s.row.sample.task_id.as_str(),
            key,
        );
        groups.entry(slot).or_default().push(i);
    }
    let mut duplicates = Vec::new();
    for members in groups.values().filter(|m| m.len() > 1) {
        let keeper = members
            .iter()
            .copied()
            .min_by_key(|&i| (samples[i].trace_tokens, i))
            .unwrap_or(members[0]);
        duplicates.extend(
            members
                .iter()
                .filter(|&&i| i != keeper)
                .map(|&i| (i, keeper)),
        );
    }
    for (dup, kept) in duplicates {
        let k = &samples[kept].row;
        let detail = format!(
            "same code as run {} sample {} turn {}",
            k.run_id, k.sample.sample_index, k.sample.turn
        );
        let s = &mut samples[dup];
        s.reasons.push(Reason::Duplicate);
        s.detail = detail;
    }
    Ok(())
}

/// Applies the selection rules to the samples that passed every filter; the others
/// that passed are `not_selected`.
fn apply_rules(runs: &[ReportRunRow], samples: &mut [Curated], options: &CurateOptions) {
    let clean: Vec<usize> = (0..samples.len())
        .filter(|&i| samples[i].reasons.is_empty())
        .collect();
    let eligible: Vec<Eligible> = clean
        .iter()
        .map(|&i| {
            let s = &samples[i];
            let run = &runs[s.run];
            Eligible {
                pool: format!(
                    "{}\u{1f}{}\u{1f}{}",
                    s.row.sample.task_id, run.backend, run.sizes
                ),
                trace_tokens: s.trace_tokens.unwrap_or_default(),
                speedup: s.row.sample.speedup.unwrap_or_default(),
                single_operator: !MULTI_OPERATOR_CATEGORIES.contains(&s.category()),
            }
        })
        .collect();
    let kept = select::select(&eligible, &options.rules, options.speedup_b);
    for (n, &i) in clean.iter().enumerate() {
        match kept.get(&n) {
            Some(&rule) => samples[i].rule = Some(rule),
            None => samples[i].reasons.push(Reason::NotSelected),
        }
    }
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The files, in [`FILES`] order.
    pub files: Vec<PathBuf>,
    /// Samples kept.
    pub kept: usize,
    /// Samples rejected.
    pub rejected: usize,
}

/// Writes the dataset's files into `out` (created if needed). Each file is written
/// under a temporary name and renamed when complete.
pub async fn write(store: &Store, data: &Dataset, out: &Path) -> Result<Written, CurateError> {
    std::fs::create_dir_all(out).map_err(|source| CurateError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    let temps: Vec<PathBuf> = FILES
        .iter()
        .map(|f| out.join(format!(".{f}.part")))
        .collect();
    let written = write_parts(store, data, out, &temps).await;
    if written.is_err() {
        for temp in &temps {
            let _ = std::fs::remove_file(temp);
        }
    }
    written
}

/// Writes every file under its temporary name in `temps`, then renames them all.
async fn write_parts(
    store: &Store,
    data: &Dataset,
    out: &Path,
    temps: &[PathBuf],
) -> Result<Written, CurateError> {
    let paths: Vec<PathBuf> = FILES.iter().map(|f| out.join(f)).collect();
    let mut writers = Writers {
        chat: open(&temps[0])?,
        prompt_completion: open(&temps[1])?,
        rejects: open(&temps[2])?,
        temps,
    };
    let by_id: HashMap<i64, usize> = data
        .samples
        .iter()
        .enumerate()
        .map(|(i, s)| (s.row.id, i))
        .collect();
    for run in &data.runs {
        store
            .for_each_text(run.id, |text| match by_id.get(&text.id) {
                Some(&i) => writers.record(data, &data.samples[i], &text),
                None => Ok(()),
            })
            .await?;
    }
    writers.finish()?;
    std::fs::write(&temps[3], card::render(data)).map_err(|source| CurateError::Io {
        path: temps[3].clone(),
        source,
    })?;
    for (temp, path) in temps.iter().zip(&paths) {
        std::fs::rename(temp, path).map_err(|source| CurateError::Io {
            path: path.clone(),
            source,
        })?;
    }
    let kept = data.kept().count();
    Ok(Written {
        files: paths,
        kept,
        rejected: data.samples.len() - kept,
    })
}

/// Creates a file for buffered writing.
fn open(path: &Path) -> Result<BufWriter<std::fs::File>, CurateError> {
    let file = std::fs::File::create(path).map_err(|source| CurateError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(BufWriter::with_capacity(1 << 20, file))
}

/// The three JSONL files being written.
struct Writers<'a> {
    chat: BufWriter<std::fs::File>,
    prompt_completion: BufWriter<std::fs::File>,
    rejects: BufWriter<std::fs::File>,
    temps: &'a [PathBuf],
}

impl Writers<'_> {
    /// Writes one sample turn where it belongs.
    fn record(
        &mut self,
        data: &Dataset,
        s: &Curated,
        text: &CurateTextRow,
    ) -> Result<(), CurateError> {
        let run = &data.runs[s.run];
        let (arl, difficulty) = data
            .difficulties
            .tasks
            .get(&s.row.sample.task_id)
            .copied()
            .unwrap_or((None, difficulty::Difficulty::Unknown));
        let meta = Meta {
            task_id: &s.row.sample.task_id,
            category: s.category(),
            backend: &run.backend,
            sizes: &run.sizes,
            model: &run.model,
            run: run.id,
            sample: s.row.sample.sample_index,
            turn: s.row.sample.turn,
            speedup: s.row.sample.speedup,
            reasoning_tokens: s.trace_tokens,
            reasoning_tokens_estimated: s.trace_estimated,
            rule: s.rule.map(Rule::as_str),
            difficulty: difficulty.as_str(),
            task_arl: arl,
        };
        let answer = text.answer.as_deref();
        let completion = answer.map(|a| records::completion(text.reasoning.as_deref(), a));
        if s.rule.is_some() {
            let prompt = text.prompt.as_deref().unwrap_or_default();
            let completion = completion.as_deref().unwrap_or_default();
            let chat = ChatRecord {
                messages: [
                    Message {
                        role: "user",
                        content: prompt,
                    },
                    Message {
                        role: "assistant",
                        content: completion,
                    },
                ],
                meta: &meta,
            };
            line(&mut self.chat, &chat, &self.temps[0])?;
            let pc = PromptCompletionRecord {
                prompt,
                completion,
                meta: &meta,
            };
            line(&mut self.prompt_completion, &pc, &self.temps[1])?;
        } else {
            let held_out = s.reasons.contains(&Reason::Holdout);
            let reject = RejectRecord {
                reason: s.reasons.first().map_or("", |r| r.as_str()),
                reasons: s.reasons.iter().map(|r| r.as_str()).collect(),
                detail: &s.detail,
                outcome: s.row.sample.outcome.as_str(),
                correct: s.row.sample.correct,
                prompt: text.prompt.as_deref().filter(|_| !held_out),
                completion: completion.as_deref().filter(|_| !held_out),
                meta: &meta,
            };
            line(&mut self.rejects, &reject, &self.temps[2])?;
        }
        Ok(())
    }

    /// Flushes every file.
    fn finish(mut self) -> Result<(), CurateError> {
        for (w, path) in [
            (&mut self.chat, &self.temps[0]),
            (&mut self.prompt_completion, &self.temps[1]),
            (&mut self.rejects, &self.temps[2]),
        ] {
            w.flush().map_err(|source| CurateError::Io {
                path: path.clone(),
                source,
            })?;
        }
        Ok(())
    }
}

/// Writes one JSON line.
fn line<T: serde::Serialize>(
    w: &mut BufWriter<std::fs::File>,
    record: &T,
    path: &Path,
) -> Result<(), CurateError> {
    serde_json::to_writer(&mut *w, record)?;
    w.write_all(b"\n").map_err(|source| CurateError::Io {
        path: path.to_path_buf(),
        source,
    })
}
