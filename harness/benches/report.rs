//! `kbench report` at scale (`cargo bench -p kbench --bench report`): a generated store
//! of 10 runs x 300 tasks x 5 samples (15,000 samples, each with ~1.5 KB of code and
//! ~3 KB of reasoning, five trials, outcomes and speedups spread over the range), then
//! the `kbench` binary writing the whole report, timed as a user runs it (process start,
//! reading the store, every page, `report.md`, CSV and JSON). Prints the wall time, the
//! size of `index.html` and of the whole report. Target: at most 2 s, `index.html` under
//! 5 MB.

#[path = "../tests/report_fixture/mod.rs"]
mod report_fixture;

use kbench::outcome::Outcome;
use kbench::store::Store;
use report_fixture::{FixtureRun, add_run, sample};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const RUNS: usize = 10;
const TASKS: usize = 300;
const SAMPLES: usize = 5;

/// Bytes of every file under `dir`.
fn size_of(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .expect("folder")
        .map(|e| {
            let e = e.expect("entry");
            let meta = e.metadata().expect("metadata");
            if meta.is_dir() {
                size_of(&e.path())
            } else {
                meta.len()
            }
        })
        .sum()
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("kb.sqlite");
    let start = Instant::now();
    let store = Store::open(&db).await.expect("store");
    let categories = ["activation", "conv", "matmul", "loss", "norm", "pool"];
    let tasks: Vec<(String, String)> = (0..TASKS)
        .map(|t| {
            (
                format!("{}/task_{t:03}", categories[t % categories.len()]),
                format!("h{t}"),
            )
        })
        .collect();
    let code_pad = "// a line of kernel code, about sixty characters long ....\n".repeat(25);
    let reasoning_pad = "Reasoning about tiling, memory traffic and correctness. ".repeat(54);
    for r in 0..RUNS {
        let run = FixtureRun {
            backend: "cpu",
            model: &format!("model-{r}"),
            sizes: "paper",
            samples: SAMPLES,
            turns: 1,
            tasks: tasks.clone(),
        };
        let id = add_run(&store, &run).await;
        for (t, (task, _)) in tasks.iter().enumerate() {
            for s in 0..SAMPLES {
                let spread = (r * 7 + t * 13 + s * 3) % 10;
                let outcome = match spread {
                    0 => Outcome::CompileError,
                    1 => Outcome::Wrong,
                    2 => Outcome::Fault,
                    _ => Outcome::Correct,
                };
                let speedup = Some(0.1 * (1 + (t + s + r) % 40) as f64);
                let mut record = sample(id, task, s as i64, 1, outcome, speedup);
                record.code = record.code.map(|c| c + &code_pad);
                record.reasoning = record.reasoning.map(|c| c + &reasoning_pad);
                store.save_sample(&record).await.expect("sample");
            }
        }
        store.finish_run(id).await.expect("finish");
    }
    println!(
        "fixture: {RUNS} runs x {TASKS} tasks x {SAMPLES} samples stored in {:.1} s ({:.0} MB)",
        start.elapsed().as_secs_f64(),
        std::fs::metadata(&db).expect("db").len() as f64 / 1e6
    );
    let out = dir.path().join("report");
    let mut times = Vec::new();
    for _ in 0..3 {
        let _ = std::fs::remove_dir_all(&out);
        let start = Instant::now();
        let status = Command::new(env!("CARGO_BIN_EXE_kbench"))
            .args(["report", "--db"])
            .arg(&db)
            .arg("--out")
            .arg(&out)
            .output()
            .expect("kbench report runs");
        times.push(start.elapsed().as_secs_f64());
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
    }
    times.sort_by(f64::total_cmp);
    let index = std::fs::metadata(out.join("index.html"))
        .expect("index")
        .len();
    println!(
        "kbench report: {:.2} s median of 3 (min {:.2}, max {:.2}); index.html {:.2} MB; \
         whole report {:.0} MB",
        times[1],
        times[0],
        times[2],
        index as f64 / 1e6,
        size_of(&out) as f64 / 1e6
    );
}
