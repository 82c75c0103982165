//! The evaluation engine end to end (`cargo bench -p kbench --bench pipeline`), three
//! measurements of the `kbench` binary, each on a fresh database and compile cache:
//!
//! 1. the README's first command (the bundled solutions of every task), wall time and
//!    the per-phase split it prints;
//! 2. the same answers served by a local fake provider that answers at once, and
//! 3. by one that answers after 3 s, both at concurrency 16: the slow run should take at
//!    most 1.3x the instant one, since requests overlap with evaluation.
//!
//! `KBENCH_BENCH_TASKS` narrows the task filter (default: every task).

#[path = "../tests/fake_llm/mod.rs"]
mod fake_llm;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

fn kbench(args: &[&str], dir: &Path) -> (f64, String) {
    let db = dir.join("kb.sqlite");
    let cache = dir.join("cache");
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_kbench"))
        .args(args)
        .args(["--no-pytorch", "--db"])
        .arg(&db)
        .arg("--cache")
        .arg(&cache)
        .env("OPENAI_API_KEY", "sk-bench")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("kbench runs");
    let secs = start.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "kbench {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (secs, stdout)
}

fn time_line(stdout: &str) -> String {
    stdout
        .lines()
        .find(|l| l.starts_with("time: "))
        .unwrap_or("(no time line)")
        .to_string()
}

fn main() {
    let filter = std::env::var("KBENCH_BENCH_TASKS").unwrap_or_default();
    let readme = tempfile::tempdir().expect("tempdir");
    let (secs, stdout) = kbench(&["evaluate", "--tasks", &filter], readme.path());
    println!(
        "README command (bundled solutions): {secs:.1} s wall\n  {}",
        time_line(&stdout)
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (base, _state) = runtime.block_on(fake_llm::start());
    let config = tempfile::tempdir().expect("tempdir");
    let toml = config.path().join("kbench.toml");
    std::fs::write(&toml, "[providers.openai]\nmax_concurrency = 16\n").expect("config");
    let url = format!("{base}/v1");
    let mut walls = Vec::new();
    for model in ["solution", "solution-slow-3000"] {
        let dir = tempfile::tempdir().expect("tempdir");
        let spec = format!("openai:{model}");
        let (secs, stdout) = kbench(
            &[
                "evaluate",
                "--tasks",
                &filter,
                "--model",
                &spec,
                "--base-url",
                &url,
                "--config",
                toml.to_str().expect("utf-8"),
            ],
            dir.path(),
        );
        println!(
            "fake provider `{model}`, concurrency 16: {secs:.1} s wall\n  {}",
            time_line(&stdout)
        );
        walls.push(secs);
    }
    println!(
        "slow provider / instant provider: {:.2}x (target at most 1.3x)",
        walls[1] / walls[0]
    );
}
