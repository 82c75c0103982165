//! `kbench curate` on a crafted store in which every filter and every rule (ties
//! included) decides at least one sample: the selection and the reasons are checked
//! sample by sample against the verdicts worked out by hand below, the records' fields
//! and texts against the store, the hold-out's texts against every file, the card's
//! counts, byte-identical repeats, and (with the `datasets` package in `.venv`, which
//! `scripts/test.sh` installs; KBENCH_REQUIRE_DATASETS=1 makes it required) loading
//! with Hugging Face `datasets`.

mod report_fixture;

use kbench::outcome::Outcome::{Correct, Fault, Wrong};
use kbench::store::{SampleRecord, Store};
use report_fixture::{FixtureRun, add_run, sample, tasks};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A correct sample turn with a trace of `tokens` tokens and speedup `speedup`.
fn good(run: i64, task: &str, index: i64, turn: i64, tokens: u64, speedup: f64) -> SampleRecord {
    let mut s = sample(run, task, index, turn, Correct, Some(speedup));
    s.reasoning_tokens = Some(tokens);
    s.reasoning = Some(format!("trace of {task} #{index} turn {turn}"));
    s.prompt = Some(format!("write {task}"));
    if let Some(k) = s.kernel.as_mut() {
        k.stddev = 0.1 * k.mean;
    }
    s
}

/// A sample turn that is not correct.
fn bad(
    run: i64,
    task: &str,
    index: i64,
    turn: i64,
    outcome: kbench::outcome::Outcome,
    tokens: u64,
) -> SampleRecord {
    let mut s = sample(run, task, index, turn, outcome, None);
    s.reasoning_tokens = Some(tokens);
    s
}

/// The crafted store; each sample's verdict is in [`expected`].
async fn fixture(dir: &Path) -> PathBuf {
    let db = dir.join("kbench.sqlite");
    let store = Store::open(&db).await.expect("store");
    let ids = [
        "activation/relu",
        "activation/gelu",
        "activation/sigmoid",
        "activation/tanh",
        "math/cumsum",
        "fuse/gemm_relu",
        "arch/mlp",
    ];
    let set = tasks(&ids.map(|t| (t, "h")));
    let run = |model| FixtureRun {
        backend: "cpu",
        model,
        sizes: "paper",
        samples: 8,
        turns: 2,
        tasks: set.clone(),
    };
    let r1 = add_run(&store, &run("model-one")).await;
    let r2 = add_run(&store, &run("model-two")).await;
    let relu = "activation/relu";
    let gelu = "activation/gelu";
    let mut samples = vec![
        good(r1, relu, 0, 1, 3000, 3.0),
        good(r1, relu, 1, 1, 3500, 2.0),
        bad(r1, relu, 2, 1, Wrong, 2500),
    ];
    let mut no_trace = good(r1, relu, 3, 1, 0, 3.0);
    no_trace.reasoning = None;
    no_trace.reasoning_tokens = None;
    let mut cut = good(r1, relu, 4, 1, 9000, 2.0);
    cut.finish_reason = Some("length".into());
    let mut no_prompt = good(r1, relu, 5, 1, 3000, 2.0);
    no_prompt.prompt = None;
    let mut untimed = good(r1, relu, 6, 1, 3000, 2.0);
    untimed.kernel = None;
    untimed.speedup = None;
    let mut unstable = good(r1, relu, 7, 1, 3000, 2.0);
    if let Some(k) = unstable.kernel.as_mut() {
        k.stddev = 0.9 * k.mean;
    }
    let mut copy = good(r2, relu, 0, 1, 3000, 3.0);
    copy.code = Some("extern \"C\"  int kb_forward()\n{\n  return 0;  /* same */ }\n".into());
    samples.extend([no_trace, cut, no_prompt, untimed, unstable, copy]);

    let mut one_failed = good(r1, gelu, 2, 1, 5000, 2.0);
    one_failed.trials[3].passed = false;
    let mut timed_wrong = good(r1, gelu, 3, 1, 5000, 2.0);
    timed_wrong.timed_outputs_ok = Some(false);
    let mut networked = good(r1, gelu, 4, 1, 5000, 2.0);
    networked.network_isolated = Some(false);
    let mut escaped = bad(r1, gelu, 5, 1, Fault, 5000);
    escaped.fault = Some("thread_still_running".into());
    let mut estimated = good(r1, gelu, 6, 1, 0, 1.5);
    estimated.reasoning_tokens = None;
    estimated.reasoning = Some(format!("  {}\n", "x".repeat(4000)));
    samples.extend([
        good(r1, gelu, 0, 1, 7000, 1.0),
        good(r1, gelu, 1, 1, 8000, 2.0),
        one_failed,
        timed_wrong,
        networked,
        escaped,
        estimated,
    ]);

    let mut held = good(r1, "activation/tanh", 0, 1, 9000, 9.0);
    held.prompt = Some("SECRET-TANH-PROMPT".into());
    held.reasoning = Some("SECRET-TANH-TRACE".into());
    held.answer = Some("SECRET-TANH-ANSWER".into());
    let mut roofline = good(r1, "fuse/gemm_relu", 3, 1, 8000, 7.0);
    roofline.faster_than_roofline = Some(true);
    let mut reformatted = good(r1, "arch/mlp", 1, 1, 4100, 8.0);
    reformatted.code = Some("extern \"C\" int kb_forward() {\n\treturn 0; // the same\n}".into());
    samples.extend([
        good(r1, "activation/sigmoid", 0, 1, 500, 2.0),
        good(r1, "activation/sigmoid", 1, 1, 500, 2.0),
        held,
        bad(r1, "math/cumsum", 0, 1, Wrong, 600),
        good(r1, "math/cumsum", 0, 2, 400, 1.2),
        good(r1, "fuse/gemm_relu", 0, 1, 9000, 6.0),
        good(r1, "fuse/gemm_relu", 1, 1, 9500, 5.5),
        good(r1, "fuse/gemm_relu", 2, 1, 9800, 5.0),
        roofline,
        good(r1, "arch/mlp", 0, 1, 4000, 8.0),
        reformatted,
        good(r1, "arch/mlp", 2, 1, 6000, 7.0),
    ]);
    for s in &samples {
        store.save_sample(s).await.expect("sample");
    }
    store.finish_run(r1).await.expect("finish");
    store.finish_run(r2).await.expect("finish");
    db
}

