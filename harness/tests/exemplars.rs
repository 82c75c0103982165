//! Every cpu exemplar solution passes the harness.

mod common;

use common::{FAST, run, samples};

#[test]
fn every_exemplar_solution_passes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("kb.sqlite");
    let cache = dir.path().join("cache");
    let exemplars =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../prompts/cpu/exemplars");
    let model = format!("replay:{}", exemplars.display());
    let mut args = vec![
        "evaluate",
        "--exemplars",
        "--model",
        &model,
        "--db",
        db.to_str().expect("utf-8"),
        "--cache",
        cache.to_str().expect("utf-8"),
    ];
    args.extend(FAST);
    let out = run(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = samples(&db, 1);
    assert_eq!(rows.len(), kbench_tasks::registry::exemplars().len());
    for row in rows {
        assert!(
            row.correct,
            "{}: {} {:?}",
            row.task_id, row.outcome, row.detail
        );
    }
}
