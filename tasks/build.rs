//! Embeds every task declaration (`tasks/<category>/<name>.toml`) with its PyTorch
//! source (`<name>.py` beside it), and every exemplar (`tasks/exemplars/<category>/`),
//! so that adding a task means adding files: no list to edit.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// `(key, declaration path, source path)` for every `.toml` one level below `root`,
/// sorted by key; skips `skip` (the exemplars folder seen from the task root).
fn declared(root: &Path, skip: &str) -> Vec<(String, PathBuf, PathBuf)> {
    let mut found = Vec::new();
    let mut folders: Vec<PathBuf> = std::fs::read_dir(root)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    folders.retain(|p| p.is_dir() && p.file_name().is_some_and(|n| n != skip));
    for folder in folders {
        println!("cargo:rerun-if-changed={}", folder.display());
        let Some(category) = folder
            .file_name()
            .and_then(|n| n.to_str())
            .map(String::from)
        else {
            continue;
        };
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "toml") {
                continue;
            }
            let Some(name) = path.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            let source = path.with_extension("py");
            assert!(
                source.is_file(),
                "{} declares a task but {} is missing",
                path.display(),
                source.display()
            );
            println!("cargo:rerun-if-changed={}", path.display());
            println!("cargo:rerun-if-changed={}", source.display());
            found.push((format!("{category}/{name}"), path, source));
        }
    }
    found.sort();
    found
}

fn table(out: &mut String, name: &str, doc: &str, files: &[(String, PathBuf, PathBuf)]) {
    let _ = writeln!(out, "/// {doc}");
    let _ = writeln!(out, "pub(crate) static {name}: &[DeclaredFiles] = &[");
    for (key, declaration, source) in files {
        let _ = writeln!(
            out,
            "    DeclaredFiles {{ key: {key:?}, declaration: include_str!({:?}), source: include_str!({:?}) }},",
            declaration.display().to_string(),
            source.display().to_string()
        );
    }
    let _ = writeln!(out, "];");
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let tasks = declared(&manifest, "exemplars");
    let exemplars = declared(&manifest.join("exemplars"), "");
    println!("cargo:rerun-if-changed={}", manifest.display());
    println!(
        "cargo:rerun-if-changed={}",
        manifest.join("exemplars").display()
    );
    let mut out = String::new();
    table(
        &mut out,
        "TASK_FILES",
        "Every benchmark task's declaration and source.",
        &tasks,
    );
    table(
        &mut out,
        "EXEMPLAR_FILES",
        "Every exemplar's declaration and source.",
        &exemplars,
    );
    let path = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("declared.rs");
    std::fs::write(&path, out).expect("write the declaration table");
}
