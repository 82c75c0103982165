//! A provider: one HTTP client, its key, its limits, the retry loop, and the gate that
//! sends a provider's first request alone and stops it after a fatal error.

use super::limits::{Limiter, Limits};
use super::retry::{RetryPolicy, jitter, parse_retry_after, retryable_status};
use super::sse::Reader;
use super::{
    ChatRequest, ChatResponse, ProviderError, anthropic, one_line, openai, says_unknown_model,
};
use futures_util::StreamExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use thiserror::Error;

/// Longest error body quoted in a message, in characters.
const BODY_CHARS: usize = 300;

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
    /// Base URL, e.g. `https://api.openai.com/v1`; for Anthropic the host with or
    /// without `/v1` (`https://api.anthropic.com` or `https://api.anthropic.com/v1`).
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

/// A failed [`Provider::chat`]: the error, with the attempts made and the time spent.
/// It displays as the error, on one line; it reports no separate `source`, so that a
/// printed error chain (`{:#}`) shows the message once. Read `error` for the cause.
#[derive(Debug, Clone, Error)]
#[error("{error}")]
pub struct ChatFailure {
    /// What went wrong.
    pub error: ProviderError,
    /// Requests sent (0 when an earlier fatal error stopped this one before sending).
    pub attempts: u32,
    /// Seconds from the first attempt to the failure.
    pub seconds: f64,
}

impl ChatFailure {
    /// A failure before anything was sent.
    pub fn unsent(error: ProviderError) -> Self {
        ChatFailure {
            error,
            attempts: 0,
            seconds: 0.0,
        }
    }

    /// Whether the error makes the rest of the run pointless.
    pub fn is_fatal(&self) -> bool {
        self.error.is_fatal()
    }
}

/// Shared by the clones of a provider: the first request goes alone, and a fatal
/// error stops every later one.
#[derive(Debug, Default)]
struct Gate {
    /// A first request has come back without a fatal error.
    open: AtomicBool,
    /// Held by the first request while it runs.
    probe: tokio::sync::Mutex<()>,
    /// The first fatal error, once one happened.
    fatal: Mutex<Option<ProviderError>>,
}

impl Gate {
    fn fatal(&self) -> Option<ProviderError> {
        self.fatal
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Records `error` when it is fatal (the first one wins).
    fn trip(&self, error: &ProviderError) {
        if error.is_fatal() {
            self.fatal
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get_or_insert_with(|| error.clone());
        }
    }
}

/// A ready provider. Clones share the client, the limits and the gate.
#[derive(Debug, Clone)]
pub struct Provider {
    settings: ProviderSettings,
    root: String,
    key: String,
    http: reqwest::Client,
    limiter: Limiter,
    gate: Arc<Gate>,
}

enum Failure {
    Retry {
        reason: String,
        retry_after: Option<Duration>,
    },
    Stop(ProviderError),
}

fn install_crypto() {
    // Installing twice is harmless: the second call reports the first provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// An error with its causes, on one line (reqwest's own message omits them).
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    one_line(&text, 500)
}

/// The root that `/messages`, `/chat/completions` and `/models` hang from: the base URL
/// without trailing slashes, and for Anthropic with `/v1` added when missing.
pub(crate) fn api_root(kind: ProviderKind, base_url: &str) -> String {
    let base = base_url.trim_end_matches('/');
    match kind {
        ProviderKind::Anthropic if !base.ends_with("/v1") => format!("{base}/v1"),
        _ => base.to_string(),
    }
}

/// Whether `model` is among the `listed` ids, or a dated or tagged version or family
/// of one (`claude-x` for `claude-x-20250101`, `llama3` for `llama3:latest`).
fn listed(model: &str, ids: &[&str]) -> bool {
    let model = model.strip_suffix("-latest").unwrap_or(model);
    let family = |long: &str, short: &str| {
        long.strip_prefix(short)
            .is_some_and(|rest| rest.starts_with('-') || rest.starts_with(':'))
    };
    ids.iter()
        .any(|id| *id == model || family(id, model) || family(model, id))
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
        Provider::with_key(settings, key)
    }

