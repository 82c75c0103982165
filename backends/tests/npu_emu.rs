//! The npu-emu emulation (`include/npu_emu/`), compiled with the system C++ compiler as a
//! kernel library would be (launches rewritten, the guard linked in) and driven by a small
//! host program: a correct Ascend C kernel computes the right values; each broken rule
//! stops the call with the status that names it; an invented API name does not compile;
//! the cost model's estimates equal the hand computation for a copy-bound and a
//! vector-bound kernel.

use kbench_backends::npu_emu::{EMULATION_HEADER, SHIM, rewrite_launches, rule_fault};
use std::path::Path;
use std::process::Command;

/// The chip's figures, as the header states them.
const HBM_BYTES_PER_S: f64 = 1.6e12;
const CLOCK_HZ: f64 = 1.65e9;
const VECTOR_BYTES_PER_CYCLE: f64 = 256.0;

/// A driver: two f32 inputs and one f32 output of `N` elements, `kbench_guarded_forward`
/// once, then `status estimate-seconds first-wrong-index` (-1 when out = x + y).
const DRIVER: &str = r#"
#include "kbench.h"
#include <cstdio>
#include <vector>
extern "C" int kbench_guarded_forward(const kb_tensor *, int, kb_tensor *, int);
extern "C" double kb_emu_take_estimate();
int main() {
    const int64_t n = N;
    std::vector<float> x(n), y(n), z(n, -1.0f);
    for (int64_t i = 0; i < n; ++i) { x[i] = float(i % 1000); y[i] = 0.5f; }
    kb_tensor in[2] = {{x.data(), KB_F32, 1, {n}}, {y.data(), KB_F32, 1, {n}}};
    kb_tensor out[1] = {{z.data(), KB_F32, 1, {n}}};
    int status = kbench_guarded_forward(in, 2, out, 1);
    double estimate = kb_emu_take_estimate();
    long wrong = -1;
    for (int64_t i = 0; i < n; ++i) if (z[i] != x[i] + y[i]) { wrong = long(i); break; }
    std::printf("%d %.12e %ld\n", status, estimate, wrong);
}
"#;

/// What a run printed, or the compiler's complaint.
enum Ran {
    Printed {
        status: i32,
        estimate: f64,
        wrong: i64,
    },
    DidNotCompile(String),
}

/// Compiles `kernel` (launches rewritten) with the guard and `driver`, runs it, and
/// returns what it printed, or the compiler's complaint.
fn build_and_run(dir: &Path, kernel: &str, driver: &str) -> Result<String, String> {
    let rewritten = rewrite_launches(kernel).expect("launches read");
    for (name, text) in [
        ("kernel_operator.h", EMULATION_HEADER),
        ("npu_shim.cpp", SHIM),
        ("kbench_shim.cpp", kbench_backends::compile_cache::SHIM),
        ("kbench.h", kbench_backends::ABI_HEADER),
        ("kernel.cpp", rewritten.as_str()),
        ("driver.cpp", driver),
    ] {
        std::fs::write(dir.join(name), text).expect("write");
    }
    let built = Command::new("g++")
        .current_dir(dir)
        .args(["-std=c++17", "-O2", "-pthread", "-I", "."])
        .args(["kernel.cpp", "npu_shim.cpp", "driver.cpp", "-o", "driver"])
        .output()
        .expect("g++ runs");
    if !built.status.success() {
        return Err(String::from_utf8_lossy(&built.stderr).into_owned());
    }
    let ran = Command::new(dir.join("driver"))
        .output()
        .expect("driver runs");
    Ok(String::from_utf8_lossy(&ran.stdout).into_owned())
}

/// Compiles `kernel` with the add driver for `n` elements, and runs it.
fn run(dir: &Path, kernel: &str, n: usize) -> Ran {
    let driver = DRIVER.replace("const int64_t n = N;", &format!("const int64_t n = {n};"));
    let text = match build_and_run(dir, kernel, &driver) {
        Ok(text) => text,
        Err(log) => return Ran::DidNotCompile(log),
    };
    let mut words = text.split_whitespace();
    let mut next = || {
        words
            .next()
            .unwrap_or_else(|| panic!("driver said `{text}`"))
            .to_string()
    };
    Ran::Printed {
        status: next().parse().expect("status"),
        estimate: next().parse().expect("estimate"),
        wrong: next().parse().expect("index"),
    }
}

