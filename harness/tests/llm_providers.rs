//! Both protocols, streamed and not, against a local server that injects faults. Each
//! case ends as documented: retried and succeeded, or a clear error.

mod fake_llm;

use kbench::llm::{
    ChatRequest, Provider, ProviderError, ProviderKind, ProviderSettings, RateLimits, RetryPolicy,
};
use std::time::{Duration, Instant};

const KEY_VAR: &str = "KBENCH_TEST_FAKE_KEY";

fn provider(base: &str, kind: ProviderKind) -> Provider {
    // SAFETY: tests in this file only read this variable, and set it to the same value.
    unsafe { std::env::set_var(KEY_VAR, "sk-test") };
    Provider::new(ProviderSettings {
        name: "fake".into(),
        kind,
        base_url: format!("{base}/v1"),
        api_key_env: KEY_VAR.into(),
        timeout: Duration::from_millis(700),
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_secs(2),
        },
        limits: RateLimits::default(),
    })
    .expect("provider")
}

fn request(model: &str, stream: bool) -> ChatRequest {
    ChatRequest {
        model: model.into(),
        prompt: "Write a kernel.".into(),
        temperature: Some(0.0),
        top_p: None,
        max_tokens: 256,
        seed: Some(1),
        thinking_budget: None,
        stream,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_ends_as_documented() {
    let (base, state) = fake_llm::start().await;
    for kind in [ProviderKind::OpenAi, ProviderKind::Anthropic] {
        let p = provider(&base, kind);
        for stream in [false, true] {
            let ok = p.chat(&request("ok", stream)).await.expect("ok");
            assert!(
                ok.text.contains(fake_llm::CODE),
                "{kind:?} {stream}: {ok:?}"
            );
            assert!(
                ok.reasoning.as_deref().is_some_and(|r| !r.is_empty()),
                "reasoning kept"
            );
            assert!(ok.usage.input_tokens > 0 && ok.usage.output_tokens > 0);
            assert_eq!(ok.attempts, 1);

            let empty = p
                .chat(&request("empty", stream))
                .await
                .expect("empty answers succeed");
            assert_eq!(empty.text, "");
            let no_code = p.chat(&request("no-code", stream)).await.expect("answered");
            assert!(!no_code.text.contains("kb_forward"));

            let rejected = p.chat(&request("bad-request", stream)).await;
            assert!(
                matches!(rejected, Err(ProviderError::Rejected { status: 400, .. })),
                "{rejected:?}"
            );
            let malformed = p.chat(&request("malformed", stream)).await;
            assert!(
                matches!(malformed, Err(ProviderError::Malformed(_))),
                "{malformed:?}"
            );
        }
        // Faults that happen once, then succeed; each model name counts its own calls,
        // so they run once per protocol with fresh names on the server side.
        state.lock().expect("lock").calls.clear();
        let start = Instant::now();
        let limited = p
            .chat(&request("rate-limited", false))
            .await
            .expect("retried");
        assert_eq!(limited.attempts, 2);
        assert!(
            start.elapsed() >= Duration::from_millis(950),
            "Retry-After honoured"
        );
        let flaky = p.chat(&request("flaky", true)).await.expect("retried");
        assert_eq!(flaky.attempts, 2);
        let dropped = p
            .chat(&request("drop", true))
            .await
            .expect("retried after the cut");
        assert_eq!(dropped.attempts, 2);
        assert!(dropped.text.contains(fake_llm::CODE));
        let hang = p.chat(&request("hang", false)).await;
        assert!(
            matches!(hang, Err(ProviderError::Exhausted { attempts: 3, .. })),
            "{hang:?}"
        );
    }
    let seen = state.lock().expect("lock");
    assert!(
        seen.auth.iter().all(|a| a.contains("sk-test")),
        "the key is sent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_key_and_unreachable_url_fail_early() {
    let missing = Provider::new(ProviderSettings {
        name: "openai".into(),
        kind: ProviderKind::OpenAi,
        base_url: "http://127.0.0.1:9/v1".into(),
        api_key_env: "KBENCH_TEST_SURELY_UNSET_KEY".into(),
        timeout: Duration::from_secs(1),
        retry: RetryPolicy::default(),
        limits: RateLimits::default(),
    });
    let err = missing.expect_err("no key");
    assert!(
        err.to_string()
            .contains("set the environment variable KBENCH_TEST_SURELY_UNSET_KEY")
    );

    // Port 9 (discard) on loopback: nothing listens there.
    let p = provider("http://127.0.0.1:9", ProviderKind::OpenAi);
    let err = p.preflight().await.expect_err("unreachable");
    assert!(matches!(err, ProviderError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains("--base-url"));
}
