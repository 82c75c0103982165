//! Every way a kernel can fail is caught, stored with its cause, and the run goes on.

mod common;

use common::{FAST, elementwise_answer, run, samples, write_answer};

const TASK: &str = "activation/relu";

fn answers() -> Vec<(&'static str, String)> {
    vec![
        (
            "compile_error",
            elementwise_answer("for (int64_t i = 0; i < n; ++i) y[i] = undefined_name(x[i]);"),
        ),
        (
            "wrong",
            elementwise_answer("for (int64_t i = 0; i < n; ++i) y[i] = x[i];"),
        ),
        (
            "partial",
            elementwise_answer("for (int64_t i = 0; i < n / 2; ++i) y[i] = x[i] > 0 ? x[i] : 0;"),
        ),
        (
            "modifies_input",
            elementwise_answer(
                "for (int64_t i = 0; i < n; ++i) { y[i] = x[i] > 0 ? x[i] : 0; x[i] = 0; }",
            ),
        ),
        (
            "nan",
            elementwise_answer("for (int64_t i = 0; i < n; ++i) y[i] = NAN;"),
        ),
        (
            "segfault",
            elementwise_answer("volatile float *p = nullptr; *p = 1.0f; (void)x; (void)y;"),
        ),
        ("abort", elementwise_answer("std::abort();")),
        (
            "infinite_loop",
            elementwise_answer("volatile int spin = 0; while (spin == 0) {}"),
        ),
        (
            "memory",
            elementwise_answer(
                "std::vector<char *> hog; for (;;) { char *p = new char[1 << 26]; \
                 std::memset(p, 1, 1 << 26); hog.push_back(p); }",
            ),
        ),
        (
            "no_code",
            "I am sorry, I cannot write this kernel.".to_string(),
        ),
        (
            "status",
            elementwise_answer("(void)x; (void)y; (void)n; return 7;"),
        ),
        (
            "exception",
            elementwise_answer("(void)x; (void)y; (void)n; throw std::runtime_error(\"boom\");"),
        ),
        (
            // Each call finishes the previous call's outputs: they change after it returned.
            "late_writes",
            elementwise_answer(
                "static float *py = nullptr; static const float *px = nullptr; \
                 static int64_t pn = 0;\n\
                 if (py) for (int64_t i = pn / 2; i < pn; ++i) py[i] = px[i] > 0 ? px[i] : 0;\n\
                 for (int64_t i = 0; i < n / 2; ++i) y[i] = x[i] > 0 ? x[i] : 0;\n\
                 py = y; px = x; pn = n;",
            ),
        ),
        (
            "compile_bomb",
            elementwise_answer("for (int64_t i = 0; i < n; ++i) y[i] = x[i];").replace(
                "#include <cmath>",
                "#include <cmath>\n#include \"/dev/zero\"",
            ),
        ),
        (
            "compile_bomb_memory",
            elementwise_answer("for (int64_t i = 0; i < n; ++i) y[i] = x[i];").replace(
                "#include <cmath>",
                "#include <cmath>\n#define A(x) x x x x x x x x x x x x x x x x\n\
                 #define B(x) A(A(A(A(x))))\n#define C(x) B(B(x))\nint bomb[] = { C(1+) 0 };",
            ),
        ),
        (
            "no_entry_point",
            "```cpp\nint helper(int a) { return a + 1; }\n```\n".to_string(),
        ),
        (
            "correct",
            elementwise_answer("for (int64_t i = 0; i < n; ++i) y[i] = x[i] > 0 ? x[i] : 0;"),
        ),
    ]
}

