//! `kbench report` on a crafted store: two comparable runs (one a repair run still in
//! progress) and one whose task set differs. The Markdown is checked line by line
//! against metrics computed by hand; the CSV and JSON are parsed and checked against the
//! store; every grid link of `index.html` resolves.

mod report_fixture;

use kbench::report::{self, Selection};
use kbench::store::Store;
use report_fixture::three_runs as fixture;
use std::path::Path;

const LEADERBOARD_HEADER: &str = "| run | backend | sizes | strategy | turns | date | tasks | \
    compile@1 | pass@1 | pass@k | fast_0 | fast_1 | fast_1.5 | fast_2 | geomean | median | \
    tokens / cost |";
const CATEGORY_HEADER: &str = "| run | tasks | compile@1 | pass@1 | fast_1 | geomean | median |";

#[tokio::test]
async fn the_report_matches_hand_computed_metrics_and_the_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = fixture(dir.path()).await;
    let runs = report::load(&store, &Selection::All).await.expect("load");
    let out = dir.path().join("report");
    let written = report::write(&store, &runs, &out).await.expect("write");
    assert_eq!(written.groups, 2);
    let date = |i: usize| runs[i].run.created_at[..10].to_string();

    let md = std::fs::read_to_string(out.join("report.md")).expect("report.md");
    let (d1, d2, d3) = (date(0), date(1), date(2));
    let expected = [
        "# kbench report".to_string(),
        String::new(),
        "Rates are over every task of a run's task set (a missing or failed sample counts \
         against); speedups are over the Rust reference, from correct samples not flagged as \
         faster than the roofline."
            .into(),
        String::new(),
        "## Group 1: cpu backend, paper sizes, 3 tasks".into(),
        String::new(),
        LEADERBOARD_HEADER.into(),
        format!("|{}", "---|".repeat(17)),
        // Hand computation, run 1 (2 samples asked): relu 2/2 correct (2.0x, 0.5x), tanh
        // wrong + not compiled, mse 1 of 2 (1.25x). compile@1 (1 + 1/2 + 1/2) / 3,
        // pass@1 (1 + 0 + 1/2) / 3, pass@2 (1 + 0 + 1) / 3, fast_1 (1/2 + 0 + 1/2) / 3,
        // fast_1.5 (1/2) / 3, geomean (2 * 0.5 * 1.25)^(1/3) = 1.077, median 1.25.
        format!(
            "| #1 model-a | cpu | paper | category-shot | 1 | {d1} | 3 | 66.7% | 50.0% | \
             66.7% (k=2) | 50.0% | 33.3% | 16.7% | 0.0% | 1.08x | 1.25x | 500 in / 250 out, \
             $0.05 |"
        ),
        // Run 2, final turns: relu 3.0x (turn 2) and 1.0x, tanh fault + 0.8x, mse 1 of 2
        // (0.9x). compile@1 (1 + 1 + 1/2) / 3, pass@1 (1 + 1/2 + 1/2) / 3, pass@2
        // (1 + 1 + 1) / 3, fast_0 (1 + 1/2 + 1/2) / 3, fast_1 = fast_1.5 = fast_2 =
        // (1/2) / 3, geomean (3 * 1 * 0.8 * 0.9)^(1/4) = 1.212, median (0.9 + 1) / 2.
        format!(
            "| #2 model-b (in progress) | cpu | paper | category-shot | 2 | {d2} | 3 | 83.3% | \
             66.7% | 100.0% (k=2) | 66.7% | 16.7% | 16.7% | 16.7% | 1.21x | 0.95x | 600 in / \
             300 out, $0.06 |"
        ),
        String::new(),
        "### act".into(),
        String::new(),
        CATEGORY_HEADER.into(),
        format!("|{}", "---|".repeat(7)),
        "| #1 model-a | 2 | 75.0% | 50.0% | 25.0% | 1.00x | 1.25x |".into(),
        "| #2 model-b (in progress) | 2 | 100.0% | 75.0% | 25.0% | 1.34x | 1.00x |".into(),
        String::new(),
        "### loss".into(),
        String::new(),
        CATEGORY_HEADER.into(),
        format!("|{}", "---|".repeat(7)),
        "| #1 model-a | 1 | 50.0% | 50.0% | 50.0% | 1.25x | 1.25x |".into(),
        "| #2 model-b (in progress) | 1 | 50.0% | 50.0% | 0.0% | 0.90x | 0.90x |".into(),
        String::new(),
        "## Group 2: cpu backend, paper sizes, 2 tasks".into(),
        String::new(),
        "Not comparable with group 1: 1 samples per task, not 2; task set differs (lacks 1 \
         of group 1's tasks, 1 tasks with changed definitions)."
            .into(),
        String::new(),
        LEADERBOARD_HEADER.into(),
        format!("|{}", "---|".repeat(17)),
        // Run 3 (1 sample asked): relu 1.5x, tanh missing.
        format!(
            "| #3 model-c | cpu | paper | category-shot | 1 | {d3} | 2 | 50.0% | 50.0% | - | \
             50.0% | 50.0% | 0.0% | 0.0% | 1.50x | 1.50x | 100 in / 50 out, $0.01 |"
        ),
        String::new(),
        "### act".into(),
        String::new(),
        CATEGORY_HEADER.into(),
        format!("|{}", "---|".repeat(7)),
        "| #3 model-c | 2 | 50.0% | 50.0% | 50.0% | 1.50x | 1.50x |".into(),
    ];
    let lines: Vec<&str> = md.lines().collect();
    for (i, (got, want)) in lines.iter().zip(&expected).enumerate() {
        assert_eq!(got, want, "report.md line {}", i + 1);
    }
    assert_eq!(
        lines.len(),
        expected.len(),
        "report.md has {} lines",
        lines.len()
    );

    // CSV: one row per stored sample turn, agreeing with the store.
    let stored: Vec<_> = {
        let mut all = Vec::new();
        for r in &runs {
            all.extend(store.report_samples(r.run.id).await.expect("samples"));
        }
        all
    };
    let mut reader = csv::Reader::from_path(out.join("results.csv")).expect("csv");
    let headers = reader.headers().expect("headers").clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(records.len(), 12);
    for (row, s) in records.iter().zip(&stored) {
        assert_eq!(row[column("run_id")], s.run_id.to_string());
        assert_eq!(row[column("task_id")], s.task_id);
        assert_eq!(row[column("turn")], s.turn.to_string());
        assert_eq!(row[column("outcome")], s.outcome);
        assert_eq!(row[column("correct")], s.correct.to_string());
        assert_eq!(row[column("trials_passed")], s.trials_passed.to_string());
        let speedup = &row[column("speedup")];
        match s.speedup {
            Some(x) => assert_eq!(speedup.parse::<f64>().expect("number"), x),
            None => assert!(speedup.is_empty()),
        }
        assert_eq!(&row[column("reference_median_s")], "0.001");
        assert!(row[column("definition_hash")].starts_with('h'));
    }

    // JSON: every run with its task set and samples.
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("results.json")).expect("json"))
            .expect("valid json");
    let json_runs = json["runs"].as_array().expect("runs");
    assert_eq!(json_runs.len(), 3);
    for (j, r) in json_runs.iter().zip(&runs) {
        assert_eq!(j["id"], r.run.id);
        assert_eq!(j["in_progress"], r.in_progress());
        assert_eq!(j["tasks"].as_array().expect("tasks").len(), r.tasks.len());
        let samples = j["samples"].as_array().expect("samples");
        assert_eq!(samples.len(), r.samples.len());
        for (js, s) in samples.iter().zip(&r.samples) {
            assert_eq!(js["task_id"], s.task_id.as_str());
            assert_eq!(js["speedup"].as_f64(), s.speedup);
        }
    }

    // index.html: one leaderboard row per run, and every grid link names a page.
    // The templates escape `/` as `&#x2f;`, which browsers read back as `/`.
    let read = |path: &Path| {
        std::fs::read_to_string(path)
            .unwrap_or_else(|_| panic!("{}", path.display()))
            .replace("&#x2f;", "/")
    };
    let index = read(&out.join("index.html"));
    let raw = std::fs::read_to_string(out.join("index.html")).expect("index");
    assert!(
        raw.contains("font: 14px/1.4"),
        "the style sheet is not escaped"
    );
    assert_eq!(index.matches("<tr data-run=").count(), 3);
    assert!(
        !index.contains(" src=") && !index.contains("<link"),
        "self-contained: no external script, image or stylesheet"
    );
    let links: Vec<&str> = index
        .split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|l| l.starts_with("samples/"))
        .collect();
    assert_eq!(links.len(), 7, "one link per cell with samples");
    for link in links {
        let page = read(&out.join(link));
        assert!(
            page.contains("<h1>act/") || page.contains("<h1>loss/"),
            "{link}"
        );
    }
    let repaired = read(&out.join("samples/run-2/act~relu.html"));
    assert!(repaired.contains("Sample 0, turn 2"), "every turn is shown");
    assert!(
        repaired.contains("reasoning &lt;about&gt; act/relu"),
        "texts are escaped: {repaired}"
    );
}

