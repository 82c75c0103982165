//! The hold-out list: tasks kept out of the training set, so a model trained on it can
//! still be evaluated on them. Their samples appear in `rejects.jsonl` by id and reason
//! only, with no prompt or completion, and take no part in the difficulty bounds.

use std::collections::BTreeSet;

/// Tasks and whole categories held out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holdout {
    /// The entries as written, in file order (for the dataset card).
    pub entries: Vec<String>,
    tasks: BTreeSet<String>,
    categories: BTreeSet<String>,
}

impl Holdout {
    /// Parses a hold-out file: one entry per line, `category/name` for a task or
    /// `category/` for a whole category; blank lines and `#` comments are ignored. Every
    /// entry must name a task or category of `known` (task ids): a typo would leak the
    /// task it meant into the training set. On error, the bad lines.
    pub fn parse(text: &str, known: &BTreeSet<String>) -> Result<Holdout, String> {
        let mut holdout = Holdout::default();
        let mut bad = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let entry = line.split('#').next().unwrap_or_default().trim();
            if entry.is_empty() {
                continue;
            }
            if let Some(category) = entry.strip_suffix('/') {
                if known.iter().any(|t| t.split('/').next() == Some(category)) {
                    holdout.categories.insert(category.to_string());
                } else {
                    bad.push(format!("line {}: no category `{category}`", n + 1));
                    continue;
                }
            } else if known.contains(entry) {
                holdout.tasks.insert(entry.to_string());
            } else {
                bad.push(format!("line {}: no task `{entry}`", n + 1));
                continue;
            }
            if !holdout.entries.iter().any(|e| e == entry) {
                holdout.entries.push(entry.to_string());
            }
        }
        if bad.is_empty() {
            Ok(holdout)
        } else {
            Err(bad.join("; "))
        }
    }

    /// Whether a task is held out.
    pub fn holds(&self, task_id: &str) -> bool {
        self.tasks.contains(task_id)
            || task_id
                .split_once('/')
                .is_some_and(|(c, _)| self.categories.contains(c))
    }
}

#[cfg(test)]
mod tests {
    use super::Holdout;
    use std::collections::BTreeSet;

    fn known() -> BTreeSet<String> {
        ["activation/relu", "activation/gelu", "matmul/square"]
            .map(String::from)
            .into()
    }

    #[test]
    fn tasks_and_categories_with_comments() {
        let h = Holdout::parse(
            "# evaluation set\nmatmul/square\n\nactivation/  # all\n",
            &known(),
        )
        .expect("valid");
        assert!(h.holds("matmul/square") && h.holds("activation/relu"));
        assert!(!h.holds("matmul/other"));
        assert_eq!(h.entries, ["matmul/square", "activation/"]);
    }

    #[test]
    fn unknown_entries_are_refused_with_their_lines() {
        let err = Holdout::parse("matmul/square\nmatmul/sqare\nactivaton/\n", &known())
            .expect_err("typos");
        assert_eq!(
            err,
            "line 2: no task `matmul/sqare`; line 3: no category `activaton`"
        );
    }
}
