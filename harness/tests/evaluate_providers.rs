//! `kbench evaluate` against a model server on 127.0.0.1 that refuses, fails or is
//! slow: fatal errors (wrong key, wrong path, unknown model) stop the run after at most
//! one chat request with one `error:` line and store nothing; server errors that
//! outlast the retries are stored per sample as `model_error` and make the run exit
//! non-zero; a re-run served from the answer cache costs nothing; both forms of the
//! Anthropic base URL work; requests to one provider overlap up to its concurrency.

mod common;
mod fake_llm;

use common::{FAST, kbench, samples};
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The longest one `kbench` command may take before the test kills it and fails.
const LIMIT: Duration = Duration::from_secs(600);

/// The key the fake server accepts.
const GOOD_KEY: &str = "sk-test";

/// What a finished `kbench` command left.
struct Finished {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// A fresh database, compile cache and config file in a temporary folder.
struct Scratch {
    dir: tempfile::TempDir,
    db: PathBuf,
    cache: PathBuf,
    config: PathBuf,
}

impl Scratch {
    /// A scratch folder whose config file holds `[providers.<provider>]` with `body`.
    fn new(provider: &str, body: &str) -> Scratch {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("kb.sqlite");
        let cache = dir.path().join("cache");
        let config = dir.path().join("kbench.toml");
        std::fs::write(&config, format!("[providers.{provider}]\n{body}\n"))
            .expect("write the config file");
        Scratch {
            dir,
            db,
            cache,
            config,
        }
    }

    /// The arguments of `kbench evaluate --model <model> --base-url <base_url>` on this
    /// scratch folder, with the fast settings and `extra`.
    fn args(&self, model: &str, base_url: &str, extra: &[&str]) -> Vec<String> {
        let mut a: Vec<String> = vec![
            "evaluate".into(),
            "--model".into(),
            model.into(),
            "--base-url".into(),
            base_url.into(),
            "--config".into(),
            path_str(&self.config),
            "--db".into(),
            path_str(&self.db),
            "--cache".into(),
            path_str(&self.cache),
        ];
        a.extend(FAST.iter().map(|s| s.to_string()));
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    }

    /// The stored samples of run 1.
    async fn samples(&self) -> Vec<kbench::store::SampleRow> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || samples(&db, 1))
            .await
            .expect("joined")
    }

    /// Whether run 1 is marked finished.
    async fn run_finished(&self) -> bool {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            tokio::runtime::Runtime::new()
                .expect("runtime")
                .block_on(async {
                    let store = kbench::store::Store::open(&db).await.expect("open store");
                    store.run(1).await.expect("run 1").finished_at.is_some()
                })
        })
        .await
        .expect("joined")
    }

    /// What `kbench runs` prints for this database.
    async fn runs(&self) -> String {
        let out = run_kbench(
            vec!["runs".into(), "--db".into(), path_str(&self.db)],
            Vec::new(),
            self.dir.path().join("runs"),
        )
        .await;
        assert!(out.status.success(), "kbench runs: {}", out.stderr);
        out.stdout
    }

    /// Runs `kbench` with `args` and the environment `env` set.
    async fn kbench(&self, args: Vec<String>, env: Vec<(&'static str, String)>) -> Finished {
        run_kbench(args, env, self.dir.path().join("out")).await
    }
}

fn path_str(path: &Path) -> String {
    path.to_str().expect("utf-8 path").to_string()
}

