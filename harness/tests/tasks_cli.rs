//! `kbench tasks` from the outside: listing, showing, exporting, and bad input.

use std::process::{Command, Output};

fn kbench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kbench"))
        .args(args)
        .output()
        .expect("kbench runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn list_shows_every_registered_task_in_15_categories() {
    let registered = kbench_tasks::registry::all();
    let in_paper = registered.iter().filter(|t| t.category.in_paper()).count();
    assert!(in_paper < registered.len(), "no attention task registered");
    let out = kbench(&["tasks", "list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!(
            "{} tasks in 15 categories (paper sizes); {in_paper} of them in the paper's categories",
            registered.len()
        )),
        "{}",
        stdout(&out)
    );
    let json = kbench(&["tasks", "list", "--json"]);
    let rows: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(rows.as_array().map(Vec::len), Some(registered.len()));
    let act = kbench(&["tasks", "list", "--category", "activation", "--json"]);
    let rows: serde_json::Value = serde_json::from_slice(&act.stdout).expect("json");
    let activations = registered
        .iter()
        .filter(|t| t.category == kbench_tasks::Category::Activation)
        .count();
    assert!(activations > 0);
    assert_eq!(rows.as_array().map(Vec::len), Some(activations));
}

#[test]
fn show_prints_spec_and_source() {
    let out = kbench(&["tasks", "show", "fuse/gemm_add_relu"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("param gemm.weight: float32 [512, 1024]"),
        "{text}"
    );
    assert!(text.contains("class Model(nn.Module)"), "{text}");
}

#[test]
fn the_current_profile_shows_its_sizes_in_shapes_and_source() {
    let paper = kbench(&["tasks", "show", "activation/relu", "--json"]);
    let current = kbench(&[
        "tasks",
        "show",
        "activation/relu",
        "--json",
        "--sizes",
        "current",
    ]);
    assert!(current.status.success(), "{}", stderr(&current));
    let paper: serde_json::Value = serde_json::from_slice(&paper.stdout).expect("json");
    let current: serde_json::Value = serde_json::from_slice(&current.stdout).expect("json");
    assert_eq!(paper["sizes"], "paper");
    assert_eq!(current["sizes"], "current");
    assert_eq!(paper["inputs"][0]["shape"], serde_json::json!([16, 16384]));
    assert_eq!(
        current["inputs"][0]["shape"],
        serde_json::json!([4096, 393216])
    );
    let source = current["source"].as_str().expect("source");
    assert!(source.contains("batch_size = 4096\n"), "{source}");
    assert!(source.contains("dim = 393216\n"), "{source}");
    let listed = kbench(&["tasks", "list", "--sizes", "current"]);
    assert!(
        stdout(&listed).contains("(current sizes)"),
        "{}",
        stdout(&listed)
    );
    let bad = kbench(&["tasks", "list", "--sizes", "huge"]);
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("paper or current"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn bad_input_fails_with_a_clear_message() {
    let unknown = kbench(&["tasks", "show", "activation/nope"]);
    assert!(!unknown.status.success());
    assert!(stderr(&unknown).contains("unknown task `activation/nope`"));

    let category = kbench(&["tasks", "list", "--category", "bogus"]);
    assert!(!category.status.success());
    assert!(stderr(&category).contains("unknown category `bogus`"));

    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("x");
    let out = out.to_str().expect("utf-8 path");
    for seed in ["-1", "abc", "18446744073709551616"] {
        let bad = kbench(&[
            "tasks",
            "export",
            "activation/relu",
            "--seed",
            seed,
            "--out",
            out,
        ]);
        assert!(!bad.status.success(), "seed {seed} accepted");
        assert!(stderr(&bad).contains("--seed"), "{}", stderr(&bad));
    }

    let unknown_export = kbench(&["tasks", "export", "nope/x", "--seed", "1", "--out", out]);
    assert!(!unknown_export.status.success());
    assert!(stderr(&unknown_export).contains("unknown task"));

    // A regular file where a folder is needed cannot be written into, even by root.
    let file = dir.path().join("file");
    std::fs::write(&file, b"x").expect("write");
    let blocked = file.join("sub");
    let blocked = kbench(&[
        "tasks",
        "export",
        "activation/relu",
        "--seed",
        "1",
        "--out",
        blocked.to_str().expect("utf-8"),
    ]);
    assert!(!blocked.status.success());
    let msg = stderr(&blocked);
    assert!(
        msg.contains("cannot write") && msg.contains("Not a directory"),
        "{msg}"
    );
}

#[test]
fn export_writes_manifest_and_identical_bytes_for_the_same_seed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let export = |name: &str, seed: &str| {
        let folder = dir.path().join(name);
        let out = kbench(&[
            "tasks",
            "export",
            "arch/mlp",
            "--seed",
            seed,
            "--out",
            folder.to_str().expect("utf-8"),
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        folder
    };
    let a = export("a", "7");
    let b = export("b", "7");
    let c = export("c", "8");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(a.join("manifest.json")).expect("manifest"))
            .expect("json");
    assert_eq!(manifest["task"], "arch/mlp");
    assert_eq!(manifest["params"].as_array().map(Vec::len), Some(6));
    assert_eq!(manifest["params"][0]["name"], "network.0.weight");
    for file in ["input0.npy", "param0.npy", "output0.npy"] {
        let read = |d: &std::path::Path| std::fs::read(d.join(file)).expect("npy");
        assert_eq!(read(&a), read(&b), "{file} differs for the same seed");
        assert_ne!(read(&a), read(&c), "{file} equal for different seeds");
    }
}