/// An elementwise add in the usual Ascend C shape: `BLOCKS` blocks, tiles of `TILE_LEN`
/// floats through queues of depth `DEPTH`; `BODY` is the compute between the queues.
const ADD: &str = r#"
#include "kbench.h"
#include "kernel_operator.h"
using namespace AscendC;
constexpr int32_t BUFFER_NUM = DEPTH;
constexpr uint32_t TILE = TILE_LEN;

class KernelAdd {
  public:
    __aicore__ inline void Init(GM_ADDR x, GM_ADDR y, GM_ADDR z, uint32_t total) {
        uint32_t per = total / GetBlockNum();
        xGm.SetGlobalBuffer((__gm__ float *)x + per * GetBlockIdx(), per);
        yGm.SetGlobalBuffer((__gm__ float *)y + per * GetBlockIdx(), per);
        zGm.SetGlobalBuffer((__gm__ float *)z + per * GetBlockIdx(), per);
        tiles = per / TILE;
        pipe.InitBuffer(inX, BUFFER_NUM, TILE * sizeof(float));
        pipe.InitBuffer(inY, BUFFER_NUM, TILE * sizeof(float));
        pipe.InitBuffer(outZ, BUFFER_NUM, TILE * sizeof(float));
    }
    __aicore__ inline void Process() {
        for (uint32_t i = 0; i < tiles; i++) {
            LocalTensor<float> x = inX.AllocTensor<float>();
            LocalTensor<float> y = inY.AllocTensor<float>();
            DataCopy(x, xGm[i * TILE], TILE);
            DataCopy(y, yGm[i * TILE], TILE);
            inX.EnQue(x);
            inY.EnQue(y);
            LocalTensor<float> xl = inX.DeQue<float>();
            LocalTensor<float> yl = inY.DeQue<float>();
            LocalTensor<float> z = outZ.AllocTensor<float>();
            BODY
            outZ.EnQue<float>(z);
            inX.FreeTensor(xl);
            inY.FreeTensor(yl);
            LocalTensor<float> zl = outZ.DeQue<float>();
            DataCopy(zGm[i * TILE], zl, TILE);
            outZ.FreeTensor(zl);
        }
    }
  private:
    TPipe pipe;
    TQue<QuePosition::VECIN, BUFFER_NUM> inX, inY;
    TQue<QuePosition::VECOUT, BUFFER_NUM> outZ;
    GlobalTensor<float> xGm, yGm, zGm;
    uint32_t tiles;
};

extern "C" __global__ __aicore__ void add_custom(GM_ADDR x, GM_ADDR y, GM_ADDR z, uint32_t total) {
    KernelAdd op;
    op.Init(x, y, z, total);
    op.Process();
}

extern "C" int kb_forward(const kb_tensor *in, int n_in, kb_tensor *out, int n_out) {
    uint32_t total = uint32_t(kb_numel(&in[0]));
    add_custom<<<BLOCKS, nullptr, nullptr>>>((GM_ADDR)in[0].data, (GM_ADDR)in[1].data,
                                              (GM_ADDR)out[0].data, total);
    return 0;
}
"#;

/// The add kernel with its placeholders filled.
fn add(blocks: usize, tile: usize, depth: usize, body: &str) -> String {
    ADD.replace("BLOCKS", &blocks.to_string())
        .replace("TILE_LEN", &tile.to_string())
        .replace("DEPTH", &depth.to_string())
        .replace("BODY", body)
}

/// The compute of a correct add.
const ADD_BODY: &str = "Add(z, xl, yl, TILE);";

/// 2,000 adds of the same tile: vector-bound.
const MANY_ADDS: &str =
    "Add(z, xl, yl, TILE); for (int r = 0; r < 1999; ++r) Add(z, xl, yl, TILE);";

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

/// Runs a kernel expected to compile.
fn printed(dir: &Path, kernel: &str, n: usize) -> (i32, f64, i64) {
    match run(dir, kernel, n) {
        Ran::Printed {
            status,
            estimate,
            wrong,
        } => (status, estimate, wrong),
        Ran::DidNotCompile(log) => panic!("did not compile: {log}"),
    }
}

