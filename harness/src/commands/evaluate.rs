//! `kbench evaluate`: set up a run (or resume one), execute it with its reporters, and
//! turn how it ended into the exit status.

use crate::cli::EvaluateArgs;
use crate::config::FileConfig;
use crate::evaluate::{self, ExecuteError, Execution, RunConfig};
use crate::models::{self, Sampling};
use crate::progress;
use crate::store::Store;
use anyhow::{Context, bail};
use kbench_backends::backend_with_options;
use kbench_backends::timing::TimingPlan;
use std::sync::Arc;
use std::time::Duration;

/// Runs `kbench evaluate`.
pub async fn run(args: EvaluateArgs) -> anyhow::Result<()> {
    let store = Store::open(&args.db)
        .await
        .with_context(|| format!("opening {}", args.db.display()))?;
    let (resumed, config) = match args.resume {
        Some(id) => {
            let run = store.run(id).await?;
            let config: RunConfig = serde_json::from_str(&run.config)?;
            eprintln!("resuming run {id} ({} on {})", config.model, config.backend);
            (Some(id), config)
        }
        None => (None, new_config(&args)?),
    };
    // Check everything that can fail before any work is stored.
    let backend: Arc<dyn kbench_backends::Backend> = Arc::from(backend_with_options(
        &config.backend,
        &config.backend_options,
    )?);
    backend.check_ready()?;
    let relaxed = kbench_backends::worker::protocol::Relaxed::from_env()?;
    if !relaxed.is_empty() {
        eprintln!(
            "warning: {} leaves these protections out of every worker: {relaxed:?}; each sample records it",
            kbench_backends::worker::protocol::RELAX_ENV
        );
    }
    let model_ctx = models::ModelContext {
        config: FileConfig::load(config.config_file.as_deref())?,
        base_url: config.base_url.clone(),
        sampling: config.sampling,
        store: store.clone(),
        use_cache: config.use_cache,
    };
    let model: Arc<dyn models::Model> = Arc::from(models::build(&config.model, &model_ctx).await?);
    let run_id = match resumed {
        Some(id) => id,
        None => {
            match &config.pytorch {
                Some(python) => eprintln!("PyTorch eager baseline: {}", python.display()),
                None => eprintln!(
                    "PyTorch eager baseline: off ({})",
                    if args.no_pytorch {
                        "--no-pytorch"
                    } else {
                        "no torch in .venv; --pytorch PYTHON to set one"
                    }
                ),
            }
            if config.pytorch.is_none()
                && backend.baseline() == kbench_backends::Baseline::PytorchEager
            {
                eprintln!(
                    "speedups on this backend are over PyTorch eager on the same device: without it they stay empty (correctness is still checked)"
                );
            }
            let roofline = backend.roofline();
            let id = evaluate::create_run(&store, &config, backend.as_ref(), &roofline).await?;
            if std::env::var_os(evaluate::SALT_ENV).is_some() {
                eprintln!(
                    "{} is set: run {id}'s trial inputs are reproducible and recorded as not secret",
                    evaluate::SALT_ENV
                );
            }
            id
        }
    };
    let (events, dispatcher) = progress::dispatch(progress::reporters(args.format));
    let result = evaluate::execute(Execution {
        store: store.clone(),
        run_id,
        backend,
        model,
        cache_dir: args.cache.clone(),
        worker_exe: std::env::current_exe().context("locating the kbench binary")?,
        jobs: args.jobs.unwrap_or_else(default_jobs),
        events: events.clone(),
    })
    .await;
    drop(events);
    // Requests still in flight after a failure may hold a sender a little longer.
    let _ = tokio::time::timeout(Duration::from_secs(5), dispatcher).await;
    match result {
        Ok(finished) if finished.model_failures > 0 => bail!(
            "{} of {} samples got no answer because the model call failed; run {run_id} is \
             stored with the reasons",
            finished.model_failures,
            finished.samples
        ),
        Ok(_) => Ok(()),
        Err(ExecuteError::Model(e)) => {
            let note = if store.delete_run_if_empty(run_id).await? {
                "nothing was stored".to_string()
            } else {
                format!(
                    "run {run_id} is unfinished: fix this, then `kbench evaluate --resume {run_id}`"
                )
            };
            bail!("the model cannot answer: {e} ({note})")
        }
        Err(ExecuteError::Harness(e)) => Err(e),
    }
}

/// The number of cores, the default of `--jobs`.
fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

fn new_config(args: &EvaluateArgs) -> anyhow::Result<RunConfig> {
    let samples = args
        .samples
        .unwrap_or(if args.preset == "sampled" { 5 } else { 1 });
    if samples == 0 {
        bail!("--samples must be at least 1");
    }
    if args.jobs == Some(0) {
        bail!("--jobs must be at least 1");
    }
    if evaluate::select_tasks(&args.tasks, args.exemplars, args.sizes).is_empty() {
        bail!(
            "no task id contains `{}`; `kbench tasks list` shows them",
            args.tasks
        );
    }
    let backend_options = args.toolchain.options();
    let backend = backend_with_options(&args.backend, &backend_options)?;
    Ok(RunConfig {
        backend: args.backend.clone(),
        backend_options,
        model: args
            .model
            .clone()
            .unwrap_or_else(|| models::bundled(&args.backend, args.exemplars)),
        tasks: args.tasks.clone(),
        sizes: args.sizes,
        exemplars: args.exemplars,
        samples,
        timing: TimingPlan {
            warmup: args.warmup,
            warmup_seconds: Some(args.warmup_seconds),
            min_calls: args.min_calls.max(1),
            max_calls: args.max_calls.max(args.min_calls.max(1)),
            budget_seconds: args.timing_budget,
        },
        limits: evaluate::default_limits(backend.as_ref(), args.timeout, args.memory_limit_mb),
        strategy: args.strategy.parse()?,
        turns: args.turns.max(1),
        sampling: sampling(args)?,
        base_url: args.base_url.clone(),
        config_file: args.config.clone(),
        use_cache: !args.no_cache,
        pytorch: if args.no_pytorch {
            None
        } else {
            evaluate::detect_pytorch(args.pytorch.as_deref())
        },
    })
}

fn sampling(args: &EvaluateArgs) -> anyhow::Result<Sampling> {
    let mut s = match args.preset.as_str() {
        "greedy" => Sampling::GREEDY,
        "sampled" => Sampling::SAMPLED,
        other => bail!("unknown preset `{other}`: use greedy or sampled"),
    };
    if args.temperature.is_some() {
        s.temperature = args.temperature;
    }
    if args.top_p.is_some() {
        s.top_p = args.top_p;
    }
    if let Some(m) = args.max_tokens {
        s.max_tokens = m;
    }
    s.seed = args.seed.or(s.seed);
    s.thinking_budget = args.thinking_budget;
    s.stream = !args.no_stream;
    Ok(s)
}