#[tokio::test]
async fn a_report_of_an_unknown_run_or_an_empty_store_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("empty.sqlite"))
        .await
        .expect("store");
    let err = report::load(&store, &Selection::All)
        .await
        .expect_err("no runs");
    assert!(err.to_string().contains("no run yet"), "{err}");
    let store = fixture(dir.path()).await;
    let err = report::load(&store, &Selection::Runs(vec![1, 9]))
        .await
        .expect_err("run 9");
    assert!(err.to_string().contains("no run 9"), "{err}");
    let picked = report::load(&store, &Selection::Runs(vec![3, 1]))
        .await
        .expect("runs 3 and 1");
    let ids: Vec<i64> = picked.iter().map(|r| r.run.id).collect();
    assert_eq!(ids, [3, 1], "in the order asked");
}

#[tokio::test]
async fn estimated_times_show_a_roofline_fraction_and_never_a_speedup() {
    use kbench::outcome::Outcome::{Correct, Wrong};
    use report_fixture::{FixtureRun, add_run, sample, tasks};
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("kbench.sqlite"))
        .await
        .expect("store");
    let run = add_run(
        &store,
        &FixtureRun {
            backend: "an-emulator",
            model: "model-e",
            sizes: "paper",
            samples: 1,
            turns: 1,
            tasks: tasks(&[("act/relu", "h1"), ("act/tanh", "h2"), ("act/gelu", "h3")]),
        },
    )
    .await;
    for (task, outcome, fraction) in [
        ("act/relu", Correct, 0.5),
        ("act/tanh", Correct, 0.9),
        ("act/gelu", Wrong, 0.0),
    ] {
        let mut s = sample(run, task, 0, 1, outcome, Some(2.0));
        s.speedup = None;
        s.time_estimated = Some(true);
        s.roofline_fraction = (outcome == Correct).then_some(fraction);
        store.save_sample(&s).await.expect("sample");
    }
    let runs = report::load(&store, &Selection::All).await.expect("load");
    let out = dir.path().join("report");
    report::write(&store, &runs, &out).await.expect("write");
    let md = std::fs::read_to_string(out.join("report.md")).expect("report.md");
    // 2 of 3 correct; the median of the correct ones' fractions, (0.5 + 0.9) / 2.
    assert!(
        md.contains(
            "| 66.7% | n/a (estimated) | n/a (estimated) | n/a (estimated) | n/a (estimated) | \
             roofline 70.0% (est.) |"
        ),
        "{md}"
    );
    assert!(!md.contains("2.00x"), "no speedup from an estimate: {md}");
    let html = std::fs::read_to_string(out.join("index.html")).expect("index.html");
    for chart in ["fast_r against r", "roofline fraction distribution"] {
        assert!(html.contains(chart), "{chart}");
    }
    assert!(!html.contains("fast_p against p"), "no speedup chart");
    assert!(!html.contains("Speedup distribution"), "no speedup chart");
}