/// Runs `kbench` with `args` and `env` off the async runtime (the fake server keeps
/// answering meanwhile), its output going to files named from `out`; kills it and
/// fails after [`LIMIT`].
async fn run_kbench(args: Vec<String>, env: Vec<(&'static str, String)>, out: PathBuf) -> Finished {
    tokio::task::spawn_blocking(move || {
        let stdout_path = out.with_extension("stdout");
        let stderr_path = out.with_extension("stderr");
        let stdout = std::fs::File::create(&stdout_path).expect("create the stdout file");
        let stderr = std::fs::File::create(&stderr_path).expect("create the stderr file");
        let mut command = kbench();
        command
            .args(&args)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr);
        for (name, value) in &env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("kbench starts");
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("waiting for kbench") {
                break status;
            }
            if start.elapsed() > LIMIT {
                let _ = child.kill();
                let _ = child.wait();
                panic!("kbench {args:?} did not finish within {LIMIT:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        Finished {
            status,
            stdout: std::fs::read_to_string(&stdout_path).expect("read the stdout file"),
            stderr: std::fs::read_to_string(&stderr_path).expect("read the stderr file"),
        }
    })
    .await
    .expect("joined")
}

/// The key variable of `provider`, set to `key`.
fn key_env(provider: &str, key: &str) -> Vec<(&'static str, String)> {
    let var = match provider {
        "anthropic" => "ANTHROPIC_API_KEY",
        _ => "OPENAI_API_KEY",
    };
    vec![(var, key.to_string())]
}

/// The one `error:` line of a failed command, which must be its last line on stderr.
fn the_error(finished: &Finished) -> String {
    assert!(
        !finished.status.success(),
        "expected a failure; stdout: {}\nstderr: {}",
        finished.stdout,
        finished.stderr
    );
    let lines: Vec<&str> = finished
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    let errors: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.starts_with("error:"))
        .collect();
    assert_eq!(errors.len(), 1, "one error line: {}", finished.stderr);
    assert_eq!(
        lines.last().copied(),
        Some(errors[0]),
        "the error line comes last: {}",
        finished.stderr
    );
    errors[0].to_string()
}

/// Chat requests the server received, on any path (`POST ...`).
fn posts(state: &fake_llm::Shared) -> Vec<String> {
    state
        .lock()
        .expect("lock")
        .paths
        .iter()
        .filter(|p| p.starts_with("POST"))
        .cloned()
        .collect()
}

/// The number of tasks `--tasks activation/` selects.
fn activation_tasks() -> usize {
    kbench_tasks::registry::all()
        .iter()
        .filter(|t| t.id().contains("activation/"))
        .count()
}

