//! Building the prompt of a task: the backend's `minijinja` template
//! (`prompts/<backend>/prompt.jinja`), the ABI, the device, the task's PyTorch source
//! and, by strategy, a one-shot exemplar (its PyTorch source and the backend's
//! solution).

use kbench_backends::{ABI_HEADER, Backend, DeviceInfo, PromptAssets};
use kbench_tasks::{Task, registry};
use minijinja::syntax::SyntaxConfig;
use minijinja::value::{Serde, Value};
use minijinja::{Environment, context};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Errors of prompt building.
#[derive(Debug, Error)]
pub enum PromptError {
    /// The template did not render.
    #[error("prompt template: {0}")]
    Render(#[from] minijinja::Error),
    /// The strategy name is unknown.
    #[error("unknown strategy `{0}`: use zero-shot, add-shot or category-shot")]
    UnknownStrategy(String),
    /// The exemplar has no solution for this backend.
    #[error("exemplar {0} has no solution for this backend")]
    NoSolution(String),
}

/// Which exemplar the prompt shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// No exemplar.
    ZeroShot,
    /// Always the elementwise-add exemplar (MultiKernelBench's baseline).
    AddShot,
    /// The exemplar of the task's own category (the default).
    CategoryShot,
}

impl std::str::FromStr for Strategy {
    type Err = PromptError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "zero-shot" => Ok(Strategy::ZeroShot),
            "add-shot" => Ok(Strategy::AddShot),
            "category-shot" => Ok(Strategy::CategoryShot),
            other => Err(PromptError::UnknownStrategy(other.to_string())),
        }
    }
}

/// The exemplar task a strategy shows for `task`.
pub fn exemplar_for(task: &Task, strategy: Strategy) -> Option<&'static Task> {
    match strategy {
        Strategy::ZeroShot => None,
        Strategy::AddShot => registry::add_exemplar(),
        Strategy::CategoryShot => registry::exemplar(task.category),
    }
}

/// "x: float32 [16, 16384]; weight: ..." for inputs, parameters and outputs.
fn signature(task: &Task) -> String {
    let tensors = task
        .inputs
        .iter()
        .chain(&task.params)
        .enumerate()
        .map(|(i, s)| format!("in[{i}] {}: {} {:?}", s.name, s.dtype.name(), s.shape));
    let outputs = task
        .outputs
        .iter()
        .enumerate()
        .map(|(i, o)| format!("out[{i}] {}: {} {:?}", o.name, o.dtype.name(), o.shape));
    tensors.chain(outputs).collect::<Vec<_>>().join("; ")
}

