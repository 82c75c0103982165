//! Task difficulty from the average reasoning length (ARL) over all of a task's
//! generations: ConCuR's fixed buckets, or tertiles when the generator's token counts
//! are on another scale.

use serde::Serialize;
use std::collections::BTreeMap;

/// How tasks are bucketed by ARL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DifficultyMode {
    /// ConCuR's buckets: easy below 4,000 tokens, medium 4,000 to 8,500, hard above.
    Buckets,
    /// Thirds of the tasks (held-out ones left out) ranked by ARL (tied tasks share a
    /// bucket).
    Tertiles,
}

/// A task's difficulty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Difficulty {
    /// Short traces.
    Easy,
    /// Middle traces.
    Medium,
    /// Long traces.
    Hard,
    /// No generation of the task has a trace, or the task is held out.
    Unknown,
}

impl Difficulty {
    /// Every difficulty, easy first.
    pub const ALL: [Difficulty; 4] = [
        Difficulty::Easy,
        Difficulty::Medium,
        Difficulty::Hard,
        Difficulty::Unknown,
    ];

    /// Its name in the files.
    pub fn as_str(self) -> &'static str {
        match self {
            Difficulty::Easy => "easy",
            Difficulty::Medium => "medium",
            Difficulty::Hard => "hard",
            Difficulty::Unknown => "unknown",
        }
    }
}

/// ConCuR's bounds: easy below this many tokens of ARL.
pub const EASY_BELOW: f64 = 4000.0;
/// ConCuR's bounds: hard above this many tokens of ARL.
pub const HARD_ABOVE: f64 = 8500.0;

/// Every task's ARL and difficulty, and the ARL bounds that were used.
#[derive(Debug, Clone, PartialEq)]
pub struct Difficulties {
    /// Task id to (ARL, difficulty); tasks without any trace have no ARL.
    pub tasks: BTreeMap<String, (Option<f64>, Difficulty)>,
    /// The lowest ARL that is medium and the lowest that is hard (tertiles), or
    /// ConCuR's bounds.
    pub bounds: (f64, f64),
}

/// Buckets every task by the mean of its traces' token counts (`lengths`: task id to
/// every generation's trace tokens; an empty list means no trace).
pub fn classify(lengths: &BTreeMap<String, Vec<u64>>, mode: DifficultyMode) -> Difficulties {
    let arl: BTreeMap<&str, Option<f64>> = lengths
        .iter()
        .map(|(task, l)| {
            let mean = (!l.is_empty()).then(|| l.iter().sum::<u64>() as f64 / l.len() as f64);
            (task.as_str(), mean)
        })
        .collect();
    let bounds = match mode {
        DifficultyMode::Buckets => (EASY_BELOW, HARD_ABOVE),
        DifficultyMode::Tertiles => tertile_bounds(arl.values().flatten().copied().collect()),
    };
    let tasks = arl
        .into_iter()
        .map(|(task, a)| {
            let d = match a {
                None => Difficulty::Unknown,
                Some(a) => bucket(a, bounds, mode),
            };
            (task.to_string(), (a, d))
        })
        .collect();
    Difficulties { tasks, bounds }
}

/// The bucket of an ARL.
fn bucket(arl: f64, (medium_from, hard): (f64, f64), mode: DifficultyMode) -> Difficulty {
    let is_hard = match mode {
        DifficultyMode::Buckets => arl > hard,
        DifficultyMode::Tertiles => arl >= hard,
    };
    if is_hard {
        Difficulty::Hard
    } else if arl >= medium_from {
        Difficulty::Medium
    } else {
        Difficulty::Easy
    }
}

/// Tertile bounds of `n` ARLs: sorted, the task of rank `i` (its first rank among ties)
/// falls in third `floor(3 i / n)`; the bounds are the smallest ARL of the second and
/// third. Without tasks in a third its bound is infinite.
fn tertile_bounds(mut arl: Vec<f64>) -> (f64, f64) {
    arl.sort_by(f64::total_cmp);
    let n = arl.len();
    let first_in = |third: usize| {
        (0..n)
            .find(|&i| {
                let first_rank = arl.iter().position(|&a| a == arl[i]).unwrap_or(i);
                3 * first_rank / n >= third
            })
            .map_or(f64::INFINITY, |i| arl[i])
    };
    (first_in(1), first_in(2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lengths(list: &[(&str, &[u64])]) -> BTreeMap<String, Vec<u64>> {
        list.iter()
            .map(|(t, l)| (t.to_string(), l.to_vec()))
            .collect()
    }

    #[test]
    fn concur_buckets_at_their_bounds() {
        let d = classify(
            &lengths(&[
                ("a", &[3999]),
                ("b", &[4000]),
                ("c", &[8000, 9000]),
                ("d", &[8501]),
                ("e", &[]),
            ]),
            DifficultyMode::Buckets,
        );
        let got: Vec<(Option<f64>, Difficulty)> = d.tasks.values().copied().collect();
        assert_eq!(
            got,
            vec![
                (Some(3999.0), Difficulty::Easy),
                (Some(4000.0), Difficulty::Medium),
                (Some(8500.0), Difficulty::Medium),
                (Some(8501.0), Difficulty::Hard),
                (None, Difficulty::Unknown),
            ]
        );
    }

    #[test]
    fn tertiles_split_by_rank_and_keep_ties_together() {
        let d = classify(
            &lengths(&[
                ("a", &[10]),
                ("b", &[20]),
                ("c", &[30]),
                ("d", &[40]),
                ("e", &[50]),
                ("f", &[60]),
            ]),
            DifficultyMode::Tertiles,
        );
        let names: Vec<&str> = d.tasks.values().map(|(_, d)| d.as_str()).collect();
        assert_eq!(names, ["easy", "easy", "medium", "medium", "hard", "hard"]);
        assert_eq!(d.bounds, (30.0, 50.0));
        let tied = classify(
            &lengths(&[("a", &[10]), ("b", &[10]), ("c", &[10]), ("d", &[99])]),
            DifficultyMode::Tertiles,
        );
        let names: Vec<&str> = tied.tasks.values().map(|(_, d)| d.as_str()).collect();
        assert_eq!(names, ["easy", "easy", "easy", "hard"]);
    }
}
