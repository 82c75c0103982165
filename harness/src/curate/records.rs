//! The lines of the dataset's JSONL files.

use serde::Serialize;

/// What every record says of its sample turn.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Meta<'a> {
    /// Task id, `<category>/<name>`.
    pub task_id: &'a str,
    /// Category.
    pub category: &'a str,
    /// Backend the kernel was written for.
    pub backend: &'a str,
    /// Size profile of the run.
    pub sizes: &'a str,
    /// The model that wrote it.
    pub model: &'a str,
    /// Run id in the source store.
    pub run: i64,
    /// Sample number.
    pub sample: i64,
    /// Turn of the repair loop.
    pub turn: i64,
    /// Baseline median / kernel median (correct, timed samples only).
    pub speedup: Option<f64>,
    /// Tokens of the reasoning trace (`None` without a trace).
    pub reasoning_tokens: Option<u64>,
    /// True when the provider reported no count and it was estimated as characters / 4.
    pub reasoning_tokens_estimated: bool,
    /// The selection rule that kept it (`A`, `B` or `C`); `None` for rejects.
    pub rule: Option<&'a str>,
    /// Its task's difficulty.
    pub difficulty: &'a str,
    /// Its task's average reasoning length over all generations, tokens.
    pub task_arl: Option<f64>,
}

/// A chat message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message<'a> {
    /// `user` or `assistant`.
    pub role: &'a str,
    /// The text.
    pub content: &'a str,
}

/// A line of `train.jsonl`: the conversation, then the metadata.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatRecord<'a> {
    /// The prompt, then the reasoning and answer.
    pub messages: [Message<'a>; 2],
    /// Metadata.
    #[serde(flatten)]
    pub meta: &'a Meta<'a>,
}

/// A line of `train_prompt_completion.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PromptCompletionRecord<'a> {
    /// The prompt.
    pub prompt: &'a str,
    /// The reasoning and answer.
    pub completion: &'a str,
    /// Metadata.
    #[serde(flatten)]
    pub meta: &'a Meta<'a>,
}

/// A line of `rejects.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RejectRecord<'a> {
    /// The first reason that rejected it.
    pub reason: &'a str,
    /// Every reason that applies, in filter order.
    pub reasons: Vec<&'a str>,
    /// What the first reasons found, where they say more.
    pub detail: &'a str,
    /// The sample's outcome.
    pub outcome: &'a str,
    /// Whether it passed every check.
    pub correct: bool,
    /// The prompt (`None` for held-out tasks and samples stored without one).
    pub prompt: Option<&'a str>,
    /// The reasoning and answer (`None` for held-out tasks and samples without an
    /// answer).
    pub completion: Option<&'a str>,
    /// Metadata.
    #[serde(flatten)]
    pub meta: &'a Meta<'a>,
}

/// The assistant's side of a sample: the reasoning between `<think>` and `</think>`,
/// then the answer. Without a trace, the answer alone.
pub fn completion(reasoning: Option<&str>, answer: &str) -> String {
    match reasoning.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => format!("<think>\n{r}\n</think>\n\n{}", answer.trim()),
        None => answer.trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::completion;

    #[test]
    fn the_trace_comes_first_inside_think() {
        assert_eq!(
            completion(Some("  plan it\n"), "```cpp\nx\n```\n"),
            "<think>\nplan it\n</think>\n\n```cpp\nx\n```"
        );
        assert_eq!(completion(Some(" "), "a"), "a");
        assert_eq!(completion(None, "a"), "a");
    }
}
