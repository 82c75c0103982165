//! The Anthropic Messages protocol, with extended thinking when asked.

use super::sse::Event;
use super::{ChatRequest, ChatResponse, ProviderError};
use serde_json::{Value, json};

/// API version header value.
pub const VERSION: &str = "2023-06-01";

/// The request body.
pub fn body(req: &ChatRequest) -> Value {
    let mut body = json!({
        "model": req.model,
        "max_tokens": req.max_tokens,
        "messages": [{"role": "user", "content": req.prompt}],
        "stream": req.stream,
    });
    match req.thinking_budget {
        // Extended thinking fixes the temperature; sampling settings are not sent.
        Some(budget) => body["thinking"] = json!({"type": "enabled", "budget_tokens": budget}),
        None => {
            if let Some(t) = req.temperature {
                body["temperature"] = json!(t);
            }
            if let Some(p) = req.top_p {
                body["top_p"] = json!(p);
            }
        }
    }
    body
}

fn read_usage(out: &mut ChatResponse, usage: &Value) {
    if let Some(n) = usage["input_tokens"].as_u64() {
        out.usage.input_tokens = n;
    }
    if let Some(n) = usage["output_tokens"].as_u64() {
        out.usage.output_tokens = n;
    }
}

/// Parses a non-streamed response.
pub fn parse(v: &Value) -> Result<ChatResponse, ProviderError> {
    let blocks = v["content"]
        .as_array()
        .ok_or_else(|| ProviderError::Malformed("no content in the response".into()))?;
    let mut out = ChatResponse {
        finish_reason: v["stop_reason"].as_str().map(str::to_string),
        ..ChatResponse::default()
    };
    for block in blocks {
        match block["type"].as_str() {
            Some("text") => out
                .text
                .push_str(block["text"].as_str().unwrap_or_default()),
            Some("thinking") => out
                .reasoning
                .get_or_insert_with(String::new)
                .push_str(block["thinking"].as_str().unwrap_or_default()),
            _ => {}
        }
    }
    read_usage(&mut out, &v["usage"]);
    Ok(out)
}

/// Folds one streamed event into `out`; true at `message_stop`.
pub fn apply_event(out: &mut ChatResponse, event: &Event) -> Result<bool, ProviderError> {
    let v: Value = serde_json::from_str(&event.data)
        .map_err(|e| ProviderError::Malformed(format!("stream event: {e}")))?;
    match v["type"].as_str().unwrap_or(event.name.as_str()) {
        "message_start" => read_usage(out, &v["message"]["usage"]),
        "content_block_delta" => {
            let delta = &v["delta"];
            match delta["type"].as_str() {
                Some("text_delta") => out
                    .text
                    .push_str(delta["text"].as_str().unwrap_or_default()),
                Some("thinking_delta") => out
                    .reasoning
                    .get_or_insert_with(String::new)
                    .push_str(delta["thinking"].as_str().unwrap_or_default()),
                _ => {}
            }
        }
        "message_delta" => {
            if let Some(r) = v["delta"]["stop_reason"].as_str() {
                out.finish_reason = Some(r.to_string());
            }
            read_usage(out, &v["usage"]);
        }
        "message_stop" => return Ok(true),
        "error" => {
            return Err(ProviderError::Malformed(format!(
                "stream error: {}",
                v["error"]["message"].as_str().unwrap_or("unknown")
            )));
        }
        _ => {}
    }
    Ok(false)
}
