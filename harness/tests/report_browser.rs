//! `index.html` in a real browser: headless Chromium (`chromium` from the system
//! packages; `scripts/test.sh` installs it) loads the fixture's report from a file,
//! takes a screenshot (kept in `target/test-artifacts/report.png`), and the DOM it
//! dumps shows one leaderboard row per run, rows reordered by sorting on pass@1, grid
//! links that resolve to sample pages, and no console errors. Without Chromium the test
//! says so and passes, unless KBENCH_REQUIRE_CHROMIUM=1 (set by the test script).

mod report_fixture;

use kbench::report::{self, Selection};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The Chromium binary, if installed.
fn chromium() -> Option<PathBuf> {
    let named = std::env::var_os("KBENCH_CHROMIUM").map(PathBuf::from);
    let found = named
        .into_iter()
        .chain(["/usr/bin/chromium", "/usr/bin/chromium-browser"].map(PathBuf::from))
        .find(|p| p.exists());
    if found.is_none() && std::env::var("KBENCH_REQUIRE_CHROMIUM").as_deref() == Ok("1") {
        panic!("KBENCH_REQUIRE_CHROMIUM=1 but no chromium (apt-get install chromium)");
    }
    found
}

/// What a headless load of `url` gave: the DOM after the page's scripts ran, and the
/// console messages Chromium logged.
struct Load {
    dom: String,
    console: Vec<String>,
}

/// Loads `url` headless (the flags a closed network needs) with `extra` flags.
fn load(browser: &Path, profile: &Path, url: &str, extra: &[String]) -> Load {
    let output = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--allow-file-access-from-files",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .output()
        .expect("chromium runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    Load {
        dom: String::from_utf8_lossy(&output.stdout).into_owned(),
        console: stderr
            .lines()
            .filter(|l| l.contains(":CONSOLE"))
            .map(str::to_string)
            .collect(),
    }
}

/// The run ids of the first leaderboard's rows, in page order.
fn first_leaderboard_runs(dom: &str) -> Vec<String> {
    let table = dom
        .split("id=\"leaderboard-1\"")
        .nth(1)
        .and_then(|rest| rest.split("</table>").next())
        .expect("leaderboard 1");
    table
        .split("data-run=\"")
        .skip(1)
        .filter_map(|r| r.split('"').next())
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn the_report_works_in_a_real_browser() {
    let Some(browser) = chromium() else {
        println!("SKIPPED: no chromium; `apt-get install chromium` to run the browser test");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let store = report_fixture::three_runs(dir.path()).await;
    let runs = report::load(&store, &Selection::All).await.expect("load");
    let out = dir.path().join("report");
    report::write(&store, &runs, &out).await.expect("write");
    let index = out.join("index.html");
    let url = format!("file://{}", index.display());
    let profile = dir.path().join("profile");

    // The console check can fail: a page with a script error is caught.
    let broken = dir.path().join("broken.html");
    std::fs::write(&broken, "<script>undefinedFunction();</script>").expect("write");
    let caught = load(
        &browser,
        &profile,
        &format!("file://{}", broken.display()),
        &["--dump-dom".into()],
    );
    assert!(
        caught
            .console
            .iter()
            .any(|l| l.contains("undefinedFunction")),
        "the console check sees script errors: {:?}",
        caught.console
    );

    let page = load(&browser, &profile, &url, &["--dump-dom".into()]);
    assert!(page.console.is_empty(), "console: {:?}", page.console);
    assert_eq!(
        page.dom.matches("<tr data-run=").count(),
        runs.len(),
        "one leaderboard row per run"
    );
    assert_eq!(first_leaderboard_runs(&page.dom), ["1", "2"]);
    assert!(
        page.dom.matches("<svg").count() >= 6,
        "charts are inline SVG"
    );

    // Sorting by pass@1 (column 8), descending: run 2 (66.7%) before run 1 (50.0%).
    let sorted = load(
        &browser,
        &profile,
        &format!("{url}#sort=8"),
        &["--dump-dom".into()],
    );
    assert!(sorted.console.is_empty(), "console: {:?}", sorted.console);
    assert_eq!(first_leaderboard_runs(&sorted.dom), ["2", "1"]);

    // A grid cell's link resolves to its sample page, which loads cleanly.
    let link = page
        .dom
        .split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|l| l.starts_with("samples/run-2/act~relu"))
        .expect("a grid link")
        .to_string();
    let target = out.join(&link);
    assert!(target.exists(), "{link} resolves");
    let sample_page = load(
        &browser,
        &profile,
        &format!("file://{}", target.display()),
        &["--dump-dom".into()],
    );
    assert!(
        sample_page.console.is_empty(),
        "console: {:?}",
        sample_page.console
    );
    assert!(
        sample_page.dom.contains("<h1>act/relu</h1>"),
        "{}",
        sample_page.dom
    );
    assert!(sample_page.dom.contains("Sample 0, turn 2"));

    // The screenshot, kept for a person to look at.
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/test-artifacts");
    std::fs::create_dir_all(&artifacts).expect("artifacts folder");
    let shot = artifacts.join("report.png");
    let _ = std::fs::remove_file(&shot);
    load(
        &browser,
        &profile,
        &url,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1400,1800".into(),
            "--hide-scrollbars".into(),
        ],
    );
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "a real screenshot"
    );
    println!("screenshot: {}", shot.display());
}
