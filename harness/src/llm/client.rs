//! A provider: one HTTP client, its key, its limits, and the retry loop.

use super::limits::{Limiter, Limits};
use super::retry::{RetryPolicy, jitter, parse_retry_after, retryable_status};
use super::sse::Reader;
use super::{ChatRequest, ChatResponse, ProviderError, anthropic, openai};
use futures_util::StreamExt;
use std::time::{Duration, Instant};

/// The wire protocol of a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    /// OpenAI-compatible chat completions.
    OpenAi,
    /// Anthropic Messages.
    Anthropic,
}

/// How to reach and pace a provider.
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    /// Provider name, for messages.
    pub name: String,
    /// Protocol.
    pub kind: ProviderKind,
    /// Base URL, e.g. `https://api.openai.com/v1`.
    pub base_url: String,
    /// Environment variable holding the API key.
    pub api_key_env: String,
    /// Whole-request limit (non-streamed) or longest silence (streamed).
    pub timeout: Duration,
    /// Retries.
    pub retry: RetryPolicy,
    /// Concurrency and rate limits.
    pub limits: Limits,
}

/// A ready provider.
#[derive(Debug, Clone)]
pub struct Provider {
    settings: ProviderSettings,
    key: String,
    http: reqwest::Client,
    limiter: Limiter,
}

enum Failure {
    Retry {
        reason: String,
        retry_after: Option<Duration>,
    },
    Fatal(ProviderError),
}

fn install_crypto() {
    // Installing twice is harmless: the second call reports the first provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Provider {
    /// Builds a provider; fails when the key's variable is unset.
    pub fn new(settings: ProviderSettings) -> Result<Self, ProviderError> {
        let key = std::env::var(&settings.api_key_env)
            .ok()
            .filter(|k| !k.is_empty())
            .ok_or_else(|| ProviderError::MissingKey {
                provider: settings.name.clone(),
                var: settings.api_key_env.clone(),
            })?;
        install_crypto();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .pool_max_idle_per_host(settings.limits.max_concurrency.max(1))
            .build()
            .map_err(|e| ProviderError::Unreachable {
                url: settings.base_url.clone(),
                reason: e.to_string(),
            })?;
        let limiter = Limiter::new(settings.limits);
        Ok(Provider {
            settings,
            key,
            http,
            limiter,
        })
    }

    /// Requests this provider allows in flight at once.
    pub fn max_concurrency(&self) -> usize {
        self.settings.limits.max_concurrency.max(1)
    }

    fn url(&self) -> String {
        let base = self.settings.base_url.trim_end_matches('/');
        match self.settings.kind {
            ProviderKind::OpenAi => format!("{base}/chat/completions"),
            ProviderKind::Anthropic => format!("{base}/messages"),
        }
    }

    /// Checks that the base URL answers at all (any HTTP status will do), so that a
    /// wrong URL stops a run before any work.
    pub async fn preflight(&self) -> Result<(), ProviderError> {
        let url = format!("{}/models", self.settings.base_url.trim_end_matches('/'));
        self.http
            .get(&url)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| ProviderError::Unreachable {
                url: self.settings.base_url.clone(),
                reason: e.to_string(),
            })
    }

    /// Sends `req`, retrying by the policy.
    pub async fn chat(&self, req: &ChatRequest) -> Result<ChatResponse, ProviderError> {
        let budget = req.prompt.len() as u64 / 4 + u64::from(req.max_tokens);
        let _permit = self.limiter.acquire(budget).await;
        let start = Instant::now();
        let policy = self.settings.retry;
        let mut attempt = 1;
        loop {
            match self.attempt(req).await {
                Ok(mut response) => {
                    response.attempts = attempt;
                    response.latency_seconds = start.elapsed().as_secs_f64();
                    return Ok(response);
                }
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Retry {
                    reason,
                    retry_after,
                }) => {
                    if attempt >= policy.max_attempts {
                        return Err(ProviderError::Exhausted {
                            attempts: attempt,
                            last: reason,
                        });
                    }
                    tokio::time::sleep(policy.delay(attempt, retry_after, jitter())).await;
                    attempt += 1;
                }
            }
        }
    }

    async fn attempt(&self, req: &ChatRequest) -> Result<ChatResponse, Failure> {
        let url = self.url();
        let (body, builder) = match self.settings.kind {
            ProviderKind::OpenAi => (
                openai::body(req),
                self.http.post(&url).bearer_auth(&self.key),
            ),
            ProviderKind::Anthropic => (
                anthropic::body(req),
                self.http
                    .post(&url)
                    .header("x-api-key", &self.key)
                    .header("anthropic-version", anthropic::VERSION),
            ),
        };
        let mut builder = builder.json(&body);
        if !req.stream {
            builder = builder.timeout(self.settings.timeout);
        }
        let response = builder.send().await.map_err(|e| Failure::Retry {
            reason: format!("request failed: {e}"),
            retry_after: None,
        })?;
        let status = response.status().as_u16();
        if !response.status().is_success() {
            let retry_after = parse_retry_after(
                response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok()),
            );
            let text = response.text().await.unwrap_or_default();
            let body: String = text.chars().take(300).collect();
            return Err(if retryable_status(status) {
                Failure::Retry {
                    reason: format!("{url} answered {status}: {body}"),
                    retry_after,
                }
            } else {
                Failure::Fatal(ProviderError::Rejected { url, status, body })
            });
        }
        let is_event_stream = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        // A server may ignore `stream` and answer with one JSON body: read that as such.
        if req.stream && is_event_stream {
            self.read_stream(response).await
        } else {
            let bytes = response.bytes().await.map_err(|e| Failure::Retry {
                reason: format!("reading the response: {e}"),
                retry_after: None,
            })?;
            let value: serde_json::Value = serde_json::from_slice(&bytes)
                .map_err(|e| Failure::Fatal(ProviderError::Malformed(format!("not JSON: {e}"))))?;
            match self.settings.kind {
                ProviderKind::OpenAi => openai::parse(&value),
                ProviderKind::Anthropic => anthropic::parse(&value),
            }
            .map_err(Failure::Fatal)
        }
    }

    async fn read_stream(&self, response: reqwest::Response) -> Result<ChatResponse, Failure> {
        let mut stream = response.bytes_stream();
        let mut reader = Reader::default();
        let mut out = ChatResponse::default();
        loop {
            let chunk = match tokio::time::timeout(self.settings.timeout, stream.next()).await {
                Err(_) => {
                    return Err(Failure::Retry {
                        reason: format!(
                            "the stream was silent for {} s",
                            self.settings.timeout.as_secs_f64()
                        ),
                        retry_after: None,
                    });
                }
                Ok(None) => {
                    return Err(Failure::Retry {
                        reason: "the stream ended before its end marker".into(),
                        retry_after: None,
                    });
                }
                Ok(Some(Err(e))) => {
                    return Err(Failure::Retry {
                        reason: format!("the stream broke: {e}"),
                        retry_after: None,
                    });
                }
                Ok(Some(Ok(chunk))) => chunk,
            };
            for event in reader.feed(&chunk) {
                let done = match self.settings.kind {
                    ProviderKind::OpenAi => openai::apply_event(&mut out, &event),
                    ProviderKind::Anthropic => anthropic::apply_event(&mut out, &event),
                }
                .map_err(Failure::Fatal)?;
                if done {
                    return Ok(out);
                }
            }
        }
    }
}
