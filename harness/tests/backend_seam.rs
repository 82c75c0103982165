//! The harness never names a backend: everything that differs per backend comes through
//! the `Backend` trait. The backends' implementations are private to their crate (a
//! `compile_fail` doctest in `kbench-backends` shows the compiler refusing to reach
//! one); this test checks the harness's sources do not name one either.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable source folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Whether `line` holds `word` as a whole word (letters, digits and `_` around it do
/// not count as boundaries).
fn names(line: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    line.match_indices(word).any(|(i, _)| {
        let before = line[..i].chars().next_back();
        let after = line[i + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

#[test]
fn no_harness_module_names_a_backend() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 10, "found the sources: {files:?}");
    let mut offenders = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable");
        for (n, line) in text.lines().enumerate() {
            for backend in kbench_backends::BACKEND_NAMES {
                if names(line, backend) {
                    offenders.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "backend names in the harness:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn the_word_test_finds_whole_words_only() {
    assert!(names("let b = \"cpu\";", "cpu"));
    assert!(names("backend cpu here", "cpu"));
    assert!(!names("let cpus = 2; cpu_count()", "cpu"));
}
