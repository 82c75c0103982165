//! `kbench bench`: the per-sample cost of evaluation, measured on this machine.

use crate::cli::BenchArgs;
use crate::evaluate::{self, RunConfig};
use crate::models;
use anyhow::{Context, bail};
use kbench_backends::backend_by_name;
use kbench_backends::cpu::device::last_level_cache_bytes;
use kbench_backends::timing::{Stats, TimingPlan};
use kbench_tasks::registry;

/// Runs the benchmark and prints the median, min and max seconds per sample.
pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    if args.repeats == 0 {
        bail!("--repeats must be at least 1");
    }
    let task = registry::find(&args.task)?;
    let dir = args
        .model
        .strip_prefix("replay:")
        .with_context(|| format!("kbench bench takes a replay:DIR model, not {}", args.model))?;
    let model = models::Replay::new(dir)?;
    let request = models::AnswerRequest {
        task,
        sample: 0,
        turn: 1,
        prompt: "",
        cache_basis: "",
    };
    let answer = models::Model::answer(&model, &request)?
        .with_context(|| format!("{} has no answer for {}", args.model, args.task))?;
    let backend = backend_by_name("cpu")?;
    let config = RunConfig {
        backend: "cpu".into(),
        model: args.model.clone(),
        tasks: args.task.clone(),
        exemplars: false,
        samples: 1,
        timing: TimingPlan::standard(last_level_cache_bytes() as usize),
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
    let (seconds, outcome) =
        evaluate::bench_samples(task, answer, backend.as_ref(), &config, &exe, args.repeats)?;
    let stats = Stats::of(&seconds).context("no repeat ran")?;
    println!(
        "per-sample evaluation cost, {} ({} repeats, outcome {outcome}): median {:.3} s, min {:.3} s, max {:.3} s",
        args.task,
        stats.calls,
        stats.median,
        stats.min,
        seconds.iter().copied().fold(0.0, f64::max)
    );
    println!(
        "each repeat: compile from an empty cache + 5 correctness trials + timing ({} warm-up, {}..{} timed calls or {} s, {:.0} MiB cache flush each) in a fresh worker; references cached",
        config.timing.warmup,
        config.timing.min_calls,
        config.timing.max_calls,
        config.timing.budget_seconds,
        config.timing.flush_bytes as f64 / (1 << 20) as f64
    );
    Ok(())
}
