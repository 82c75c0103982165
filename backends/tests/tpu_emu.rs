//! The tpu-emu backend with JAX (`scripts/install-jax.sh`): a kernel module compiles
//! (syntax and policy), loads into a Python worker and computes the right values; the
//! cost model's estimate equals the hand computation for a copy and for a matrix
//! product; the policy refuses a kernel that reaches past JAX; each worker fault has its
//! status.
//!
//! Without a Python with JAX these tests say so and skip, unless `KBENCH_REQUIRE_JAX=1`
//! (set by `scripts/test.sh`), which makes a missing JAX a failure.

use kbench_backends::worker::TensorFile;
use kbench_backends::{Backend, backend_by_name};
use kbench_tasks::DType;
use std::path::Path;

/// The emulated chip's figures, as the worker states them.
const HBM_BYTES_PER_S: f64 = 819e9;
const MXU_F32_FLOPS: f64 = 197e12 / 3.0;

/// The backend, when JAX is here; otherwise prints why the test skips (or fails, when
/// JAX is required).
fn backend() -> Option<Box<dyn Backend>> {
    let backend = backend_by_name("tpu-emu").expect("tpu-emu");
    match backend.check_ready() {
        Ok(()) => Some(backend),
        Err(e) => {
            assert!(
                std::env::var_os("KBENCH_REQUIRE_JAX").is_none(),
                "KBENCH_REQUIRE_JAX is set but JAX is missing: {e}"
            );
            eprintln!("skipping: {e}");
            None
        }
    }
}

/// An elementwise copy over (ROWS, 1024) in (8, 1024) blocks: one grid step per 8 rows.
const COPY: &str = r#"
import jax
from jax.experimental import pallas as pl


def copy_kernel(x_ref, o_ref):
    o_ref[...] = x_ref[...]


