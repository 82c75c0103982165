//! The npu-emu backend through the whole harness: every bundled solution
//! (`solutions/npu-emu`) and exemplar solution (`prompts/npu-emu/exemplars`) passes;
//! every broken variant of `tests/npu_faults/` (its first line: `<task id> <expected>`,
//! the expected fault label or `compile_error`) ends as expected; estimated times give
//! a roofline fraction and never a speedup.

mod common;

use common::{assert_bundled_estimates_pass, assert_exemplars_pass, check_broken_variants};

#[test]
fn every_bundled_solution_passes_with_an_estimate_and_no_speedup() {
    let said = assert_bundled_estimates_pass("npu-emu");
    assert!(!said.contains("| speedup"), "{said}");
}

#[test]
fn every_exemplar_solution_passes() {
    assert_exemplars_pass("npu-emu");
}

#[test]
fn each_broken_variant_ends_with_its_fault() {
    let checked = check_broken_variants("npu-emu", "npu_faults", &[]);
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
