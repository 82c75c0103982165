//! Every registered task, by category, and the helpers their definitions share.
//!
//! A task is defined in the file of its category with [`TaskBuilder`]: its PyTorch
//! source (`tasks/<category>/<name>.py`), inputs, parameters, outputs, cost and a
//! reference written against [`crate::ops`].

mod activation;
mod arch;
mod broadcast;
mod convolution;
mod exemplars;
mod fuse;
mod index;
mod loss;
mod math;
mod matmul;
mod normalization;
mod optimizer;
mod pooling;
mod reduce;
mod resize;

use crate::error::{Result, TaskError};
use crate::generator::Init;
use crate::ops::{self, Tensor};
use crate::spec::{Category, InputCondition, OutputSpec, ReferenceFn, Task, TensorSpec, Tolerance};
use crate::tensor::{DType, HostTensor};
use std::sync::OnceLock;

/// The PyTorch source of a task, `tasks/<category>/<name>.py`, embedded at build time.
macro_rules! py {
    ($path:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/", $path, ".py"))
    };
}
pub(crate) use py;

/// All registered tasks, sorted by identifier.
pub fn all() -> &'static [Task] {
    static TASKS: OnceLock<Vec<Task>> = OnceLock::new();
    TASKS.get_or_init(|| {
        let mut tasks: Vec<Task> = [
            activation::tasks(),
            broadcast::tasks(),
            convolution::tasks(),
            arch::tasks(),
            fuse::tasks(),
            loss::tasks(),
            math::tasks(),
            matmul::tasks(),
            normalization::tasks(),
            optimizer::tasks(),
            pooling::tasks(),
            index::tasks(),
            resize::tasks(),
            reduce::tasks(),
        ]
        .into_iter()
        .flatten()
        .collect();
        tasks.sort_by_key(Task::id);
        tasks
    })
}

/// The one-shot exemplars (none of them a benchmark task): one per category, then the
/// elementwise-add exemplar.
pub fn exemplars() -> &'static [Task] {
    static EXEMPLARS: OnceLock<Vec<Task>> = OnceLock::new();
    EXEMPLARS.get_or_init(exemplars::tasks)
}

/// The exemplar of `category`.
pub fn exemplar(category: Category) -> Option<&'static Task> {
    exemplars().iter().find(|t| t.category == category)
}

/// The elementwise-add exemplar of the paper's `add-shot` strategy.
pub fn add_exemplar() -> Option<&'static Task> {
    exemplars().iter().find(|t| t.name == "elementwise_add")
}

/// A benchmark task or, with the `exemplar:` prefix, an exemplar.
pub fn find_any(id: &str) -> Result<&'static Task> {
    match id.strip_prefix("exemplar:") {
        Some(rest) => exemplars()
            .iter()
            .find(|t| t.id() == rest)
            .ok_or_else(|| TaskError::UnknownTask { id: id.to_string() }),
        None => find(id),
    }
}

/// The identifier [`find_any`] finds `task` by: its id, prefixed with `exemplar:` for
/// an exemplar.
pub fn key_of(task: &Task) -> String {
    if exemplars().iter().any(|e| std::ptr::eq(e, task)) {
        format!("exemplar:{}", task.id())
    } else {
        task.id()
    }
}

/// The task with identifier `id` (`<category>/<name>`).
pub fn find(id: &str) -> Result<&'static Task> {
    all()
        .iter()
        .find(|t| t.id() == id)
        .ok_or_else(|| TaskError::UnknownTask { id: id.to_string() })
}

/// Builds a [`Task`] step by step.
pub(crate) struct TaskBuilder {
    task: Task,
}

/// Starts a task definition.
pub(crate) fn task(
    category: Category,
    name: &'static str,
    summary: &'static str,
    source: &'static str,
    reference: ReferenceFn,
) -> TaskBuilder {
    TaskBuilder {
        task: Task {
            category,
            name,
            summary,
            inputs: Vec::new(),
            params: Vec::new(),
            outputs: Vec::new(),
            tolerance: Tolerance::DEFAULT,
            tolerance_reason: None,
            flops: 0,
            notes: None,
            condition: None,
            source,
            reference,
        },
    }
}

impl TaskBuilder {
    /// Adds a forward input; its dtype follows the distribution.
    pub(crate) fn input(mut self, name: &'static str, shape: &[usize], init: Init) -> Self {
        self.task.inputs.push(spec(name, shape, init));
        self
    }

    /// Draws the input `name`, declared already, from `init` instead (a departure from
    /// the original that the task's notes explain).
    pub(crate) fn redraw(mut self, name: &str, init: Init) -> Self {
        for spec in self.task.inputs.iter_mut().filter(|s| s.name == name) {
            spec.init = init;
        }
        self
    }

