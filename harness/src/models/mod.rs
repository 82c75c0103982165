//! Where answers come from: `replay:DIR` (answers read from a folder) and language
//! models over HTTP (`openai:NAME`, `anthropic:NAME`, or any provider named in
//! `kbench.toml`), with every request and answer cached in the store.

mod llm;
mod replay;

pub use llm::{LlmModel, Sampling};
pub use replay::{Replay, bundled};

use kbench_tasks::Task;
use thiserror::Error;

/// Errors of answer providers.
#[derive(Debug, Error)]
pub enum ModelError {
    /// The `--model` value is not understood.
    #[error(
        "unknown model `{0}`: use replay:DIR, openai:NAME, anthropic:NAME or a provider of kbench.toml"
    )]
    UnknownProvider(String),
    /// The replay folder does not exist.
    #[error("replay folder `{0}` does not exist")]
    MissingFolder(String),
    /// An answer file could not be read.
    #[error("cannot read answer `{path}`: {source}")]
    Read {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The provider could not be set up: missing key, unreachable base URL, refused
    /// key or unknown model found before any request.
    #[error(transparent)]
    Setup(#[from] crate::llm::ProviderError),
    /// A request failed (after its retries), with the attempts it took.
    #[error(transparent)]
    Provider(#[from] crate::llm::ChatFailure),
    /// The cache could not be read or written.
    #[error("answer cache: {0}")]
    Cache(#[from] crate::store::StoreError),
}

impl ModelError {
    /// Whether the error makes the rest of the run pointless (stop it), rather than
    /// concerning one answer (record it and go on): a bad model spec or folder, a
    /// provider that cannot be set up, a fatal provider error, a broken cache.
    pub fn is_fatal(&self) -> bool {
        match self {
            ModelError::UnknownProvider(_)
            | ModelError::MissingFolder(_)
            | ModelError::Setup(_)
            | ModelError::Cache(_) => true,
            ModelError::Provider(failure) => failure.is_fatal(),
            ModelError::Read { .. } => false,
        }
    }

    /// Requests sent for a failed answer, where a provider was asked.
    pub fn attempts(&self) -> Option<u32> {
        match self {
            ModelError::Provider(failure) => Some(failure.attempts),
            _ => None,
        }
    }
}

/// What a model is asked.
#[derive(Debug, Clone, Copy)]
pub struct AnswerRequest<'a> {
    /// The task.
    pub task: &'a Task,
    /// Sample number, from 0.
    pub sample: usize,
    /// Turn, from 1.
    pub turn: usize,
    /// The full prompt of this turn.
    pub prompt: &'a str,
    /// What identifies this question for the answer cache: the first prompt and the
    /// previous answers' code. The feedback of a repair turn is left out, since it
    /// quotes values of the run's secret inputs and would differ on every re-run.
    pub cache_basis: &'a str,
}

/// One answer of a model.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    /// The prompt that produced it, when one was sent.
    pub prompt: Option<String>,
    /// The full answer text.
    pub text: String,
    /// The reasoning trace, where returned.
    pub reasoning: Option<String>,
    /// Prompt tokens.
    pub input_tokens: Option<u64>,
    /// Answer tokens.
    pub output_tokens: Option<u64>,
    /// Reasoning tokens.
    pub reasoning_tokens: Option<u64>,
    /// Why the model stopped, as the provider said it (`length` and `max_tokens` mean
    /// the answer was cut off).
    pub finish_reason: Option<String>,
    /// Seconds the provider took (0 when cached).
    pub seconds: Option<f64>,
    /// Cost in US dollars, where a price is configured.
    pub cost_usd: Option<f64>,
    /// Attempts the request took.
    pub attempts: Option<u32>,
    /// Served from the cache.
    pub cached: bool,
}

/// A source of answers.
pub trait Model: Send + Sync {
    /// The answer for a request; `None` when there is none. Blocking: call it from a
    /// blocking thread.
    fn answer(&self, request: &AnswerRequest) -> Result<Option<Answer>, ModelError>;
    /// Requests worth having in flight at once.
    fn concurrency(&self) -> usize;
}

/// What building a model from its spec may need.
#[derive(Debug, Clone)]
pub struct ModelContext {
    /// `kbench.toml`.
    pub config: crate::config::FileConfig,
    /// `--base-url`, overriding the provider's.
    pub base_url: Option<String>,
    /// Sampling settings.
    pub sampling: Sampling,
    /// The store (answer cache).
    pub store: crate::store::Store,
    /// Read and write the answer cache.
    pub use_cache: bool,
}

/// Builds the model of `spec` and, for providers, checks the key, that the base URL
/// answers, that the key is accepted and, where the server lists its models, that the
/// model is among them, so that a bad setting stops before any work.
pub async fn build(spec: &str, ctx: &ModelContext) -> Result<Box<dyn Model>, ModelError> {
    let Some((provider, name)) = spec.split_once(':') else {
        return Err(ModelError::UnknownProvider(spec.to_string()));
    };
    if provider == "replay" {
        return Ok(Box::new(Replay::new(name)?));
    }
    let settings = ctx
        .config
        .provider(provider, ctx.base_url.as_deref())
        .map_err(|_| ModelError::UnknownProvider(spec.to_string()))?;
    let client = crate::llm::Provider::new(settings)?;
    client.preflight(name).await?;
    Ok(Box::new(LlmModel::new(
        spec.to_string(),
        name.to_string(),
        client,
        ctx.sampling,
        ctx.config.prices.get(spec).copied(),
        ctx.store.clone(),
        ctx.use_cache,
        tokio::runtime::Handle::current(),
    )))
}
