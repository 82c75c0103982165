//! Which runs may share a table: the same backend, the same size profile, the same
//! samples per task (so that one pass@k column holds one k) and the same task set (the
//! same task ids with the same stored definition hashes). Runs that differ
//! in any of these are put in groups of their own, each saying how it differs from the
//! first group.

use super::RunData;
use std::collections::BTreeMap;

/// Runs that are compared side by side.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Indices into the report's runs, in run order.
    pub runs: Vec<usize>,
    /// Why this group is apart from the first one (empty for the first).
    pub apart_because: Vec<String>,
}

/// What runs must share to be compared.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key<'a> {
    backend: &'a str,
    sizes: &'a str,
    samples: i64,
    tasks: &'a BTreeMap<String, String>,
}

fn key(run: &RunData) -> Key<'_> {
    Key {
        backend: &run.run.backend,
        sizes: &run.run.sizes,
        samples: run.run.samples_per_task,
        tasks: &run.tasks,
    }
}

/// The runs in groups of comparable runs, in the order of each group's first run.
pub fn group(runs: &[RunData]) -> Vec<Group> {
    let mut groups: Vec<(Key, Vec<usize>)> = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        let k = key(run);
        match groups.iter_mut().find(|(g, _)| *g == k) {
            Some((_, members)) => members.push(i),
            None => groups.push((k, vec![i])),
        }
    }
    let first = groups.first().map(|(k, _)| k.clone());
    groups
        .into_iter()
        .map(|(k, runs)| Group {
            runs,
            apart_because: first
                .as_ref()
                .filter(|f| **f != k)
                .map(|f| differences(f, &k))
                .unwrap_or_default(),
        })
        .collect()
}

/// How `other` differs from `first`, one reason per line.
fn differences(first: &Key, other: &Key) -> Vec<String> {
    let mut why = Vec::new();
    if first.backend != other.backend {
        why.push(format!(
            "backend `{}`, not `{}`",
            other.backend, first.backend
        ));
    }
    if first.sizes != other.sizes {
        why.push(format!(
            "size profile `{}`, not `{}`",
            other.sizes, first.sizes
        ));
    }
    if first.samples != other.samples {
        why.push(format!(
            "{} samples per task, not {}",
            other.samples, first.samples
        ));
    }
    let only_other = other
        .tasks
        .keys()
        .filter(|t| !first.tasks.contains_key(*t))
        .count();
    let only_first = first
        .tasks
        .keys()
        .filter(|t| !other.tasks.contains_key(*t))
        .count();
    let changed = other
        .tasks
        .iter()
        .filter(|(t, h)| first.tasks.get(*t).is_some_and(|f| f != *h))
        .count();
    if only_other + only_first + changed > 0 {
        let mut parts = Vec::new();
        if only_first > 0 {
            parts.push(format!("lacks {only_first} of group 1's tasks"));
        }
        if only_other > 0 {
            parts.push(format!("has {only_other} tasks group 1 lacks"));
        }
        if changed > 0 {
            parts.push(format!("{changed} tasks with changed definitions"));
        }
        why.push(format!("task set differs ({})", parts.join(", ")));
    }
    why
}
