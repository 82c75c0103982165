//! A run killed with SIGKILL midway resumes to the results of an uninterrupted run,
//! with nothing lost or duplicated.

mod common;

use common::{FAST, elementwise_answer, kbench, samples, write_two_samples};
use std::path::Path;
use std::time::{Duration, Instant};

const FILTER: &str = "activation/";

/// Sample 0 of every activation task is its bundled solution; sample 1 is the bundled
/// solution for every other task and a wrong kernel for the rest.
fn make_answers(dir: &Path) -> usize {
    write_two_samples(dir, FILTER, |i, solution| {
        if i % 2 == 0 {
            elementwise_answer("for (int64_t i = 0; i < n; ++i) y[i] = 0.5f * x[i];")
        } else {
            solution
        }
    })
}

fn evaluate_args<'a>(model: &'a str, db: &'a str, cache: &'a str) -> Vec<&'a str> {
    let mut args = vec![
        "evaluate",
        "--model",
        model,
        "--tasks",
        FILTER,
        "--samples",
        "2",
        "--db",
        db,
        "--cache",
        cache,
    ];
    args.extend(FAST);
    args
}

fn outcomes(db: &Path) -> Vec<(String, i64, kbench::outcome::Outcome, bool)> {
    samples(db, 1)
        .into_iter()
        .map(|r| (r.task_id, r.sample_index, r.outcome, r.correct))
        .collect()
}

#[test]
fn killed_run_resumes_to_the_same_results() {
    let dir = tempfile::tempdir().expect("tempdir");
    let answers = dir.path().join("answers");
    let total = make_answers(&answers);
    let model = format!("replay:{}", answers.display());
    let cache = dir.path().join("cache");
    let cache = cache.to_str().expect("utf-8");

    let db_full = dir.path().join("full.sqlite");
    let full = kbench()
        .args(evaluate_args(
            &model,
            db_full.to_str().expect("utf-8"),
            cache,
        ))
        .output()
        .expect("runs");
    assert!(
        full.status.success(),
        "{}",
        String::from_utf8_lossy(&full.stderr)
    );
    let expected = outcomes(&db_full);
    assert_eq!(expected.len(), total);
    assert!(expected.iter().any(|o| !o.3) && expected.iter().any(|o| o.3));

    let db_cut = dir.path().join("cut.sqlite");
    let db_cut_str = db_cut.to_str().expect("utf-8");
    let mut child = kbench()
        .args(evaluate_args(&model, db_cut_str, cache))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawns");
    let start = Instant::now();
    let mut stored_at_kill = 0;
    while start.elapsed() < Duration::from_secs(300) {
        std::thread::sleep(Duration::from_millis(50));
        if db_cut.exists() {
            let n = samples(&db_cut, 1).len();
            if n >= total / 3 {
                child.kill().expect("SIGKILL");
                stored_at_kill = n;
                break;
            }
        }
    }
    child.wait().expect("reaped");
    assert!(
        stored_at_kill > 0 && stored_at_kill < total,
        "killed midway: {stored_at_kill} of {total} stored"
    );
    let after_kill = samples(&db_cut, 1).len();
    assert!(after_kill < total, "the kill must leave work undone");

    let resumed = kbench()
        .args([
            "evaluate", "--resume", "1", "--db", db_cut_str, "--cache", cache,
        ])
        .output()
        .expect("runs");
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert_eq!(
        outcomes(&db_cut),
        expected,
        "same outcome per sample, none lost or doubled"
    );
    let runs = kbench()
        .args(["runs", "--db", db_cut_str])
        .output()
        .expect("runs");
    let listing = String::from_utf8_lossy(&runs.stdout);
    assert!(listing.contains("finished"), "{listing}");
}
