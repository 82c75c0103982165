//! The task contract: what a task declares about itself.

use crate::declare::SizeProfile;
use crate::declare::schema::Args;
use crate::error::{Result, TaskError};
use crate::generator::Init;
use crate::tensor::{DType, HostTensor, numel};
use serde::Serialize;
use std::borrow::Cow;

/// The categories of the MultiKernelBench set: the paper's 14 and attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// Elementwise activations and softmax-like rows.
    Activation,
    /// Elementwise ops with broadcasting.
    Broadcast,
    /// Convolutions, plain and transposed.
    Convolution,
    /// Whole architectures (MLP, ResNet blocks, RNNs, ...).
    Arch,
    /// Fused operator chains (GEMM or conv plus epilogue).
    Fuse,
    /// Loss functions.
    Loss,
    /// Scans and scalar arithmetic.
    Math,
    /// Matrix multiplications.
    Matmul,
    /// Normalisation layers.
    Normalization,
    /// Optimiser update steps.
    Optimizer,
    /// Pooling.
    Pooling,
    /// Gather, scatter and friends.
    Index,
    /// Up- and down-sampling.
    Resize,
    /// Reductions over a dimension.
    Reduce,
    /// Attention layers (added upstream after the paper: not among its 285 tasks).
    Attention,
}

impl Category {
    /// All categories, in the order of the data file: the paper's fourteen, then
    /// attention.
    pub const ALL: [Category; 15] = [
        Category::Activation,
        Category::Broadcast,
        Category::Convolution,
        Category::Arch,
        Category::Fuse,
        Category::Loss,
        Category::Math,
        Category::Matmul,
        Category::Normalization,
        Category::Optimizer,
        Category::Pooling,
        Category::Index,
        Category::Resize,
        Category::Reduce,
        Category::Attention,
    ];

    /// The lowercase name used in task identifiers and folders.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Activation => "activation",
            Category::Broadcast => "broadcast",
            Category::Convolution => "convolution",
            Category::Arch => "arch",
            Category::Fuse => "fuse",
            Category::Loss => "loss",
            Category::Math => "math",
            Category::Matmul => "matmul",
            Category::Normalization => "normalization",
            Category::Optimizer => "optimizer",
            Category::Pooling => "pooling",
            Category::Index => "index",
            Category::Resize => "resize",
            Category::Reduce => "reduce",
            Category::Attention => "attention",
        }
    }

    /// Whether the category is one of the paper's fourteen, whose tasks make up its
    /// 285 (attention is not: summaries of the paper's set leave it out).
    pub fn in_paper(self) -> bool {
        self != Category::Attention
    }

    /// Parses a category name.
    pub fn parse(name: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A generated tensor: a forward input or a module parameter.
#[derive(Debug, Clone, Serialize)]
pub struct TensorSpec {
    /// Input name as in `forward`, or the parameter's `state_dict` key.
    pub name: &'static str,
    /// Element type.
    pub dtype: DType,
    /// Extent of each dimension.
    pub shape: Vec<usize>,
    /// Distribution of the elements.
    pub init: Init,
}

impl TensorSpec {
    /// Generates this tensor for `(task_id, seed)`.
    pub fn generate(&self, task_id: &str, seed: u64) -> HostTensor {
        self.init.generate(task_id, seed, self.name, &self.shape)
    }

    /// Size in bytes.
    pub fn size_bytes(&self) -> usize {
        numel(&self.shape) * self.dtype.size_bytes()
    }
}

/// An output the kernel must write: name, dtype and final shape.
#[derive(Debug, Clone, Serialize)]
pub struct OutputSpec {
    /// Output name.
    pub name: &'static str,
    /// Element type.
    pub dtype: DType,
    /// Extent of each dimension (empty for a scalar).
    pub shape: Vec<usize>,
}

impl OutputSpec {
    /// Size in bytes.
    pub fn size_bytes(&self) -> usize {
        numel(&self.shape) * self.dtype.size_bytes()
    }
}

/// Elementwise tolerance: `|out - ref| <= atol + rtol * |ref|`, NaN never passes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Tolerance {
    /// Absolute part.
    pub atol: f64,
    /// Relative part.
    pub rtol: f64,
}

impl Tolerance {
    /// MultiKernelBench's protocol: `atol = rtol = 1e-2`.
    pub const DEFAULT: Tolerance = Tolerance {
        atol: 1e-2,
        rtol: 1e-2,
    };

    /// True when `out` is within tolerance of `reference`; a non-finite reference
    /// (an infinity) accepts only itself, and a NaN is never accepted.
    pub fn accepts(&self, out: f64, reference: f64) -> bool {
        (reference.is_finite()
            && (out - reference).abs() <= self.atol + self.rtol * reference.abs())
            || out == reference
    }
}

