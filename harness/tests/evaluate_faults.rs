//! Answers that never reach a worker, and settings refused before any work. The
//! hostile kernels and their verdicts are the exploit suite (`exploits.rs`).

mod common;

use common::{run, samples};

const TASK: &str = "activation/relu";

#[test]
fn a_missing_answer_is_stored_as_such() {
    let dir = tempfile::tempdir().expect("tempdir");
    let replay = dir.path().join("answers");
    std::fs::create_dir_all(&replay).expect("mkdir");
    let db = dir.path().join("kb.sqlite");
    let model = format!("replay:{}", replay.display());
    let out = run(&[
        "evaluate",
        "--model",
        &model,
        "--tasks",
        TASK,
        "--db",
        db.to_str().expect("utf-8"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = samples(&db, 1);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].outcome.as_str(), "no_answer");
}

#[test]
fn bad_settings_stop_before_any_work() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("kb.sqlite");
    let db = db.to_str().expect("utf-8");
    for (args, message) in [
        (
            vec!["--backend", "tpu-emu", "--python", "/does/not/exist/python"],
            "scripts/install-jax.sh",
        ),
        (
            vec!["--backend", "tpu"],
            "possible values: cpu, cuda, npu-emu, tpu-emu",
        ),
        (vec!["--model", "replay:/does/not/exist"], "does not exist"),
        (vec!["--model", "gpt:x"], "unknown model"),
        (vec!["--tasks", "no/such/task"], "no task id contains"),
        (vec!["--resume", "99"], "no run 99"),
    ] {
        let mut full = vec!["evaluate", "--db", db];
        full.extend(args.iter().copied());
        let out = run(&full);
        assert!(!out.status.success(), "{args:?} accepted");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
    let runs = run(&["runs", "--db", db]);
    assert!(
        String::from_utf8_lossy(&runs.stdout).contains("no runs"),
        "nothing may be stored by a refused evaluate"
    );
}
