//! Language-model providers over HTTP: OpenAI-compatible chat completions and the
//! Anthropic Messages API, streamed or not, with retries, rate limits and bounded
//! concurrency.
//!
//! Retry rules (`retry.rs`): 429, 5xx, time-outs, refused or dropped connections and
//! streams cut before their end are retried with exponential backoff and full jitter,
//! honouring `Retry-After`; any other 4xx is not retried and its error names the cause.

mod anthropic;
mod client;
mod limits;
mod openai;
mod retry;
mod sse;

pub use client::{Provider, ProviderKind, ProviderSettings};
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

/// Errors of providers.
#[derive(Debug, Error)]
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
    /// A response that is not retried (4xx other than 429).
    #[error("{url} answered {status}: {body}")]
    Rejected {
        /// The URL.
        url: String,
        /// HTTP status.
        status: u16,
        /// The start of the body.
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