/// Key of a record: (run, task, sample, turn).
type Key = (i64, String, i64, i64);

/// The verdict of every sample turn: the rule that keeps it, or its reasons.
fn expected() -> BTreeMap<Key, &'static str> {
    let k = |run: i64, task: &str, sample: i64, turn: i64| (run, task.to_string(), sample, turn);
    BTreeMap::from([
        // relu: sample 0 has the shortest trace among the clean ones (3000; sample 1 has
        // 3500) and the top speedup (3.0): rule A. Run 2's sample 0 is its code with
        // other layout and a comment, and no shorter trace: a duplicate.
        (k(1, "activation/relu", 0, 1), "A"),
        (k(1, "activation/relu", 1, 1), "not_selected"),
        (k(1, "activation/relu", 2, 1), "not_correct"),
        (k(1, "activation/relu", 3, 1), "no_reasoning"),
        (k(1, "activation/relu", 4, 1), "truncated"),
        (k(1, "activation/relu", 5, 1), "no_prompt"),
        (k(1, "activation/relu", 6, 1), "untimed"),
        (k(1, "activation/relu", 7, 1), "unstable_timing"),
        (k(2, "activation/relu", 0, 1), "duplicate"),
        // gelu: the shortest clean trace (sample 6: 4,000 characters, estimated 1,000
        // tokens) is not the fastest (sample 1, 2.0x): no rule A. Rule C (see below)
        // takes sample 6.
        (k(1, "activation/gelu", 0, 1), "not_selected"),
        (k(1, "activation/gelu", 1, 1), "not_selected"),
        (k(1, "activation/gelu", 2, 1), "not_correct"),
        (k(1, "activation/gelu", 3, 1), "flagged"),
        (k(1, "activation/gelu", 4, 1), "flagged"),
        (k(1, "activation/gelu", 5, 1), "flagged,not_correct"),
        (k(1, "activation/gelu", 6, 1), "C"),
        // sigmoid: two samples tie on both trace and speed: the first is kept.
        (k(1, "activation/sigmoid", 0, 1), "A"),
        (k(1, "activation/sigmoid", 1, 1), "not_selected"),
        (k(1, "activation/tanh", 0, 1), "holdout"),
        // cumsum: the repaired turn 2 is the only clean sample.
        (k(1, "math/cumsum", 0, 1), "not_correct"),
        (k(1, "math/cumsum", 0, 2), "A"),
        // gemm_relu: sample 3 is shorter and faster but flagged by the roofline; sample
        // 0 is then shortest and fastest (A), 5.5x is above 5 (B), 5.0x is not.
        (k(1, "fuse/gemm_relu", 0, 1), "A"),
        (k(1, "fuse/gemm_relu", 1, 1), "B"),
        (k(1, "fuse/gemm_relu", 2, 1), "not_selected"),
        (k(1, "fuse/gemm_relu", 3, 1), "flagged"),
        // mlp: sample 1 is sample 0's code reformatted, with a longer trace.
        (k(1, "arch/mlp", 0, 1), "A"),
        (k(1, "arch/mlp", 1, 1), "duplicate"),
        (k(1, "arch/mlp", 2, 1), "B"),
        // Rule C: A and B kept 4 multi-operator samples (gemm_relu 0, 1; mlp 0, 2) and 3
        // single-operator ones (relu 0, sigmoid 0, cumsum 0 turn 2): one more single-
        // operator sample, from the first pool in order (gelu), its shortest trace.
    ])
}