#[test]
fn each_fault_is_caught_and_stored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let replay = dir.path().join("answers");
    let cases = answers();
    for (k, (_, text)) in cases.iter().enumerate() {
        write_answer(&replay, TASK, Some(k), text);
    }
    let db = dir.path().join("kb.sqlite");
    let samples_arg = cases.len().to_string();
    let model = format!("replay:{}", replay.display());
    let cache = dir.path().join("cache");
    let mut args = vec![
        "evaluate",
        "--model",
        &model,
        "--tasks",
        TASK,
        "--samples",
        &samples_arg,
        "--timeout",
        "5",
        "--memory-limit-mb",
        "2048",
        "--db",
        db.to_str().expect("utf-8"),
        "--cache",
        cache.to_str().expect("utf-8"),
    ];
    args.extend(FAST);
    let out = run(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the run must complete: {stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("activation"));

    let rows = samples(&db, 1);
    assert_eq!(rows.len(), cases.len(), "one stored sample per answer");
    let expect = |name: &str| -> (&str, Option<&str>, bool) {
        match name {
            "compile_error" => ("compile_error", None, false),
            "wrong" | "partial" | "nan" | "modifies_input" => ("wrong", None, true),
            "segfault" => ("fault", Some("signal_sigsegv"), true),
            "abort" => ("fault", Some("signal_sigabrt"), true),
            "infinite_loop" => ("fault", Some("timeout"), true),
            "memory" => ("fault", Some("out_of_memory"), true),
            "no_code" => ("no_code", None, false),
            "status" => ("fault", Some("kernel_status_7"), true),
            "exception" => ("fault", Some("exception"), true),
            "late_writes" => ("fault", Some("work_after_return"), true),
            "no_entry_point" | "compile_bomb" | "compile_bomb_memory" => {
                ("compile_error", None, false)
            }
            _ => ("correct", None, true),
        }
    };
    for (row, (name, _)) in rows.iter().zip(&cases) {
        let (outcome, fault, compiled) = expect(name);
        assert_eq!(row.outcome.as_str(), outcome, "{name}: {row:?}");
        assert_eq!(row.compiled, compiled, "{name}: {row:?}");
        assert_eq!(row.correct, *name == "correct", "{name}: {row:?}");
        if let Some(f) = fault {
            assert_eq!(row.fault.as_deref(), Some(f), "{name}: {row:?}");
        }
    }
    let detail = |name: &str| {
        let k = cases.iter().position(|(n, _)| *n == name).expect("case");
        rows[k].detail.clone().unwrap_or_default()
    };
    assert!(detail("modifies_input").contains("modified its inputs"));
    assert!(detail("nan").contains("NaN"), "{}", detail("nan"));
    assert!(detail("compile_error").contains("undefined_name"));
    assert!(
        detail("no_entry_point").contains("kb_forward"),
        "{}",
        detail("no_entry_point")
    );
    let bomb = detail("compile_bomb");
    assert!(
        bomb.contains("/dev/zero") || bomb.contains("memory limit"),
        "the compile bomb's reason: {bomb}"
    );
    let memory_bomb = detail("compile_bomb_memory");
    assert!(
        memory_bomb.contains("memory limit"),
        "the memory bomb's reason: {memory_bomb}"
    );
    let correct = &rows[cases.len() - 1];
    assert!(correct.speedup.is_some_and(|s| s > 0.0), "{correct:?}");
}

#[test]
fn a_missing_answer_is_stored_as_such() {
    let dir = tempfile::tempdir().expect("tempdir");
    let replay = dir.path().join("answers");
    std::fs::create_dir_all(&replay).expect("mkdir");
    let db = dir.path().join("kb.sqlite");
    let model = format!("replay:{}", replay.display());
    let out = run(&[
        "evaluate",
        "--model",
        &model,
        "--tasks",
        TASK,
        "--db",
        db.to_str().expect("utf-8"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = samples(&db, 1);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].outcome.as_str(), "no_answer");
}

#[test]
fn bad_settings_stop_before_any_work() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("kb.sqlite");
    let db = db.to_str().expect("utf-8");
    for (args, message) in [
        (vec!["--backend", "cuda"], "not implemented yet"),
        (
            vec!["--backend", "tpu"],
            "possible values: cpu, cuda, npu-emu, tpu-emu",
        ),
        (vec!["--model", "replay:/does/not/exist"], "does not exist"),
        (vec!["--model", "gpt:x"], "unknown model"),
        (vec!["--tasks", "no/such/task"], "no task id contains"),
        (vec!["--resume", "99"], "no run 99"),
    ] {
        let mut full = vec!["evaluate", "--db", db];
        full.extend(args.iter().copied());
        let out = run(&full);
        assert!(!out.status.success(), "{args:?} accepted");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
    let runs = run(&["runs", "--db", db]);
    assert!(
        String::from_utf8_lossy(&runs.stdout).contains("no runs"),
        "nothing may be stored by a refused evaluate"
    );
}