/// A task's cost, for the roofline: floating-point operations and the minimum bytes
/// that must move (every input and parameter read once, every output written once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Cost {
    /// Floating-point operations of one forward (multiply-add counts as 2).
    pub flops: u64,
    /// Minimum bytes moved.
    pub bytes: u64,
}

/// A Rust reference forward: inputs then parameters in declared order, and the
/// declaration's arguments; outputs in declared order.
pub type ReferenceFn = fn(&[HostTensor], &Args) -> Result<Vec<HostTensor>>;

/// A joint adjustment of freshly generated inputs, for tasks whose result jumps at a
/// threshold (a `sign`): it moves the few elements that sit within rounding of the jump,
/// so that a correct kernel that rounds in another order (an FMA) cannot land on the
/// other side. Deterministic, so the parity check sees the same inputs.
#[derive(Debug, Clone, Copy)]
pub struct InputCondition {
    /// Adjusts inputs then parameters, in declared order, in place.
    pub apply: fn(&mut [HostTensor]),
    /// What it changes and why, shown with the task.
    pub reason: &'static str,
}

/// One benchmark task.
#[derive(Debug, Clone)]
pub struct Task {
    /// Category, the first half of the identifier.
    pub category: Category,
    /// Name, the second half of the identifier.
    pub name: &'static str,
    /// One line on what it computes.
    pub summary: &'static str,
    /// Forward inputs, in `forward` order.
    pub inputs: Vec<TensorSpec>,
    /// Module parameters and buffers, named by `state_dict` key.
    pub params: Vec<TensorSpec>,
    /// Outputs.
    pub outputs: Vec<OutputSpec>,
    /// Pass criterion.
    pub tolerance: Tolerance,
    /// Why the tolerance differs from the default, when it does.
    pub tolerance_reason: Option<&'static str>,
    /// Floating-point operations of one forward.
    pub flops: u64,
    /// Departures from the original task (quirks resolved, shapes changed).
    pub notes: Option<&'static str>,
    /// Inputs moved away from a discontinuity after generation, when the task has one.
    pub condition: Option<InputCondition>,
    /// The PyTorch source shown to models (`Model`, `get_inputs`, `get_init_inputs`),
    /// with the sizes of [`Task::profile`].
    pub source: Cow<'static, str>,
    /// The ground-truth forward.
    pub reference: ReferenceFn,
    /// The declared arguments of the reference.
    pub args: &'static Args,
    /// The size profile the shapes belong to.
    pub profile: SizeProfile,
}

impl Task {
    /// `<category>/<name>`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.category, self.name)
    }

    /// FLOPs and minimum bytes moved.
    pub fn cost(&self) -> Cost {
        let bytes = self
            .inputs
            .iter()
            .map(TensorSpec::size_bytes)
            .sum::<usize>()
            + self
                .params
                .iter()
                .map(TensorSpec::size_bytes)
                .sum::<usize>()
            + self
                .outputs
                .iter()
                .map(OutputSpec::size_bytes)
                .sum::<usize>();
        Cost {
            flops: self.flops,
            bytes: bytes as u64,
        }
    }

    /// Generates the inputs followed by the parameters for `seed`.
    pub fn generate(&self, seed: u64) -> Vec<HostTensor> {
        let id = self.id();
        let mut tensors: Vec<HostTensor> = self
            .inputs
            .iter()
            .chain(&self.params)
            .map(|spec| spec.generate(&id, seed))
            .collect();
        if let Some(condition) = self.condition {
            (condition.apply)(&mut tensors);
        }
        tensors
    }

    /// Runs the reference on `tensors` (inputs then parameters) and checks that the
    /// outputs have the declared shapes and dtypes.
    pub fn run_reference(&self, tensors: &[HostTensor]) -> Result<Vec<HostTensor>> {
        let expected = self.inputs.len() + self.params.len();
        if tensors.len() != expected {
            return Err(TaskError::Arity {
                task: self.id(),
                expected,
                found: tensors.len(),
            });
        }
        let outputs = (self.reference)(tensors, self.args)?;
        if outputs.len() != self.outputs.len() {
            return Err(TaskError::Shape(format!(
                "{}: reference returned {} outputs, {} declared",
                self.id(),
                outputs.len(),
                self.outputs.len()
            )));
        }
        for (out, spec) in outputs.iter().zip(&self.outputs) {
            if out.shape != spec.shape || out.dtype() != spec.dtype {
                return Err(TaskError::Shape(format!(
                    "{}: output `{}` is {:?} {}, declared {:?} {}",
                    self.id(),
                    spec.name,
                    out.shape,
                    out.dtype().name(),
                    spec.shape,
                    spec.dtype.name()
                )));
            }
        }
        Ok(outputs)
    }
}
