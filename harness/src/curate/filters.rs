//! The filters a sample turn must pass before any rule may keep it, each with the reason
//! stored on the samples it rejects.

use crate::store::CurateSampleRow;
use serde::Serialize;

/// Why a sample turn is not in the training set, in the order the filters run: a
/// rejected sample's first reason is its `reason`; every reason that applies is listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The task is on the hold-out list (its texts are never written out).
    Holdout,
    /// Faster than the roofline, timed outputs wrong, a fault (escaped work such as
    /// `thread_still_running` is one), or a sandbox protection that did not hold.
    Flagged,
    /// Not correct on every trial.
    NotCorrect,
    /// No reasoning trace.
    NoReasoning,
    /// The provider cut the answer off (finish reason `length` or `max_tokens`).
    Truncated,
    /// No stored prompt (replayed answers) or no answer: no training pair can be formed.
    NoPrompt,
    /// Correct but not timed: no speedup to rank it by.
    Untimed,
    /// The timed calls' spread (standard deviation over mean) is above the threshold.
    UnstableTiming,
    /// The same code (after normalising comments and whitespace) as a kept-for-review
    /// sample of the same task and backend with a shorter trace.
    Duplicate,
    /// Passed every filter, but no selection rule kept it.
    NotSelected,
}

impl Reason {
    /// Every reason, in filter order.
    pub const ALL: [Reason; 10] = [
        Reason::Holdout,
        Reason::Flagged,
        Reason::NotCorrect,
        Reason::NoReasoning,
        Reason::Truncated,
        Reason::NoPrompt,
        Reason::Untimed,
        Reason::UnstableTiming,
        Reason::Duplicate,
        Reason::NotSelected,
    ];

    /// The name stored in `rejects.jsonl`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Holdout => "holdout",
            Reason::Flagged => "flagged",
            Reason::NotCorrect => "not_correct",
            Reason::NoReasoning => "no_reasoning",
            Reason::Truncated => "truncated",
            Reason::NoPrompt => "no_prompt",
            Reason::Untimed => "untimed",
            Reason::UnstableTiming => "unstable_timing",
            Reason::Duplicate => "duplicate",
            Reason::NotSelected => "not_selected",
        }
    }

    /// What the filter checks, for the dataset card.
    pub fn description(self) -> &'static str {
        match self {
            Reason::Holdout => "task on the hold-out list (listed without prompt or completion)",
            Reason::Flagged => {
                "faster than the roofline, timed outputs wrong, a fault label, or a sandbox \
                 protection that did not hold"
            }
            Reason::NotCorrect => "not correct on every correctness trial",
            Reason::NoReasoning => "no reasoning trace",
            Reason::Truncated => "trace cut off: the provider's finish reason says length",
            Reason::NoPrompt => "no stored prompt (a replayed answer) or no answer",
            Reason::Untimed => "correct but never timed: no speedup",
            Reason::UnstableTiming => "timing spread (stddev / mean) above the threshold",
            Reason::Duplicate => {
                "same code as another sample of the task and backend after removing comments \
                 and whitespace (the one with the shorter trace stays)"
            }
            Reason::NotSelected => "passed every filter; no selection rule kept it",
        }
    }
}

/// Finish reasons that mean the provider stopped the answer at its token limit.
const CUT_OFF: [&str; 3] = ["length", "max_tokens", "model_context_window_exceeded"];

/// Whether a finish reason says the answer was cut off.
pub fn cut_off(finish_reason: Option<&str>) -> bool {
    finish_reason.is_some_and(|r| CUT_OFF.contains(&r))
}

/// The reasons (before deduplication and selection) that reject `row`, with what each
/// of them found where it says more (joined by `; `).
pub fn screen(row: &CurateSampleRow, held_out: bool, max_spread: f64) -> (Vec<Reason>, String) {
    let mut reasons = Vec::new();
    let mut details = Vec::new();
    if held_out {
        reasons.push(Reason::Holdout);
    }
    let flags = flags(row);
    if !flags.is_empty() {
        reasons.push(Reason::Flagged);
        details.push(flags.join("; "));
    }
    if !row.sample.correct || row.trials == 0 || row.trials_passed < row.trials {
        reasons.push(Reason::NotCorrect);
        details.push(format!(
            "{}, {} of {} trials passed",
            row.sample.outcome.as_str(),
            row.trials_passed,
            row.trials
        ));
    }
    if row.reasoning_chars == 0 {
        reasons.push(Reason::NoReasoning);
    }
    if cut_off(row.finish_reason.as_deref()) {
        reasons.push(Reason::Truncated);
        details.push(format!(
            "finish reason {}",
            row.finish_reason.as_deref().unwrap_or_default()
        ));
    }
    if !row.has_prompt || !row.has_answer {
        reasons.push(Reason::NoPrompt);
    }
    if row.sample.correct {
        match spread(row) {
            None => reasons.push(Reason::Untimed),
            Some(s) if s > max_spread => {
                reasons.push(Reason::UnstableTiming);
                details.push(format!("spread {s:.3} > {max_spread}"));
            }
            Some(_) => {}
        }
    }
    (reasons, details.join("; "))
}

/// The timed calls' standard deviation over their mean; `None` when not timed.
pub fn spread(row: &CurateSampleRow) -> Option<f64> {
    let (Some(_), Some(_), Some(mean), Some(sd)) = (
        row.sample.speedup,
        row.sample.kernel_median_s,
        row.kernel_mean_s,
        row.kernel_stddev_s,
    ) else {
        return None;
    };
    (mean > 0.0).then_some(sd / mean)
}

/// What flags a sample turn: each as a phrase.
fn flags(row: &CurateSampleRow) -> Vec<String> {
    let s = &row.sample;
    let mut flags = Vec::new();
    if s.faster_than_roofline == Some(true) {
        flags.push("faster than the roofline".to_string());
    }
    if row.timed_outputs_ok == Some(false) {
        flags.push("timed outputs wrong".to_string());
    }
    if let Some(fault) = &s.fault {
        flags.push(format!("fault {fault}"));
    }
    let protections = [
        (s.network_isolated, "network not isolated"),
        (s.filesystem_confined, "writes not confined"),
        (s.reads_confined, "reads not confined"),
        (s.signals_confined, "signals not confined"),
        (s.syscalls_filtered, "system calls not filtered"),
        (s.processes_hidden, "processes not hidden"),
        (s.unprivileged, "ran as root"),
    ];
    for (held, what) in protections {
        if held == Some(false) {
            flags.push(format!("sandbox: {what}"));
        }
    }
    flags
}