/// Runs `kbench curate` on `db` with `args`; the output on success.
fn curate(db: &Path, out: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kbench"))
        .arg("curate")
        .arg("--db")
        .arg(db)
        .arg("--out")
        .arg(out)
        .args(args)
        .output()
        .expect("kbench runs")
}

/// Parses a JSONL file.
fn jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("file")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// The key of a record.
fn key(r: &Value) -> Key {
    (
        r["run"].as_i64().expect("run"),
        r["task_id"].as_str().expect("task").to_string(),
        r["sample"].as_i64().expect("sample"),
        r["turn"].as_i64().expect("turn"),
    )
}

/// Writes the hold-out file.
fn holdout_file(dir: &Path) -> PathBuf {
    let path = dir.join("holdout.txt");
    std::fs::write(&path, "# evaluation tasks\nactivation/tanh\n").expect("holdout");
    path
}

#[tokio::test]
async fn every_filter_and_rule_decides_as_worked_out_by_hand() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = fixture(dir.path()).await;
    let out = dir.path().join("dataset");
    let holdout = holdout_file(dir.path());
    let holdout = holdout.to_str().expect("utf-8");
    let done = curate(&db, &out, &["--runs", "2,1", "--holdout", holdout]);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let said = String::from_utf8_lossy(&done.stdout);
    assert!(
        said.contains("curated 28 sample turns of 2 runs: 8 kept, 20 rejected"),
        "{said}"
    );

    let train = jsonl(&out.join("train.jsonl"));
    let pc = jsonl(&out.join("train_prompt_completion.jsonl"));
    let rejects = jsonl(&out.join("rejects.jsonl"));
    let mut got: BTreeMap<Key, String> = BTreeMap::new();
    for r in &train {
        got.insert(key(r), r["rule"].as_str().expect("rule").to_string());
    }
    for r in &rejects {
        let reasons: Vec<&str> = r["reasons"]
            .as_array()
            .expect("reasons")
            .iter()
            .map(|x| x.as_str().expect("reason"))
            .collect();
        assert_eq!(r["reason"], reasons[0], "the first reason leads");
        assert!(r["rule"].is_null());
        let prior = got.insert(key(r), reasons.join(","));
        assert!(prior.is_none(), "each sample once: {:?}", key(r));
    }
    let want: BTreeMap<Key, String> = expected()
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect();
    assert_eq!(got, want);
    assert_eq!(train.len(), pc.len());

    // Texts and metadata of a kept sample, against what was stored.
    let gemm = train
        .iter()
        .find(|r| key(r) == (1, "fuse/gemm_relu".into(), 0, 1))
        .expect("gemm_relu 0");
    assert_eq!(gemm["messages"][0]["role"], "user");
    assert_eq!(gemm["messages"][0]["content"], "write fuse/gemm_relu");
    assert_eq!(gemm["messages"][1]["role"], "assistant");
    assert_eq!(
        gemm["messages"][1]["content"],
        "<think>\ntrace of fuse/gemm_relu #0 turn 1\n</think>\n\nanswer of fuse/gemm_relu #0"
    );
    for (field, value) in [
        ("category", Value::from("fuse")),
        ("backend", "cpu".into()),
        ("sizes", "paper".into()),
        ("model", "model-one".into()),
        ("speedup", 6.0.into()),
        ("reasoning_tokens", 9000.into()),
        ("reasoning_tokens_estimated", false.into()),
        ("rule", "A".into()),
        // fuse/gemm_relu's traces: 9000, 9500, 9800 and 8000 tokens: ARL 9075, hard.
        ("difficulty", "hard".into()),
        ("task_arl", 9075.0.into()),
    ] {
        assert_eq!(gemm[field], value, "{field}");
    }
    let same = pc
        .iter()
        .find(|r| key(r) == key(gemm))
        .expect("also as prompt/completion");
    assert_eq!(same["prompt"], gemm["messages"][0]["content"]);
    assert_eq!(same["completion"], gemm["messages"][1]["content"]);

    let gelu = train
        .iter()
        .find(|r| r["task_id"] == "activation/gelu")
        .expect("gelu");
    // 4,000 characters without a count: 1,000 tokens, estimated. gelu's ARL: (7000 +
    // 8000 + 4 x 5000 + 1000) / 7 = 5142.9, medium.
    assert_eq!(gelu["reasoning_tokens"], 1000);
    assert_eq!(gelu["reasoning_tokens_estimated"], true);
    assert_eq!(gelu["difficulty"], "medium");

    let detail = |k: Key| {
        rejects
            .iter()
            .find(|r| key(r) == k)
            .map(|r| r["detail"].as_str().expect("detail").to_string())
            .expect("reject")
    };
    assert_eq!(
        detail((2, "activation/relu".into(), 0, 1)),
        "same code as run 1 sample 0 turn 1"
    );
    assert_eq!(
        detail((1, "activation/gelu".into(), 5, 1)),
        "fault thread_still_running; fault, 0 of 5 trials passed"
    );
    assert_eq!(
        detail((1, "activation/gelu".into(), 4, 1)),
        "sandbox: network not isolated"
    );
    assert_eq!(
        detail((1, "activation/relu".into(), 7, 1)),
        "spread 0.900 > 0.5"
    );
    let wrong = rejects
        .iter()
        .find(|r| key(r) == (1, "activation/relu".into(), 2, 1))
        .expect("wrong");
    assert_eq!(wrong["prompt"], "prompt");
    assert_eq!(wrong["correct"], false);
    assert_eq!(wrong["outcome"], "wrong");

    // The held-out task: listed, with no text anywhere.
    let held = rejects
        .iter()
        .find(|r| r["task_id"] == "activation/tanh")
        .expect("tanh");
    assert!(held["prompt"].is_null() && held["completion"].is_null());
    for file in kbench::curate::FILES {
        let text = std::fs::read_to_string(out.join(file)).expect("file");
        assert!(
            !text.contains("SECRET-TANH"),
            "{file} leaks the held-out task"
        );
    }

    let card = std::fs::read_to_string(out.join("README.md")).expect("card");
    for line in [
        "8 sample turns kept of 28 stored in 2 runs",
        "| A | 5 |",
        "| B | 2 |",
        "| C | 1 |",
        "| `holdout` | task on the hold-out list (listed without prompt or completion) | 1 | 1 |",
        "| `flagged` | faster than the roofline, timed outputs wrong, a fault label, or a \
         sandbox protection that did not hold | 4 | 4 |",
        "| `not_correct` | not correct on every correctness trial | 3 | 4 |",
        "| `duplicate` | same code as another sample of the task and backend after removing \
         comments and whitespace (the one with the shorter trace stays) | 2 | 2 |",
        "| `not_selected` | passed every filter; no selection rule kept it | 5 | 5 |",
        // Kept traces: 3000, 500, 400, 1000, 9000, 9500, 4000, 6000.
        "| reasoning | 8 | 400 | 3500.0 | 4175.0 | 9500 | 33400 |",
        "1 of the kept traces had no token count from their provider",
        // Held out, tanh has no difficulty.
        "| easy | 3 | 3 |",
        "| medium | 2 | 3 |",
        "| hard | 1 | 2 |",
        "| unknown | 1 | 0 |",
        "0 had no finish reason",
        "- `activation/tanh`",
        "| 1 | model-one | cpu | paper |",
    ] {
        assert!(card.contains(line), "the card lacks `{line}`:\n{card}");
    }
    assert!(card.starts_with("---\npretty_name: kbench curated kernels\n"));
}

