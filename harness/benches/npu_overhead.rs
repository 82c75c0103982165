//! The npu-emu emulation's overhead (`cargo bench -p kbench --bench npu_overhead`): for
//! every activation task with a bundled solution on both backends, the real wall time of
//! one `kb_forward` call of the npu-emu solution (emulated on this CPU) against the cpu
//! solution's, on the same inputs (paper sizes), each the median of 5 calls after one
//! warm-up, in this process (both are the project's own bundled solutions). Prints the
//! ratio per task and the largest. Target: at most 50x.

use kbench::extract::extract_code;
use kbench_backends::worker::TensorFile;
use kbench_backends::{Backend, backend_by_name};
use kbench_tasks::registry;
use std::path::Path;
use std::time::Instant;

/// Median wall seconds of 5 calls of `backend`'s bundled solution of `task` (after one
/// warm-up), or `None` without a solution.
fn wall_per_call(backend: &dyn Backend, task: &kbench_tasks::Task, dir: &Path) -> Option<f64> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let answer = std::fs::read_to_string(
        root.join("solutions")
            .join(backend.name())
            .join(format!("{}.md", task.id())),
    )
    .ok()?;
    let code = extract_code(&answer, backend.languages()).expect("a code block");
    let compiled = backend
        .compile(&code, &dir.join("cache"))
        .expect("compiler runs");
    assert!(compiled.ok, "{}: {}", task.id(), compiled.log);
    let mut kernel = backend
        .load(&compiled.artifact.expect("artifact"))
        .expect("loads");
    let job = dir.join(backend.name());
    std::fs::create_dir_all(&job).expect("job folder");
    let inputs: Vec<TensorFile> = task
        .generate(1)
        .iter()
        .enumerate()
        .map(|(i, t)| TensorFile::write(&job, format!("in{i}.bin"), t).expect("input"))
        .collect();
    let outputs: Vec<TensorFile> = task
        .outputs
        .iter()
        .enumerate()
        .map(|(i, o)| TensorFile {
            file: format!("out{i}.bin"),
            dtype: o.dtype,
            shape: o.shape.clone(),
        })
        .collect();
    let set = kernel.stage(&job, &inputs, &outputs).expect("staged");
    let mut times = Vec::new();
    for call in 0..6 {
        let start = Instant::now();
        let outcome = kernel.call(set).expect("called");
        assert_eq!(outcome.status, 0, "{}", task.id());
        if call > 0 {
            times.push(start.elapsed().as_secs_f64());
        }
    }
    times.sort_by(f64::total_cmp);
    Some(times[times.len() / 2])
}

fn main() {
    let cpu = backend_by_name("cpu").expect("cpu");
    let npu = backend_by_name("npu-emu").expect("npu-emu");
    let mut worst: f64 = 0.0;
    let mut measured = 0;
    for task in registry::all()
        .iter()
        .filter(|t| t.id().starts_with("activation/"))
    {
        let dir = tempfile::tempdir().expect("tempdir");
        let Some(emulated) = wall_per_call(npu.as_ref(), task, dir.path()) else {
            continue;
        };
        let native = wall_per_call(cpu.as_ref(), task, dir.path()).expect("cpu solution");
        let ratio = emulated / native;
        worst = worst.max(ratio);
        measured += 1;
        println!(
            "{:<34} cpu {:>8.3} ms  npu-emu {:>8.3} ms  {:>6.1}x",
            task.id(),
            native * 1e3,
            emulated * 1e3,
            ratio
        );
    }
    println!("{measured} activation tasks; largest npu-emu / cpu wall time per call: {worst:.1}x");
}
