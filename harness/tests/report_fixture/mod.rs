//! A store of crafted runs for the report's tests and benchmark.

#![allow(dead_code)]

use kbench::outcome::Outcome::{self, CompileError, Correct, Fault, Wrong};
use kbench::store::{BaselineRow, NewRun, SampleRecord, Store, TrialRecord};
use kbench_backends::timing::Stats;
use std::path::Path;

/// A run to create: its settings and task set (`(id, definition hash)`).
pub struct FixtureRun<'a> {
    /// Backend.
    pub backend: &'a str,
    /// Model spec.
    pub model: &'a str,
    /// Size profile.
    pub sizes: &'a str,
    /// Samples asked per task.
    pub samples: usize,
    /// Repair turns.
    pub turns: usize,
    /// Task ids with their definition hashes.
    pub tasks: Vec<(String, String)>,
}

/// Creates the run with its task set and a Rust-reference baseline of 1 ms per task.
pub async fn add_run(store: &Store, run: &FixtureRun<'_>) -> i64 {
    let config = serde_json::json!({
        "sizes": run.sizes,
        "samples": run.samples,
        "strategy": "category-shot",
        "turns": run.turns,
    });
    let id = store
        .create_run(&NewRun {
            backend: run.backend.into(),
            model: run.model.into(),
            config: config.to_string(),
            environment: "{}".into(),
            salt: "00".into(),
            salt_secret: true,
        })
        .await
        .expect("run");
    for (task, hash) in &run.tasks {
        store
            .record_task(id, task, hash, 1000, 4000)
            .await
            .expect("task");
        let b = BaselineRow {
            calls: 10,
            min_s: 0.001,
            median_s: 0.001,
            mean_s: 0.001,
            stddev_s: 0.0,
        };
        store
            .save_baseline(id, task, "rust-reference", &b)
            .await
            .expect("baseline");
    }
    id
}

/// A sample turn of `outcome`; correct ones run at `speedup` (kernel median
/// `0.001 / speedup` s) and carry five passed trials.
pub fn sample(
    run_id: i64,
    task: &str,
    index: i64,
    turn: i64,
    outcome: Outcome,
    speedup: Option<f64>,
) -> SampleRecord {
    let correct = outcome == Outcome::Correct;
    let compiled = matches!(outcome, Outcome::Correct | Outcome::Wrong | Outcome::Fault);
    let kernel = speedup.map(|s| Stats {
        calls: 10,
        min: 0.001 / s,
        median: 0.001 / s,
        mean: 0.001 / s,
        stddev: 0.0,
    });
    SampleRecord {
        run_id,
        task_id: task.into(),
        sample_index: index,
        turn,
        prompt: Some("prompt".into()),
        answer: Some(format!("answer of {task} #{index}")),
        reasoning: Some(format!("reasoning <about> {task}")),
        input_tokens: Some(100),
        output_tokens: Some(50),
        reasoning_tokens: Some(20),
        finish_reason: Some("stop".into()),
        llm_seconds: Some(1.0),
        cost_usd: Some(0.01),
        llm_attempts: Some(1),
        from_cache: Some(false),
        code: Some(format!(
            "extern \"C\" int kb_forward() {{ return {index}; }} // {task}"
        )),
        outcome,
        compiled,
        correct,
        fault: (outcome == Outcome::Fault).then(|| "segfault".into()),
        detail: Some(format!("{outcome:?}")),
        compile_log: (outcome == Outcome::CompileError).then(|| "error: no".into()),
        compile_key: None,
        compile_cached: None,
        compile_seconds: Some(0.5),
        kernel,
        timed_outputs_ok: correct.then_some(true),
        speedup: if correct { speedup } else { None },
        speedup_pytorch: None,
        faster_than_roofline: Some(false),
        time_estimated: None,
        roofline_fraction: None,
        network_isolated: Some(true),
        filesystem_confined: Some(true),
        reads_confined: Some(true),
        signals_confined: Some(true),
        syscalls_filtered: Some(true),
        processes_hidden: Some(true),
        unprivileged: Some(true),
        worker_seconds: Some(0.2),
        timing_seconds: Some(0.3),
        trials: if compiled {
            (0..5)
                .map(|trial| TrialRecord {
                    trial,
                    status: Some(0),
                    passed: correct,
                    inputs_unchanged: Some(true),
                    max_abs_err: Some(if correct { 0.0 } else { 1.0 }),
                    max_e: Some(if correct { 0.0 } else { 0.5 }),
                    mismatches: Some(if correct { 0 } else { 3 }),
                    first_mismatch: (!correct).then(|| "at 0: 1 vs 2".into()),
                })
                .collect()
        } else {
            Vec::new()
        },
    }
}

/// A sample to store: run, task, index, turn, outcome, speedup.
type Planned<'a> = (i64, &'a str, i64, i64, Outcome, Option<f64>);

/// `(id, hash)` pairs as owned strings.
pub fn tasks(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(t, h)| (t.to_string(), h.to_string()))
        .collect()
}

/// The store: run 1 (finished) and run 2 (a 2-turn repair run, in progress) on the same
/// three tasks; run 3 (finished) lacks one task and has another's definition changed.
pub async fn three_runs(dir: &Path) -> Store {
    let store = Store::open(&dir.join("kbench.sqlite"))
        .await
        .expect("store");
    let three = tasks(&[("act/relu", "h1"), ("act/tanh", "h2"), ("loss/mse", "h3")]);
    let run = |model, turns, samples, tasks| FixtureRun {
        backend: "cpu",
        model,
        sizes: "paper",
        samples,
        turns,
        tasks,
    };
    let r1 = add_run(&store, &run("model-a", 1, 2, three.clone())).await;
    let r2 = add_run(&store, &run("model-b", 2, 2, three)).await;
    let r3 = add_run(
        &store,
        &run(
            "model-c",
            1,
            1,
            tasks(&[("act/relu", "h1"), ("act/tanh", "h2x")]),
        ),
    )
    .await;
    let samples: [Planned; 12] = [
        (r1, "act/relu", 0, 1, Correct, Some(2.0)),
        (r1, "act/relu", 1, 1, Correct, Some(0.5)),
        (r1, "act/tanh", 0, 1, Wrong, None),
        (r1, "act/tanh", 1, 1, CompileError, None),
        (r1, "loss/mse", 0, 1, Correct, Some(1.25)),
        (r2, "act/relu", 0, 1, Wrong, None),
        (r2, "act/relu", 0, 2, Correct, Some(3.0)),
        (r2, "act/relu", 1, 1, Correct, Some(1.0)),
        (r2, "act/tanh", 0, 1, Fault, None),
        (r2, "act/tanh", 1, 1, Correct, Some(0.8)),
        (r2, "loss/mse", 0, 1, Correct, Some(0.9)),
        (r3, "act/relu", 0, 1, Correct, Some(1.5)),
    ];
    for (run, task, index, turn, outcome, speedup) in samples {
        store
            .save_sample(&sample(run, task, index, turn, outcome, speedup))
            .await
            .expect("sample");
    }
    store.finish_run(r1).await.expect("finish");
    store.finish_run(r3).await.expect("finish");
    store
}
