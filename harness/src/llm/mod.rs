//! Language-model providers over HTTP: OpenAI-compatible chat completions and the
//! Anthropic Messages API, streamed or not, with retries, rate limits and bounded
//! concurrency.
//!
//! Retry rules (`retry.rs`): 429, 5xx, time-outs, refused or dropped connections and
//! streams cut before their end are retried with exponential backoff and full jitter,
//! honouring `Retry-After`; any other 4xx is not retried and its error names the cause.
//!
//! Errors that make a whole run pointless ([`ProviderError::is_fatal`]: a refused key,
//! a wrong path, an unknown model) stop the provider: the first request of a provider
//! goes alone, and once any request has failed fatally no further request is sent.

mod anthropic;
mod client;
mod limits;
mod openai;
mod retry;
mod sse;

pub use client::{ChatFailure, Provider, ProviderKind, ProviderSettings};
pub use limits::Limits as RateLimits;
pub use retry::RetryPolicy;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// One request to a model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChatRequest {
    /// Model name at the provider.
    pub model: String,
    /// The user prompt.
    pub prompt: String,
    /// Sampling temperature.
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    pub top_p: Option<f64>,
    /// Most output tokens.
    pub max_tokens: u32,
    /// Seed, where the API takes one.
    pub seed: Option<u64>,
    /// Extended-thinking budget in tokens (Anthropic), when asked.
    pub thinking_budget: Option<u32>,
    /// Stream the answer.
    pub stream: bool,
}

/// Token counts of one answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Answer tokens (reasoning included where the provider counts it so).
    pub output_tokens: u64,
    /// Reasoning tokens, where reported.
    pub reasoning_tokens: u64,
}

/// One answer of a model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatResponse {
    /// The answer text.
    pub text: String,
    /// The reasoning trace, where the provider returns one.
    pub reasoning: Option<String>,
    /// Token counts.
    pub usage: Usage,
    /// Why the model stopped, as the provider says it.
    pub finish_reason: Option<String>,
    /// Attempts it took (1 when nothing was retried).
    pub attempts: u32,
    /// Seconds from the first attempt to the answer.
    pub latency_seconds: f64,
}

/// Errors of providers. Every message is one line.
#[derive(Debug, Clone, Error)]
pub enum ProviderError {
    /// The API key's environment variable is not set.
    #[error("set the environment variable {var} to the API key of provider `{provider}`")]
    MissingKey {
        /// Provider name.
        provider: String,
        /// The variable.
        var: String,
    },
    /// The provider prefix is unknown.
    #[error("unknown provider `{0}`: use openai:MODEL, anthropic:MODEL or replay:DIR")]
    UnknownProvider(String),
    /// The base URL cannot be reached.
    #[error(
        "cannot reach {url}: {reason} (check --base-url or the provider's base_url in kbench.toml)"
    )]
    Unreachable {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The server refused the key (401 or 403).
    #[error("{url} answered {status} (authentication failed): check the key in {key_var} ({body})")]
    Unauthorized {
        /// The URL.
        url: String,
        /// HTTP status.
        status: u16,
        /// The environment variable the key came from.
        key_var: String,
        /// The start of the body, on one line.
        body: String,
    },
    /// The URL does not exist (404): a wrong base URL.
    #[error(
        "{url} answered 404 (not found): check --base-url or the provider's base_url in kbench.toml ({body})"
    )]
    NotFound {
        /// The URL.
        url: String,
        /// The start of the body, on one line.
        body: String,
    },
    /// The server does not know the model.
    #[error("{url}: the server does not know the model `{model}`: check --model ({body})")]
    UnknownModel {
        /// The model name sent.
        model: String,
        /// The URL.
        url: String,
        /// The start of the body (or the models listed), on one line.
        body: String,
    },
    /// A response that is not retried (4xx other than 429) and not fatal to the run.
    #[error("{url} answered {status}: {body}")]
    Rejected {
        /// The URL.
        url: String,
        /// HTTP status.
        status: u16,
        /// The start of the body, on one line.
        body: String,
    },
    /// Every attempt failed with a retryable error.
    #[error("gave up after {attempts} attempts; last: {last}")]
    Exhausted {
        /// Attempts made.
        attempts: u32,
        /// The last error.
        last: String,
    },
    /// The response could not be understood.
    #[error("malformed response: {0}")]
    Malformed(String),
}

impl ProviderError {
    /// Whether the error makes every further request of the run pointless: a missing
    /// or refused key, an unknown provider, an unreachable or wrong base URL, an
    /// unknown model. Other errors concern one request.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            ProviderError::MissingKey { .. }
                | ProviderError::UnknownProvider(_)
                | ProviderError::Unreachable { .. }
                | ProviderError::Unauthorized { .. }
                | ProviderError::NotFound { .. }
                | ProviderError::UnknownModel { .. }
        )
    }
}

/// `text` on one line (whitespace runs collapsed to one space), cut to `max` characters.
pub(crate) fn one_line(text: &str, max: usize) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.chars().count() <= max {
        joined
    } else {
        let mut cut: String = joined.chars().take(max).collect();
        cut.push('…');
        cut
    }
}

/// Whether an error body says that the requested model is unknown.
pub(crate) fn says_unknown_model(body: &str) -> bool {
    let body = body.to_lowercase();
    body.contains("model")
        && [
            "not found",
            "not_found",
            "does not exist",
            "unknown model",
            "model unknown",
            "is unknown",
            "invalid model",
            "no such model",
            "not a valid model",
        ]
        .iter()
        .any(|p| body.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_that_name_an_unknown_model() {
        assert!(says_unknown_model(
            r#"{"error":{"message":"The model `x` does not exist","code":"model_not_found"}}"#
        ));
        assert!(says_unknown_model(
            "/chat/completions: Invalid model name passed in model=foo."
        ));
        assert!(says_unknown_model(
            r#"{"type":"error","error":{"type":"not_found_error","message":"model: x"}}"#
        ));
        assert!(!says_unknown_model(
            r#"{"error":{"message":"prompt is too long"}}"#
        ));
        assert!(!says_unknown_model(
            "max_tokens is too large for this model"
        ));
    }

    #[test]
    fn one_line_collapses_and_cuts() {
        assert_eq!(one_line("a\n  b\r\n\tc", 10), "a b c");
        assert_eq!(one_line("abcdef", 3), "abc…");
    }

    #[test]
    fn fatal_errors() {
        let body = String::new();
        let url = String::from("u");
        assert!(
            ProviderError::Unauthorized {
                url: url.clone(),
                status: 401,
                key_var: "K".into(),
                body: body.clone()
            }
            .is_fatal()
        );
        assert!(
            ProviderError::NotFound {
                url: url.clone(),
                body: body.clone()
            }
            .is_fatal()
        );
        assert!(
            !ProviderError::Rejected {
                url,
                status: 400,
                body
            }
            .is_fatal()
        );
        assert!(
            !ProviderError::Exhausted {
                attempts: 3,
                last: "x".into()
            }
            .is_fatal()
        );
    }
}
