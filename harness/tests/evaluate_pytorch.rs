//! The second baseline: PyTorch eager, timed on the same inputs when torch is installed.

mod common;

use common::{evaluate_in, samples};
use std::path::PathBuf;

#[test]
fn pytorch_eager_baseline_is_stored_and_used() {
    let python = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
    if !kbench::evaluate::has_torch(&python) {
        println!(
            "SKIPPED: {} cannot import torch; scripts/test.sh installs it before cargo test",
            python.display()
        );
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let python = python.to_str().expect("utf-8");
    let (db, stdout) = evaluate_in(
        dir.path(),
        &["--tasks", "activation/relu", "--pytorch", python],
    );
    let rows = samples(&db, 1);
    assert_eq!(rows.len(), 1);
    assert!(rows[0].correct, "{:?}", rows[0]);
    assert!(rows[0].has_pytorch_baseline);
    assert!(
        rows[0].speedup_pytorch.is_some_and(|s| s > 0.0),
        "{:?}",
        rows[0]
    );
    assert!(stdout.contains("speedup torch"), "{stdout}");
}
