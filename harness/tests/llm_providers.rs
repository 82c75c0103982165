//! Both protocols, streamed and not, against a local server that injects faults. Each
//! case ends as documented: retried and succeeded, or a clear error; errors that make
//! a run pointless (refused key, wrong path, unknown model) stop the provider after one
//! request.

mod fake_llm;

use kbench::llm::{
    ChatFailure, ChatRequest, ChatResponse, Provider, ProviderError, ProviderKind,
    ProviderSettings, RateLimits, RetryPolicy,
};
use kbench::models::{AnswerRequest, LlmModel, Model, ModelError, Sampling};
use std::sync::Arc;
use std::time::{Duration, Instant};

const KEY_VAR: &str = "KBENCH_TEST_FAKE_KEY";
const KINDS: [ProviderKind; 2] = [ProviderKind::OpenAi, ProviderKind::Anthropic];

/// A provider at `base_url` (as given) with `key`.
fn provider_at(base_url: &str, kind: ProviderKind, key: &str) -> Provider {
    Provider::with_key(
        ProviderSettings {
            name: "fake".into(),
            kind,
            base_url: base_url.into(),
            api_key_env: KEY_VAR.into(),
            timeout: Duration::from_millis(700),
            retry: RetryPolicy {
                max_attempts: 3,
                base_delay: Duration::from_millis(10),
                max_delay: Duration::from_secs(2),
            },
            limits: RateLimits {
                max_concurrency: 16,
                ..RateLimits::default()
            },
        },
        key.into(),
    )
    .expect("provider")
}

fn provider(base: &str, kind: ProviderKind) -> Provider {
    provider_at(&format!("{base}/v1"), kind, "sk-test")
}

fn failure(result: Result<ChatResponse, ChatFailure>) -> ChatFailure {
    match result {
        Ok(r) => panic!("expected a failure, got {r:?}"),
        Err(f) => {
            let msg = f.to_string();
            assert!(
                !msg.contains('\n') && !msg.contains('\r'),
                "one line: {msg}"
            );
            assert_eq!(msg, f.error.to_string());
            f
        }
    }
}

