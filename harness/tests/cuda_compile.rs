//! The cuda backend without a GPU (CI has none): every bundled cuda solution,
//! exemplar and fault case (`tests/cuda_faults`, run on a GPU by `scripts/gpu-check.sh`)
//! compiles (solutions for `sm_90`, exemplars and fault cases for `sm_90` and `sm_80`)
//! with the nvcc that `.ci/run` installs from
//! PyPI; a broken source is a compile error with nvcc's log, not a toolchain failure;
//! the registry has a cuda solution for every task; prompts show the cuda contract.
//!
//! Without nvcc these tests say so and skip, unless `KBENCH_REQUIRE_NVCC=1` (set by
//! `scripts/test.sh`), which makes a missing nvcc a failure.

use kbench::extract::extract_code;
use kbench_backends::{Backend, BackendError, BackendOptions, backend_with_options};
use std::path::{Path, PathBuf};

const ARCHES: [&str; 2] = ["sm_90", "sm_80"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn cuda(arch: &str) -> Box<dyn Backend> {
    backend_with_options(
        "cuda",
        &BackendOptions {
            arch: Some(arch.to_string()),
            ..BackendOptions::default()
        },
    )
    .expect("the cuda backend")
}

/// True when nvcc is here; otherwise prints why the test skips (or fails, when nvcc is
/// required).
fn nvcc_available() -> bool {
    let probe = tempfile::tempdir().expect("tempdir");
    match cuda("sm_90").compile("#include \"kbench.h\"\n", probe.path()) {
        Err(BackendError::Toolchain { reason, .. }) => {
            assert!(
                std::env::var_os("KBENCH_REQUIRE_NVCC").is_none(),
                "KBENCH_REQUIRE_NVCC is set but nvcc is missing: {reason}"
            );
            eprintln!("skipping: no nvcc ({reason})");
            false
        }
        _ => true,
    }
}

/// Every `.md` answer or `.cu` source below `dir`, as `(path, code)`.
fn sources(dir: &Path, languages: &[&str]) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "md" || e == "cu") {
                let text = std::fs::read_to_string(&path).expect("read");
                let code = extract_code(&text, languages)
                    .unwrap_or_else(|| panic!("{}: no code block", path.display()));
                out.push((path, code));
            }
        }
    }
    out.sort();
    out
}

/// Sources with their paths.
type Sources = [(PathBuf, String)];

/// Compiles each `(sources, architectures)` group on two threads (the machine's cores);
/// returns the failures and each compile's seconds.
fn compile_all(groups: &[(&Sources, &[&'static str])]) -> (Vec<String>, Vec<f64>) {
    let cache = tempfile::tempdir().expect("tempdir");
    let jobs: Vec<(&str, &(PathBuf, String))> = groups
        .iter()
        .flat_map(|(sources, arches)| {
            arches
                .iter()
                .flat_map(move |a| sources.iter().map(move |s| (*a, s)))
        })
        .collect();
    let results = std::sync::Mutex::new((Vec::new(), Vec::new()));
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some((arch, (path, code))) = jobs.get(i) else {
                        break;
                    };
                    let compiled = cuda(arch).compile(code, cache.path()).expect("nvcc runs");
                    let mut r = results.lock().expect("lock");
                    r.1.push(compiled.seconds);
                    if !compiled.ok {
                        r.0.push(format!("{} ({arch}):\n{}", path.display(), compiled.log));
                    }
                }
            });
        }
    });
    results.into_inner().expect("lock")
}