#[test]
fn a_correct_kernel_is_right_and_a_copy_costs_its_bytes_over_the_bandwidth() {
    let dir = tempdir();
    let n = 48 * 2048 * 4;
    let (status, estimate, wrong) = printed(dir.path(), &add(48, 2048, 2, ADD_BODY), n);
    assert_eq!((status, wrong), (0, -1));
    // Copy-bound: x and y in, z out, over the chip's bandwidth (each of the 48 cores
    // streams its 1/48th at 1/48th of it); the adds (32 cycles per tile) overlap.
    let by_hand = (3 * n * 4) as f64 / HBM_BYTES_PER_S;
    assert!(
        (estimate - by_hand).abs() <= 0.1 * by_hand,
        "{estimate} vs {by_hand}"
    );
}

#[test]
fn a_vector_bound_kernel_costs_its_elements_over_the_vector_throughput() {
    let dir = tempdir();
    // One block, one tile of 64 floats (256 bytes: one cycle per instruction), 2,000
    // adds, against 3 x 256 bytes of copies (~16 cycles at 1/48 of 1.6 TB/s).
    let (status, estimate, wrong) = printed(dir.path(), &add(1, 64, 2, MANY_ADDS), 64);
    assert_eq!((status, wrong), (0, -1));
    let by_hand = 2000.0 * (64.0 * 4.0 / VECTOR_BYTES_PER_CYCLE) / CLOCK_HZ;
    assert!(
        (estimate - by_hand).abs() <= 0.1 * by_hand,
        "{estimate} vs {by_hand}"
    );
}

#[test]
fn single_buffered_queues_do_not_overlap_copies_with_compute() {
    let dir = tempdir();
    let (_, single, _) = printed(dir.path(), &add(1, 64, 1, MANY_ADDS), 64);
    let vector = 2000.0 / CLOCK_HZ;
    let copies = (3.0 * 64.0 * 4.0) / (HBM_BYTES_PER_S / 48.0);
    assert!(
        (single - (vector + copies)).abs() <= 1e-3 * single,
        "{single} vs {}",
        vector + copies
    );
}

#[test]
fn each_broken_rule_stops_the_call_with_its_fault() {
    let dir = tempdir();
    let n = 4 * 2048;
    let cases = [
        // 3 queues x 2 buffers x 64 KiB = 384 KiB > 192 KiB of Unified Buffer.
        (add(4, 16384, 2, ADD_BODY), 4 * 16384, "npu_ub_capacity"),
        // 2047 floats = 8188 bytes: not whole 32-byte blocks.
        (
            add(4, 2048, 2, ADD_BODY).replace(
                "DataCopy(x, xGm[i * TILE], TILE);",
                "DataCopy(x, xGm[i * TILE], TILE - 1);",
            ),
            n,
            "npu_copy_alignment",
        ),
        // Each block claims twice its share: the last ones reach past the tensors.
        (
            add(4, 2048, 2, ADD_BODY).replace(
                "uint32_t per = total / GetBlockNum();",
                "uint32_t per = 2 * total / GetBlockNum();",
            ),
            n,
            "npu_gm_out_of_bounds",
        ),
        // The compute writes past its tile.
        (
            add(4, 2048, 2, "Add(z, xl, yl, TILE + 8);"),
            n,
            "npu_local_out_of_bounds",
        ),
        // z is enqueued but never dequeued (nor freed).
        (
            add(4, 2048, 2, ADD_BODY)
                .replace(
                    "LocalTensor<float> zl = outZ.DeQue<float>();",
                    "LocalTensor<float> zl = z;",
                )
                .replace("outZ.FreeTensor(zl);", ""),
            n,
            "npu_queue_order",
        ),
        // Two tensors enqueued on a queue of depth 1 (with two buffers).
        (
            add(4, 2048, 1, ADD_BODY)
                .replace("pipe.InitBuffer(inX, BUFFER_NUM,", "pipe.InitBuffer(inX, 2,")
                .replace(
                    "inX.EnQue(x);",
                    "inX.EnQue(x); LocalTensor<float> x2 = inX.AllocTensor<float>(); inX.EnQue(x2);",
                ),
            n,
            "npu_queue_depth",
        ),
        (add(0, 2048, 2, ADD_BODY), n, "npu_block_dim"),
        // An out-of-bounds add whose exception the kernel swallows: the block remembers.
        (
            add(
                4,
                2048,
                2,
                "try { Add(z, xl, yl, TILE + 8); } catch (...) {} Add(z, xl, yl, TILE);",
            ),
            n,
            "npu_local_out_of_bounds",
        ),
        // A vector instruction on a tensor of the cube's L1.
        (
            add(4, 2048, 2, ADD_BODY)
                .replace(
                    "TQue<QuePosition::VECIN, BUFFER_NUM> inX, inY;",
                    "TQue<QuePosition::VECIN, BUFFER_NUM> inY; TQue<TPosition::A1, BUFFER_NUM> inX;",
                ),
            n,
            "npu_wrong_position",
        ),
    ];
    for (kernel, n, fault) in cases {
        let (status, _, _) = printed(dir.path(), &kernel, n);
        assert_eq!(rule_fault(status), Some(fault), "status {status}");
    }
}

