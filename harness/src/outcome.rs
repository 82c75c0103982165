//! How a sample ended, and what "faster than the baseline" means: one definition for
//! the store, the repair loop and every metric.

use serde::{Deserialize, Serialize};

/// How one turn of one sample ended. Stored as snake_case text.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type,
)]
#[serde(rename_all = "snake_case")]
#[sqlx(rename_all = "snake_case")]
pub enum Outcome {
    /// The model gave no answer (a replay folder without one).
    NoAnswer,
    /// The model call failed (after its retries); the detail says why.
    ModelError,
    /// The answer held no code block.
    NoCode,
    /// The code did not compile.
    CompileError,
    /// The kernel crashed, hung, ran out of memory or returned non-zero.
    Fault,
    /// The kernel ran but its outputs (or its inputs afterwards) were wrong.
    Wrong,
    /// Every check passed.
    Correct,
}

impl Outcome {
    /// Every outcome, from the earliest failure to success.
    pub const ALL: [Outcome; 7] = [
        Outcome::NoAnswer,
        Outcome::ModelError,
        Outcome::NoCode,
        Outcome::CompileError,
        Outcome::Fault,
        Outcome::Wrong,
        Outcome::Correct,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::NoAnswer => "no_answer",
            Outcome::ModelError => "model_error",
            Outcome::NoCode => "no_code",
            Outcome::CompileError => "compile_error",
            Outcome::Fault => "fault",
            Outcome::Wrong => "wrong",
            Outcome::Correct => "correct",
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A speedup counts as faster than the baseline when it is strictly above this (fast_1,
/// and the repair loop's "good enough").
pub const FASTER_THAN_BASELINE: f64 = 1.0;

/// Whether `speedup` is faster than the baseline by more than the factor `p`
/// (fast_p's test; `p = FASTER_THAN_BASELINE` for fast_1).
pub fn faster_than(speedup: Option<f64>, p: f64) -> bool {
    speedup.is_some_and(|s| s > p)
}

/// Whether `speedup` beats the baseline.
pub fn is_faster(speedup: Option<f64>) -> bool {
    faster_than(speedup, FASTER_THAN_BASELINE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_serde() {
        for o in Outcome::ALL {
            let json = serde_json::to_string(&o).expect("serialises");
            assert_eq!(json, format!("\"{}\"", o.as_str()));
            assert_eq!(serde_json::from_str::<Outcome>(&json).ok(), Some(o));
        }
    }

    #[test]
    fn equal_speed_is_not_faster() {
        assert!(!is_faster(Some(1.0)));
        assert!(is_faster(Some(1.0001)));
        assert!(!is_faster(None));
        assert!(faster_than(Some(2.5), 2.0) && !faster_than(Some(2.0), 2.0));
    }
}
