//! Every bundled exemplar solution of the default backend passes the harness.

mod common;

use common::{evaluate_in, samples};

#[test]
fn every_exemplar_solution_passes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, _) = evaluate_in(dir.path(), &["--exemplars"]);
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
