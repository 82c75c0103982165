//! The concurrent pipeline of one run.
//!
//! Every task gets a future at once, and each of its samples another, which sends the
//! sample's model request right away (at most the model's concurrency are in flight).
//! A sample whose answer holds code takes its task's *window* (at most `2 * jobs + 2`
//! tasks hold their trial sets in memory at a time, and only as many as fit in the
//! [`MemoryWindow`]), the first one preparing the task
//! (inputs, baselines, whose calls give the references); then it is compiled, checked
//! and timed, turn after turn.
//! A task whose answers hold no code (a failed model, a refusal) is never prepared.
//!
//! A [`Gate`] of `jobs` slots stands for the machine's cores. Generating inputs,
//! compiling, checking correctness and comparing take a slot each; timing a kernel or
//! a baseline takes the whole machine, so nothing else runs while anything is timed
//! (see `gate` for the order). Model requests take no slot: they wait on the network.
//!
//! Results do not depend on the order in which things finish: trial inputs come from
//! the run's salt and the task, and each turn is stored in one transaction under its
//! (run, task, sample, turn) key.

use super::baseline::{RUST_REFERENCE, time_reference};
use super::gate::Gate;
use super::memory::MemoryWindow;
use super::prepare::PreparedTask;
use super::pytorch::{PYTORCH_EAGER, time_pytorch};
use super::sample::{self, RunContext};
use super::{RunConfig, definition_hash, is_final, select_tasks, turn_row};
use crate::metrics::{at_turn, summarize};
use crate::models::{Answer, AnswerRequest, Model, ModelError};
use crate::outcome::Outcome;
use crate::progress::{Event, EventSender, Phases, RunFinished, SampleFinished, SandboxTally};
use crate::store::{BaselineRow, SampleRecord, Store, TurnRow};
use kbench_backends::{Backend, Clock, Roofline};
use kbench_tasks::Task;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use thiserror::Error;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Why a run stopped before its end.
#[derive(Debug, Error)]
pub enum ExecuteError {
    /// The model cannot answer any request (wrong key, unknown model, wrong URL): the
    /// run stops at once rather than sending every sample's doomed request.
    #[error("{0}")]
    Model(#[source] ModelError),
    /// The harness, the store or the toolchain failed.
    #[error(transparent)]
    Harness(#[from] anyhow::Error),
}

/// How to execute a run, besides what the run stores.
#[derive(Clone)]
pub struct Execution {
    /// The store.
    pub store: Store,
    /// The run to execute.
    pub run_id: i64,
    /// The backend.
    pub backend: Arc<dyn Backend>,
    /// Where answers come from.
    pub model: Arc<dyn Model>,
    /// Compile cache.
    pub cache_dir: PathBuf,
    /// The `kbench` binary for workers.
    pub worker_exe: PathBuf,
    /// Compiles and correctness checks at once.
    pub jobs: usize,
    /// Where events go.
    pub events: EventSender,
}

/// What a model request gave: an answer, nothing, or a failure to store.
struct Asked {
    prompt: String,
    answer: Option<Answer>,
    failure: Option<ModelError>,
}

/// What preparing tasks and evaluating samples cost, for the summary.
#[derive(Default)]
struct CostLog {
    phases: Phases,
    /// Per task: inputs and baseline seconds, samples evaluated.
    tasks: BTreeMap<String, (f64, usize)>,
    /// Per evaluated turn: task and its own seconds (compile, checks, timing).
    samples: Vec<(String, f64)>,
}

struct Engine {
    ex: Execution,
    config: RunConfig,
    salt: String,
    run: Arc<RunContext>,
    scratch: PathBuf,
    gate: Gate,
    window: Arc<Semaphore>,
    memory: MemoryWindow,
    asks: Arc<Semaphore>,
    fence: &'static str,
    costs: Mutex<CostLog>,
}

fn closed(e: tokio::sync::AcquireError) -> anyhow::Error {
    anyhow::anyhow!("the pipeline was shut down: {e}")
}

impl Engine {
    fn emit(&self, event: Event) {
        let _ = self.ex.events.send(event);
    }

    fn log(&self, f: impl FnOnce(&mut CostLog)) {
        if let Ok(mut costs) = self.costs.lock() {
            f(&mut costs);
        }
    }

    /// Runs `f` on a blocking thread holding one core.
    async fn on_a_core<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> anyhow::Result<T> {
        let _slot = self.gate.shared().await;
        Ok(tokio::task::spawn_blocking(f).await?)
    }

    /// Runs `f` on a blocking thread holding every core: nothing else runs meanwhile.
    async fn alone<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> anyhow::Result<T> {
        let _machine = self.gate.exclusive().await;
        Ok(tokio::task::spawn_blocking(f).await?)
    }

    /// Asks the model for one turn. A fatal model error stops the run; any other
    /// failure is kept to be stored with the sample.
    async fn ask(
        self: Arc<Self>,
        task: &'static Task,
        sample: usize,
        turn: usize,
        prompt: String,
        basis: String,
    ) -> Result<Asked, ExecuteError> {
        let _slot = self.asks.acquire().await.map_err(closed)?;
        let model = Arc::clone(&self.ex.model);
        let (prompt, result) = tokio::task::spawn_blocking(move || {
            let request = AnswerRequest {
                task,
                sample,
                turn,
                prompt: &prompt,
                cache_basis: &basis,
            };
            let result = model.answer(&request);
            (prompt, result)
        })
        .await
        .map_err(anyhow::Error::from)?;
        match result {
            Ok(answer) => Ok(Asked {
                prompt,
                answer,
                failure: None,
            }),
            Err(e) if e.is_fatal() => Err(ExecuteError::Model(e)),
            Err(e @ ModelError::Provider(_)) => Ok(Asked {
                prompt,
                answer: None,
                failure: Some(e),
            }),
            Err(e) => Err(ExecuteError::Harness(e.into())),
        }
    }

    /// Computes a task's trial sets and references, and times its baselines unless the
    /// run already has them.
    async fn prepare(&self, task: &'static Task) -> anyhow::Result<PreparedTask> {
        let id = task.id();
        let store = &self.ex.store;
        let run_id = self.ex.run_id;
        let (salt, dir) = (self.salt.clone(), self.scratch.join(id.replace('/', "__")));
        let (built, inputs_s) = self
            .on_a_core(move || {
                let start = Instant::now();
                let built = PreparedTask::build(task, &salt, dir);
                (built, start.elapsed().as_secs_f64())
            })
            .await?;
        let (prepared, sets) = built?;
        let mut baseline_s = 0.0;
        // A cost model's estimates get no speedup: its runs time no baseline, and the
        // references come from plain calls below.
        let estimated = self.ex.backend.clock() == Clock::CostModel;
        let (sets, baseline_median) = match store.baseline(run_id, &id, RUST_REFERENCE).await? {
            Some(b) => (sets, Some(b.median_s)),
            None if estimated => (sets, None),
            None => {
                let plan = self.config.timing;
                let (sets, stats, secs) = self
                    .alone(move || {
                        let start = Instant::now();
                        let mut sets = sets;
                        let stats = time_reference(task, &mut sets, &plan);
                        (sets, stats, start.elapsed().as_secs_f64())
                    })
                    .await?;
                let stats = stats?;
                baseline_s += secs;
                store
                    .save_baseline(run_id, &id, RUST_REFERENCE, &BaselineRow::from(stats))
                    .await?;
                (sets, Some(stats.median))
            }
        };
        // The baseline's calls gave every set its reference, unless the baseline was
        // stored already (a resumed run), not timed (estimates) or its plan made fewer
        // calls than there are sets: the rest are computed here.
        let (prepared, secs) = self
            .on_a_core(move || {
                let start = Instant::now();
                (prepared.with_sets(sets), start.elapsed().as_secs_f64())
            })
            .await?;
        baseline_s += secs;
        let mut prepared = prepared?;
        prepared.baseline_median = baseline_median;
        if let (Some(python), Some(device)) =
            (&self.config.pytorch, self.ex.backend.pytorch_device())
            && store.baseline(run_id, &id, PYTORCH_EAGER).await?.is_none()
        {
            let (files, plan, python) = (
                prepared.input_files.clone(),
                self.config.timing,
                python.clone(),
            );
            let dir = prepared.dir.join("pytorch");
            let (timed, secs) = self
                .alone(move || {
                    let start = Instant::now();
                    let timed = time_pytorch(
                        &python,
                        device,
                        task,
                        &files,
                        &plan,
                        &dir,
                        Duration::from_secs(600),
                    );
                    (timed, start.elapsed().as_secs_f64())
                })
                .await?;
            baseline_s += secs;
            match timed {
                Ok(row) => {
                    store
                        .save_baseline(run_id, &id, PYTORCH_EAGER, &row)
                        .await?
                }
                Err(why) => self.emit(Event::Notice {
                    task: Some(id.clone()),
                    message: format!("no PyTorch eager baseline: {why}"),
                }),
            }
        }
        prepared.pytorch_median = store
            .baseline(run_id, &id, PYTORCH_EAGER)
            .await?
            .map(|b| b.median_s);
        store
            .record_task_costs(run_id, &id, inputs_s, baseline_s)
            .await?;
        self.log(|c| {
            c.phases.inputs_s += inputs_s;
            c.phases.baseline_s += baseline_s;
            c.tasks.insert(id.clone(), (inputs_s + baseline_s, 0));
        });
        Ok(prepared)
    }

    /// Starts the record of an answered turn and extracts its code; without code the
    /// record is complete.
    fn start_turn(
        &self,
        task_id: &str,
        sample: usize,
        turn: usize,
        asked: Asked,
    ) -> (SampleRecord, Option<String>) {
        let mut rec = sample::new_record(self.ex.run_id, task_id, sample, turn, &asked.answer);
        if let Some(failure) = asked.failure {
            rec.outcome = Outcome::ModelError;
            rec.prompt = Some(asked.prompt);
            rec.llm_attempts = failure.attempts();
            if let ModelError::Provider(f) = &failure {
                rec.llm_seconds = Some(f.seconds);
            }
            rec.detail = Some(format!("the model call failed: {failure}"));
            return (rec, None);
        }
        let code = sample::extract(&mut rec, self.ex.backend.languages());
        (rec, code)
    }

    /// Compiles, checks and times a turn's code, each stage under its gate.
    async fn evaluate_code(
        &self,
        task: &Arc<PreparedTask>,
        rec: SampleRecord,
        code: String,
    ) -> anyhow::Result<SampleRecord> {
        let run = Arc::clone(&self.run);
        let (rec, artifact) = self
            .on_a_core(move || {
                let mut rec = rec;
                let artifact = sample::compile(&run, &mut rec, &code);
                (rec, artifact)
            })
            .await?;
        let Some(artifact) = artifact? else {
            return Ok(rec);
        };
        let (run, prepared, checked_artifact) =
            (Arc::clone(&self.run), Arc::clone(task), artifact.clone());
        let (rec, passed) = self
            .on_a_core(move || {
                let mut rec = rec;
                let passed = sample::check(&run, &prepared, &mut rec, &checked_artifact);
                (rec, passed)
            })
            .await?;
        if !passed? {
            return Ok(rec);
        }
        let (run, prepared) = (Arc::clone(&self.run), Arc::clone(task));
        let (rec, job) = self
            .alone(move || {
                let mut rec = rec;
                let job = sample::run_timing(&run, &prepared, &mut rec, &artifact);
                (rec, job)
            })
            .await?;
        let job = job?;
        let (run, prepared) = (Arc::clone(&self.run), Arc::clone(task));
        self.on_a_core(move || {
            let mut rec = rec;
            sample::judge_timing(&run, &prepared, &mut rec, job);
            rec
        })
        .await
    }

    /// Every remaining turn of one sample.
    async fn run_sample(
        self: Arc<Self>,
        state: Arc<TaskState>,
        sample: usize,
        mut previous: Option<TurnRow>,
        mut pending: Option<tokio::task::JoinHandle<Result<Asked, ExecuteError>>>,
    ) -> Result<(), ExecuteError> {
        let task = state.task;
        let id = task.id();
        let mut turn = previous.as_ref().map_or(1, |t| t.turn as usize + 1);
        let mut basis = cache_basis(&state.first_prompt, previous.as_ref());
        loop {
            let asked = match pending.take() {
                Some(handle) => handle.await.map_err(anyhow::Error::from)??,
                None => {
                    let prompt = turn_prompt(&state.first_prompt, previous.as_ref(), self.fence);
                    Arc::clone(&self)
                        .ask(task, sample, turn, prompt, basis.clone())
                        .await?
                }
            };
            let started = Instant::now();
            let (rec, code) = self.start_turn(&id, sample, turn, asked);
            let rec = match code {
                Some(code) => {
                    let prepared = state.prepared(&self).await?;
                    self.evaluate_code(&prepared, rec, code).await?
                }
                None => rec,
            };
            self.ex
                .store
                .save_sample(&rec)
                .await
                .map_err(anyhow::Error::from)?;
            let own = rec.compile_seconds.unwrap_or(0.0)
                + rec.worker_seconds.unwrap_or(0.0)
                + rec.timing_seconds.unwrap_or(0.0);
            self.log(|c| {
                c.phases.compile_s += rec.compile_seconds.unwrap_or(0.0);
                c.phases.checks_s += rec.worker_seconds.unwrap_or(0.0);
                c.phases.timing_s += rec.timing_seconds.unwrap_or(0.0);
                c.phases.model_s += rec.llm_seconds.unwrap_or(0.0);
                if let Some(t) = c.tasks.get_mut(&id) {
                    t.1 += 1;
                }
                c.samples.push((id.clone(), own));
            });
            let row = turn_row(&rec);
            let final_turn = is_final(&row, self.config.turns);
            self.emit(Event::SampleFinished(SampleFinished {
                task: id.clone(),
                sample,
                turn,
                outcome: rec.outcome,
                fault: rec.fault.clone(),
                final_turn,
                speedup: rec.speedup,
                kernel_median_s: rec.kernel.map(|k| k.median),
                detail: rec
                    .detail
                    .as_deref()
                    .and_then(|d| d.lines().next())
                    .map(str::to_string),
                seconds: started.elapsed().as_secs_f64(),
            }));
            if final_turn {
                return Ok(());
            }
            basis.push('\0');
            basis.push_str(row.code.as_deref().unwrap_or_default());
            previous = Some(row);
            turn += 1;
        }
    }

    /// Every remaining sample of one task.
    async fn run_task(self: Arc<Self>, task: &'static Task) -> Result<(), ExecuteError> {
        let id = task.id();
        let store = &self.ex.store;
        let run_id = self.ex.run_id;
        let mut todo = Vec::new();
        for s in 0..self.config.samples {
            match store
                .last_turn(run_id, &id, s as i64)
                .await
                .map_err(anyhow::Error::from)?
            {
                Some(t) if is_final(&t, self.config.turns) => {}
                last => todo.push((s, last)),
            }
        }
        if todo.is_empty() {
            return Ok(());
        }
        let state = Arc::new(TaskState {
            task,
            first_prompt: crate::prompt::render(
                task,
                self.ex.backend.as_ref(),
                self.config.strategy,
            )
            .map_err(anyhow::Error::from)?,
            prepared: tokio::sync::OnceCell::new(),
        });
        // Every sample's request goes out now; a sample takes the task's window only
        // once it has code to evaluate.
        let mut samples = JoinSet::new();
        for (s, previous) in todo {
            let turn = previous.as_ref().map_or(1, |t| t.turn as usize + 1);
            let prompt = turn_prompt(&state.first_prompt, previous.as_ref(), self.fence);
            let basis = cache_basis(&state.first_prompt, previous.as_ref());
            let asked = tokio::spawn(Arc::clone(&self).ask(task, s, turn, prompt, basis));
            samples.spawn(Arc::clone(&self).run_sample(
                Arc::clone(&state),
                s,
                previous,
                Some(asked),
            ));
        }
        while let Some(done) = samples.join_next().await {
            done.map_err(anyhow::Error::from)??;
        }
        if let Some((prepared, _window)) = state.prepared.get() {
            let _ = std::fs::remove_dir_all(&prepared.dir);
        }
        self.emit(Event::TaskFinished { task: id });
        Ok(())
    }
}

/// A prepared task's places in the window: one of its tasks, and its bytes.
type WindowPermits = (
    tokio::sync::OwnedSemaphorePermit,
    tokio::sync::OwnedSemaphorePermit,
);

/// A task while its samples run: its prompt, and its trial sets once a sample has code
/// to evaluate (with the window permit that bounds how many tasks hold theirs).
struct TaskState {
    task: &'static Task,
    first_prompt: String,
    prepared: tokio::sync::OnceCell<(Arc<PreparedTask>, WindowPermits)>,
}

impl TaskState {
    /// The prepared task, preparing it (after taking a window) on first use.
    async fn prepared(&self, engine: &Engine) -> anyhow::Result<Arc<PreparedTask>> {
        let (prepared, _) = self
            .prepared
            .get_or_try_init(|| async {
                let count = Arc::clone(&engine.window)
                    .acquire_owned()
                    .await
                    .map_err(closed)?;
                let memory = engine.memory.hold(self.task).await.map_err(closed)?;
                let prepared = engine.prepare(self.task).await?;
                Ok::<_, anyhow::Error>((Arc::new(prepared), (count, memory)))
            })
            .await?;
        Ok(Arc::clone(prepared))
    }
}

/// The prompt of the turn after `previous` (the first prompt when there is none).
fn turn_prompt(first_prompt: &str, previous: Option<&TurnRow>, fence: &str) -> String {
    match previous {
        None => first_prompt.to_string(),
        Some(p) => crate::prompt::repair(first_prompt, p, fence),
    }
}

/// What identifies a turn's question for the answer cache: the first prompt and the
/// code of the turns before (see `AnswerRequest::cache_basis`).
fn cache_basis(first_prompt: &str, previous: Option<&TurnRow>) -> String {
    let mut basis = first_prompt.to_string();
    if let Some(p) = previous {
        basis.push('\0');
        basis.push_str(p.code.as_deref().unwrap_or_default());
    }
    basis
}

/// Where trial inputs and job folders go: a memory file system when one with room for
/// the largest tasks is mounted (`/dev/shm`), so that the gigabytes a large task moves
/// between the parent and its workers never touch a disk; else the temporary folder.
fn scratch_root() -> PathBuf {
    const ROOM: u64 = 8 << 30;
    let shm = Path::new("/dev/shm");
    if free_bytes(shm).is_some_and(|free| free >= ROOM) {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

/// Scratch folders are named `kbench-run-<pid>-<random>` after the process that made
/// them.
const SCRATCH_PREFIX: &str = "kbench-run-";

/// Removes the scratch folders of `kbench` processes that are gone (killed before they
/// could clean up: `--resume` then finishes their runs; their gigabytes of trial inputs
/// must not stay in memory).
fn remove_stale_scratch(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(SCRATCH_PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<libc::pid_t>().ok())
        else {
            continue;
        };
        // SAFETY: signal 0 only asks whether the process exists.
        let gone = unsafe { libc::kill(pid, 0) } != 0
            && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
        if gone {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

// `statvfs`'s field types differ between platforms; on some they are already `u64`.
#[allow(clippy::useless_conversion)]
fn free_bytes(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut stat = std::mem::MaybeUninit::<libc::statvfs>::zeroed();
    // SAFETY: `path` is NUL-terminated and `stat` is a valid out-pointer.
    let status = unsafe { libc::statvfs(path.as_ptr(), stat.as_mut_ptr()) };
    // SAFETY: statvfs filled the struct when it returned 0.
    (status == 0).then(|| {
        let stat = unsafe { stat.assume_init() };
        u64::from(stat.f_bavail) * u64::from(stat.f_frsize)
    })
}

/// Runs (or resumes) run `ex.run_id` to the end, emitting events; the run is marked
/// finished only when every sample is final.
pub async fn execute(ex: Execution) -> Result<RunFinished, ExecuteError> {
    let started = Instant::now();
    let run = ex.store.run(ex.run_id).await.map_err(anyhow::Error::from)?;
    let config: RunConfig = serde_json::from_str(&run.config)
        .map_err(|e| anyhow::anyhow!("reading the run's stored configuration: {e}"))?;
    let environment: serde_json::Value =
        serde_json::from_str(&run.environment).map_err(anyhow::Error::from)?;
    let roofline: Roofline = serde_json::from_value(environment["roofline"].clone())
        .map_err(|e| anyhow::anyhow!("reading the run's roofline: {e}"))?;
    let tasks = select_tasks(&config.tasks, config.exemplars, config.sizes);
    if tasks.is_empty() {
        return Err(anyhow::anyhow!("no task id contains `{}`", config.tasks).into());
    }
    // The whole task set first, so that a run cut off part way is still measured (by
    // `kbench report`) against every task it was meant to evaluate.
    for task in &tasks {
        let cost = task.cost();
        ex.store
            .record_task(
                ex.run_id,
                &task.id(),
                &definition_hash(task),
                cost.flops,
                cost.bytes,
            )
            .await
            .map_err(anyhow::Error::from)?;
    }
    let root = scratch_root();
    remove_stale_scratch(&root);
    let scratch = tempfile::Builder::new()
        .prefix(&format!("{SCRATCH_PREFIX}{}-", std::process::id()))
        .disable_cleanup(std::env::var_os(super::KEEP_ENV).is_some())
        .tempdir_in(&root)
        .map_err(|e| anyhow::anyhow!("creating a scratch folder: {e}"))?;
    kbench_backends::worker::protocol::open_to_workers(scratch.path())
        .map_err(|e| anyhow::anyhow!("opening the scratch folder to workers: {e}"))?;
    let done = {
        let mut n = 0;
        for t in &tasks {
            for s in 0..config.samples {
                if let Some(last) = ex
                    .store
                    .last_turn(ex.run_id, &t.id(), s as i64)
                    .await
                    .map_err(anyhow::Error::from)?
                    && is_final(&last, config.turns)
                {
                    n += 1;
                }
            }
        }
        n
    };
    let jobs = ex.jobs.max(1);
    let engine = Arc::new(Engine {
        run: Arc::new(RunContext {
            backend: Arc::clone(&ex.backend),
            cache_dir: ex.cache_dir.clone(),
            worker_exe: ex.worker_exe.clone(),
            limits: config.limits,
            plan: super::kernel_plan(config.timing, ex.backend.as_ref()),
            roofline,
        }),
        salt: run.salt.clone(),
        scratch: scratch.path().to_path_buf(),
        gate: Gate::new(jobs),
        window: Arc::new(Semaphore::new(2 * jobs + 2)),
        memory: MemoryWindow::from_machine(),
        asks: Arc::new(Semaphore::new(ex.model.concurrency().max(1))),
        fence: ex.backend.prompt_assets().fence,
        costs: Mutex::new(CostLog::default()),
        config: config.clone(),
        ex: ex.clone(),
    });
    engine.emit(Event::RunStarted {
        run_id: ex.run_id,
        model: config.model.clone(),
        backend: config.backend.clone(),
        tasks: tasks.len(),
        samples: tasks.len() * config.samples,
        done,
        jobs,
    });
    let mut running = JoinSet::new();
    for task in tasks {
        running.spawn(Arc::clone(&engine).run_task(task));
    }
    while let Some(done) = running.join_next().await {
        let outcome = done
            .map_err(anyhow::Error::from)
            .map_err(ExecuteError::from);
        if let Err(e) | Ok(Err(e)) = outcome {
            running.abort_all();
            return Err(e);
        }
    }
    ex.store
        .finish_run(ex.run_id)
        .await
        .map_err(anyhow::Error::from)?;
    let samples = ex
        .store
        .samples(ex.run_id)
        .await
        .map_err(anyhow::Error::from)?;
    let last = at_turn(&samples, config.turns);
    let earlier_turns = (1..config.turns)
        .filter_map(|t| summarize(&at_turn(&samples, t)).pop().map(|row| (t, row)))
        .collect();
    let usage = ex
        .store
        .usage(ex.run_id)
        .await
        .map_err(anyhow::Error::from)?;
    let mut phases = {
        let costs = engine
            .costs
            .lock()
            .map_err(|_| anyhow::anyhow!("the cost log was poisoned"))?;
        let per_sample = costs
            .samples
            .iter()
            .map(|(task, own)| {
                let share = costs
                    .tasks
                    .get(task)
                    .map_or(0.0, |&(secs, n)| secs / n.max(1) as f64);
                own + share
            })
            .collect();
        Phases {
            median_sample_s: crate::metrics::median(per_sample),
            ..costs.phases
        }
    };
    phases.wall_s = started.elapsed().as_secs_f64();
    let finished = RunFinished {
        run_id: ex.run_id,
        summary: summarize(&last),
        earlier_turns,
        usage,
        model_failures: last
            .iter()
            .filter(|s| s.outcome == Outcome::ModelError)
            .count(),
        samples: last.len(),
        sandbox: SandboxTally::of(&last),
        phases,
    };
    engine.emit(Event::RunFinished(Box::new(finished.clone())));
    Ok(finished)
}

impl From<kbench_backends::timing::Stats> for BaselineRow {
    fn from(s: kbench_backends::timing::Stats) -> Self {
        BaselineRow {
            calls: s.calls as i64,
            min_s: s.min,
            median_s: s.median,
            mean_s: s.mean,
            stddev_s: s.stddev,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_scratch_of_dead_processes_is_removed() {
        let root = tempfile::tempdir().expect("tempdir");
        let dead = root.path().join(format!("{SCRATCH_PREFIX}999999999-abc"));
        let alive = root
            .path()
            .join(format!("{SCRATCH_PREFIX}{}-def", std::process::id()));
        let other = root.path().join("unrelated");
        for dir in [&dead, &alive, &other] {
            std::fs::create_dir_all(dir.join("task")).expect("mkdir");
        }
        remove_stale_scratch(root.path());
        assert!(!dead.exists(), "a dead process's scratch is removed");
        assert!(alive.exists(), "a live process's scratch stays");
        assert!(other.exists(), "other folders are not touched");
    }
}
