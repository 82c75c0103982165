//! Throughput of the provider client: 1,000 requests at concurrency 32 against a local
//! server that answers instantly (`cargo bench -p kbench --bench llm_client`). Prints
//! requests per second and the process's peak resident memory.

#[path = "../tests/fake_llm/mod.rs"]
mod fake_llm;

use kbench::llm::{ChatRequest, Provider, ProviderKind, ProviderSettings, RateLimits, RetryPolicy};
use std::sync::Arc;
use std::time::{Duration, Instant};

const REQUESTS: usize = 1000;
const CONCURRENCY: usize = 32;

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let (base, _state) = fake_llm::start().await;
        // SAFETY: set before any other thread reads the environment.
        unsafe { std::env::set_var("KBENCH_BENCH_KEY", "sk-bench") };
        for (kind, stream) in [
            (ProviderKind::OpenAi, false),
            (ProviderKind::OpenAi, true),
            (ProviderKind::Anthropic, true),
        ] {
            let provider = Arc::new(
                Provider::new(ProviderSettings {
                    name: "bench".into(),
                    kind,
                    base_url: format!("{base}/v1"),
                    api_key_env: "KBENCH_BENCH_KEY".into(),
                    timeout: Duration::from_secs(10),
                    retry: RetryPolicy::default(),
                    limits: RateLimits {
                        max_concurrency: CONCURRENCY,
                        ..RateLimits::default()
                    },
                })
                .expect("provider"),
            );
            let start = Instant::now();
            let mut tasks = Vec::with_capacity(REQUESTS);
            for i in 0..REQUESTS {
                let p = Arc::clone(&provider);
                tasks.push(tokio::spawn(async move {
                    let req = ChatRequest {
                        model: "ok".into(),
                        prompt: format!("request {i}"),
                        temperature: None,
                        top_p: None,
                        max_tokens: 64,
                        seed: None,
                        thinking_budget: None,
                        stream,
                    };
                    p.chat(&req).await.map(|r| r.text.len())
                }));
            }
            let mut ok = 0;
            for t in tasks {
                if matches!(t.await, Ok(Ok(_))) {
                    ok += 1;
                }
            }
            let secs = start.elapsed().as_secs_f64();
            println!(
                "{kind:?} stream={stream}: {ok}/{REQUESTS} ok in {secs:.2} s = {:.0} requests/s at concurrency {CONCURRENCY}; peak RSS {:.1} MiB",
                REQUESTS as f64 / secs,
                peak_rss_mib()
            );
        }
    });
}