#[tokio::test]
async fn the_same_store_and_options_give_the_same_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = fixture(dir.path()).await;
    let holdout = holdout_file(dir.path());
    let holdout = holdout.to_str().expect("utf-8");
    let args = ["--all", "--holdout", holdout, "--difficulty", "tertiles"];
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    assert!(curate(&db, &a, &args).status.success());
    assert!(curate(&db, &b, &args).status.success());
    for file in kbench::curate::FILES {
        let (x, y) = (
            std::fs::read(a.join(file)).expect("a"),
            std::fs::read(b.join(file)).expect("b"),
        );
        assert!(!x.is_empty(), "{file} is written");
        assert_eq!(x, y, "{file} differs between two runs");
    }
    // Tertiles of the six tasks not held out (ARLs 500, 500, 3750, 4700, 5142.9,
    // 9075): ranks 0, 0 easy; 2, 3 medium; 4, 5 hard. The held-out tanh (9000) moves
    // no bound.
    let card = std::fs::read_to_string(a.join("README.md")).expect("card");
    assert!(
        card.contains("tertiles of the tasks by ARL: medium from 3750.0, hard from 5142.9"),
        "{card}"
    );
}

#[tokio::test]
async fn rules_can_be_chosen_and_bad_input_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = fixture(dir.path()).await;
    let only_b = dir.path().join("b");
    let done = curate(
        &db,
        &only_b,
        &["--all", "--rules", "B", "--speedup-b", "5.5"],
    );
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let kept: Vec<Key> = jsonl(&only_b.join("train.jsonl")).iter().map(key).collect();
    // Clean and above 5.5x: tanh (9.0x, not held out here), mlp 0 (8.0x) and 2 (7.0x),
    // gemm_relu 0 (6.0x); not gemm_relu 1 (5.5x) nor the flagged gemm_relu 3 (7.0x).
    assert_eq!(
        kept,
        vec![
            (1, "activation/tanh".into(), 0, 1),
            (1, "arch/mlp".into(), 0, 1),
            (1, "arch/mlp".into(), 2, 1),
            (1, "fuse/gemm_relu".into(), 0, 1),
        ]
    );

    let typo = dir.path().join("typo.txt");
    std::fs::write(&typo, "activation/tanhh\n").expect("typo");
    let out = dir.path().join("x");
    let refused = curate(
        &db,
        &out,
        &["--all", "--holdout", typo.to_str().expect("utf-8")],
    );
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("line 1: no task `activation/tanhh`"), "{err}");
    assert!(
        !out.join("train.jsonl").exists(),
        "nothing written on bad input"
    );

    let missing = curate(&db, &out, &["--runs", "9"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no run 9 in the database"));
    let neither = curate(&db, &out, &[]);
    assert!(!neither.status.success(), "--runs or --all is required");
}

/// The Python of `.venv` if it has the `datasets` package.
fn python_with_datasets() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = root.join(".venv/bin/python");
    let ok = Command::new(&python)
        .args(["-c", "import datasets"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok && std::env::var("KBENCH_REQUIRE_DATASETS").as_deref() == Ok("1") {
        panic!(
            "KBENCH_REQUIRE_DATASETS=1 but .venv has no `datasets` (scripts/test.sh installs it)"
        );
    }
    ok.then_some(python)
}

#[tokio::test]
async fn the_files_load_with_hugging_face_datasets() {
    let Some(python) = python_with_datasets() else {
        eprintln!(
            "skipped: .venv/bin/python has no `datasets` package (scripts/test.sh installs it)"
        );
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let db = fixture(dir.path()).await;
    let out = dir.path().join("dataset");
    assert!(curate(&db, &out, &["--all"]).status.success());
    let script = r#"
import sys, datasets
datasets.disable_progress_bars()
out, cache = sys.argv[1], sys.argv[2]
meta = ["task_id", "category", "backend", "sizes", "model", "run", "sample", "turn",
        "speedup", "reasoning_tokens", "reasoning_tokens_estimated", "rule", "difficulty",
        "task_arl"]
def load(name):
    return datasets.load_dataset("json", data_files=f"{out}/{name}", split="train",
                                 cache_dir=cache)
train = load("train.jsonl")
pc = load("train_prompt_completion.jsonl")
rejects = load("rejects.jsonl")
for ds, extra in [(train, ["messages"]), (pc, ["prompt", "completion"]),
                  (rejects, ["reason", "reasons", "detail", "prompt", "completion"])]:
    missing = set(meta + extra) - set(ds.column_names)
    assert not missing, missing
assert len(train) == len(pc) > 0, (len(train), len(pc))
for row in train:
    user, assistant = row["messages"]
    assert user["role"] == "user" and assistant["role"] == "assistant"
    assert assistant["content"].startswith("<think>\n"), assistant["content"][:20]
    assert row["rule"] in ("A", "B", "C") and row["speedup"] > 0
# The dataset card's configurations load the folder as it is.
card = datasets.load_dataset(out, "rejects", split="train", cache_dir=cache)
print(len(train), len(pc), len(rejects), len(card))
"#;
    let run = Command::new(python)
        .args(["-c", script])
        .arg(&out)
        .arg(dir.path().join("hf-cache"))
        .env("HF_DATASETS_OFFLINE", "1")
        .env("HF_HUB_OFFLINE", "1")
        .output()
        .expect("python");
    let said = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    // No hold-out here: tanh is kept by rule A, which makes 4 single-operator samples to
    // the 4 multi-operator ones, so rule C adds none: 8 kept, 20 rejected.
    assert_eq!(said.trim(), "8 8 20 20");
}
