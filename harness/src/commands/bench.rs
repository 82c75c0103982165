//! `kbench bench`: what evaluating one sample costs on this machine, and how stable the
//! kernel's timing is from one evaluation to the next.

use crate::cli::BenchArgs;
use crate::evaluate::{self, RunConfig};
use crate::models;
use anyhow::{Context, bail};
use kbench_backends::backend_with_options;
use kbench_backends::timing::{Stats, TimingPlan};
use kbench_tasks::registry;
use std::sync::Arc;

/// Runs the benchmark: per-sample wall time (median, min, max) and the kernel's median
/// over the repeats with its coefficient of variation.
pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    if args.repeats == 0 {
        bail!("--repeats must be at least 1");
    }
    if args.compile_only {
        return compile_only(args);
    }
    let task = registry::find_in(&args.task, args.sizes)?;
    let (spec, model) = replay_model(args)?;
    let answer = answer_of(&model, task)?
        .with_context(|| format!("{spec} has no answer for {}", args.task))?;
    let backend_options = args.toolchain.options();
    let backend: Arc<dyn kbench_backends::Backend> =
        Arc::from(backend_with_options(&args.backend, &backend_options)?);
    backend.check_ready()?;
    let config = RunConfig {
        backend: args.backend.clone(),
        backend_options,
        model: spec.clone(),
        tasks: args.task.clone(),
        sizes: args.sizes,
        exemplars: false,
        samples: 1,
        timing: TimingPlan::STANDARD,
        limits: evaluate::default_limits(backend.as_ref(), 180, 16384),
        pytorch: None,
        strategy: crate::prompt::Strategy::CategoryShot,
        turns: 1,
        sampling: models::Sampling::GREEDY,
        base_url: None,
        config_file: None,
        use_cache: false,
    };
    let exe = std::env::current_exe().context("locating the kbench binary")?;
    let (seconds, records) =
        evaluate::bench_samples(task, answer, backend, &config, &exe, args.repeats)?;
    let stats = Stats::of(&seconds).context("no repeat ran")?;
    let outcome = records
        .last()
        .map(|r| r.outcome.to_string())
        .unwrap_or_default();
    println!(
        "per-sample evaluation cost, {} ({} repeats, outcome {outcome}): median {:.3} s, min {:.3} s, max {:.3} s",
        args.task,
        stats.calls,
        stats.median,
        stats.min,
        seconds.iter().copied().fold(0.0, f64::max)
    );
    let part = |f: fn(&crate::store::SampleRecord) -> Option<f64>| {
        Stats::of(&records.iter().filter_map(f).collect::<Vec<_>>()).map_or(0.0, |s| s.median)
    };
    println!(
        "  median split: compile {:.3} s, checks {:.3} s, timing {:.3} s",
        part(|r| r.compile_seconds),
        part(|r| r.worker_seconds),
        part(|r| r.timing_seconds)
    );
    let medians: Vec<f64> = records
        .iter()
        .filter_map(|r| r.kernel.map(|k| k.median))
        .collect();
    if let Some(m) = Stats::of(&medians) {
        let calls: Vec<f64> = records
            .iter()
            .filter_map(|r| r.kernel.map(|k| k.calls as f64))
            .collect();
        println!(
            "kernel median over {} repeats: mean {:.4} ms, coefficient of variation {:.2}% \
             (min {:.4} ms, max {:.4} ms; {:.0} timed calls per repeat)",
            m.calls,
            m.mean * 1e3,
            100.0 * m.stddev / m.mean,
            m.min * 1e3,
            medians.iter().copied().fold(0.0, f64::max) * 1e3,
            Stats::of(&calls).map_or(0.0, |c| c.mean),
        );
    }
    println!(
        "each repeat: compile from an empty cache + 5 correctness trials in one worker + timing \
         ({} warm-up, {}..{} timed calls as fit {} s at the first call's pace, each on fresh \
         inputs, inputs and outputs evicted from the caches before each call, 7 re-checked) in \
         another; references, check references and baseline computed once",
        config.timing.warmup,
        config.timing.min_calls,
        config.timing.max_calls,
        config.timing.budget_seconds,
    );
    Ok(())
}

/// The `replay:DIR` model the benchmark reads answers from, with its spec.
fn replay_model(args: &BenchArgs) -> anyhow::Result<(String, models::Replay)> {
    let spec = args
        .model
        .clone()
        .unwrap_or_else(|| models::bundled(&args.backend, false));
    let dir = spec
        .strip_prefix("replay:")
        .with_context(|| format!("kbench bench takes a replay:DIR model, not {spec}"))?;
    let model = models::Replay::new(dir)?;
    Ok((spec, model))
}

/// The replayed answer for `task`, if the folder has one.
fn answer_of(
    model: &models::Replay,
    task: &'static kbench_tasks::Task,
) -> anyhow::Result<Option<models::Answer>> {
    let request = models::AnswerRequest {
        task,
        sample: 0,
        turn: 1,
        prompt: "",
        cache_basis: "",
    };
    Ok(models::Model::answer(model, &request)?)
}

/// `--compile-only`: every task's answer compiled once from an empty cache, one at a
/// time, as `kbench evaluate` compiles it (code extraction, the build sandbox).
fn compile_only(args: &BenchArgs) -> anyhow::Result<()> {
    let (spec, model) = replay_model(args)?;
    let backend = backend_with_options(&args.backend, &args.toolchain.options())?;
    let mut seconds = Vec::new();
    let mut failed = Vec::new();
    for task in registry::all() {
        let Some(answer) = answer_of(&model, task)? else {
            continue;
        };
        let Some(code) = crate::extract::extract_code(&answer.text, backend.languages()) else {
            failed.push(format!("{}: no code", task.id()));
            continue;
        };
        let cache = tempfile::tempdir().context("a temporary cache")?;
        let compiled = backend.compile(&code, cache.path())?;
        if !compiled.ok {
            failed.push(format!(
                "{}: {}",
                task.id(),
                backend.compile_error_summary(&compiled.log)
            ));
        }
        seconds.push(compiled.seconds);
    }
    let stats = Stats::of(&seconds).with_context(|| format!("{spec} has no answers"))?;
    println!(
        "compile cost, {} backend ({}), {} answers of {spec}, one at a time from an empty cache: \
         median {:.3} s, min {:.3} s, max {:.3} s",
        backend.name(),
        backend.device().compiler,
        stats.calls,
        stats.median,
        stats.min,
        seconds.iter().copied().fold(0.0, f64::max)
    );
    if !failed.is_empty() {
        bail!("{} did not compile:\n{}", failed.len(), failed.join("\n"));
    }
    Ok(())
}