#[test]
fn an_invented_api_name_does_not_compile() {
    let dir = tempdir();
    let kernel = add(4, 2048, 2, "VecAddFast(z, xl, yl, TILE);");
    match run(dir.path(), &kernel, 4 * 2048) {
        Ran::DidNotCompile(log) => assert!(log.contains("VecAddFast"), "{log}"),
        Ran::Printed { .. } => panic!("an unknown API compiled"),
    }
}

#[test]
fn the_backend_compiles_loads_and_reports_the_estimate_as_the_call_time() {
    use kbench_backends::worker::TensorFile;
    use kbench_tasks::DType;

    let dir = tempdir();
    let backend = kbench_backends::backend_by_name("npu-emu").expect("npu-emu");
    assert_eq!(backend.clock(), kbench_backends::Clock::CostModel);
    let n = 48 * 2048;
    let compiled = backend
        .compile(&add(48, 2048, 2, ADD_BODY), &dir.path().join("cache"))
        .expect("compiler ran");
    assert!(compiled.ok, "{}", compiled.log);
    let mut kernel = backend
        .load(&compiled.artifact.expect("artifact"))
        .expect("loads");
    let values =
        |f: fn(usize) -> f32| -> Vec<u8> { (0..n).flat_map(|i| f(i).to_le_bytes()).collect() };
    std::fs::write(dir.path().join("x.bin"), values(|i| i as f32)).expect("x");
    std::fs::write(dir.path().join("y.bin"), values(|_| 0.25)).expect("y");
    let file = |name: &str| TensorFile {
        file: name.into(),
        dtype: DType::F32,
        shape: vec![n],
    };
    let set = kernel
        .stage(
            dir.path(),
            &[file("x.bin"), file("y.bin")],
            &[file("z.bin")],
        )
        .expect("staged");
    kernel.poison_outputs(set);
    let call = kernel.call(set).expect("called");
    assert_eq!(call.status, 0);
    let by_hand = (3 * n * 4) as f64 / HBM_BYTES_PER_S;
    let estimate = call.elapsed.as_secs_f64();
    assert!(
        (estimate - by_hand).abs() <= 0.1 * by_hand,
        "{estimate} vs {by_hand}"
    );
    let mut right = false;
    kernel
        .read_outputs(set, &mut |outs| {
            right = outs[0]
                .chunks_exact(4)
                .enumerate()
                .all(|(i, b)| f32::from_le_bytes([b[0], b[1], b[2], b[3]]) == i as f32 + 0.25);
            Ok(())
        })
        .expect("read");
    assert!(right, "z = x + y");

    let broken = backend
        .compile("int main( {", &dir.path().join("cache"))
        .expect("compiler ran");
    assert!(!broken.ok);
    let launch = backend
        .compile("int f() { <<<1>>>(x); }", &dir.path().join("cache"))
        .expect("rewrite ran");
    assert!(
        !launch.ok && launch.log.contains("kernel launch: line 1"),
        "{}",
        launch.log
    );
    let tampering = backend
        .compile(
            &add(
                48,
                2048,
                2,
                "Add(z, xl, yl, TILE); kb_emu::core().copy_cycles = 0;",
            ),
            &dir.path().join("cache"),
        )
        .expect("policy ran");
    assert!(
        !tampering.ok && tampering.log.contains("npu-emu policy: `kb_emu`"),
        "{}",
        tampering.log
    );
    assert_eq!(backend.status_fault(-1101), Some("npu_ub_capacity"));
    assert_eq!(backend.status_fault(-1000), Some("exception"));
}

/// A one-block matrix multiply through the cube: A (M x K) and B (K x N) from GM to L1,
/// LoadData to L0A/L0B, `REPS` Mmads accumulating into L0C, Fixpipe to GM; every queue
/// of depth `DEPTH`.
const MATMUL: &str = r#"
#include "kbench.h"
#include "kernel_operator.h"
using namespace AscendC;
constexpr int32_t D = DEPTH;