    /// Adds a parameter, named by its `state_dict` key.
    pub(crate) fn param(mut self, name: &'static str, shape: &[usize], init: Init) -> Self {
        self.task.params.push(spec(name, shape, init));
        self
    }

    /// Adds an f32 output.
    pub(crate) fn output(self, name: &'static str, shape: &[usize]) -> Self {
        self.output_of(name, shape, DType::F32)
    }

    /// Adds an output of the given dtype.
    pub(crate) fn output_of(mut self, name: &'static str, shape: &[usize], dtype: DType) -> Self {
        self.task.outputs.push(OutputSpec {
            name,
            dtype,
            shape: shape.to_vec(),
        });
        self
    }

    /// Sets the FLOPs of one forward.
    pub(crate) fn flops(mut self, flops: u64) -> Self {
        self.task.flops = flops;
        self
    }

    /// Sets a tolerance other than the default, with the reason.
    pub(crate) fn tolerance(mut self, tolerance: Tolerance, reason: &'static str) -> Self {
        self.task.tolerance = tolerance;
        self.task.tolerance_reason = Some(reason);
        self
    }

    /// Records a departure from the original task.
    pub(crate) fn notes(mut self, notes: &'static str) -> Self {
        self.task.notes = Some(notes);
        self
    }

    /// Moves generated inputs away from a discontinuity of the task.
    pub(crate) fn condition(mut self, apply: fn(&mut [HostTensor]), reason: &'static str) -> Self {
        self.task.condition = Some(InputCondition { apply, reason });
        self
    }

    /// Finishes the definition.
    pub(crate) fn build(self) -> Task {
        self.task
    }
}

fn spec(name: &'static str, shape: &[usize], init: Init) -> TensorSpec {
    TensorSpec {
        name,
        dtype: init.natural_dtype(),
        shape: shape.to_vec(),
        init,
    }
}

/// Element count of a shape as `u64`, for FLOP formulas.
pub(crate) fn n(shape: &[usize]) -> u64 {
    shape.iter().product::<usize>() as u64
}

/// Loads tensor `i` of a reference's arguments as an f32 tensor of rank `D`.
pub(crate) fn arg<const D: usize>(args: &[HostTensor], i: usize) -> Result<Tensor<D>> {
    let t = args
        .get(i)
        .ok_or_else(|| TaskError::Shape(format!("missing argument {i}")))?;
    ops::load(t, &format!("argument {i}"))
}

/// Host tensor `i` of a reference's arguments, for the host-side kernels of
/// [`ops::elementwise`].
pub(crate) fn host(args: &[HostTensor], i: usize) -> Result<&HostTensor> {
    args.get(i)
        .ok_or_else(|| TaskError::Shape(format!("missing argument {i}")))
}

/// Loads tensor `i` of a reference's arguments as a boolean tensor of rank `D`.
pub(crate) fn bool_arg<const D: usize>(
    args: &[HostTensor],
    i: usize,
) -> Result<Tensor<D, ops::Bool>> {
    let t = args
        .get(i)
        .ok_or_else(|| TaskError::Shape(format!("missing argument {i}")))?;
    ops::load_bool(t, &format!("argument {i}"))
}

/// Reads the single f32 element of a 0-d (or one-element) argument.
pub(crate) fn scalar_arg(args: &[HostTensor], i: usize) -> Result<f32> {
    let t = args
        .get(i)
        .ok_or_else(|| TaskError::Shape(format!("missing argument {i}")))?;
    match t.as_f32(&format!("argument {i}"))? {
        [v] => Ok(*v),
        other => Err(TaskError::Shape(format!(
            "argument {i} must hold one element, holds {}",
            other.len()
        ))),
    }
}

/// Reference of a task whose one output is the scalar function `f` applied to every
/// element of its one f32 input, on the host buffers ([`ops::elementwise::map`]).
pub(crate) fn unary_map(
    args: &[HostTensor],
    f: impl Fn(f32) -> f32 + Sync,
) -> Result<Vec<HostTensor>> {
    let t = args
        .first()
        .ok_or_else(|| TaskError::Shape("missing argument 0".into()))?;
    Ok(vec![ops::elementwise::map(t, "argument 0", f)?])
}

/// Wraps one f32 output.
pub(crate) fn one<const D: usize>(t: Tensor<D>) -> Result<Vec<HostTensor>> {
    Ok(vec![ops::store(t)?])
}

/// Wraps a one-element tensor as a 0-d f32 output (PyTorch's scalar results).
pub(crate) fn scalar_out(t: Tensor<1>) -> Result<Vec<HostTensor>> {
    let mut host = ops::store(t)?;
    if host.len() != 1 {
        return Err(TaskError::Shape(format!(
            "a scalar output must hold one element, holds {}",
            host.len()
        )));
    }
    host.shape.clear();
    Ok(vec![host])
}
