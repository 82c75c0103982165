//! `kbench curate` at scale (`cargo bench -p kbench --bench curate`): a generated store
//! of 100,000 sample turns (4 runs x 250 tasks x 100 samples) with texts of the sizes a
//! reasoning model writes (a ~6 KB prompt, a trace of 1,000 to 11,000 tokens at four
//! characters each, mean ~24 KB, a ~2 KB kernel in a ~2.2 KB answer; ~3.3 GB of
//! SQLite), outcomes, faults, cut-off traces and speedups spread over the range; then
//! the `kbench` binary curating all of it as a user runs it (process start, reading the
//! store, every filter and rule, every text streamed into the three JSONL files and the
//! card). Prints the wall time (median of 3), the peak resident memory of the process,
//! and the sizes written. Each run starts with the previous run's files deleted and the
//! page cache's dirty data written back (`sync`), as on a quiet machine. Target: at most
//! 10 s and 500 MB.
//!
//! The store is generated once into `$KBENCH_BENCH_DIR` (default: the system's temporary
//! folder) as `curate-100k-v3.sqlite` (with `.done` beside it when complete) and reused
//! by later runs; delete it to regenerate.

#[path = "../tests/report_fixture/mod.rs"]
mod report_fixture;

use kbench::outcome::Outcome;
use kbench::store::Store;
use report_fixture::{FixtureRun, add_run, sample};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const RUNS: usize = 4;
const TASKS: usize = 250;
const SAMPLES: usize = 100;

/// A small deterministic generator (SplitMix64).
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Generates the store at `db`.
async fn generate(db: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let store = Store::open(db).await.expect("store");
    let categories = [
        "activation",
        "convolution",
        "matmul",
        "loss",
        "normalization",
        "pooling",
        "fuse",
        "fuse",
        "arch",
        "reduce",
    ];
    let tasks: Vec<(String, String)> = (0..TASKS)
        .map(|t| {
            (
                format!("{}/task_{t:03}", categories[t % categories.len()]),
                format!("h{t}"),
            )
        })
        .collect();
    let prompt_pad = "Write a kernel for this PyTorch module; keep its ABI exactly. ".repeat(96);
    let words = "tile the loop so each block stays in cache, then check the bounds again; ";
    let trace_source = words.repeat(11_000 * 4 / words.len() + 1);
    let code_line = "    for (int64_t i = begin; i < end; ++i) out[i] = in[i] * scale;\n";
    let mut mix = Mix(7);
    for r in 0..RUNS {
        let run = FixtureRun {
            backend: "cpu",
            model: &format!("reasoner-{r}"),
            sizes: "paper",
            samples: SAMPLES,
            turns: 1,
            tasks: tasks.clone(),
        };
        let id = add_run(&store, &run).await;
        for (task, _) in &tasks {
            let prompt = format!("{prompt_pad}\n{task}");
            for s in 0..SAMPLES {
                let roll = mix.below(100);
                let outcome = match roll {
                    0..=14 => Outcome::CompileError,
                    15..=29 => Outcome::Wrong,
                    30..=37 => Outcome::Fault,
                    _ => Outcome::Correct,
                };
                // Most kernels slower than 1.5x, a few above 5x.
                let speedup = match mix.below(10) {
                    0..=5 => 0.1 + mix.below(140) as f64 / 100.0,
                    6..=8 => 1.5 + mix.below(350) as f64 / 100.0,
                    _ => 5.0 + mix.below(700) as f64 / 100.0,
                };
                let mut rec = sample(id, task, s as i64, 1, outcome, Some(speedup));
                let tokens = 1000 + mix.below(10_001);
                rec.reasoning_tokens = Some(tokens);
                rec.reasoning =
                    (mix.below(50) != 0).then(|| trace_source[..(tokens * 4) as usize].to_string());
                if mix.below(33) == 0 {
                    rec.finish_reason = Some("length".into());
                }
                let code = format!(
                    "// {task} sample {s}\nextern \"C\" int kb_forward() {{\n{}    return {};\n}}\n",
                    code_line.repeat(30),
                    mix.below(5000)
                );
                rec.answer = Some(format!("Here is the kernel.\n\n```cpp\n{code}```\n"));
                rec.code = Some(code);
                rec.prompt = Some(prompt.clone());
                if let Some(k) = rec.kernel.as_mut() {
                    k.stddev = k.mean * mix.below(80) as f64 / 100.0;
                }
                store.save_sample(&rec).await.expect("sample");
            }
        }
        store.finish_run(id).await.expect("finish");
    }
    store.close().await;
}

/// Bytes of every file directly in `dir`.
fn size_of(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .expect("folder")
        .map(|e| e.expect("entry").metadata().expect("metadata").len())
        .sum()
}

/// Peak resident memory of the waited-for children so far, bytes.
fn children_peak_rss() -> u64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to a rusage.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    usage.ru_maxrss as u64 * 1024
}

#[tokio::main]
async fn main() {
    let dir = std::env::var_os("KBENCH_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    std::fs::create_dir_all(&dir).expect("bench folder");
    let db = dir.join("curate-100k-v3.sqlite");
    let done = dir.join("curate-100k-v3.done");
    if !done.exists() {
        let start = Instant::now();
        generate(&db).await;
        std::fs::write(&done, b"").expect("mark");
        println!(
            "fixture: {RUNS} runs x {TASKS} tasks x {SAMPLES} samples generated in {:.0} s",
            start.elapsed().as_secs_f64()
        );
    }
    println!(
        "store {} ({:.2} GB)",
        db.display(),
        std::fs::metadata(&db).expect("db").len() as f64 / 1e9
    );
    let out = tempfile::tempdir_in(&dir).expect("out");
    let mut times = Vec::new();
    let mut said = String::new();
    for _ in 0..3 {
        // Each run starts as a user's would: no earlier output, nothing left to write back.
        for file in kbench::curate::FILES {
            let _ = std::fs::remove_file(out.path().join(file));
        }
        // SAFETY: sync takes no arguments and cannot fail.
        unsafe { libc::sync() };
        let start = Instant::now();
        let done = Command::new(env!("CARGO_BIN_EXE_kbench"))
            .args(["curate", "--all", "--db"])
            .arg(&db)
            .arg("--out")
            .arg(out.path())
            .output()
            .expect("kbench curate runs");
        times.push(start.elapsed().as_secs_f64());
        assert!(
            done.status.success(),
            "{}",
            String::from_utf8_lossy(&done.stderr)
        );
        said = String::from_utf8_lossy(&done.stdout).trim().to_string();
    }
    times.sort_by(f64::total_cmp);
    println!("{said}");
    println!(
        "kbench curate: {:.2} s median of 3 (min {:.2}, max {:.2}); peak resident memory \
         {:.0} MB; wrote {:.2} GB",
        times[1],
        times[0],
        times[2],
        children_peak_rss() as f64 / 1e6,
        size_of(out.path()) as f64 / 1e9
    );
}