extern "C" __global__ __aicore__ void mm(GM_ADDR a, GM_ADDR b, GM_ADDR c, uint32_t M, uint32_t N, uint32_t K) {
    TPipe pipe;
    TQue<TPosition::A1, D> qa1;
    TQue<TPosition::B1, D> qb1;
    TQue<TPosition::A2, D> qa2;
    TQue<TPosition::B2, D> qb2;
    TQue<TPosition::CO1, D> qc;
    GlobalTensor<float> ag, bg, cg;
    ag.SetGlobalBuffer((__gm__ float *)a, M * K);
    bg.SetGlobalBuffer((__gm__ float *)b, K * N);
    cg.SetGlobalBuffer((__gm__ float *)c, M * N);
    pipe.InitBuffer(qa1, D, M * K * sizeof(float));
    pipe.InitBuffer(qb1, D, K * N * sizeof(float));
    pipe.InitBuffer(qa2, D, M * K * sizeof(float));
    pipe.InitBuffer(qb2, D, K * N * sizeof(float));
    pipe.InitBuffer(qc, D, M * N * sizeof(float));
    LocalTensor<float> a1 = qa1.AllocTensor<float>();
    LocalTensor<float> b1 = qb1.AllocTensor<float>();
    DataCopy(a1, ag, M * K);
    DataCopy(b1, bg, K * N);
    qa1.EnQue(a1);
    qb1.EnQue(b1);
    a1 = qa1.DeQue<float>();
    b1 = qb1.DeQue<float>();
    LocalTensor<float> a2 = qa2.AllocTensor<float>();
    LocalTensor<float> b2 = qb2.AllocTensor<float>();
    LoadData(a2, a1, LoadData2DParams{uint16_t(M), uint16_t(K), K, false});
    LoadData(b2, b1, LoadData2DParams{uint16_t(K), uint16_t(N), N, false});
    qa2.EnQue(a2);
    qb2.EnQue(b2);
    qa1.FreeTensor(a1);
    qb1.FreeTensor(b1);
    a2 = qa2.DeQue<float>();
    b2 = qb2.DeQue<float>();
    LocalTensor<float> acc = qc.AllocTensor<float>();
    MmadParams p;
    p.m = M;
    p.n = N;
    p.k = K;
    for (int r = 0; r < REPS; ++r) {
        p.cmatrixInitVal = r == 0;
        Mmad(acc, a2, b2, p);
    }
    qc.EnQue(acc);
    qa2.FreeTensor(a2);
    qb2.FreeTensor(b2);
    acc = qc.DeQue<float>();
    FixpipeParamsV220 f;
    f.mSize = M;
    f.nSize = N;
    Fixpipe(cg, acc, f);
    qc.FreeTensor(acc);
}

extern "C" int kb_forward(const kb_tensor *in, int n_in, kb_tensor *out, int n_out) {
    mm<<<1, nullptr, nullptr>>>((GM_ADDR)in[0].data, (GM_ADDR)in[1].data, (GM_ADDR)out[0].data,
                                uint32_t(in[0].shape[0]), uint32_t(in[1].shape[1]), uint32_t(in[0].shape[1]));
    return 0;
}
"#;

/// A driver for `MATMUL`: A and B of small integers (exact in float), one call, then
/// `status estimate-seconds max-abs-error` against REPS x A.B.
const MATMUL_DRIVER: &str = r#"
#include "kbench.h"
#include <cmath>
#include <cstdio>
#include <vector>
extern "C" int kbench_guarded_forward(const kb_tensor *, int, kb_tensor *, int);
extern "C" double kb_emu_take_estimate();
int main() {
    const int64_t m = DIM, n = DIM, k = DIM;
    std::vector<float> a(m * k), b(k * n), c(m * n, -1.0f);
    for (int64_t i = 0; i < m * k; ++i) a[i] = float(i % 7) - 3.0f;
    for (int64_t i = 0; i < k * n; ++i) b[i] = float(i % 5) - 2.0f;
    kb_tensor in[2] = {{a.data(), KB_F32, 2, {m, k}}, {b.data(), KB_F32, 2, {k, n}}};
    kb_tensor out[1] = {{c.data(), KB_F32, 2, {m, n}}};
    int status = kbench_guarded_forward(in, 2, out, 1);
    double estimate = kb_emu_take_estimate();
    double worst = 0;
    for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
            double want = 0;
            for (int64_t q = 0; q < k; ++q) want += double(a[i * k + q]) * b[q * n + j];
            worst = std::fmax(worst, std::fabs(REPS * want - c[i * n + j]));
        }
    std::printf("%d %.12e %.6e\n", status, estimate, worst);
}
"#;