fn posts(state: &fake_llm::Shared) -> usize {
    let seen = state.lock().expect("lock");
    seen.paths.iter().filter(|p| p.starts_with("POST")).count()
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

            let rejected = failure(p.chat(&request("bad-request", stream)).await);
            assert!(
                matches!(rejected.error, ProviderError::Rejected { status: 400, .. }),
                "{rejected:?}"
            );
            assert!(!rejected.is_fatal() && rejected.attempts == 1);
            let malformed = failure(p.chat(&request("malformed", stream)).await);
            assert!(
                matches!(malformed.error, ProviderError::Malformed(_)),
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
        let hang = failure(p.chat(&request("hang", false)).await);
        assert!(
            matches!(hang.error, ProviderError::Exhausted { attempts: 3, .. }),
            "{hang:?}"
        );
        assert_eq!(hang.attempts, 3);
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
    let err = p.preflight("ok").await.expect_err("unreachable");
    assert!(matches!(err, ProviderError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains("--base-url"));
    assert!(err.is_fatal());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_key_stops_the_provider_after_one_request() {
    for kind in KINDS {
        let (base, state) = fake_llm::start().await;
        let p = provider_at(&format!("{base}/v1"), kind, fake_llm::BAD_KEY);
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let p = p.clone();
                tokio::spawn(async move { p.chat(&request("slow-100", false)).await })
            })
            .collect();
        let mut sent = 0;
        for t in tasks {
            let f = failure(t.await.expect("joined"));
            assert!(f.is_fatal(), "{f:?}");
            assert!(
                matches!(f.error, ProviderError::Unauthorized { status: 401, .. }),
                "{f:?}"
            );
            let msg = f.to_string();
            assert!(
                msg.contains("answered 401 (authentication failed): check the key in")
                    && msg.contains(KEY_VAR),
                "{msg}"
            );
            sent += f.attempts;
        }
        assert_eq!(sent, 1, "{kind:?}: one attempt among all");
        assert_eq!(posts(&state), 1, "{kind:?}: one request reached the server");
        let later = failure(p.chat(&request("ok", true)).await);
        assert!(later.is_fatal() && later.attempts == 0);
        assert_eq!(posts(&state), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_path_is_fatal() {
    for kind in KINDS {
        let (base, state) = fake_llm::start().await;
        let p = provider_at(&format!("{base}/wrong"), kind, "sk-test");
        p.preflight("ok")
            .await
            .expect("a missing model list passes the preflight");
        let f = failure(p.chat(&request("ok", false)).await);
        assert!(
            matches!(f.error, ProviderError::NotFound { .. }) && f.is_fatal(),
            "{f:?}"
        );
        assert!(f.to_string().contains("/wrong/") && f.to_string().contains("404"));
        let again = failure(p.chat(&request("ok", false)).await);
        assert!(matches!(again.error, ProviderError::NotFound { .. }) && again.attempts == 0);
        assert_eq!(posts(&state), 1, "{kind:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_model_is_fatal_another_400_is_not() {
    for kind in KINDS {
        let (base, state) = fake_llm::start().await;
        let p = provider(&base, kind);
        let other = failure(p.chat(&request("bad-request", false)).await);
        assert!(
            matches!(other.error, ProviderError::Rejected { status: 400, .. }) && !other.is_fatal(),
            "{other:?}"
        );
        p.chat(&request("ok", false))
            .await
            .expect("a rejected request does not stop the provider");
        let unknown = failure(p.chat(&request("no-such-model", true)).await);
        assert!(
            matches!(&unknown.error, ProviderError::UnknownModel { model, .. } if model == "no-such-model"),
            "{unknown:?}"
        );
        assert!(unknown.is_fatal() && unknown.attempts == 1);
        assert!(unknown.to_string().contains("does not exist"), "{unknown}");
        let after = failure(p.chat(&request("ok", false)).await);
        assert!(matches!(after.error, ProviderError::UnknownModel { .. }) && after.attempts == 0);
        let calls = state.lock().expect("lock").calls.clone();
        assert_eq!(calls.get("ok"), Some(&1), "{kind:?}: nothing sent after");
        assert_eq!(calls.get("no-such-model"), Some(&1));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_stays_down_exhausts_the_retries() {
    let (base, state) = fake_llm::start().await;
    for kind in KINDS {
        let p = provider(&base, kind);
        let f = failure(p.chat(&request("down", false)).await);
        assert!(
            matches!(f.error, ProviderError::Exhausted { attempts: 3, .. }),
            "{f:?}"
        );
        assert!(!f.is_fatal() && f.attempts == 3 && f.seconds > 0.0, "{f:?}");
        assert!(f.to_string().contains("503"), "{f}");
        p.chat(&request("ok", false))
            .await
            .expect("a non-fatal failure does not stop the provider");
    }
    assert_eq!(state.lock().expect("lock").calls.get("down"), Some(&6));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_preflight_checks_the_key_and_the_model() {
    for kind in KINDS {
        let (base, state) = fake_llm::start().await;
        let bad = provider_at(&format!("{base}/v1"), kind, fake_llm::BAD_KEY);
        let err = bad.preflight("ok").await.expect_err("refused key");
        assert!(
            matches!(err, ProviderError::Unauthorized { status: 401, .. }) && err.is_fatal(),
            "{err:?}"
        );
        assert!(!err.to_string().contains('\n'), "{err}");
        let f = failure(bad.chat(&request("ok", false)).await);
        assert!(matches!(f.error, ProviderError::Unauthorized { .. }) && f.attempts == 0);
        assert_eq!(posts(&state), 0, "{kind:?}: no chat sent");

        let p = provider(&base, kind);
        let err = p.preflight("no-such-model").await.expect_err("unknown");
        assert!(
            matches!(&err, ProviderError::UnknownModel { model, .. } if model == "no-such-model"),
            "{err:?}"
        );
        let p = provider(&base, kind);
        for model in [
            "ok",
            "scripted",
            "bad-request",
            "slow-3000",
            "scripted-slow-500",
        ] {
            p.preflight(model).await.expect(model);
        }
        let seen = state.lock().expect("lock");
        assert!(
            seen.auth[1..].iter().all(|a| a.contains("sk-test")),
            "the key is sent: {:?}",
            seen.auth
        );
        assert!(seen.paths.iter().all(|p| p == "GET /v1/models"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anthropic_takes_the_host_with_or_without_v1() {
    let (base, state) = fake_llm::start().await;
    for url in [
        base.clone(),
        format!("{base}/"),
        format!("{base}/v1"),
        format!("{base}/v1/"),
    ] {
        let p = provider_at(&url, ProviderKind::Anthropic, "sk-test");
        p.preflight("ok").await.expect(&url);
        for stream in [false, true] {
            let ok = p.chat(&request("ok", stream)).await.expect(&url);
            assert!(ok.text.contains(fake_llm::CODE), "{url}");
        }
    }
    let seen = state.lock().expect("lock");
    assert!(
        seen.paths
            .iter()
            .all(|p| p == "GET /v1/models" || p == "POST /v1/messages"),
        "{:?}",
        seen.paths
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_request_goes_alone_then_the_rest_in_parallel() {
    let (base, _state) = fake_llm::start().await;
    let p = provider(&base, ProviderKind::OpenAi);
    let start = Instant::now();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let p = p.clone();
            tokio::spawn(async move { p.chat(&request("slow-300", false)).await })
        })
        .collect();
    for t in tasks {
        t.await.expect("joined").expect("answered");
    }
    let elapsed = start.elapsed();
    // Alone first (300 ms), then seven at once (300 ms); serially it would take 2.4 s.
    assert!(
        elapsed >= Duration::from_millis(590) && elapsed < Duration::from_millis(1500),
        "{elapsed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_answers_cost_nothing_and_failures_keep_their_attempts() {
    let (base, state) = fake_llm::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let store = kbench::store::Store::open(&dir.path().join("kb.sqlite"))
        .await
        .expect("store");
    let price = kbench::config::Price {
        input: 1.0,
        output: 2.0,
    };
    let model = |name: &str| {
        Arc::new(LlmModel::new(
            format!("openai:{name}"),
            name.to_string(),
            provider(&base, ProviderKind::OpenAi),
            Sampling {
                stream: false,
                ..Sampling::GREEDY
            },
            Some(price),
            store.clone(),
            true,
            tokio::runtime::Handle::current(),
        ))
    };
    let ask = |m: Arc<LlmModel>| {
        tokio::task::spawn_blocking(move || {
            let task = &kbench_tasks::registry::all()[0];
            m.answer(&AnswerRequest {
                task,
                sample: 0,
                turn: 1,
                prompt: "Write a kernel.",
                cache_basis: "Write a kernel.",
            })
        })
    };
    let ok = model("ok");
    let fresh = ask(Arc::clone(&ok))
        .await
        .expect("joined")
        .expect("answered")
        .expect("an answer");
    assert!(!fresh.cached);
    assert!(fresh.cost_usd.is_some_and(|c| c > 0.0), "{fresh:?}");
    assert!(fresh.seconds.is_some_and(|s| s > 0.0) && fresh.attempts == Some(1));
    let cached = ask(ok)
        .await
        .expect("joined")
        .expect("answered")
        .expect("an answer");
    assert!(cached.cached);
    assert_eq!(cached.cost_usd, Some(0.0));
    assert_eq!(cached.seconds, Some(0.0));
    assert_eq!(cached.text, fresh.text);
    assert_eq!(
        (cached.input_tokens, cached.output_tokens),
        (fresh.input_tokens, fresh.output_tokens)
    );
    assert_eq!(state.lock().expect("lock").calls.get("ok"), Some(&1));

    let down = ask(model("down")).await.expect("joined");
    let err = down.expect_err("down");
    assert!(
        matches!(err, ModelError::Provider(_)) && !err.is_fatal(),
        "{err:?}"
    );
    assert_eq!(err.attempts(), Some(3));
    let unknown = ask(model("no-such-model")).await.expect("joined");
    let err = unknown.expect_err("unknown model");
    assert!(err.is_fatal() && err.attempts() == Some(1), "{err:?}");
}
