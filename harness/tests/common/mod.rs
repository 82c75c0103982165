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

/// The task ids of a backend's bundled solutions (`solutions/<backend>`).
pub fn solved_tasks(backend: &str) -> Vec<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../solutions")
        .join(backend);
    let mut ids = Vec::new();
    for category in std::fs::read_dir(&root).expect("the backend's solutions") {
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

/// Evaluates every broken variant of `tests/<folder>/` on `backend` (its first line:
/// `<task id> <expected>`, the fault label or `compile_error`; the rest the answer) with
/// `extra` arguments, asserts each ends as expected, and returns how many were checked.
pub fn check_broken_variants(backend: &str, folder: &str, extra: &[&str]) -> usize {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(folder);
    let mut checked = 0;
    for entry in std::fs::read_dir(&fixtures).expect("the fixtures folder") {
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
        let mut args = vec!["--backend", backend, "--model", &model, "--tasks", task];
        args.extend(extra);
        let (db, _) = evaluate_in(dir.path(), &args);
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
    checked
}

/// Evaluates a backend's bundled solutions and asserts that each passes with an
/// estimated time: a roofline fraction and no speedup. Returns the run's summary.
pub fn assert_bundled_estimates_pass(backend: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, said) = evaluate_in(dir.path(), &["--backend", backend]);
    let rows = samples(&db, 1);
    let solved = solved_tasks(backend);
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
    said
}

/// Evaluates a backend's exemplar solutions and asserts that each one written passes.
pub fn assert_exemplars_pass(backend: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, _) = evaluate_in(dir.path(), &["--backend", backend, "--exemplars"]);
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
