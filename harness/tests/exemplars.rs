//! Every cpu exemplar solution passes the harness.

mod common;

use common::{evaluate_in, samples};

#[test]
fn every_exemplar_solution_passes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let exemplars =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../prompts/cpu/exemplars");
    let model = format!("replay:{}", exemplars.display());
    let (db, _) = evaluate_in(dir.path(), &["--exemplars", "--model", &model]);
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