fn caches(device: &DeviceInfo) -> String {
    device
        .caches
        .iter()
        .map(|&(level, bytes)| {
            if bytes >= 1 << 20 {
                format!("L{level} {} MiB", bytes >> 20)
            } else {
                format!("L{level} {} KiB", bytes >> 10)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Renders the prompt of `task` for `backend` with `strategy`.
pub fn render(
    task: &Task,
    backend: &dyn Backend,
    strategy: Strategy,
) -> Result<String, PromptError> {
    render_with(task, &backend.prompt_assets(), &backend.device(), strategy)
}

/// Renders the prompt of `task` from a backend's prompt assets for `device`.
pub fn render_with(
    task: &Task,
    assets: &PromptAssets,
    device: &DeviceInfo,
    strategy: Strategy,
) -> Result<String, PromptError> {
    let exemplar = match exemplar_for(task, strategy) {
        Some(ex) => {
            let solution = assets
                .exemplar(&ex.id())
                .ok_or_else(|| PromptError::NoSolution(ex.id()))?;
            Some(context! {
                source => ex.source.trim_end(),
                signature => signature(ex),
                solution => solution.trim_end(),
            })
        }
        None => None,
    };
    let mut env = Environment::new();
    env.set_syntax(SyntaxConfig::builder().trim_blocks(true).build()?);
    env.add_template("prompt", assets.template)?;
    let rendered = env.get_template("prompt")?.render(context! {
        abi => ABI_HEADER.trim_end(),
        compile => assets.compile_command.as_str(),
        fence => assets.fence,
        device => Value::from(Serde(device)),
        caches => caches(device),
        exemplar => exemplar,
        task => context! {
            id => task.id(),
            source => task.source.trim_end(),
            signature => signature(task),
        },
    })?;
    Ok(rendered)
}

/// The prompt of the next turn: the first prompt, the previous kernel, and what was
/// wrong with it (compile errors, the mismatch, or its time against the baseline).
/// `fence` is the backend's code-fence tag.
pub fn repair(first_prompt: &str, previous: &crate::store::TurnRow, fence: &str) -> String {
    use crate::outcome::Outcome;
    let feedback = match previous.outcome {
        Outcome::NoCode => format!("Your previous answer contained no ```{fence} code block."),
        Outcome::CompileError => {
            let log: String = previous
                .compile_log
                .as_deref()
                .unwrap_or_default()
                .chars()
                .take(4000)
                .collect();
            format!("It failed to compile:\n\n```\n{}\n```", log.trim_end())
        }
        Outcome::Fault => format!(
            "It crashed or failed while running: {}",
            previous.detail.as_deref().unwrap_or("no detail")
        ),
        Outcome::Wrong => format!(
            "It compiled but its results were wrong: {}",
            previous.detail.as_deref().unwrap_or("no detail")
        ),
        _ => match (previous.kernel_median_s, previous.speedup) {
            (Some(t), Some(s)) => format!(
                "It is correct but slow: its median time was {:.3} ms, {:.2}x the speed of \
                 the reference ({:.3} ms). Make it faster.",
                t * 1e3,
                s,
                t * s * 1e3
            ),
            _ => "It is correct. Make it faster.".to_string(),
        },
    };
    let code = previous.code.as_deref().unwrap_or("(no code)");
    format!(
        "{first_prompt}\n\n## Your previous answer (turn {})\n\n```{fence}\n{}\n```\n\n{feedback}\n\n\
         Write an improved kernel. Answer with the complete source in one ```{fence} code \
         block, and nothing else.\n",
        previous.turn,
        code.trim_end()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device() -> DeviceInfo {
        DeviceInfo {
            backend: "test".into(),
            name: "Test CPU".into(),
            cores: 8,
            simd: "avx2".into(),
            caches: vec![(1, 32 << 10), (3, 16 << 20)],
            compiler: "g++ 12".into(),
        }
    }

    fn prompt(id: &str, strategy: Strategy) -> String {
        let task = registry::find(id).expect("registered");
        let backend = kbench_backends::backend_by_name(kbench_backends::DEFAULT_BACKEND)
            .expect("the default backend exists");
        render_with(task, &backend.prompt_assets(), &device(), strategy).expect("renders")
    }

    #[test]
    fn category_shot_shows_the_category_exemplar_and_the_task() {
        let text = prompt("activation/relu", Strategy::CategoryShot);
        assert!(
            text.contains("F.relu6(x)"),
            "the activation exemplar's source"
        );
        assert!(
            text.contains("std::min(6.0f, std::max(0.0f, x[i]))"),
            "its solution"
        );
        assert!(text.contains("return torch.relu(x)"), "the task's source");
        assert!(text.contains("in[0] x: float32 [16, 16384]; out[0] y: float32 [16, 16384]"));
        assert!(text.contains("Test CPU: 8 cores, widest SIMD avx2, caches L1 32 KiB, L3 16 MiB"));
        assert!(text.contains("typedef struct {"), "the ABI");
        assert!(
            text.contains("-Wl,--no-undefined"),
            "the real compile flags"
        );
        assert!(text.contains("Output only the code"));
    }

    #[test]
    fn zero_and_add_shot() {
        let zero = prompt("matmul/standard_matrix_multiplication", Strategy::ZeroShot);
        assert!(!zero.contains("## An example"));
        let add = prompt("matmul/standard_matrix_multiplication", Strategy::AddShot);
        assert!(
            add.contains("c[i] = a[i] + b[i]"),
            "the add exemplar's solution"
        );
        assert!(!add.contains("outer"), "not the matmul exemplar");
    }

    #[test]
    fn repair_prompts_carry_the_feedback() {
        use crate::outcome::Outcome;
        let row = |outcome: Outcome| crate::store::TurnRow {
            turn: 1,
            prompt: None,
            outcome,
            correct: outcome == crate::outcome::Outcome::Correct,
            code: Some("int kb_forward();".into()),
            detail: Some("trial 0: 12 elements out of tolerance".into()),
            compile_log: Some("kernel.cpp:3: error: expected ';'".into()),
            kernel_median_s: Some(0.002),
            speedup: Some(0.5),
        };
        let compile = repair("FIRST", &row(Outcome::CompileError), "cpp");
        assert!(compile.starts_with("FIRST"));
        assert!(compile.contains("expected ';'") && compile.contains("int kb_forward();"));
        assert!(
            repair("FIRST", &row(Outcome::Wrong), "cpp").contains("12 elements out of tolerance")
        );
        let slow = repair("FIRST", &row(Outcome::Correct), "cpp");
        assert!(
            slow.contains("2.000 ms") && slow.contains("0.50x"),
            "{slow}"
        );
    }

    #[test]
    fn strategies_parse_and_missing_exemplars_fail() {
        assert_eq!("add-shot".parse::<Strategy>().ok(), Some(Strategy::AddShot));
        assert!("few-shot".parse::<Strategy>().is_err());
        let task = registry::find("activation/relu").expect("registered");
        let assets = PromptAssets {
            template: "{{ task.id }}",
            compile_command: "cc".into(),
            fence: "c",
            exemplars: &[],
        };
        assert!(render_with(task, &assets, &device(), Strategy::CategoryShot).is_err());
        assert_eq!(
            render_with(task, &assets, &device(), Strategy::ZeroShot).ok(),
            Some("activation/relu".to_string())
        );
    }

    #[test]
    fn no_prompt_shows_a_benchmark_task_as_exemplar() {
        for task in registry::all() {
            let ex = exemplar_for(task, Strategy::CategoryShot).expect("every category has one");
            assert_ne!(
                ex.source,
                task.source,
                "{} would see its own answer",
                task.id()
            );
        }
    }
}
