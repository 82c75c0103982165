//! The OpenAI-compatible chat-completions protocol.

use super::sse::Event;
use super::{ChatRequest, ChatResponse, ProviderError};
use serde_json::{Value, json};

/// The request body.
pub fn body(req: &ChatRequest) -> Value {
    let mut body = json!({
        "model": req.model,
        "messages": [{"role": "user", "content": req.prompt}],
        "max_tokens": req.max_tokens,
        "stream": req.stream,
    });
    if let Some(t) = req.temperature {
        body["temperature"] = json!(t);
    }
    if let Some(p) = req.top_p {
        body["top_p"] = json!(p);
    }
    if let Some(s) = req.seed {
        body["seed"] = json!(s);
    }
    if req.stream {
        body["stream_options"] = json!({"include_usage": true});
    }
    body
}

fn reasoning_of(v: &Value) -> Option<&str> {
    v.get("reasoning_content")
        .or_else(|| v.get("reasoning"))
        .and_then(Value::as_str)
}

fn read_usage(out: &mut ChatResponse, usage: &Value) {
    if usage.is_object() {
        out.usage.input_tokens = usage["prompt_tokens"].as_u64().unwrap_or(0);
        out.usage.output_tokens = usage["completion_tokens"].as_u64().unwrap_or(0);
        out.usage.reasoning_tokens = usage["completion_tokens_details"]["reasoning_tokens"]
            .as_u64()
            .unwrap_or(0);
    }
}

/// Parses a non-streamed response.
pub fn parse(v: &Value) -> Result<ChatResponse, ProviderError> {
    let choice = v["choices"]
        .get(0)
        .ok_or_else(|| ProviderError::Malformed("no choices in the response".into()))?;
    let message = &choice["message"];
    let mut out = ChatResponse {
        text: message["content"].as_str().unwrap_or_default().to_string(),
        reasoning: reasoning_of(message).map(str::to_string),
        finish_reason: choice["finish_reason"].as_str().map(str::to_string),
        ..ChatResponse::default()
    };
    read_usage(&mut out, &v["usage"]);
    Ok(out)
}

/// Folds one streamed event into `out`; true at the end of the stream.
pub fn apply_event(out: &mut ChatResponse, event: &Event) -> Result<bool, ProviderError> {
    if event.data == "[DONE]" {
        return Ok(true);
    }
    let v: Value = serde_json::from_str(&event.data)
        .map_err(|e| ProviderError::Malformed(format!("stream chunk: {e}")))?;
    if let Some(choice) = v["choices"].get(0) {
        let delta = &choice["delta"];
        if let Some(t) = delta["content"].as_str() {
            out.text.push_str(t);
        }
        if let Some(r) = reasoning_of(delta) {
            out.reasoning.get_or_insert_with(String::new).push_str(r);
        }
        if let Some(f) = choice["finish_reason"].as_str() {
            out.finish_reason = Some(f.to_string());
        }
    }
    read_usage(out, &v["usage"]);
    Ok(false)
}