/// The summary's `model usage: ` line.
fn usage_line(stdout: &str) -> String {
    stdout
        .lines()
        .find(|l| l.starts_with("model usage: "))
        .unwrap_or_else(|| panic!("no `model usage:` line in: {stdout}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_stops_the_run_with_one_line_and_stores_nothing() {
    for provider in ["openai", "anthropic"] {
        let (base, state) = fake_llm::start().await;
        let scratch = Scratch::new(provider, "max_attempts = 2");
        let args = scratch.args(
            &format!("{provider}:ok"),
            &format!("{base}/v1"),
            &["--tasks", "activation/"],
        );
        let out = scratch
            .kbench(args, key_env(provider, fake_llm::BAD_KEY))
            .await;
        let error = the_error(&out);
        let lower = error.to_lowercase();
        assert!(
            lower.contains("401") || lower.contains("authentication"),
            "{provider}: {error}"
        );
        let chats = state.lock().expect("lock").calls.get("ok").copied();
        assert!(
            chats.unwrap_or(0) <= 1,
            "{provider}: {chats:?} chat requests"
        );
        let runs = scratch.runs().await;
        assert!(runs.contains("no runs"), "{provider}: {runs}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_path_stops_the_run_with_one_line_and_stores_nothing() {
    for provider in ["openai", "anthropic"] {
        let (base, state) = fake_llm::start().await;
        let scratch = Scratch::new(provider, "max_attempts = 2");
        let args = scratch.args(
            &format!("{provider}:ok"),
            &format!("{base}/wrong"),
            &["--tasks", "activation/"],
        );
        let out = scratch.kbench(args, key_env(provider, GOOD_KEY)).await;
        let error = the_error(&out);
        assert!(error.contains("404"), "{provider}: {error}");
        let posts = posts(&state);
        assert!(posts.len() <= 1, "{provider}: {posts:?}");
        let runs = scratch.runs().await;
        assert!(runs.contains("no runs"), "{provider}: {runs}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_model_stops_the_run_with_one_line_and_stores_nothing() {
    for provider in ["openai", "anthropic"] {
        let (base, state) = fake_llm::start().await;
        let scratch = Scratch::new(provider, "max_attempts = 2");
        let args = scratch.args(
            &format!("{provider}:no-such-model"),
            &format!("{base}/v1"),
            &["--tasks", "activation/"],
        );
        let out = scratch.kbench(args, key_env(provider, GOOD_KEY)).await;
        let error = the_error(&out);
        assert!(error.contains("no-such-model"), "{provider}: {error}");
        let posts = posts(&state);
        assert!(posts.len() <= 1, "{provider}: {posts:?}");
        let runs = scratch.runs().await;
        assert!(runs.contains("no runs"), "{provider}: {runs}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_stays_down_fails_every_sample_with_its_reason() {
    let (base, state) = fake_llm::start().await;
    let scratch = Scratch::new("openai", "max_attempts = 2\nmax_concurrency = 4");
    let n = activation_tasks();
    assert!(n > 1, "several activation tasks");
    let args = scratch.args(
        "openai:down",
        &format!("{base}/v1"),
        &["--tasks", "activation/"],
    );
    let out = scratch.kbench(args, key_env("openai", GOOD_KEY)).await;
    let error = the_error(&out);
    assert!(
        error.contains(&format!("{n} of {n} samples")),
        "{n} failed samples: {error}"
    );
    assert!(
        out.stdout
            .contains(&format!("model failures: {n} of {n} samples")),
        "{}",
        out.stdout
    );
    let rows = scratch.samples().await;
    assert_eq!(rows.len(), n, "every sample stored: {rows:?}");
    for row in &rows {
        assert_eq!(row.outcome.as_str(), "model_error", "{row:?}");
        let detail = row.detail.clone().unwrap_or_default();
        assert!(detail.contains("503"), "{}: {detail}", row.task_id);
    }
    assert!(scratch.run_finished().await, "the run completes");
    let chats = state.lock().expect("lock").calls.get("down").copied();
    assert_eq!(chats, Some(2 * n as u32), "two attempts per sample");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rerun_from_the_answer_cache_spends_no_tokens() {
    let (base, state) = fake_llm::start().await;
    let scratch = Scratch::new("openai", "max_attempts = 2");
    let n = activation_tasks();
    let args = scratch.args(
        "openai:solution",
        &format!("{base}/v1"),
        &["--tasks", "activation/"],
    );
    let first = scratch
        .kbench(args.clone(), key_env("openai", GOOD_KEY))
        .await;
    assert!(first.status.success(), "first run: {}", first.stderr);
    let usage = usage_line(&first.stdout);
    assert!(
        !usage.contains("0 input, 0 output"),
        "the first run spends tokens: {usage}"
    );
    let second = scratch.kbench(args, key_env("openai", GOOD_KEY)).await;
    assert!(second.status.success(), "second run: {}", second.stderr);
    let usage = usage_line(&second.stdout);
    assert!(usage.contains("0 input, 0 output"), "{usage}");
    assert!(
        usage.contains(&format!("{n} answers from the cache")),
        "{n} cached: {usage}"
    );
    let chats = state.lock().expect("lock").calls.get("solution").copied();
    assert_eq!(chats, Some(n as u32), "the second run asks nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anthropic_works_with_and_without_v1_in_the_base_url() {
    let (base, state) = fake_llm::start().await;
    for base_url in [base.clone(), format!("{base}/v1")] {
        let scratch = Scratch::new("anthropic", "max_attempts = 2");
        let args = scratch.args("anthropic:ok", &base_url, &["--tasks", "activation/relu"]);
        let out = scratch.kbench(args, key_env("anthropic", GOOD_KEY)).await;
        assert!(out.status.success(), "{base_url}: {}", out.stderr);
        let rows = scratch.samples().await;
        assert_eq!(rows.len(), 1, "{base_url}: {rows:?}");
        assert_ne!(rows[0].outcome.as_str(), "model_error", "{rows:?}");
    }
    let seen = state.lock().expect("lock");
    assert_eq!(seen.calls.get("ok"), Some(&2), "{:?}", seen.paths);
    assert!(
        seen.paths
            .iter()
            .all(|p| p == "POST /v1/messages" || p == "GET /v1/models"),
        "{:?}",
        seen.paths
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_to_one_provider_overlap() {
    let (base, state) = fake_llm::start().await;
    let scratch = Scratch::new("openai", "max_attempts = 2\nmax_concurrency = 16");
    let n = activation_tasks();
    let args = scratch.args(
        "openai:solution-slow-1500",
        &format!("{base}/v1"),
        &["--tasks", "activation/"],
    );
    let out = scratch.kbench(args, key_env("openai", GOOD_KEY)).await;
    assert!(out.status.success(), "{}", out.stderr);
    let seen = state.lock().expect("lock");
    assert_eq!(
        seen.calls.get("solution-slow-1500").copied(),
        Some(n as u32)
    );
    assert!(
        seen.peak_in_flight > 4,
        "at most {} chat requests were in flight at once",
        seen.peak_in_flight
    );
}
