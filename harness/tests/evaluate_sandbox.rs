//! The worker cannot reach the network or write outside its job folder, where the
//! machine offers the means (network namespaces, Landlock); the run says which held.

mod common;

use common::{elementwise_answer, evaluate_in, samples, write_answer};
use kbench::store::SampleRow;
use std::io::ErrorKind;
use std::net::TcpListener;
use std::path::Path;

/// Evaluates `answer` for relu with the fast settings in `dir`; its one stored sample.
fn evaluate_relu(dir: &Path, answer: &str) -> SampleRow {
    let replay = dir.join("answers");
    write_answer(&replay, "activation/relu", None, answer);
    let model = format!("replay:{}", replay.display());
    let (db, _) = evaluate_in(dir, &["--model", &model, "--tasks", "activation/relu"]);
    samples(&db, 1).remove(0)
}

#[test]
fn kernels_cannot_write_outside_or_connect() {
    let dir = tempfile::tempdir().expect("tempdir");
    let escape = dir.path().join("escaped.txt");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("non-blocking");
    let port = listener.local_addr().expect("addr").port();
    let body = format!(
        "FILE *f = std::fopen(\"{}\", \"w\"); if (f) {{ std::fputs(\"out\", f); std::fclose(f); }}\n\
         int s = socket(AF_INET, SOCK_STREAM, 0); sockaddr_in a{{}}; a.sin_family = AF_INET;\n\
         a.sin_port = htons({port}); a.sin_addr.s_addr = htonl(0x7f000001);\n\
         if (s >= 0) {{ connect(s, (sockaddr *)&a, sizeof a); close(s); }}\n\
         for (int64_t i = 0; i < n; ++i) y[i] = x[i] > 0 ? x[i] : 0;",
        escape.display()
    );
    let answer = elementwise_answer(&body).replace(
        "#include <cmath>",
        "#include <cmath>\n#include <cstdio>\n#include <arpa/inet.h>\n#include <netinet/in.h>\n\
         #include <sys/socket.h>\n#include <unistd.h>",
    );
    let row = evaluate_relu(dir.path(), &answer);
    assert_eq!(row.outcome.as_str(), "correct", "{row:?}");

    match row.filesystem_confined {
        Some(true) => assert!(!escape.exists(), "the kernel wrote outside its job folder"),
        _ => println!("SKIPPED (file system): Landlock is not available on this kernel"),
    }
    match row.network_isolated {
        Some(true) => match listener.accept() {
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            other => panic!("the kernel reached the network: {other:?}"),
        },
        _ => println!("SKIPPED (network): no private network namespace for the worker here"),
    }
}

