//! The dataset card (`README.md`): where the data came from, what was kept and why, and
//! how to load it. Hugging Face reads its front matter to offer the three files as
//! configurations.

use super::difficulty::{Difficulty, DifficultyMode};
use super::filters::Reason;
use super::select::Rule;
use super::{Curated, Dataset, MULTI_OPERATOR_CATEGORIES};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The card's front matter: the files as `datasets` configurations.
const FRONT_MATTER: &str = "---
pretty_name: kbench curated kernels
tags:
- code
- kernels
- reasoning
configs:
- config_name: default
  data_files:
  - split: train
    path: train.jsonl
- config_name: prompt_completion
  data_files:
  - split: train
    path: train_prompt_completion.jsonl
- config_name: rejects
  data_files:
  - split: train
    path: rejects.jsonl
---
";

/// The card of a dataset.
pub fn render(data: &Dataset) -> String {
    let mut out = String::from(FRONT_MATTER);
    let kept: Vec<&Curated> = data.kept().collect();
    let _ = writeln!(
        out,
        "\n# kbench curated kernels\n\n{} sample turns kept of {} stored in {} runs, selected \
         ConCuR-style by `kbench curate` {}: correct, unflagged kernels with their reasoning \
         traces, chosen for short traces and high speedups (rule C adds correct \
         single-operator samples for balance).\n",
        kept.len(),
        data.samples.len(),
        data.runs.len(),
        env!("CARGO_PKG_VERSION")
    );
    sources(&mut out, data);
    options(&mut out, data);
    rules(&mut out, &kept);
    categories(&mut out, data);
    difficulties(&mut out, data, &kept);
    tokens(&mut out, &kept);
    filters(&mut out, data);
    holdout(&mut out, data);
    out.push_str(FILES_AND_FIELDS);
    out
}

/// The source runs.
fn sources(out: &mut String, data: &Dataset) {
    out.push_str("## Sources\n\n| run | model | backend | sizes | created | finished | sample turns | kept |\n|---|---|---|---|---|---|---|---|\n");
    for (i, r) in data.runs.iter().enumerate() {
        let of_run = data.samples.iter().filter(|s| s.run == i);
        let (n, k) = of_run.fold((0, 0), |(n, k), s| {
            (n + 1, k + usize::from(s.rule.is_some()))
        });
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {n} | {k} |",
            r.id,
            cell(&r.model),
            r.backend,
            r.sizes,
            r.created_at,
            r.finished_at.as_deref().unwrap_or("in progress")
        );
    }
}

/// The options the selection ran with.
fn options(out: &mut String, data: &Dataset) {
    let o = &data.options;
    let rules: Vec<&str> = o.rules.iter().map(|r| r.as_str()).collect();
    let mode = match o.difficulty {
        DifficultyMode::Buckets => "buckets",
        DifficultyMode::Tertiles => "tertiles",
    };
    let _ = writeln!(
        out,
        "\n## Selection\n\nRules {} (rule B above {}x), timing spread at most {}, difficulty \
         by {mode}.\n\n- **A**: per task, backend and size profile, the sample with the \
         shortest trace if it is also the fastest, among the samples that passed every \
         filter (ties: the earliest sample).\n\
         - **B**: every sample that passed the filters with a speedup above the threshold.\n\
         - **C**: single-operator samples (every category but {}), shortest trace first, one \
         per task, backend and size profile in turn, until they are as many as the \
         multi-operator samples A and B kept.\n\n\
         A sample two rules keep counts for the first. Speedup is the stored one: the \
         backend's baseline median (the Rust reference for host kernels) over the kernel's median \
         time.",
        rules.join(", "),
        o.speedup_b,
        o.max_spread,
        MULTI_OPERATOR_CATEGORIES.join(" and ")
    );
}

/// Kept samples per rule.
fn rules(out: &mut String, kept: &[&Curated]) {
    out.push_str("\n| rule | kept |\n|---|---|\n");
    for rule in [Rule::A, Rule::B, Rule::C] {
        let n = kept.iter().filter(|s| s.rule == Some(rule)).count();
        let _ = writeln!(out, "| {} | {n} |", rule.as_str());
    }
}

/// Kept and stored samples per category.
fn categories(out: &mut String, data: &Dataset) {
    let mut per: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for s in &data.samples {
        let e = per.entry(s.category()).or_default();
        e.0 += 1;
        e.1 += usize::from(s.rule.is_some());
        e.2 += usize::from(s.rule.is_none() && s.reasons.first() == Some(&Reason::NotSelected));
    }
    out.push_str("\n## Categories\n\n| category | sample turns | kept | passed the filters, not selected |\n|---|---|---|---|\n");
    for (c, (n, k, ns)) in per {
        let _ = writeln!(out, "| {c} | {n} | {k} | {ns} |");
    }
}