/// Every bundled solution compiles for `sm_90` (the H100/H200 of the GPU checks); the
/// exemplars and fault cases, which every prompt and GPU check uses, for `sm_90` and
/// `sm_80` as well: one architecture per solution keeps the whole-registry check under
/// a few minutes on two cores.
#[test]
fn every_bundled_cuda_solution_and_exemplar_compiles() {
    if !nvcc_available() {
        return;
    }
    let languages = cuda("sm_90").languages();
    let solutions = sources(&root().join("solutions/cuda"), languages);
    let mut shared = sources(&root().join("prompts/cuda/exemplars"), languages);
    shared.extend(sources(
        &root().join("harness/tests/cuda_faults"),
        languages,
    ));
    assert!(
        !solutions.is_empty() && !shared.is_empty(),
        "sources went missing"
    );
    let (failures, mut seconds) =
        compile_all(&[(&solutions, &ARCHES[..1]), (&shared, &ARCHES[..])]);
    seconds.sort_by(f64::total_cmp);
    eprintln!(
        "{} compiles (two at a time), median {:.2} s",
        seconds.len(),
        seconds[seconds.len() / 2]
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_broken_source_is_a_compile_error_with_nvccs_log() {
    if !nvcc_available() {
        return;
    }
    let cache = tempfile::tempdir().expect("tempdir");
    let broken = "#include \"kbench.h\"\n__global__ void k(float *x) { x[0] = undefined_name; }\n";
    let compiled = cuda("sm_90")
        .compile(broken, cache.path())
        .expect("nvcc runs");
    assert!(!compiled.ok);
    assert!(compiled.log.contains("undefined_name"), "{}", compiled.log);
    let summary = cuda("sm_90").compile_error_summary(&compiled.log);
    assert!(summary.contains("error"), "{summary}");
    // No kb_forward: the link fails, as a missing entry point must.
    let no_entry = "#include \"kbench.h\"\n__global__ void k(float *x) { x[0] = 1.0f; }\n";
    let compiled = cuda("sm_90")
        .compile(no_entry, cache.path())
        .expect("nvcc runs");
    assert!(!compiled.ok, "{}", compiled.log);
    assert!(compiled.log.contains("kb_forward"), "{}", compiled.log);
    // The same source for another architecture is another cache entry; the same one
    // comes from the cache.
    let ok = "#include \"kbench.h\"\nextern \"C\" int kb_forward(const kb_tensor *, int, kb_tensor *, int) { return 0; }\n";
    let first = cuda("sm_90").compile(ok, cache.path()).expect("nvcc runs");
    let again = cuda("sm_90").compile(ok, cache.path()).expect("nvcc runs");
    let other = cuda("sm_80").compile(ok, cache.path()).expect("nvcc runs");
    assert!(first.ok && !first.cached && again.cached, "{}", first.log);
    assert_eq!(first.key, again.key);
    assert_ne!(first.key, other.key);
}

#[test]
fn every_task_has_a_cuda_solution() {
    for task in kbench_tasks::registry::all() {
        let id = task.id();
        let path = root().join("solutions/cuda").join(format!("{id}.md"));
        assert!(path.is_file(), "{id}: no {}", path.display());
    }
}

#[test]
fn the_cuda_prompt_states_the_contract_and_shows_a_cuda_exemplar() {
    let task = kbench_tasks::registry::find("activation/relu").expect("relu");
    let backend = cuda("sm_90");
    let text = kbench::prompt::render(
        task,
        backend.as_ref(),
        "category-shot".parse().expect("strategy"),
    )
    .expect("render");
    for needed in [
        "device pointer",
        "<<<grid, block>>>",
        "default stream",
        "-arch=sm_90",
        "```cuda\n",
        "__global__",
        "activation/relu",
    ] {
        assert!(text.contains(needed), "missing `{needed}` in:\n{text}");
    }
}

#[test]
fn without_a_driver_evaluate_says_so_in_one_line_before_any_work() {
    if std::path::Path::new("/dev/nvidiactl").exists() {
        eprintln!("skipping: this machine has an NVIDIA driver");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("k.sqlite");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kbench"))
        .args(["evaluate", "--backend", "cuda", "--arch", "sm_90", "--db"])
        .arg(&db)
        .output()
        .expect("kbench runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.contains("CUDA")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("no CUDA driver"), "{stderr}");
}
