//! The npu-emu backend through the whole harness: every bundled solution
//! (`solutions/npu-emu`) and exemplar solution (`prompts/npu-emu/exemplars`) passes;
//! every broken variant of `tests/npu_faults/` (its first line: `<task id> <expected>`,
//! the expected fault label or `compile_error`) ends as expected; estimated times give
//! a roofline fraction and never a speedup.

mod common;

use common::{evaluate_in, samples};
use std::path::Path;

/// The bundled npu-emu solutions' task ids.
fn solved_tasks() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../solutions/npu-emu");
    let mut ids = Vec::new();
    for category in std::fs::read_dir(&root).expect("solutions/npu-emu") {
        let category = category.expect("entry").path();
        for file in std::fs::read_dir(&category).expect("category") {
            let file = file.expect("entry").path();
            if file.extension().is_some_and(|e| e == "md") {
                ids.push(format!(
                    "{}/{}",
                    category.file_name().expect("name").to_string_lossy(),
                    file.file_stem().expect("stem").to_string_lossy()
                ));
            }
        }
    }
    ids.sort();
    ids
}

#[test]
fn every_bundled_solution_passes_with_an_estimate_and_no_speedup() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, said) = evaluate_in(dir.path(), &["--backend", "npu-emu"]);
    let rows = samples(&db, 1);
    let solved = solved_tasks();
    assert!(!solved.is_empty());
    for id in &solved {
        let row = rows
            .iter()
            .find(|r| &r.task_id == id)
            .unwrap_or_else(|| panic!("{id} was not evaluated"));
        assert!(row.correct, "{id}: {} {:?}", row.outcome, row.detail);
        assert_eq!(row.speedup, None, "{id}: no speedup from an estimate");
        let fraction = row.roofline_fraction.expect("a roofline fraction");
        assert!(fraction > 0.0 && fraction <= 2.0, "{id}: {fraction}");
    }
    assert!(
        said.contains("roofline fraction (median, estimated)"),
        "{said}"
    );
    assert!(!said.contains("| speedup"), "{said}");
}

#[test]
fn every_exemplar_solution_passes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, _) = evaluate_in(dir.path(), &["--backend", "npu-emu", "--exemplars"]);
    let rows = samples(&db, 1);
    let written: Vec<_> = rows
        .iter()
        .filter(|r| r.outcome.as_str() != "no_answer")
        .collect();
    assert!(!written.is_empty());
    for row in written {
        assert!(
            row.correct,
            "{}: {} {:?}",
            row.task_id, row.outcome, row.detail
        );
    }
}

#[test]
fn each_broken_variant_ends_with_its_fault() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/npu_faults");
    let mut checked = 0;
    for entry in std::fs::read_dir(&fixtures).expect("tests/npu_faults") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("fixture");
        let (first, answer) = text.split_once('\n').expect("a first line");
        let (task, expected) = first
            .trim()
            .split_once(' ')
            .expect("`<task id> <expected>`");
        let dir = tempfile::tempdir().expect("tempdir");
        let (category, name) = task.split_once('/').expect("category/name");
        let answers = dir.path().join("answers");
        std::fs::create_dir_all(answers.join(category)).expect("folder");
        std::fs::write(answers.join(category).join(format!("{name}.md")), answer).expect("answer");
        let model = format!("replay:{}", answers.display());
        let (db, _) = evaluate_in(
            dir.path(),
            &["--backend", "npu-emu", "--model", &model, "--tasks", task],
        );
        let rows = samples(&db, 1);
        let row = rows
            .iter()
            .find(|r| r.task_id == task)
            .unwrap_or_else(|| panic!("{}: {task} not evaluated", path.display()));
        match expected {
            "compile_error" => assert_eq!(row.outcome.as_str(), "compile_error", "{row:?}"),
            fault => {
                assert_eq!(row.outcome.as_str(), "fault", "{}: {row:?}", path.display());
                assert_eq!(
                    row.fault.as_deref(),
                    Some(fault),
                    "{}: {row:?}",
                    path.display()
                );
            }
        }
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} broken variants");
}

#[test]
fn estimates_get_a_short_plan_and_measured_times_the_configured_one() {
    use kbench_backends::timing::TimingPlan;
    let configured = TimingPlan::STANDARD;
    let npu = kbench_backends::backend_by_name("npu-emu").expect("npu-emu");
    let plan = kbench::evaluate::kernel_plan(configured, npu.as_ref());
    assert_eq!(plan.warmup, 0);
    assert_eq!(
        (plan.min_calls, plan.max_calls),
        (TimingPlan::ESTIMATE_CALLS, TimingPlan::ESTIMATE_CALLS)
    );
    let cpu = kbench_backends::backend_by_name("cpu").expect("cpu");
    let plan = kbench::evaluate::kernel_plan(configured, cpu.as_ref());
    assert_eq!(
        (plan.warmup, plan.min_calls, plan.max_calls),
        (
            configured.warmup,
            configured.min_calls,
            configured.max_calls
        )
    );
}