    /// Builds a provider with `key` given (`settings.api_key_env` only names it in
    /// messages).
    pub fn with_key(settings: ProviderSettings, key: String) -> Result<Self, ProviderError> {
        install_crypto();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .pool_max_idle_per_host(settings.limits.max_concurrency.max(1))
            .build()
            .map_err(|e| ProviderError::Unreachable {
                url: settings.base_url.clone(),
                reason: with_causes(&e),
            })?;
        let limiter = Limiter::new(settings.limits);
        Ok(Provider {
            root: api_root(settings.kind, &settings.base_url),
            settings,
            key,
            http,
            limiter,
            gate: Arc::default(),
        })
    }

    /// Requests this provider allows in flight at once.
    pub fn max_concurrency(&self) -> usize {
        self.settings.limits.max_concurrency.max(1)
    }

    fn url(&self) -> String {
        match self.settings.kind {
            ProviderKind::OpenAi => format!("{}/chat/completions", self.root),
            ProviderKind::Anthropic => format!("{}/messages", self.root),
        }
    }

    fn authorized(&self, builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self.settings.kind {
            ProviderKind::OpenAi => builder.bearer_auth(&self.key),
            ProviderKind::Anthropic => builder
                .header("x-api-key", &self.key)
                .header("anthropic-version", anthropic::VERSION),
        }
    }

    /// The error of a response with a status that is not retried.
    fn refusal(&self, url: String, status: u16, model: &str, text: &str) -> ProviderError {
        let body = one_line(text, BODY_CHARS);
        match status {
            401 | 403 => ProviderError::Unauthorized {
                url,
                status,
                key_var: self.settings.api_key_env.clone(),
                body,
            },
            _ if says_unknown_model(text) => ProviderError::UnknownModel {
                model: model.to_string(),
                url,
                body,
            },
            404 => ProviderError::NotFound { url, body },
            _ => ProviderError::Rejected { url, status, body },
        }
    }

    /// Checks, before any work, that the base URL answers, that the key is accepted
    /// and, where the server lists its models (`GET {base}/models`), that `model` is
    /// among them. A server without that list (404, other statuses, not JSON) passes:
    /// the first request will tell. A fatal error here stops every later request.
    pub async fn preflight(&self, model: &str) -> Result<(), ProviderError> {
        let result = self.check_models(model).await;
        if let Err(e) = &result {
            self.gate.trip(e);
        }
        result
    }

