//! A language model behind a provider, with the store as its answer cache.

use super::{Answer, AnswerRequest, Model, ModelError};
use crate::config::Price;
use crate::llm::{ChatRequest, ChatResponse, Provider};
use crate::store::Store;
use serde::{Deserialize, Serialize};

/// Sampling settings of a run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sampling {
    /// Temperature (`None`: the provider's default).
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    pub top_p: Option<f64>,
    /// Most output tokens.
    pub max_tokens: u32,
    /// Seed where the API takes one; sample `k` sends `seed + k`.
    pub seed: Option<u64>,
    /// Extended-thinking budget (Anthropic).
    pub thinking_budget: Option<u32>,
    /// Stream answers.
    pub stream: bool,
}

impl Sampling {
    /// MultiKernelBench's k = 1 setting: greedy decoding.
    pub const GREEDY: Sampling = Sampling {
        temperature: Some(0.0),
        top_p: None,
        max_tokens: 8192,
        seed: None,
        thinking_budget: None,
        stream: true,
    };

    /// MultiKernelBench's k = 5 setting: temperature 0.2, top_p 0.95.
    pub const SAMPLED: Sampling = Sampling {
        temperature: Some(0.2),
        top_p: Some(0.95),
        max_tokens: 8192,
        seed: None,
        thinking_budget: None,
        stream: true,
    };
}

/// A model answering through a provider.
pub struct LlmModel {
    spec: String,
    model: String,
    provider: Provider,
    sampling: Sampling,
    price: Option<Price>,
    store: Store,
    use_cache: bool,
    handle: tokio::runtime::Handle,
}

impl LlmModel {
    /// A model `model` of `provider`, known as `spec` (`provider:model`).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        spec: String,
        model: String,
        provider: Provider,
        sampling: Sampling,
        price: Option<Price>,
        store: Store,
        use_cache: bool,
        handle: tokio::runtime::Handle,
    ) -> Self {
        LlmModel {
            spec,
            model,
            provider,
            sampling,
            price,
            store,
            use_cache,
            handle,
        }
    }

    fn chat_request(&self, r: &AnswerRequest) -> ChatRequest {
        ChatRequest {
            model: self.model.clone(),
            prompt: r.prompt.to_string(),
            temperature: self.sampling.temperature,
            top_p: self.sampling.top_p,
            max_tokens: self.sampling.max_tokens,
            seed: self.sampling.seed.map(|s| s.wrapping_add(r.sample as u64)),
            thinking_budget: self.sampling.thinking_budget,
            stream: self.sampling.stream,
        }
    }

    /// The cache key: provider and model, parameters, the request's cache basis (first
    /// prompt and previous answers), sample and turn. Streaming does not change it.
    fn cache_key(&self, chat: &ChatRequest, r: &AnswerRequest) -> String {
        let key = serde_json::json!({
            "spec": self.spec,
            "temperature": chat.temperature,
            "top_p": chat.top_p,
            "max_tokens": chat.max_tokens,
            "seed": chat.seed,
            "thinking": chat.thinking_budget,
            "basis": r.cache_basis,
            "sample": r.sample,
            "turn": r.turn,
        });
        blake3::hash(key.to_string().as_bytes())
            .to_hex()
            .to_string()
    }

    /// The answer of `resp`; a cached one cost nothing and took no time now, though
    /// its tokens still describe it.
    fn to_answer(&self, chat: &ChatRequest, resp: ChatResponse, cached: bool) -> Answer {
        let cost = |p: Price| {
            if cached {
                0.0
            } else {
                p.cost(resp.usage.input_tokens, resp.usage.output_tokens)
            }
        };
        Answer {
            prompt: Some(chat.prompt.clone()),
            text: resp.text,
            reasoning: resp.reasoning,
            input_tokens: Some(resp.usage.input_tokens),
            output_tokens: Some(resp.usage.output_tokens),
            reasoning_tokens: Some(resp.usage.reasoning_tokens),
            finish_reason: resp.finish_reason,
            seconds: Some(if cached { 0.0 } else { resp.latency_seconds }),
            cost_usd: self.price.map(cost),
            attempts: Some(resp.attempts),
            cached,
        }
    }
}

impl Model for LlmModel {
    fn concurrency(&self) -> usize {
        self.provider.max_concurrency()
    }

    fn answer(&self, r: &AnswerRequest) -> Result<Option<Answer>, ModelError> {
        let chat = self.chat_request(r);
        let key = self.cache_key(&chat, r);
        if self.use_cache
            && let Some(json) = self.handle.block_on(self.store.cache_get(&key))?
            && let Ok(resp) = serde_json::from_str::<ChatResponse>(&json)
        {
            return Ok(Some(self.to_answer(&chat, resp, true)));
        }
        let resp = self
            .handle
            .block_on(self.provider.chat(&chat))
            .map_err(ModelError::Provider)?;
        let request_json = serde_json::to_string(&chat).unwrap_or_default();
        let response_json = serde_json::to_string(&resp).unwrap_or_default();
        self.handle.block_on(self.store.cache_put(
            &key,
            &self.spec,
            &request_json,
            &response_json,
        ))?;
        Ok(Some(self.to_answer(&chat, resp, false)))
    }
}
