//! `kbench.toml`: providers (protocol, base URL, key variable, limits) and prices.
//!
//! ```toml
//! [providers.openai]               # built in; every field optional
//! base_url = "https://api.openai.com/v1"
//! api_key_env = "OPENAI_API_KEY"
//! max_concurrency = 8
//! requests_per_minute = 500
//! tokens_per_minute = 400000
//! timeout_s = 600                  # whole request, or longest silence when streaming
//! max_attempts = 6
//!
//! [providers.anthropic]            # base_url with or without /v1
//! base_url = "https://api.anthropic.com"
//!
//! [providers.local]                # any other name needs a protocol
//! protocol = "openai"              # or "anthropic"
//! base_url = "http://127.0.0.1:8000/v1"
//! api_key_env = "LOCAL_KEY"
//!
//! [prices."openai:gpt-4o"]         # US dollars per million tokens
//! input = 2.5
//! output = 10.0
//! ```

use crate::llm::{ProviderError, ProviderKind, ProviderSettings, RateLimits, RetryPolicy};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;
use thiserror::Error;

/// Default config file, read when present.
pub const DEFAULT_CONFIG: &str = "kbench.toml";

/// Errors of the config file.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML of the expected shape.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// One provider's settings as written in the file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderEntry {
    /// `openai` or `anthropic`.
    pub protocol: Option<String>,
    /// Base URL.
    pub base_url: Option<String>,
    /// Environment variable with the key.
    pub api_key_env: Option<String>,
    /// Requests in flight.
    pub max_concurrency: Option<usize>,
    /// Requests per minute.
    pub requests_per_minute: Option<u32>,
    /// Tokens per minute.
    pub tokens_per_minute: Option<u64>,
    /// Seconds.
    pub timeout_s: Option<u64>,
    /// Attempts in all.
    pub max_attempts: Option<u32>,
}

/// Price per million tokens, US dollars.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    /// Input tokens.
    pub input: f64,
    /// Output tokens (reasoning included).
    pub output: f64,
}

impl Price {
    /// Cost of a request.
    pub fn cost(&self, input_tokens: u64, output_tokens: u64) -> f64 {
        (input_tokens as f64 * self.input + output_tokens as f64 * self.output) / 1e6
    }
}

/// The whole file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Providers by name.
    #[serde(default)]
    pub providers: BTreeMap<String, ProviderEntry>,
    /// Prices by `provider:model`.
    #[serde(default)]
    pub prices: BTreeMap<String, Price>,
}

impl FileConfig {
    /// Reads `path`, or `kbench.toml` when present, or the built-in defaults.
    pub fn load(path: Option<&Path>) -> Result<FileConfig, ConfigError> {
        let path = match path {
            Some(p) => p.to_path_buf(),
            None if Path::new(DEFAULT_CONFIG).is_file() => DEFAULT_CONFIG.into(),
            None => return Ok(FileConfig::default()),
        };
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    }

    /// Settings of provider `name`, with `base_url` overriding the file's.
    pub fn provider(
        &self,
        name: &str,
        base_url: Option<&str>,
    ) -> Result<ProviderSettings, ProviderError> {
        let entry = self.providers.get(name).cloned().unwrap_or_default();
        let (kind, default_url, default_key) = match (entry.protocol.as_deref(), name) {
            (Some("openai"), _) | (None, "openai") => (
                ProviderKind::OpenAi,
                "https://api.openai.com/v1",
                "OPENAI_API_KEY",
            ),
            (Some("anthropic"), _) | (None, "anthropic") => (
                ProviderKind::Anthropic,
                "https://api.anthropic.com",
                "ANTHROPIC_API_KEY",
            ),
            _ => return Err(ProviderError::UnknownProvider(name.to_string())),
        };
        let defaults = RateLimits::default();
        Ok(ProviderSettings {
            name: name.to_string(),
            kind,
            base_url: base_url
                .map(str::to_string)
                .or(entry.base_url)
                .unwrap_or_else(|| default_url.to_string()),
            api_key_env: entry.api_key_env.unwrap_or_else(|| default_key.to_string()),
            timeout: Duration::from_secs(entry.timeout_s.unwrap_or(600)),
            retry: RetryPolicy {
                max_attempts: entry
                    .max_attempts
                    .unwrap_or(RetryPolicy::default().max_attempts),
                ..RetryPolicy::default()
            },
            limits: RateLimits {
                max_concurrency: entry.max_concurrency.unwrap_or(defaults.max_concurrency),
                requests_per_minute: entry.requests_per_minute.unwrap_or(0),
                tokens_per_minute: entry.tokens_per_minute.unwrap_or(0),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_entries_override_built_ins() {
        let cfg: FileConfig = toml::from_str(
            r#"
            [providers.local]
            protocol = "anthropic"
            base_url = "http://127.0.0.1:1/v1"
            api_key_env = "LOCAL"
            max_concurrency = 3
            [prices."local:m"]
            input = 1.0
            output = 2.0
            "#,
        )
        .expect("parses");
        let local = cfg.provider("local", None).expect("known");
        assert_eq!(local.kind, ProviderKind::Anthropic);
        assert_eq!(local.limits.max_concurrency, 3);
        let openai = cfg
            .provider("openai", Some("http://x/v1"))
            .expect("built in");
        assert_eq!(openai.base_url, "http://x/v1");
        assert_eq!(openai.api_key_env, "OPENAI_API_KEY");
        let anthropic = cfg.provider("anthropic", None).expect("built in");
        assert_eq!(anthropic.base_url, "https://api.anthropic.com");
        assert!(cfg.provider("mystery", None).is_err());
        assert!((cfg.prices["local:m"].cost(1_000_000, 500_000) - 2.0).abs() < 1e-12);
        assert!(toml::from_str::<FileConfig>("[providers.x]\nbogus = 1").is_err());
    }
}
