//! The concurrent pipeline: the same answers give the same stored outcomes whether
//! evaluated one job at a time or several; KBENCH_SALT reproduces a run's inputs; the
//! reporters write one line per sample off a terminal, and JSON lines on request.

mod common;

use common::{FAST, elementwise_answer, kbench, samples, write_two_samples};
use kbench::store::Store;
use std::path::Path;
use std::process::Output;

const FILTER: &str = "activation/";
const SALT: &str = "a fixed salt for replaying a failure";

/// Two samples per activation task: the bundled solution, then (by task) a wrong
/// kernel, a compile error, a crash or the solution again.
fn make_answers(dir: &Path) -> usize {
    write_two_samples(dir, FILTER, |i, solution| match i % 4 {
        0 => elementwise_answer("for (int64_t i = 0; i < n; ++i) y[i] = 0.5f * x[i];"),
        1 => elementwise_answer("undefined_name(x);"),
        2 => elementwise_answer("*(volatile int *)nullptr = 1;"),
        _ => solution,
    })
}

fn evaluate(dir: &Path, db: &str, extra: &[&str], salt: Option<&str>) -> Output {
    let model = format!("replay:{}", dir.join("answers").display());
    let cache = dir.join("cache");
    let mut args = vec![
        "evaluate",
        "--model",
        &model,
        "--tasks",
        FILTER,
        "--samples",
        "2",
        "--db",
        db,
        "--cache",
        cache.to_str().expect("utf-8"),
    ];
    args.extend(FAST);
    args.extend(extra);
    let mut cmd = kbench();
    cmd.args(&args);
    match salt {
        Some(s) => cmd.env("KBENCH_SALT", s),
        None => cmd.env_remove("KBENCH_SALT"),
    };
    let out = cmd.output().expect("kbench runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

type Outcomes = Vec<(String, i64, i64, kbench::outcome::Outcome, bool)>;

fn outcomes(db: &Path) -> Outcomes {
    samples(db, 1)
        .into_iter()
        .map(|r| (r.task_id, r.sample_index, r.turn, r.outcome, r.correct))
        .collect()
}

fn store_of(db: &Path) -> (tokio::runtime::Runtime, Store) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let store = rt.block_on(Store::open(db)).expect("open store");
    (rt, store)
}

#[test]
fn sequential_and_concurrent_runs_store_the_same_and_the_salt_replays_inputs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let total = make_answers(&dir.path().join("answers"));
    let seq = dir.path().join("seq.sqlite");
    let par = dir.path().join("par.sqlite");
    let free = dir.path().join("free.sqlite");
    let out_seq = evaluate(
        dir.path(),
        seq.to_str().expect("utf-8"),
        &["--jobs", "1"],
        Some(SALT),
    );
    evaluate(
        dir.path(),
        par.to_str().expect("utf-8"),
        &["--jobs", "3"],
        Some(SALT),
    );
    evaluate(dir.path(), free.to_str().expect("utf-8"), &[], None);

    let expected = outcomes(&seq);
    assert_eq!(expected.len(), total);
    let kinds: std::collections::BTreeSet<_> = expected.iter().map(|o| o.3).collect();
    assert!(kinds.len() >= 4, "a mix of outcomes: {kinds:?}");
    assert_eq!(outcomes(&par), expected, "concurrency changes no outcome");
    assert_eq!(
        outcomes(&free),
        expected,
        "a random salt changes no outcome either"
    );

    let (rt, seq_store) = store_of(&seq);
    let (_, par_store) = store_of(&par);
    let (_, free_store) = store_of(&free);
    let errors = |s: &Store| rt.block_on(s.trial_errors(1)).expect("trials");
    let fixed = errors(&seq_store);
    assert!(!fixed.is_empty());
    assert_eq!(
        fixed,
        errors(&par_store),
        "the same salt gives the same inputs"
    );
    assert_ne!(
        fixed,
        errors(&free_store),
        "another salt gives other inputs"
    );
    let run = |s: &Store| rt.block_on(s.run(1)).expect("run");
    assert!(!run(&seq_store).salt_secret && run(&seq_store).salt == SALT);
    assert!(run(&free_store).salt_secret);
    assert!(
        String::from_utf8_lossy(&out_seq.stderr).contains("KBENCH_SALT is set"),
        "the user is told the salt is not secret"
    );
}

#[test]
fn reporters_write_a_line_per_sample_or_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let total = make_answers(&dir.path().join("answers"));
    let text_db = dir.path().join("text.sqlite");
    let text = evaluate(dir.path(), text_db.to_str().expect("utf-8"), &[], None);
    let stderr = String::from_utf8_lossy(&text.stderr);
    let sample_lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with('[')).collect();
    assert_eq!(sample_lines.len(), total, "one line per sample:\n{stderr}");
    assert!(
        sample_lines
            .iter()
            .any(|l| l.contains(&format!("[{total}/{total}]"))),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&text.stdout).contains("| all "));

    let json_db = dir.path().join("json.sqlite");
    let json = evaluate(
        dir.path(),
        json_db.to_str().expect("utf-8"),
        &["--format", "json"],
        None,
    );
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&json.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let kind = |e: &serde_json::Value| e["event"].as_str().unwrap_or_default().to_string();
    assert_eq!(events.first().map(kind).as_deref(), Some("run_started"));
    assert_eq!(events.last().map(kind).as_deref(), Some("run_finished"));
    let finished: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| kind(e) == "sample_finished")
        .collect();
    assert_eq!(finished.len(), total);
    assert!(
        finished
            .iter()
            .all(|e| e["outcome"].is_string() && e["task"].is_string())
    );
    let last = events.last().expect("events");
    assert_eq!(last["samples"].as_u64(), Some(total as u64));
    assert!(
        last["summary"]
            .as_array()
            .is_some_and(|rows| !rows.is_empty())
    );
}

#[test]
fn a_run_stores_its_size_profile_and_its_prompt_shows_those_sizes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, _) = common::evaluate_in(
        dir.path(),
        &[
            "--tasks",
            "broadcast/add_bias_broadcast",
            "--sizes",
            "current",
        ],
    );
    let (rt, store) = store_of(&db);
    let run = rt.block_on(store.run(1)).expect("run 1");
    let config: serde_json::Value = serde_json::from_str(&run.config).expect("config json");
    assert_eq!(config["sizes"], "current", "{}", run.config);
    let listed = rt.block_on(store.runs()).expect("runs");
    assert_eq!(listed.first().map(|r| r.sizes.as_str()), Some("current"));
    let task =
        kbench_tasks::registry::find_in("activation/relu", kbench_tasks::SizeProfile::Current)
            .expect("relu");
    let backend = kbench_backends::backend_by_name("cpu").expect("the cpu backend");
    let prompt = kbench::prompt::render(
        task,
        backend.as_ref(),
        kbench::prompt::Strategy::CategoryShot,
    )
    .expect("prompt");
    assert!(prompt.contains("dim = 393216"), "{prompt}");
}