/// Tasks and kept samples per difficulty.
fn difficulties(out: &mut String, data: &Dataset, kept: &[&Curated]) {
    let d = &data.difficulties;
    let (medium, hard) = d.bounds;
    let bounds = match data.options.difficulty {
        DifficultyMode::Buckets => {
            format!("easy below {medium} tokens, medium {medium} to {hard}, hard above {hard}")
        }
        DifficultyMode::Tertiles => format!(
            "tertiles of the tasks by ARL: medium from {}, hard from {}",
            tokens_text(medium),
            tokens_text(hard)
        ),
    };
    let _ = writeln!(
        out,
        "\n## Difficulty\n\nA task's ARL is the mean reasoning length over all of its \
         generations in the source runs that have a trace, whatever their outcome; held-out \
         tasks have none (`unknown`) and move no bound; {bounds}.\n\n| difficulty | tasks | \
         kept |\n|---|---|---|"
    );
    for level in Difficulty::ALL {
        let tasks = d.tasks.values().filter(|(_, x)| *x == level).count();
        let k = kept
            .iter()
            .filter(|s| d.tasks.get(&s.row.sample.task_id).map(|(_, x)| *x) == Some(level))
            .count();
        let _ = writeln!(out, "| {} | {tasks} | {k} |", level.as_str());
    }
}

/// A token bound, or "none" when no task reaches it.
fn tokens_text(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.1}")
    } else {
        "none".into()
    }
}

/// Token statistics of the kept samples.
fn tokens(out: &mut String, kept: &[&Curated]) {
    let reasoning: Vec<u64> = kept.iter().filter_map(|s| s.trace_tokens).collect();
    let answer: Vec<u64> = kept
        .iter()
        .filter_map(|s| s.row.output_tokens.map(|n| n.max(0) as u64))
        .collect();
    let estimated = kept.iter().filter(|s| s.trace_estimated).count();
    out.push_str("\n## Tokens of the kept samples\n\n| tokens | samples | min | median | mean | max | total |\n|---|---|---|---|---|---|---|\n");
    for (name, values) in [("reasoning", &reasoning), ("answer (as billed)", &answer)] {
        let _ = writeln!(out, "| {name} | {} |", stats(values));
    }
    let unknown_finish = kept
        .iter()
        .filter(|s| s.row.finish_reason.is_none())
        .count();
    let _ = writeln!(
        out,
        "\n{estimated} of the kept traces had no token count from their provider: \
         estimated as characters / 4. {unknown_finish} had no finish reason (replayed, or \
         stored before schema 5): a cut-off trace among them could not be told apart."
    );
}

/// `samples | min | median | mean | max | total` of a list.
fn stats(values: &[u64]) -> String {
    if values.is_empty() {
        return "0 | - | - | - | - | 0".into();
    }
    let mut v = values.to_vec();
    v.sort_unstable();
    let n = v.len();
    let total: u64 = v.iter().sum();
    let median = if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
    };
    format!(
        "{n} | {} | {median:.1} | {:.1} | {} | {total}",
        v[0],
        total as f64 / n as f64,
        v[n - 1]
    )
}

/// The filters with their counts.
fn filters(out: &mut String, data: &Dataset) {
    out.push_str(
        "\n## Filters\n\nEvery rejected sample is in `rejects.jsonl` with its first reason \
         (`reason`) and every reason that applies (`reasons`).\n\n| reason | what it checks | \
         rejected (first reason) | applies to |\n|---|---|---|---|\n",
    );
    for reason in Reason::ALL {
        let first = data
            .samples
            .iter()
            .filter(|s| s.reasons.first() == Some(&reason))
            .count();
        let any = data
            .samples
            .iter()
            .filter(|s| s.reasons.contains(&reason))
            .count();
        let _ = writeln!(
            out,
            "| `{}` | {} | {first} | {any} |",
            reason.as_str(),
            reason.description()
        );
    }
}

/// The hold-out list.
fn holdout(out: &mut String, data: &Dataset) {
    out.push_str("\n## Hold-out\n\n");
    if data.holdout.entries.is_empty() {
        out.push_str("No task was held out.\n");
        return;
    }
    let held = data
        .samples
        .iter()
        .filter(|s| s.reasons.first() == Some(&Reason::Holdout))
        .count();
    let _ = writeln!(
        out,
        "Held out ({held} sample turns; their texts are written nowhere: `rejects.jsonl` \
         lists them by id and reason only):\n"
    );
    for e in &data.holdout.entries {
        let _ = writeln!(out, "- `{e}`");
    }
}

/// A table cell's text with its pipes escaped.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// The files and their fields.
const FILES_AND_FIELDS: &str = "
## Files

- `train.jsonl`: `messages`, a user turn (the prompt the model was sent) and an assistant
  turn (the reasoning between `<think>` and `</think>`, then the answer), for chat
  fine-tuning.
- `train_prompt_completion.jsonl`: the same samples as `prompt` and `completion`.
- `rejects.jsonl`: every other sample turn with `reason`, `reasons`, `detail`, `outcome`,
  `correct`, `prompt` and `completion` (negatives; held-out tasks' without prompt or
  completion).

Every record also has `task_id`, `category`, `backend`, `sizes`, `model`, `run`, `sample`,
`turn`, `speedup`, `reasoning_tokens`, `reasoning_tokens_estimated`, `rule`,
`difficulty` and `task_arl`.

```python
from datasets import load_dataset
train = load_dataset(\"json\", data_files=\"train.jsonl\", split=\"train\")
```
";
