//! Helpers shared by the end-to-end tests: running `kbench`, writing replay answers,
//! reading the store.

#![allow(dead_code)]

use kbench::store::{SampleRow, Store};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `kbench` binary under test.
pub fn kbench() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kbench"))
}

/// Runs `kbench` with `args` and returns its output.
pub fn run(args: &[&str]) -> Output {
    kbench().args(args).output().expect("kbench runs")
}

/// Fast timing settings for tests (the protocol itself is unchanged), without the
/// PyTorch baseline (tested on its own).
pub const FAST: [&str; 9] = [
    "--no-pytorch",
    "--warmup",
    "1",
    "--min-calls",
    "2",
    "--max-calls",
    "5",
    "--timing-budget",
    "0.05",
];

/// Writes an answer holding `code` in a C++ fence as sample `k` of `task`.
pub fn write_answer(dir: &Path, task: &str, sample: Option<usize>, text: &str) {
    let (category, name) = task.split_once('/').expect("category/name");
    let folder = dir.join(category);
    std::fs::create_dir_all(&folder).expect("mkdir");
    let file = match sample {
        Some(k) => format!("{name}.{k}.md"),
        None => format!("{name}.md"),
    };
    std::fs::write(folder.join(file), text).expect("write answer");
}

/// A C++ answer for an elementwise f32 kernel whose loop body is `body` (`x`, `y`, `n`
/// and `i` in scope).
pub fn elementwise_answer(body: &str) -> String {
    format!(
        "Here is the kernel.\n\n```cpp\n#include \"kbench.h\"\n#include <cmath>\n\
         #include <cstdlib>\n#include <cstring>\n#include <stdexcept>\n#include <vector>\n\
         extern \"C\" int kb_forward(const kb_tensor *in, int n_in, kb_tensor *out, int n_out) {{\n\
         float *x = static_cast<float *>(in[0].data);\n\
         float *y = static_cast<float *>(out[0].data);\n\
         const int64_t n = kb_numel(&in[0]);\n\
         {body}\n\
         return 0;\n}}\n```\n"
    )
}

/// The bundled solutions folder.
pub fn solutions() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../solutions/cpu")
}

/// Writes two samples for every task whose id starts with `prefix`: sample 0 is the
/// task's bundled solution, sample 1 is `second(i, solution)` for the `i`-th task.
/// Returns the number of answers written.
pub fn write_two_samples(
    dir: &Path,
    prefix: &str,
    second: impl Fn(usize, String) -> String,
) -> usize {
    let ids: Vec<String> = kbench_tasks::registry::all()
        .iter()
        .map(|t| t.id())
        .filter(|id| id.starts_with(prefix))
        .collect();
    for (i, id) in ids.iter().enumerate() {
        let solution =
            std::fs::read_to_string(solutions().join(format!("{id}.md"))).expect("bundled");
        write_answer(dir, id, Some(0), &solution);
        write_answer(dir, id, Some(1), &second(i, solution));
    }
    ids.len() * 2
}

/// Every sample of `run` in the database at `db`.
pub fn samples(db: &Path, run: i64) -> Vec<SampleRow> {
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(async {
            let store = Store::open(db).await.expect("open store");
            store.samples(run).await.expect("samples")
        })
}

/// Runs `kbench evaluate` with a fresh database and compile cache in `dir`, the fast
/// settings (PyTorch off unless `extra` names `--pytorch`) and `extra`; asserts that it
/// succeeded and returns the database path and standard output.
pub fn evaluate_in(dir: &Path, extra: &[&str]) -> (PathBuf, String) {
    let db = dir.join("kb.sqlite");
    let cache = dir.join("cache");
    let mut args = vec![
        "evaluate",
        "--db",
        db.to_str().expect("utf-8"),
        "--cache",
        cache.to_str().expect("utf-8"),
    ];
    let skip = usize::from(extra.contains(&"--pytorch"));
    args.extend(FAST.iter().skip(skip));
    args.extend(extra);
    let out = run(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (db, String::from_utf8_lossy(&out.stdout).into_owned())
}
