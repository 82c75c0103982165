//! The worker cannot reach the network or write outside its job folder, where the
//! machine offers the means (network namespaces, Landlock); the run says which held.

mod common;

use common::{elementwise_answer, evaluate_in, samples, write_answer};
use std::io::ErrorKind;
use std::net::TcpListener;

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
    let replay = dir.path().join("answers");
    write_answer(&replay, "activation/relu", None, &answer);
    let model = format!("replay:{}", replay.display());
    let (db, _) = evaluate_in(
        dir.path(),
        &["--model", &model, "--tasks", "activation/relu"],
    );
    let rows = samples(&db, 1);
    assert_eq!(rows[0].outcome.as_str(), "correct", "{:?}", rows[0]);

    match rows[0].filesystem_confined {
        Some(true) => assert!(!escape.exists(), "the kernel wrote outside its job folder"),
        _ => println!("SKIPPED (file system): Landlock is not available on this kernel"),
    }
    match rows[0].network_isolated {
        Some(true) => match listener.accept() {
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            other => panic!("the kernel reached the network: {other:?}"),
        },
        _ => println!("SKIPPED (network): no private network namespace for the worker here"),
    }
}