/// Runs the cube matrix multiply of `dim` x `dim` matrices: (status, estimate, error).
fn matmul(dim: usize, reps: usize, depth: usize) -> (i32, f64, f64) {
    let dir = tempdir();
    let kernel = MATMUL
        .replace("DEPTH", &depth.to_string())
        .replace("REPS", &reps.to_string());
    let driver = MATMUL_DRIVER
        .replace("DIM", &dim.to_string())
        .replace("REPS", &reps.to_string());
    let text = build_and_run(dir.path(), &kernel, &driver).unwrap_or_else(|log| panic!("{log}"));
    let words: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(words.len(), 3, "driver said `{text}`");
    (
        words[0].parse().expect("status"),
        words[1].parse().expect("estimate"),
        words[2].parse().expect("error"),
    )
}

#[test]
fn the_cube_multiplies_and_costs_its_fractals() {
    // 64 x 64 x 64 in float: (64/16) x (64/16) x (64/8) = 128 fractal steps per Mmad,
    // doubled (two blocks share a cube): 256 cycles; LoadData moves 2 x 16 KiB at 256
    // bytes per cycle: 128 cycles. 100 Mmads dominate the 48 KiB of copies (about 2,400
    // cycles) when every queue is double-buffered.
    let (status, estimate, error) = matmul(64, 100, 2);
    assert_eq!((status, error), (0, 0.0));
    let cube = (100.0 * 256.0 + 128.0) / CLOCK_HZ;
    assert!(
        (estimate - cube).abs() <= 0.1 * cube,
        "{estimate} vs {cube}"
    );
    // Single-buffered, nothing overlaps: copies + cube.
    let (status, serial, error) = matmul(64, 1, 1);
    assert_eq!((status, error), (0, 0.0));
    let copies = (3.0 * 64.0 * 64.0 * 4.0) / (HBM_BYTES_PER_S / 48.0);
    let by_hand = copies + (256.0 + 128.0) / CLOCK_HZ;
    assert!(
        (serial - by_hand).abs() <= 1e-3 * by_hand,
        "{serial} vs {by_hand}"
    );
}

#[test]
fn the_cube_buffers_have_the_chip_capacities() {
    // 160 x 160 floats = 100 KiB: fits L1 (512 KiB) and L0C (128 KiB), not L0A (64 KiB).
    let (status, _, _) = matmul(160, 1, 1);
    assert_eq!(
        rule_fault(status),
        Some("npu_ub_capacity"),
        "status {status}"
    );
}

/// The add kernel writing z under SetAtomicAdd (`copies` times per tile), after an
/// earlier launch zeroed z with InitGlobalMemory.
fn atomic_add(copies: usize) -> String {
    let write = "DataCopy(zGm[i * TILE], zl, TILE); ".repeat(copies);
    add(4, 2048, 2, ADD_BODY)
        .replace(
            "DataCopy(zGm[i * TILE], zl, TILE);",
            &format!("SetAtomicAdd<float>(); {write}SetAtomicNone();"),
        )
        .replace(
            "add_custom<<<4,",
            "zero<<<1, nullptr, nullptr>>>((GM_ADDR)out[0].data, total);\n    add_custom<<<4,",
        )
        .replace(
            "extern \"C\" int kb_forward(",
            "extern \"C\" __global__ __aicore__ void zero(GM_ADDR z, uint32_t total) {\n    \
             GlobalTensor<float> g;\n    g.SetGlobalBuffer((__gm__ float *)z, total);\n    \
             InitGlobalMemory(g, total, 0.0f);\n}\n\nextern \"C\" int kb_forward(",
        )
}

#[test]
fn atomic_copies_add_into_gm() {
    let dir = tempdir();
    // One atomic copy into the zeroed z (the driver filled it with -1): z = x + y.
    let (status, _, wrong) = printed(dir.path(), &atomic_add(1), 4 * 2048);
    assert_eq!((status, wrong), (0, -1));
    // Two: z = 2 (x + y), wrong from the first element (x + y = 0.5 there).
    let (status, _, wrong) = printed(dir.path(), &atomic_add(2), 4 * 2048);
    assert_eq!((status, wrong), (0, 0));
}
