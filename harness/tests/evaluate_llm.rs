//! `kbench evaluate` against a model server on 127.0.0.1: the repair loop over the
//! activation tasks (every task's bundled solution is checked by the parity and
//! category runs; a whole-registry evaluation takes too long for CI since the
//! convolution and matmul references take seconds each), the answer cache, settings that stop a run before any work, and model faults
//! stored per sample with their reason.

mod common;
mod fake_llm;

use common::{FAST, kbench, samples};
use std::process::Output;

async fn evaluate(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        kbench()
            .args(&args)
            .env("OPENAI_API_KEY", "sk-test")
            .output()
            .expect("kbench runs")
    })
    .await
    .expect("joined")
}

fn args(base: &str, db: &str, cache: &str, extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = [
        "evaluate",
        "--model",
        "openai:scripted",
        "--base-url",
        &format!("{base}/v1"),
        "--db",
        db,
        "--cache",
        cache,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    a.extend(FAST.iter().map(|s| s.to_string()));
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

/// The tasks the repair loop test runs.
const REPAIRED: &str = "activation/";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repair_loop_fixes_every_activation_task_on_turn_two() {
    let (base, state) = fake_llm::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("kb.sqlite");
    let db = db.to_str().expect("utf-8");
    let cache = dir.path().join("cache");
    let cache = cache.to_str().expect("utf-8");
    let out = evaluate(args(
        &base,
        db,
        cache,
        &["--turns", "3", "--tasks", REPAIRED],
    ))
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let db_path = std::path::PathBuf::from(db);
    let rows = tokio::task::spawn_blocking(move || samples(&db_path, 1))
        .await
        .expect("joined");
    let mut tasks: std::collections::BTreeMap<&str, Vec<&kbench::store::SampleRow>> =
        Default::default();
    for r in &rows {
        tasks.entry(r.task_id.as_str()).or_default().push(r);
    }
    let expected = kbench_tasks::registry::all()
        .iter()
        .filter(|t| t.id().contains(REPAIRED))
        .count();
    assert!(expected > 1);
    assert_eq!(tasks.len(), expected);
    for (task, turns) in &tasks {
        assert!(
            !turns[0].correct && turns[0].outcome.as_str() == "wrong",
            "{task}: {:?}",
            turns[0]
        );
        assert!(turns.len() >= 2 && turns[1].correct, "{task}: {turns:?}");
        // A third turn only for a correct kernel not faster than the reference.
        if turns.len() == 3 {
            assert!(
                !kbench::outcome::is_faster(turns[1].speedup),
                "{task}: {turns:?}"
            );
        }
        assert!(turns.len() <= 3);
    }
    assert!(
        stdout.contains("after turn 1: compiled 100.0%, correct 0.0%"),
        "{stdout}"
    );
    assert!(stdout.contains("| all "), "{stdout}");
    assert!(stdout.contains("model usage: "), "{stdout}");
    assert_eq!(
        state.lock().expect("lock").calls.get("scripted").copied(),
        Some(rows.len() as u32),
        "one request per stored turn"
    );
    let (dir_path, db_owned) = (dir.path().to_path_buf(), db.to_string());
    tokio::task::spawn_blocking(move || {
        curate_keeps_the_repaired_turns(&dir_path, &db_owned, expected)
    })
    .await
    .expect("curate checks");
}

/// `kbench curate` on the repair run: the provider's finish reason is stored, each
/// task's repaired turn is kept with the trace the fake model sent inside `<think>` and
/// its own repair prompt, and the wrong first turns are rejects.
fn curate_keeps_the_repaired_turns(dir: &std::path::Path, db: &str, tasks: usize) {
    let stored = tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(async {
            let store = kbench::store::Store::open(std::path::Path::new(db))
                .await
                .expect("open store");
            store.curate_samples(1).await.expect("samples")
        });
    assert!(
        stored
            .iter()
            .all(|s| s.finish_reason.as_deref() == Some("stop")),
        "{stored:?}"
    );
    let out = dir.join("dataset");
    // Timing spread is not what this test is about: let any spread through.
    let curated = kbench()
        .args([
            "curate",
            "--runs",
            "1",
            "--max-spread",
            "1e9",
            "--db",
            db,
            "--out",
        ])
        .arg(&out)
        .output()
        .expect("curate");
    assert!(
        curated.status.success(),
        "{}",
        String::from_utf8_lossy(&curated.stderr)
    );
    let lines = |f: &str| -> Vec<serde_json::Value> {
        std::fs::read_to_string(out.join(f))
            .expect("file")
            .lines()
            .map(|l| serde_json::from_str(l).expect("json"))
            .collect()
    };
    let train = lines("train.jsonl");
    let kept_tasks: std::collections::BTreeSet<&str> =
        train.iter().filter_map(|r| r["task_id"].as_str()).collect();
    assert_eq!(
        kept_tasks.len(),
        tasks,
        "one repaired turn per task at least"
    );
    for r in &train {
        assert!(r["turn"].as_i64() >= Some(2), "{r}");
        let assistant = r["messages"][1]["content"].as_str().expect("assistant");
        assert!(
            assistant.starts_with("<think>\nLet me think.\n</think>\n\n"),
            "{assistant}"
        );
        let user = r["messages"][0]["content"].as_str().expect("user");
        assert!(user.contains("## Your previous answer (turn "), "{user}");
    }
    let rejects = lines("rejects.jsonl");
    let first_turns = rejects
        .iter()
        .filter(|r| r["turn"] == 1 && r["reason"] == "not_correct")
        .count();
    assert_eq!(first_turns, tasks, "every wrong first turn is a reject");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rerun_asks_nothing_twice_unless_told() {
    let (base, state) = fake_llm::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("kb.sqlite");
    let db = db.to_str().expect("utf-8");
    let cache = dir.path().join("cache");
    let cache = cache.to_str().expect("utf-8");
    let one_task = ["--tasks", "activation/relu", "--turns", "2"];
    for _ in 0..2 {
        let out = evaluate(args(&base, db, cache, &one_task)).await;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(
        state.lock().expect("lock").calls.get("scripted"),
        Some(&2),
        "cached"
    );
    let mut fresh = one_task.to_vec();
    fresh.push("--no-cache");
    let out = evaluate(args(&base, db, cache, &fresh)).await;
    assert!(out.status.success());
    assert_eq!(state.lock().expect("lock").calls.get("scripted"), Some(&4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_model_settings_stop_before_any_work() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("kb.sqlite");
    let db = db.to_str().expect("utf-8");
    let unreachable = evaluate(args("http://127.0.0.1:9", db, "unused", &[])).await;
    assert!(!unreachable.status.success());
    let msg = String::from_utf8_lossy(&unreachable.stderr).into_owned();
    assert!(
        msg.contains("cannot reach") && msg.contains("--base-url"),
        "{msg}"
    );
    assert_eq!(msg.trim().lines().count(), 1, "one line: {msg}");

    let no_key = tokio::task::spawn_blocking({
        let db = db.to_string();
        move || {
            kbench()
                .args(["evaluate", "--model", "anthropic:claude", "--db", &db])
                .env_remove("ANTHROPIC_API_KEY")
                .output()
                .expect("runs")
        }
    })
    .await
    .expect("joined");
    assert!(!no_key.status.success());
    assert!(String::from_utf8_lossy(&no_key.stderr).contains("ANTHROPIC_API_KEY"));

    let unknown = evaluate(vec![
        "evaluate".into(),
        "--model".into(),
        "mystery:x".into(),
        "--db".into(),
        db.into(),
    ])
    .await;
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown model `mystery:x`"));
    let runs = kbench().args(["runs", "--db", db]).output().expect("runs");
    assert!(String::from_utf8_lossy(&runs.stdout).contains("no runs"));
}

/// Whether run 1 in the database at `db` is marked finished.
fn run_finished(db: &std::path::Path) -> bool {
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(async {
            let store = kbench::store::Store::open(db).await.expect("open store");
            store.run(1).await.expect("run 1").finished_at.is_some()
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn model_faults_are_stored_with_their_reason_and_the_run_completes() {
    let (base, _state) = fake_llm::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join("cache");
    let cache = cache.to_str().expect("utf-8");
    // A failed model call is a `model_error` and makes the exit status non-zero, but
    // the sample is stored with its reason and the run still completes.
    for (model, outcome, reason, succeeds) in [
        ("empty", "no_code", "no code block", true),
        ("no-code", "no_code", "no code block", true),
        ("malformed", "model_error", "malformed response", false),
        ("bad-request", "model_error", "answered 400", false),
        ("rate-limited", "wrong", "", true),
        ("drop", "wrong", "", true),
    ] {
        let db = dir.path().join(format!("{model}.sqlite"));
        let db = db.to_str().expect("utf-8").to_string();
        let mut a = args(&base, &db, cache, &["--tasks", "activation/relu"]);
        a[2] = format!("openai:{model}");
        let out = evaluate(a).await;
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.success(), succeeds, "{model}: {stderr}");
        if !succeeds {
            let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
            assert_eq!(errors.len(), 1, "{model}: {stderr}");
            assert_eq!(
                stderr.trim_end().lines().last(),
                Some(errors[0]),
                "{stderr}"
            );
            assert!(errors[0].contains("1 of 1 samples"), "{model}: {stderr}");
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                stdout.contains("model failures: 1 of 1 samples"),
                "{model}: {stdout}"
            );
        }
        let db_path = std::path::PathBuf::from(&db);
        let (rows, finished) =
            tokio::task::spawn_blocking(move || (samples(&db_path, 1), run_finished(&db_path)))
                .await
                .expect("joined");
        assert!(finished, "{model}: the run is marked finished");
        assert_eq!(rows.len(), 1, "{model}");
        assert_eq!(rows[0].outcome.as_str(), outcome, "{model}: {:?}", rows[0]);
        let detail = rows[0].detail.clone().unwrap_or_default();
        assert!(detail.contains(reason), "{model}: {detail}");
    }
}
