//! `kbench evaluate`: set up a run (or resume one), execute it, print the summary.

use crate::cli::EvaluateArgs;
use crate::config::FileConfig;
use crate::evaluate::{self, Paths, RunConfig};
use crate::metrics::{SummaryRow, at_turn, summarize};
use crate::models::{self, Sampling};
use crate::store::Store;
use anyhow::{Context, bail};
use comfy_table::{Table, presets::ASCII_BORDERS_ONLY_CONDENSED};
use kbench_backends::backend_by_name;
use kbench_backends::cpu::device::last_level_cache_bytes;
use kbench_backends::timing::TimingPlan;
use std::sync::Arc;

/// Runs `kbench evaluate`.
pub async fn run(args: EvaluateArgs) -> anyhow::Result<()> {
    let no_pytorch = args.no_pytorch;
    let store = Store::open(&args.db)
        .await
        .with_context(|| format!("opening {}", args.db.display()))?;
    let (run_id, config) = match args.resume {
        Some(id) => {
            let run = store.run(id).await?;
            let config: RunConfig = serde_json::from_str(&run.config)?;
            eprintln!("resuming run {id} ({} on {})", config.model, config.backend);
            (id, config)
        }
        None => {
            let samples = args
                .samples
                .unwrap_or(if args.preset == "sampled" { 5 } else { 1 });
            if samples == 0 {
                bail!("--samples must be at least 1");
            }
            if evaluate::select_tasks(&args.tasks, args.exemplars).is_empty() {
                bail!(
                    "no task id contains `{}`; `kbench tasks list` shows them",
                    args.tasks
                );
            }
            let flush = args
                .flush_mb
                .map_or(last_level_cache_bytes() as usize, |mb| mb << 20);
            let config = RunConfig {
                backend: args.backend.clone(),
                model: args.model.clone(),
                tasks: args.tasks.clone(),
                exemplars: args.exemplars,
                samples,
                timing: TimingPlan {
                    warmup: args.warmup,
                    min_calls: args.min_calls.max(1),
                    max_calls: args.max_calls.max(args.min_calls.max(1)),
                    budget_seconds: args.timing_budget,
                    flush_bytes: flush,
                },
                limits: evaluate::default_limits(args.timeout, args.memory_limit_mb),
                strategy: args.strategy.parse()?,
                turns: args.turns.max(1),
                sampling: sampling(&args)?,
                base_url: args.base_url.clone(),
                config_file: args.config.clone(),
                use_cache: !args.no_cache,
                pytorch: if args.no_pytorch {
                    None
                } else {
                    evaluate::detect_pytorch(args.pytorch.as_deref())
                },
            };
            (0, config)
        }
    };
    // Check everything that can fail before any work is stored.
    let backend: Arc<dyn kbench_backends::Backend> = Arc::from(backend_by_name(&config.backend)?);
    let model_ctx = models::ModelContext {
        config: FileConfig::load(config.config_file.as_deref())?,
        base_url: config.base_url.clone(),
        sampling: config.sampling,
        store: store.clone(),
        use_cache: config.use_cache,
    };
    let model: Arc<dyn models::Model> = Arc::from(models::build(&config.model, &model_ctx).await?);
    if run_id == 0 {
        match &config.pytorch {
            Some(python) => eprintln!("PyTorch eager baseline: {}", python.display()),
            None => eprintln!(
                "PyTorch eager baseline: off ({})",
                if config.pytorch.is_none() && no_pytorch {
                    "--no-pytorch"
                } else {
                    "no torch in .venv; --pytorch PYTHON to set one"
                }
            ),
        }
    }
    let run_id = if run_id == 0 {
        let roofline = evaluate::roofline_for(backend.as_ref());
        let id = evaluate::create_run(&store, &config, backend.as_ref(), &roofline).await?;
        eprintln!(
            "run {id}: {} on {}, {} sample(s) per task",
            config.model, config.backend, config.samples
        );
        id
    } else {
        run_id
    };
    let paths = Paths {
        cache_dir: args.cache.clone(),
        worker_exe: std::env::current_exe().context("locating the kbench binary")?,
    };
    evaluate::execute(&store, run_id, backend, model, &paths).await?;
    let samples = store.samples(run_id).await?;
    print_summary(run_id, &summarize(&at_turn(&samples, config.turns)));
    if config.turns > 1 {
        for t in 1..config.turns {
            let all = summarize(&at_turn(&samples, t));
            if let Some(r) = all.last() {
                println!(
                    "after turn {t}: compiled {}, correct {}, fast_1 {}",
                    pct(r.compile_rate),
                    pct(r.correct_rate),
                    pct(r.fast_1)
                );
            }
        }
    }
    let usage = store.usage(run_id).await?;
    if usage.input_tokens + usage.output_tokens > 0 || usage.cached > 0 {
        println!(
            "model usage: {} input, {} output ({} reasoning) tokens, {:.1} s waiting, {} cached answers{}",
            usage.input_tokens,
            usage.output_tokens,
            usage.reasoning_tokens,
            usage.llm_seconds,
            usage.cached,
            usage
                .cost_usd
                .map(|c| format!(", ${c:.4}"))
                .unwrap_or_default()
        );
    }
    Ok(())
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

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

fn print_summary(run_id: i64, rows: &[SummaryRow]) {
    let speedup = |g: Option<f64>| g.map_or("-".into(), |g| format!("{g:.2}x"));
    let mut table = Table::new();
    table
        .load_style(ASCII_BORDERS_ONLY_CONDENSED)
        .set_header(vec![
            "category",
            "samples",
            "compiled",
            "correct",
            "fast_1",
            "speedup",
            "fast_1 torch",
            "speedup torch",
            "roofline flags",
        ]);
    for r in rows {
        table.add_row(vec![
            r.group.clone(),
            r.samples.to_string(),
            pct(r.compile_rate),
            pct(r.correct_rate),
            pct(r.fast_1),
            speedup(r.geomean_speedup),
            r.fast_1_pytorch.map_or("-".into(), pct),
            speedup(r.geomean_speedup_pytorch),
            r.roofline_flags.to_string(),
        ]);
    }
    println!(
        "run {run_id}: speedup = geometric mean over correct kernels of Rust reference median / \
         kernel median; the torch columns use PyTorch eager (CPU) on the same inputs, where \
         it was timed. fast_1 counts every sample, failures included.\n{table}"
    );
}
