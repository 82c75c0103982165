//! A fake LLM server on 127.0.0.1 speaking both protocols, streamed and not, whose
//! behaviour is chosen by the requested model name:
//! `ok`, `rate-limited` (429 with Retry-After once), `flaky` (500 once), `hang`,
//! `drop` (stream cut once), `malformed`, `empty`, `no-code`, `bad-request` (400, not
//! about the model), `no-such-model` (400 "model does not exist"), `down` (503
//! always), `slow-<ms>` (like `ok` after sleeping), `scripted` (see [`scripted`]),
//! `scripted-slow-<ms>` (like `scripted` after sleeping), `solution` (the bundled
//! solution of the task named in the prompt, on every turn; see [`solution`]) and
//! `solution-slow-<ms>` (like `solution` after sleeping). The key `sk-bad` gets 401
//! everywhere. `GET /v1/models` lists every name above but `no-such-model` (the
//! `*-slow-<ms>` ones as the families `slow`, `scripted-slow` and `solution-slow`).
//! Any other path answers 404. [`Seen`] counts chat requests per model, records every
//! path, and tracks how many chat requests are in flight at once (and the peak).

#![allow(dead_code)]

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the server saw.
#[derive(Debug, Default)]
pub struct Seen {
    /// Requests per model name.
    pub calls: HashMap<String, u32>,
    /// Last authorization headers.
    pub auth: Vec<String>,
    /// Method and path of every request, in order (`POST /v1/messages`).
    pub paths: Vec<String>,
    /// Chat requests being answered now (counted from arrival to the response).
    pub in_flight: u32,
    /// The most chat requests ever in flight at once.
    pub peak_in_flight: u32,
}

/// The key the server refuses.
pub const BAD_KEY: &str = "sk-bad";

/// The models `GET /v1/models` lists.
pub const LISTED: &[&str] = &[
    "ok",
    "rate-limited",
    "flaky",
    "hang",
    "drop",
    "malformed",
    "empty",
    "no-code",
    "bad-request",
    "down",
    "slow",
    "scripted",
    "scripted-slow",
    "solution",
    "solution-slow",
];

/// Shared state.
pub type Shared = Arc<Mutex<Seen>>;

/// The code every good answer carries.
pub const CODE: &str = "extern \"C\" int kb_forward() { return 0; }";

/// The `solution` model: the bundled solution of the task named in the prompt's
/// `## Your task: <id>` line (empty when there is none).
fn solution(prompt: &str) -> String {
    let id = prompt
        .split("## Your task: ")
        .nth(1)
        .and_then(|rest| rest.lines().next())
        .unwrap_or_default()
        .trim();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../solutions/cpu")
        .join(format!("{id}.md"));
    std::fs::read_to_string(path).unwrap_or_default()
}

/// The `scripted` model: a kernel that writes nothing on the first turn, the bundled
/// solution of the task (named in the prompt) once shown its previous answer.
fn scripted(prompt: &str) -> String {
    if prompt.contains("## Your previous answer") {
        solution(prompt)
    } else {
        "```cpp\n#include \"kbench.h\"\nextern \"C\" int kb_forward(const kb_tensor *in, int n_in, \
         kb_tensor *out, int n_out) { return 0; }\n```\n"
            .to_string()
    }
}

/// The behaviour behind a model name and the delay before answering:
/// `slow-<ms>` is `ok` after `<ms>`, `scripted-slow-<ms>` is `scripted` after `<ms>`,
/// `solution-slow-<ms>` is `solution` after `<ms>`.
fn behaviour(model: &str) -> (&str, Option<Duration>) {
    let delay = |ms: &str| ms.parse().ok().map(Duration::from_millis);
    if let Some(ms) = model.strip_prefix("scripted-slow-") {
        ("scripted", delay(ms))
    } else if let Some(ms) = model.strip_prefix("solution-slow-") {
        ("solution", delay(ms))
    } else if let Some(ms) = model.strip_prefix("slow-") {
        ("ok", delay(ms))
    } else {
        (model, None)
    }
}