    async fn check_models(&self, model: &str) -> Result<(), ProviderError> {
        let url = format!("{}/models", self.root);
        let response = self
            .authorized(self.http.get(&url))
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| ProviderError::Unreachable {
                url: self.settings.base_url.clone(),
                reason: with_causes(&e),
            })?;
        let status = response.status().as_u16();
        if status == 401 || status == 403 {
            let text = response.text().await.unwrap_or_default();
            return Err(self.refusal(url, status, model, &text));
        }
        if !response.status().is_success() {
            return Ok(());
        }
        let Ok(list) = response.json::<serde_json::Value>().await else {
            return Ok(());
        };
        let Some(entries) = list["data"].as_array() else {
            return Ok(());
        };
        let ids: Vec<&str> = entries.iter().filter_map(|m| m["id"].as_str()).collect();
        // An empty or paged list, or a wildcard route, proves nothing.
        let partial = list["has_more"].as_bool() == Some(true)
            || ids.is_empty()
            || ids.iter().any(|id| id.contains('*'));
        if partial || listed(model, &ids) {
            return Ok(());
        }
        let mut shown = ids.iter().take(10).copied().collect::<Vec<_>>().join(", ");
        if ids.len() > 10 {
            shown.push_str(", …");
        }
        Err(ProviderError::UnknownModel {
            model: model.to_string(),
            url,
            body: format!("it lists {} models: {shown}", ids.len()),
        })
    }

    /// Sends `req`, retrying by the policy. The first request of a provider goes alone
    /// (the others wait for it); after a fatal error ([`ProviderError::is_fatal`]) every
    /// request fails at once with that error, sending nothing.
    pub async fn chat(&self, req: &ChatRequest) -> Result<ChatResponse, ChatFailure> {
        if let Some(e) = self.gate.fatal() {
            return Err(ChatFailure::unsent(e));
        }
        let _probe = if self.gate.open.load(Ordering::Acquire) {
            None
        } else {
            let guard = self.gate.probe.lock().await;
            if let Some(e) = self.gate.fatal() {
                return Err(ChatFailure::unsent(e));
            }
            (!self.gate.open.load(Ordering::Acquire)).then_some(guard)
        };
        let result = self.send(req).await;
        match &result {
            Err(failure) if failure.is_fatal() => self.gate.trip(&failure.error),
            _ => self.gate.open.store(true, Ordering::Release),
        }
        result
    }

    async fn send(&self, req: &ChatRequest) -> Result<ChatResponse, ChatFailure> {
        let budget = req.prompt.len() as u64 / 4 + u64::from(req.max_tokens);
        let _permit = self.limiter.acquire(budget).await;
        let start = Instant::now();
        let policy = self.settings.retry;
        let mut attempt = 1;
        let failure = |error, attempts| ChatFailure {
            error,
            attempts,
            seconds: start.elapsed().as_secs_f64(),
        };
        loop {
            if let Some(e) = self.gate.fatal() {
                return Err(failure(e, attempt - 1));
            }
            match self.attempt(req).await {
                Ok(mut response) => {
                    response.attempts = attempt;
                    response.latency_seconds = start.elapsed().as_secs_f64();
                    return Ok(response);
                }
                Err(Failure::Stop(e)) => return Err(failure(e, attempt)),
                Err(Failure::Retry {
                    reason,
                    retry_after,
                }) => {
                    if attempt >= policy.max_attempts {
                        let e = ProviderError::Exhausted {
                            attempts: attempt,
                            last: reason,
                        };
                        return Err(failure(e, attempt));
                    }
                    tokio::time::sleep(policy.delay(attempt, retry_after, jitter())).await;
                    attempt += 1;
                }
            }
        }
    }

    async fn attempt(&self, req: &ChatRequest) -> Result<ChatResponse, Failure> {
        let url = self.url();
        let body = match self.settings.kind {
            ProviderKind::OpenAi => openai::body(req),
            ProviderKind::Anthropic => anthropic::body(req),
        };
        let mut builder = self.authorized(self.http.post(&url)).json(&body);
        if !req.stream {
            builder = builder.timeout(self.settings.timeout);
        }
        let response = builder.send().await.map_err(|e| Failure::Retry {
            reason: format!("request failed: {}", with_causes(&e)),
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
            return Err(if retryable_status(status) {
                Failure::Retry {
                    reason: format!("{url} answered {status}: {}", one_line(&text, BODY_CHARS)),
                    retry_after,
                }
            } else {
                Failure::Stop(self.refusal(url, status, &req.model, &text))
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
                reason: format!("reading the response: {}", with_causes(&e)),
                retry_after: None,
            })?;
            let value: serde_json::Value = serde_json::from_slice(&bytes)
                .map_err(|e| Failure::Stop(ProviderError::Malformed(format!("not JSON: {e}"))))?;
            match self.settings.kind {
                ProviderKind::OpenAi => openai::parse(&value),
                ProviderKind::Anthropic => anthropic::parse(&value),
            }
            .map_err(Failure::Stop)
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
                        reason: format!("the stream broke: {}", with_causes(&e)),
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
                .map_err(Failure::Stop)?;
                if done {
                    return Ok(out);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anthropic_roots_take_the_host_with_or_without_v1() {
        for base in [
            "https://api.anthropic.com",
            "https://api.anthropic.com/",
            "https://api.anthropic.com/v1",
            "https://api.anthropic.com/v1//",
        ] {
            assert_eq!(
                api_root(ProviderKind::Anthropic, base),
                "https://api.anthropic.com/v1",
                "{base}"
            );
        }
        assert_eq!(
            api_root(ProviderKind::Anthropic, "http://proxy:4000/anthropic"),
            "http://proxy:4000/anthropic/v1"
        );
        assert_eq!(
            api_root(ProviderKind::OpenAi, "http://127.0.0.1:8000/v1/"),
            "http://127.0.0.1:8000/v1"
        );
    }

    #[test]
    fn listed_models_match_versions_and_tags() {
        let ids = ["gpt-4o", "claude-sonnet-4-5-20250929", "llama3:latest"];
        for known in [
            "gpt-4o",
            "gpt-4o-2024-08-06",
            "claude-sonnet-4-5",
            "claude-sonnet-4-5-latest",
            "llama3",
        ] {
            assert!(listed(known, &ids), "{known}");
        }
        for unknown in ["gpt-4", "claude-opus-4", "no-such-model", "llama"] {
            assert!(!listed(unknown, &ids), "{unknown}");
        }
    }
}
