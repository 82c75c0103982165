//! ConCuR's selection rules over the samples that passed every filter.
//!
//! Samples compete within a pool: one task, one backend, one size profile (speedups of
//! other backends or sizes are not comparable). Rule A keeps, per pool, the sample with
//! the shortest trace if it is also the fastest; rule B every sample faster than the
//! threshold; rule C adds single-operator samples until they are as many as the
//! multi-operator ones A and B kept. Every tie is broken by the samples' order (run,
//! task, sample, turn), so the same store gives the same selection.

use serde::Serialize;
use std::collections::BTreeMap;

/// A selection rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
pub enum Rule {
    /// Per task, the shortest trace if it is also the fastest correct sample.
    #[value(name = "A", alias = "a")]
    A,
    /// Correct samples with a speedup above the threshold.
    #[value(name = "B", alias = "b")]
    B,
    /// Single-operator samples added to balance single- against multi-operator tasks.
    #[value(name = "C", alias = "c")]
    C,
}

impl Rule {
    /// Its name in the files.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::A => "A",
            Rule::B => "B",
            Rule::C => "C",
        }
    }
}

/// What the rules look at in one sample that passed every filter.
#[derive(Debug, Clone, PartialEq)]
pub struct Eligible {
    /// The pool it competes in (task, backend, sizes), as one key.
    pub pool: String,
    /// Tokens of its reasoning trace.
    pub trace_tokens: u64,
    /// Its speedup.
    pub speedup: f64,
    /// Whether its task is a single operator (not a fused chain or an architecture).
    pub single_operator: bool,
}

/// The rule that keeps each sample (indices into `eligible`, which is in sample order),
/// under `rules`, with rule B's threshold `speedup_b`. A sample two rules would keep is
/// kept by the first.
pub fn select(eligible: &[Eligible], rules: &[Rule], speedup_b: f64) -> BTreeMap<usize, Rule> {
    let mut kept = BTreeMap::new();
    let mut pools: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, e) in eligible.iter().enumerate() {
        pools.entry(e.pool.as_str()).or_default().push(i);
    }
    if rules.contains(&Rule::A) {
        for members in pools.values() {
            if let Some(i) = rule_a(eligible, members) {
                kept.insert(i, Rule::A);
            }
        }
    }
    if rules.contains(&Rule::B) {
        for (i, e) in eligible.iter().enumerate() {
            if e.speedup > speedup_b {
                kept.entry(i).or_insert(Rule::B);
            }
        }
    }
    if rules.contains(&Rule::C) {
        rule_c(eligible, &pools, &mut kept);
    }
    kept
}

/// Rule A in one pool: the first sample that has both the shortest trace and the
/// highest speedup, if one does.
fn rule_a(eligible: &[Eligible], members: &[usize]) -> Option<usize> {
    let shortest = members.iter().map(|&i| eligible[i].trace_tokens).min()?;
    let fastest = members
        .iter()
        .map(|&i| eligible[i].speedup)
        .fold(f64::NEG_INFINITY, f64::max);
    members
        .iter()
        .copied()
        .find(|&i| eligible[i].trace_tokens == shortest && eligible[i].speedup == fastest)
}

/// Rule C: while fewer single- than multi-operator samples are kept, take one more
/// single-operator sample from each single-operator pool in turn (pools in key order;
/// within a pool the shortest trace first, then the fastest, then sample order).
fn rule_c(
    eligible: &[Eligible],
    pools: &BTreeMap<&str, Vec<usize>>,
    kept: &mut BTreeMap<usize, Rule>,
) {
    let count = |single: bool, kept: &BTreeMap<usize, Rule>| {
        kept.keys()
            .filter(|&&i| eligible[i].single_operator == single)
            .count()
    };
    let multi = count(false, kept);
    let mut single = count(true, kept);
    let mut queues: Vec<Vec<usize>> = pools
        .values()
        .filter(|m| m.first().is_some_and(|&i| eligible[i].single_operator))
        .map(|m| {
            let mut q: Vec<usize> = m
                .iter()
                .copied()
                .filter(|i| !kept.contains_key(i))
                .collect();
            q.sort_by(|&x, &y| {
                let (a, b) = (&eligible[x], &eligible[y]);
                a.trace_tokens
                    .cmp(&b.trace_tokens)
                    .then(b.speedup.total_cmp(&a.speedup))
                    .then(x.cmp(&y))
            });
            q.reverse();
            q
        })
        .collect();
    while single < multi && queues.iter().any(|q| !q.is_empty()) {
        for q in queues.iter_mut() {
            if single >= multi {
                break;
            }
            if let Some(i) = q.pop() {
                kept.insert(i, Rule::C);
                single += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(pool: &str, trace_tokens: u64, speedup: f64, single_operator: bool) -> Eligible {
        Eligible {
            pool: pool.into(),
            trace_tokens,
            speedup,
            single_operator,
        }
    }

    #[test]
    fn rule_a_needs_the_shortest_to_be_the_fastest_and_breaks_ties_by_order() {
        let samples = [
            e("p", 100, 2.0, true),
            e("p", 50, 3.0, true),
            e("p", 50, 3.0, true),
            e("q", 10, 1.0, true),
            e("q", 20, 4.0, true),
        ];
        let kept = select(&samples, &[Rule::A], 5.0);
        assert_eq!(kept.into_iter().collect::<Vec<_>>(), vec![(1, Rule::A)]);
    }

    #[test]
    fn rule_b_is_strictly_above_and_a_comes_first() {
        let samples = [
            e("p", 10, 6.0, true),
            e("p", 20, 5.0, true),
            e("p", 30, 5.5, true),
        ];
        let kept: Vec<_> = select(&samples, &[Rule::A, Rule::B], 5.0)
            .into_iter()
            .collect();
        assert_eq!(kept, vec![(0, Rule::A), (2, Rule::B)]);
    }

    #[test]
    fn rule_c_balances_round_robin_over_single_operator_pools() {
        let samples = [
            e("m", 10, 9.0, false),
            e("m", 20, 8.0, false),
            e("m", 30, 7.0, false),
            e("s1", 40, 1.0, true),
            e("s1", 30, 0.5, true),
            e("s1", 30, 0.9, true),
            e("s2", 5, 0.1, true),
        ];
        let kept: Vec<_> = select(&samples, &[Rule::B, Rule::C], 5.0)
            .into_iter()
            .collect();
        // s1's shortest two (30 tokens, faster first), then s2's only one: 3 of each.
        assert_eq!(
            kept,
            vec![
                (0, Rule::B),
                (1, Rule::B),
                (2, Rule::B),
                (4, Rule::C),
                (5, Rule::C),
                (6, Rule::C),
            ]
        );
        assert!(
            select(&samples, &[Rule::C], 5.0).is_empty(),
            "nothing to balance"
        );
    }
}