fn answer_text(model: &str, prompt: &str) -> String {
    match model {
        "scripted" => scripted(prompt),
        "solution" => solution(prompt),
        "empty" => String::new(),
        "no-code" => "I would rather not write this kernel.".into(),
        _ => format!("Here it is.\n```cpp\n{CODE}\n```\n"),
    }
}

fn auth_of(headers: &HeaderMap) -> String {
    headers
        .get("authorization")
        .or_else(|| headers.get("x-api-key"))
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

fn is_bad_key(auth: &str) -> bool {
    auth == BAD_KEY || auth.strip_prefix("Bearer ") == Some(BAD_KEY)
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        // Pretty-printed, so that the body spans lines.
        serde_json::to_string_pretty(&json!({"error": {
            "message": "Incorrect API key provided: sk-bad.",
            "type": "authentication_error", "code": "invalid_api_key"}}))
        .unwrap_or_default(),
    )
        .into_response()
}

/// A chat request in flight: counted in [`Seen::in_flight`] until dropped (also when
/// the client goes away and the handler is dropped mid-answer).
struct InFlight(Shared);

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Ok(mut seen) = self.0.lock() {
            seen.in_flight = seen.in_flight.saturating_sub(1);
        }
    }
}

/// Records a chat request; returns its number for `model` and its in-flight guard.
fn count(state: &Shared, path: &str, model: &str, headers: &HeaderMap) -> (u32, InFlight) {
    let mut seen = state.lock().expect("lock");
    seen.auth.push(auth_of(headers));
    seen.paths.push(format!("POST {path}"));
    seen.in_flight += 1;
    seen.peak_in_flight = seen.peak_in_flight.max(seen.in_flight);
    let n = seen.calls.entry(model.to_string()).or_insert(0);
    *n += 1;
    (*n, InFlight(Arc::clone(state)))
}

/// The answer of a model that fails (the key, the model, a fault), after any delay.
async fn fault(model: &str, call: u32, headers: &HeaderMap) -> Option<Response> {
    if is_bad_key(&auth_of(headers)) {
        return Some(unauthorized());
    }
    let (model, delay) = behaviour(model);
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    match (model, call) {
        ("rate-limited", 1) => Some(
            (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", "1")],
                "slow down",
            )
                .into_response(),
        ),
        ("flaky", 1) => Some((StatusCode::INTERNAL_SERVER_ERROR, "oops").into_response()),
        ("hang", _) => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            None
        }
        ("malformed", _) => Some((StatusCode::OK, "{not json").into_response()),
        ("bad-request", _) => Some(
            (
                StatusCode::BAD_REQUEST,
                r#"{"error":{"message":"prompt is too long"}}"#,
            )
                .into_response(),
        ),
        ("no-such-model", _) => Some(
            (
                StatusCode::BAD_REQUEST,
                r#"{"error":{"message":"The model `no-such-model` does not exist","type":"invalid_request_error","code":"model_not_found"}}"#,
            )
                .into_response(),
        ),
        ("down", _) => {
            Some((StatusCode::SERVICE_UNAVAILABLE, "upstream unavailable").into_response())
        }
        _ => None,
    }
}

fn sse(chunks: Vec<String>, cut: bool) -> Response {
    let mut parts: Vec<Result<Bytes, std::io::Error>> =
        chunks.into_iter().map(|c| Ok(Bytes::from(c))).collect();
    if cut {
        parts.truncate(1);
    }
    let body = Body::from_stream(futures_util::stream::iter(parts));
    ([("content-type", "text/event-stream")], body).into_response()
}