def kb_forward(x):
    rows, cols = x.shape
    return pl.pallas_call(
        copy_kernel,
        out_shape=jax.ShapeDtypeStruct(x.shape, x.dtype),
        grid=(rows // 8,),
        in_specs=[pl.BlockSpec((8, cols), lambda i: (i, 0))],
        out_specs=pl.BlockSpec((8, cols), lambda i: (i, 0)),
    )(x)
"#;

/// One (N, N) x (N, N) product in a single block: loads, the MXU, the write-back.
const MATMUL: &str = r#"
import jax
import jax.numpy as jnp
from jax.experimental import pallas as pl


def matmul_kernel(a_ref, b_ref, o_ref):
    o_ref[...] = jnp.dot(a_ref[...], b_ref[...], preferred_element_type=jnp.float32)


def kb_forward(a, b):
    return pl.pallas_call(
        matmul_kernel,
        out_shape=jax.ShapeDtypeStruct((a.shape[0], b.shape[1]), a.dtype),
    )(a, b)
"#;

/// Compiles and loads `source`, stages `inputs` (name, shape, values) and one output of
/// `out_shape`, calls it once: (status, estimated seconds, output values).
fn run(
    backend: &dyn Backend,
    dir: &Path,
    source: &str,
    inputs: &[(&str, Vec<usize>, Vec<f32>)],
    out_shape: Vec<usize>,
) -> (i32, f64, Vec<f32>) {
    let compiled = backend
        .compile(source, &dir.join("cache"))
        .expect("python ran");
    assert!(compiled.ok, "{}", compiled.log);
    let artifact = dir.join("job").join("kernel.so");
    std::fs::create_dir_all(dir.join("job")).expect("job folder");
    std::fs::copy(compiled.artifact.expect("artifact"), &artifact).expect("copy");
    let mut kernel = backend.load(&artifact).expect("loads");
    let files: Vec<TensorFile> = inputs
        .iter()
        .map(|(name, shape, values)| {
            let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
            std::fs::write(dir.join(name), bytes).expect("input");
            TensorFile {
                file: (*name).into(),
                dtype: DType::F32,
                shape: shape.clone(),
            }
        })
        .collect();
    let out = TensorFile {
        file: "out.bin".into(),
        dtype: DType::F32,
        shape: out_shape,
    };
    let set = kernel.stage(dir, &files, &[out]).expect("staged");
    kernel.poison_outputs(set);
    let call = kernel.call(set).expect("called");
    let mut values = Vec::new();
    kernel
        .read_outputs(set, &mut |outs| {
            values = outs[0]
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            Ok(())
        })
        .expect("read");
    (call.status, call.elapsed.as_secs_f64(), values)
}

#[test]
fn a_copy_is_right_and_costs_its_bytes_over_the_bandwidth() {
    let Some(backend) = backend() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let (rows, cols) = (256, 1024);
    let x: Vec<f32> = (0..rows * cols).map(|i| (i % 977) as f32 - 400.0).collect();
    let (status, estimate, out) = run(
        backend.as_ref(),
        dir.path(),
        COPY,
        &[("x.bin", vec![rows, cols], x.clone())],
        vec![rows, cols],
    );
    assert_eq!(status, 0);
    assert_eq!(out, x);
    // Every block in and out once; the copy's own compute is nil.
    let by_hand = (2 * rows * cols * 4) as f64 / HBM_BYTES_PER_S;
    assert!(
        (estimate - by_hand).abs() <= 0.1 * by_hand,
        "{estimate} vs {by_hand}"
    );
}

#[test]
fn a_matrix_product_costs_its_loads_and_its_flops() {
    let Some(backend) = backend() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let n = 512;
    let a: Vec<f32> = (0..n * n).map(|i| ((i % 7) as f32) - 3.0).collect();
    let b: Vec<f32> = (0..n * n).map(|i| ((i % 5) as f32) - 2.0).collect();
    let (status, estimate, out) = run(
        backend.as_ref(),
        dir.path(),
        MATMUL,
        &[
            ("a.bin", vec![n, n], a.clone()),
            ("b.bin", vec![n, n], b.clone()),
        ],
        vec![n, n],
    );
    assert_eq!(status, 0);
    for (i, j) in [(0, 0), (17, 300), (511, 511)] {
        let want: f32 = (0..n).map(|k| a[i * n + k] * b[k * n + j]).sum();
        assert_eq!(out[i * n + j], want, "({i}, {j})");
    }
    // One grid step: its blocks (A, B in, C out) are not hidden behind anything, then
    // 2 n^3 FLOPs on the MXU at the float32 rate.
    let by_hand =
        (3 * n * n * 4) as f64 / HBM_BYTES_PER_S + 2.0 * (n as f64).powi(3) / MXU_F32_FLOPS;
    assert!(
        (estimate - by_hand).abs() <= 0.1 * by_hand,
        "{estimate} vs {by_hand}"
    );
}

#[test]
fn the_policy_refuses_a_kernel_that_reaches_past_jax() {
    let Some(backend) = backend() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    for (source, said) in [
        (
            "import os\n",
            "kernel.py:1: error: tpu-emu policy: `import os`",
        ),
        (
            "import jax\nx = 1\njax.numpy = None\n",
            "kernel.py:3: error: tpu-emu policy: assigning",
        ),
        (
            "import jax\nf = jax.__dict__\n",
            "kernel.py:2: error: tpu-emu policy: `.__dict__`",
        ),
        (
            "import numpy as np\nc = np.ctypeslib.ctypes\n",
            "kernel.py:2: error: tpu-emu policy: `.ctypeslib`",
        ),
        (
            "from numpy import ctypeslib\n",
            "kernel.py:1: error: tpu-emu policy: importing `ctypeslib`",
        ),
        ("def f(:\n", "SyntaxError"),
    ] {
        let compiled = backend
            .compile(source, &dir.path().join("cache"))
            .expect("python ran");
        assert!(!compiled.ok, "{source} compiled");
        assert!(compiled.log.contains(said), "{}", compiled.log);
    }
}

#[test]
fn each_worker_fault_has_a_status_of_its_own() {
    let backend = backend_by_name("tpu-emu").expect("tpu-emu");
    let mut seen = std::collections::BTreeSet::new();
    for label in kbench_backends::tpu_emu::FAULTS {
        let status = kbench_backends::tpu_emu::fault_status(label);
        assert_eq!(backend.status_fault(status), Some(label));
        assert!(seen.insert(status));
    }
    assert_eq!(backend.status_fault(0), None);
}
