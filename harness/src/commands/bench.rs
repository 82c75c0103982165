//! `kbench bench`: what evaluating one sample costs on this machine, and how stable the
//! kernel's timing is from one evaluation to the next.

use crate::cli::BenchArgs;
use crate::evaluate::{self, RunConfig};
use crate::models;
use anyhow::{Context, bail};
use kbench_backends::backend_by_name;
use kbench_backends::timing::{Stats, TimingPlan};
use kbench_tasks::registry;
use std::sync::Arc;

/// Runs the benchmark: per-sample wall time (median, min, max) and the kernel's median
/// over the repeats with its coefficient of variation.
pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    if args.repeats == 0 {
        bail!("--repeats must be at least 1");
    }
    let task = registry::find(&args.task)?;
    let spec = args
        .model
        .clone()
        .unwrap_or_else(|| models::bundled(&args.backend, false));
    let dir = spec
        .strip_prefix("replay:")
        .with_context(|| format!("kbench bench takes a replay:DIR model, not {spec}"))?;
    let model = models::Replay::new(dir)?;
    let request = models::AnswerRequest {
        task,
        sample: 0,
        turn: 1,
        prompt: "",
        cache_basis: "",
    };
    let answer = models::Model::answer(&model, &request)?
        .with_context(|| format!("{spec} has no answer for {}", args.task))?;
    let backend: Arc<dyn kbench_backends::Backend> = Arc::from(backend_by_name(&args.backend)?);
    let config = RunConfig {
        backend: args.backend.clone(),
        model: spec.clone(),
        tasks: args.task.clone(),
        exemplars: false,
        samples: 1,
        timing: TimingPlan::STANDARD,
        limits: evaluate::default_limits(180, 16384),
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