/// A kernel that tries to kill the harness, read its environment and command line
/// through `/proc`, and read the store: every attempt must fail (the kernel then
/// computes relu correctly, so `correct` means nothing got through), and the run must
/// finish. Run only where a harmless probe shows that the machine offers the
/// protections (Landlock with signal scoping): elsewhere the kill would succeed.
#[test]
fn kernels_cannot_kill_or_read_the_harness() {
    let probe = tempfile::tempdir().expect("tempdir");
    let (probe_db, summary) = evaluate_in(probe.path(), &["--tasks", "activation/relu"]);
    assert!(
        summary.contains("sandbox") && summary.contains("of 1 workers"),
        "the summary says which protections held: {summary}"
    );
    let probed = &samples(&probe_db, 1)[0];
    if probed.signals_confined != Some(true) || probed.reads_confined != Some(true) {
        println!(
            "SKIPPED: Landlock here confines signals: {:?}, reads: {:?} (signal scoping \
             needs Linux 6.12 with Landlock enabled)",
            probed.signals_confined, probed.reads_confined
        );
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("kb.sqlite");
    let body = format!(
        "int leaked = 0;\n\
         kill(getppid(), SIGKILL);\n\
         char path[64]; std::snprintf(path, sizeof path, \"/proc/%d/environ\", (int)getppid());\n\
         int fd = open(path, O_RDONLY); if (fd >= 0) {{ char b[16]; if (read(fd, b, 16) > 0) leaked = 1; close(fd); }}\n\
         std::snprintf(path, sizeof path, \"/proc/%d/cmdline\", (int)getppid());\n\
         fd = open(path, O_RDONLY); if (fd >= 0) {{ char b[16]; if (read(fd, b, 16) > 0) leaked = 1; close(fd); }}\n\
         fd = open(\"{}\", O_RDONLY); if (fd >= 0) {{ leaked = 1; close(fd); }}\n\
         for (int64_t i = 0; i < n; ++i) y[i] = leaked ? 42.0f : (x[i] > 0 ? x[i] : 0);",
        db.display()
    );
    let answer = elementwise_answer(&body).replace(
        "#include <cmath>",
        "#include <cmath>\n#include <csignal>\n#include <cstdio>\n#include <fcntl.h>\n\
         #include <unistd.h>",
    );
    let row = evaluate_relu(dir.path(), &answer);
    assert_eq!(row.signals_confined, Some(true));
    assert_eq!(row.reads_confined, Some(true));
    assert_eq!(
        row.outcome.as_str(),
        "correct",
        "something got through: {row:?}"
    );
}

/// The documented constant exploit: `loss/mse_loss` of two standard normals is about 2,
/// so a kernel that wrote 2.0 without reading its inputs once passed the tolerance (and
/// only the roofline flag kept it out of the speedups). The task's inputs now carry a
/// scale per tensor and seed (see its notes and `tasks/tests/canaries.rs`), so the
/// constant is wrong on the trials and never reaches a summary's speedups.
#[test]
fn a_constant_output_is_wrong_and_never_reported_as_a_speedup() {
    let dir = tempfile::tempdir().expect("tempdir");
    let answer = "```cpp\n#include \"kbench.h\"\n\
                  extern \"C\" int kb_forward(const kb_tensor *in, int n_in, kb_tensor *out, int n_out) {\n\
                  (void)in; (void)n_in; (void)n_out;\n\
                  *static_cast<float *>(out[0].data) = 2.0f;\n\
                  return 0;\n}\n```\n";
    let replay = dir.path().join("answers");
    write_answer(&replay, "loss/mse_loss", None, answer);
    let model = format!("replay:{}", replay.display());
    let (db, _) = evaluate_in(dir.path(), &["--model", &model, "--tasks", "loss/mse_loss"]);
    let row = samples(&db, 1).remove(0);
    assert!(!row.correct, "{row:?}");
    assert_eq!(row.outcome.as_str(), "wrong", "{row:?}");
    let all = kbench::metrics::summarize(std::slice::from_ref(&row))
        .pop()
        .expect("a summary row");
    assert_eq!(all.fast_1, 0.0, "counted as fast: {all:?}");
    assert_eq!(all.geomean_speedup, None, "counted in the speedup: {all:?}");
}

/// A kernel started by root must not keep root's powers: it is not root, and raising a
/// hard limit (`CAP_SYS_RESOURCE`) and giving a file away (`CAP_CHOWN`) both fail, so
/// nothing leaks into its output and relu comes out right. (Reboot, module loading and
/// setting the clock need capabilities too; those are not tried here.)
#[test]
fn kernels_have_no_privileges() {
    let dir = tempfile::tempdir().expect("tempdir");
    let body = "int leaked = 0;\n\
         struct rlimit r; getrlimit(RLIMIT_CORE, &r);\n\
         if (r.rlim_max != RLIM_INFINITY) { r.rlim_max += 1; r.rlim_cur = r.rlim_max;\n\
           if (setrlimit(RLIMIT_CORE, &r) == 0) leaked = 1; }\n\
         int fd = open(\"probe\", O_CREAT | O_WRONLY, 0600);\n\
         if (fd >= 0) { if (fchown(fd, 1234, 1234) == 0) leaked = 1; close(fd); }\n\
         if (getuid() == 0 || geteuid() == 0) leaked = 1;\n\
         for (int64_t i = 0; i < n; ++i) y[i] = leaked ? 42.0f : (x[i] > 0 ? x[i] : 0);";
    let answer = elementwise_answer(body).replace(
        "#include <cmath>",
        "#include <cmath>\n#include <fcntl.h>\n#include <sys/resource.h>\n#include <unistd.h>",
    );
    let row = evaluate_relu(dir.path(), &answer);
    assert_eq!(
        row.outcome.as_str(),
        "correct",
        "a privilege got through: {row:?}"
    );
    assert_eq!(row.unprivileged, Some(true), "{row:?}");
}

/// In a PID namespace of its own, the worker is process 2 under its own init, and the
/// `/proc` it sees holds nothing of the harness: the kernel writes 42 everywhere if it
/// sees otherwise. Where the machine refuses the namespaces, the sample says so and the
/// test says it skipped.
#[test]
fn kernels_see_no_process_outside_their_own() {
    let dir = tempfile::tempdir().expect("tempdir");
    let harness = std::process::id();
    let body = format!(
        "char path[64]; std::snprintf(path, sizeof path, \"/proc/%d\", {harness});\n\
         int seen = getpid() != 2 || getppid() != 1 || access(path, F_OK) == 0;\n\
         for (int64_t i = 0; i < n; ++i) y[i] = seen ? 42.0f : (x[i] > 0 ? x[i] : 0);"
    );
    let answer = elementwise_answer(&body).replace(
        "#include <cmath>",
        "#include <cmath>\n#include <cstdio>\n#include <unistd.h>",
    );
    let row = evaluate_relu(dir.path(), &answer);
    match row.processes_hidden {
        Some(true) => assert_eq!(row.outcome.as_str(), "correct", "{row:?}"),
        _ => println!("SKIPPED (processes): no PID namespace for the worker here: {row:?}"),
    }
}

/// `KBENCH_SANDBOX_RELAX` (a diagnostic for machines where a protection breaks a device
/// driver) leaves out exactly the protections it names, and each is stored as not held;
/// an unknown name stops the run before any sample.
#[test]
fn relaxed_protections_are_recorded_as_not_held() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("kb.sqlite");
    let mut args = vec![
        "evaluate",
        "--db",
        db.to_str().expect("utf-8"),
        "--tasks",
        "activation/relu",
    ];
    args.extend(common::FAST);
    let out = common::kbench()
        .args(&args)
        .env("KBENCH_SANDBOX_RELAX", "landlock,seccomp")
        .output()
        .expect("kbench runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let row = samples(&db, 1).remove(0);
    assert!(row.correct, "{row:?}");
    assert_eq!(row.filesystem_confined, Some(false), "{row:?}");
    assert_eq!(row.reads_confined, Some(false), "{row:?}");
    assert_eq!(row.syscalls_filtered, Some(false), "{row:?}");
    assert_eq!(row.network_isolated, Some(true), "{row:?}");

    let other = tempfile::tempdir().expect("tempdir");
    let db = other.path().join("kb.sqlite");
    let out = common::kbench()
        .args(["evaluate", "--tasks", "activation/relu", "--db"])
        .arg(&db)
        .args(common::FAST)
        .env("KBENCH_SANDBOX_RELAX", "everything")
        .output()
        .expect("kbench runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("unknown protection `everything`"),
        "{stderr}"
    );
}