async fn openai(
    State(state): State<Shared>,
    headers: HeaderMap,
    body: axum::Json<Value>,
) -> Response {
    let model = body["model"].as_str().unwrap_or_default().to_string();
    let (call, _in_flight) = count(&state, "/v1/chat/completions", &model, &headers);
    if let Some(r) = fault(&model, call, &headers).await {
        return r;
    }
    let prompt = body["messages"][0]["content"].as_str().unwrap_or_default();
    let text = answer_text(behaviour(&model).0, prompt);
    if body["stream"].as_bool() == Some(true) {
        let mut chunks = vec![format!(
            "data: {}\n\n",
            json!({"choices": [{"delta": {"reasoning_content": "Let me think. "}}]})
        )];
        for piece in text.as_bytes().chunks(7) {
            let piece = String::from_utf8_lossy(piece);
            chunks.push(format!(
                "data: {}\n\n",
                json!({"choices": [{"delta": {"content": piece}}]})
            ));
        }
        chunks.push(format!(
            "data: {}\n\n",
            json!({"choices": [{"delta": {}, "finish_reason": "stop"}],
                   "usage": {"prompt_tokens": 100, "completion_tokens": 20,
                             "completion_tokens_details": {"reasoning_tokens": 5}}})
        ));
        chunks.push("data: [DONE]\n\n".into());
        return sse(chunks, model == "drop" && call == 1);
    }
    axum::Json(json!({
        "choices": [{"message": {"role": "assistant", "content": text, "reasoning_content": "Let me think."},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20,
                  "completion_tokens_details": {"reasoning_tokens": 5}}
    }))
    .into_response()
}

async fn anthropic(
    State(state): State<Shared>,
    headers: HeaderMap,
    body: axum::Json<Value>,
) -> Response {
    let model = body["model"].as_str().unwrap_or_default().to_string();
    let (call, _in_flight) = count(&state, "/v1/messages", &model, &headers);
    if let Some(r) = fault(&model, call, &headers).await {
        return r;
    }
    let prompt = body["messages"][0]["content"].as_str().unwrap_or_default();
    let text = answer_text(behaviour(&model).0, prompt);
    if body["stream"].as_bool() == Some(true) {
        let event = |name: &str, v: Value| format!("event: {name}\ndata: {v}\n\n");
        let mut chunks = vec![
            event(
                "message_start",
                json!({"type": "message_start", "message": {"usage": {"input_tokens": 90}}}),
            ),
            event(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 0,
                "delta": {"type": "thinking_delta", "thinking": "Considering. "}}),
            ),
        ];
        for piece in text.as_bytes().chunks(9) {
            chunks.push(event(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 1,
                "delta": {"type": "text_delta", "text": String::from_utf8_lossy(piece)}}),
            ));
        }
        chunks.push(event(
            "message_delta",
            json!({"type": "message_delta",
            "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 30}}),
        ));
        chunks.push(event("message_stop", json!({"type": "message_stop"})));
        return sse(chunks, model == "drop" && call == 1);
    }
    axum::Json(json!({
        "content": [{"type": "thinking", "thinking": "Considering."}, {"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 90, "output_tokens": 30}
    }))
    .into_response()
}

async fn models(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let auth = auth_of(&headers);
    {
        let mut seen = state.lock().expect("lock");
        seen.auth.push(auth.clone());
        seen.paths.push("GET /v1/models".into());
    }
    if is_bad_key(&auth) {
        return unauthorized();
    }
    let data: Vec<Value> = LISTED
        .iter()
        .map(|id| json!({"id": id, "object": "model"}))
        .collect();
    axum::Json(json!({"object": "list", "data": data})).into_response()
}

async fn elsewhere(
    State(state): State<Shared>,
    method: axum::http::Method,
    uri: axum::http::Uri,
) -> Response {
    state
        .lock()
        .expect("lock")
        .paths
        .push(format!("{method} {}", uri.path()));
    (
        StatusCode::NOT_FOUND,
        axum::Json(json!({"detail": "Not Found"})),
    )
        .into_response()
}

/// Starts the server; returns its base URL (`http://127.0.0.1:PORT`) and its state.
pub async fn start() -> (String, Shared) {
    let state: Shared = Arc::default();
    let app = Router::new()
        .route("/v1/chat/completions", post(openai))
        .route("/v1/messages", post(anthropic))
        .route("/v1/models", get(models))
        .fallback(elsewhere)
        .with_state(Arc::clone(&state));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), state)
}
