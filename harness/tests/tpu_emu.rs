//! The tpu-emu backend through the whole harness (with JAX, `scripts/install-jax.sh`):
//! every bundled solution (`solutions/tpu-emu`) and exemplar solution
//! (`prompts/tpu-emu/exemplars`) passes with an estimate and no speedup; every broken
//! variant of `tests/tpu_faults/` (8 tasks: a race, an out-of-bounds block, a block
//! shape TPU tiling refuses, VMEM over its limit, no `pallas_call`, a Python exception,
//! an endless loop, a policy breach) ends as expected.
//!
//! Without a Python with JAX these tests say so and skip, unless `KBENCH_REQUIRE_JAX=1`
//! (set by `scripts/test.sh`), which makes a missing JAX a failure.

mod common;

use common::{assert_bundled_estimates_pass, assert_exemplars_pass, check_broken_variants};

/// Whether JAX is here; otherwise prints why the test skips (or fails, when required).
fn jax_available() -> bool {
    let backend = kbench_backends::backend_by_name("tpu-emu").expect("tpu-emu");
    match backend.check_ready() {
        Ok(()) => true,
        Err(e) => {
            assert!(
                std::env::var_os("KBENCH_REQUIRE_JAX").is_none(),
                "KBENCH_REQUIRE_JAX is set but JAX is missing: {e}"
            );
            eprintln!("skipping: {e}");
            false
        }
    }
}

#[test]
fn every_bundled_solution_passes_with_an_estimate_and_no_speedup() {
    if !jax_available() {
        return;
    }
    assert_bundled_estimates_pass("tpu-emu");
}

#[test]
fn every_exemplar_solution_passes() {
    if !jax_available() {
        return;
    }
    assert_exemplars_pass("tpu-emu");
}

#[test]
fn each_broken_variant_ends_with_its_fault() {
    if !jax_available() {
        return;
    }
    let checked = check_broken_variants("tpu-emu", "tpu_faults", &["--timeout", "30"]);
    assert!(checked >= 8, "only {checked} broken variants");
}
