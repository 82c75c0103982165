//! The declaration of one task, as written in `tasks/<category>/<name>.toml`.
//!
//! Every number that depends on the task's size is an integer or an expression over the
//! size constants of the task's `.py` ([`super::expr`]), so the shapes are written once
//! and follow the size profile. See `tasks/README.md` for the format with examples.

use super::expr::Sizes;
use crate::tensor::DType;
use serde::Deserialize;
use std::collections::BTreeMap;

/// One task's declaration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Declaration {
    /// One line on what it computes.
    pub summary: String,
    /// The reference function that computes it, by name (`crate::references`).
    pub reference: String,
    /// Arguments of the reference function (a stride, an `eps`), literal values.
    #[serde(default)]
    pub args: Args,
    /// Floating-point operations of one forward.
    pub flops: Dim,
    /// A pass criterion other than the default, with the reason.
    #[serde(default)]
    pub tolerance: Option<ToleranceDecl>,
    /// Departures from the original task, and why.
    #[serde(default)]
    pub notes: Option<String>,
    /// A named adjustment of generated inputs (`crate::references::conditions`).
    #[serde(default)]
    pub condition: Option<String>,
    /// Size constants of the `.py` overridden by each profile other than `paper`.
    #[serde(default)]
    pub sizes: ProfileSizes,
    /// Forward inputs, in `forward` order.
    #[serde(default, rename = "input")]
    pub inputs: Vec<TensorDecl>,
    /// Module parameters and buffers, by `state_dict` key, in `state_dict` order.
    #[serde(default, rename = "param")]
    pub params: Vec<TensorDecl>,
    /// Outputs, in order.
    #[serde(rename = "output")]
    pub outputs: Vec<OutputDecl>,
}

/// The overrides of each size profile.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileSizes {
    /// The upstream sizes of 2026-01.
    #[serde(default)]
    pub current: Sizes,
}

/// An integer or an expression over the size constants.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Dim {
    /// A literal.
    Int(i64),
    /// An expression ([`super::expr::eval`]).
    Expr(String),
}

/// A generated tensor.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TensorDecl {
    /// Input name or `state_dict` key.
    pub name: String,
    /// Extent of each dimension (empty for a 0-d tensor).
    pub shape: Vec<Dim>,
    /// When given, only the first `rank` dimensions of `shape` are kept: for a tensor
    /// whose rank differs between profiles (the `.py` slices its shape tuple with the
    /// same size constant).
    #[serde(default)]
    pub rank: Option<Dim>,
    /// How its elements are drawn.
    pub init: InitDecl,
}

/// An output.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputDecl {
    /// Output name.
    pub name: String,
    /// Extent of each dimension (empty for a scalar).
    pub shape: Vec<Dim>,
    /// Element type, `f32` when absent.
    #[serde(default)]
    pub dtype: Option<DType>,
}

/// A distribution: `"randn"`, `"bernoulli"`, `"sign"`, or a one-key table such as
/// `{ uniform = { low = 0.5, high = 1.5 } }` or `{ kaiming = "cin * k * k" }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum InitDecl {
    /// A distribution without parameters.
    Named(NamedInit),
    /// A distribution with parameters.
    Table(InitTable),
}

/// Distributions without parameters.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NamedInit {
    /// `torch.randn`.
    Randn,
    /// Fair booleans.
    Bernoulli,
    /// `-1.0` or `+1.0`, each with probability one half (f32).
    Sign,
}

/// Distributions with parameters (see [`crate::generator::Init`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum InitTable {
    /// `mean + std * N(0, 1)`.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        std: f64,
    },
    /// `|N(0, 1)| + offset`.
    AbsNormal {
        /// Added after the absolute value.
        offset: f64,
    },
    /// Uniform in `[low, high)`.
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound (excluded).
        high: f64,
    },
    /// Every element equal to the value.
    Full(f64),
    /// Integers uniform in `[low, high)`.
    IntRange {
        /// Lower bound.
        low: Dim,
        /// Upper bound (excluded).
        high: Dim,
    },
    /// `s * N(0, 1)`, `s` uniform in `[low, high)` per tensor.
    ScaledNormal {
        /// Least scale.
        low: f64,
        /// Greatest scale (excluded).
        high: f64,
    },
    /// `m + N(0, 1)`, `m` uniform in `[low, high)` per tensor.
    ShiftedNormal {
        /// Least mean.
        low: f64,
        /// Greatest mean (excluded).
        high: f64,
    },
    /// `softmax(s * N(0, 1))` over the last dimension, `s` uniform in `[low, high)` per
    /// tensor.
    SoftmaxNormal {
        /// Least scale of the logits.
        low: f64,
        /// Greatest scale of the logits (excluded).
        high: f64,
    },
    /// Integers in `[low, high)` without repeats within each row of the last dimension
    /// (a random permutation's first entries per row; the row must be even, and no
    /// longer than the range).
    DistinctInts {
        /// Lower bound.
        low: Dim,
        /// Upper bound (excluded).
        high: Dim,
    },
    /// PyTorch's default `Linear`/`Conv` initialisation for this fan-in.
    Kaiming(Dim),
}

/// A tolerance other than the default.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToleranceDecl {
    /// Absolute part.
    pub atol: f64,
    /// Relative part.
    pub rtol: f64,
    /// Why the default does not fit.
    pub reason: String,
}

/// A literal argument of a reference function.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum ArgValue {
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A flag.
    Bool(bool),
    /// A word (`"mean"`, `"nearest"`).
    Text(String),
    /// A list of integers (a kernel size per dimension).
    Ints(Vec<i64>),
}

/// The arguments of a reference function, by name.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct Args(pub BTreeMap<String, ArgValue>);

impl Args {
    fn get(&self, name: &str) -> crate::Result<&ArgValue> {
        self.0
            .get(name)
            .ok_or_else(|| crate::TaskError::Argument(format!("missing argument `{name}`")))
    }

    fn wrong(name: &str, value: &ArgValue, wanted: &str) -> crate::TaskError {
        crate::TaskError::Argument(format!("argument `{name}` is {value:?}, expected {wanted}"))
    }

    /// The number `name` (an integer is accepted).
    pub fn f64(&self, name: &str) -> crate::Result<f64> {
        match self.get(name)? {
            ArgValue::Float(v) => Ok(*v),
            ArgValue::Int(v) => Ok(*v as f64),
            other => Err(Self::wrong(name, other, "a number")),
        }
    }

    /// The number `name`, or `default` when absent.
    pub fn f64_or(&self, name: &str, default: f64) -> crate::Result<f64> {
        if self.0.contains_key(name) {
            self.f64(name)
        } else {
            Ok(default)
        }
    }

    /// The non-negative integer `name`.
    pub fn usize(&self, name: &str) -> crate::Result<usize> {
        match self.get(name)? {
            ArgValue::Int(v) => usize::try_from(*v)
                .map_err(|_| Self::wrong(name, &ArgValue::Int(*v), "a non-negative integer")),
            other => Err(Self::wrong(name, other, "a non-negative integer")),
        }
    }

    /// The non-negative integer `name`, or `default` when absent.
    pub fn usize_or(&self, name: &str, default: usize) -> crate::Result<usize> {
        if self.0.contains_key(name) {
            self.usize(name)
        } else {
            Ok(default)
        }
    }

    /// The integer `name` (may be negative: a dimension counted from the end).
    pub fn i64(&self, name: &str) -> crate::Result<i64> {
        match self.get(name)? {
            ArgValue::Int(v) => Ok(*v),
            other => Err(Self::wrong(name, other, "an integer")),
        }
    }

    /// The flag `name`, or `default` when absent.
    pub fn flag_or(&self, name: &str, default: bool) -> crate::Result<bool> {
        match self.0.get(name) {
            None => Ok(default),
            Some(ArgValue::Bool(v)) => Ok(*v),
            Some(other) => Err(Self::wrong(name, other, "true or false")),
        }
    }

    /// The word `name`.
    pub fn text(&self, name: &str) -> crate::Result<&str> {
        match self.get(name)? {
            ArgValue::Text(v) => Ok(v),
            other => Err(Self::wrong(name, other, "a word")),
        }
    }

    /// One non-negative value per dimension of `name`, `dims` of them: an integer for
    /// all, or a list of `dims` integers; `default` when absent (`None`: required).
    pub fn per_dim(
        &self,
        name: &str,
        dims: usize,
        default: Option<&[usize]>,
    ) -> crate::Result<Vec<usize>> {
        if let (false, Some(d)) = (self.0.contains_key(name), default) {
            return Ok(d.to_vec());
        }
        let values = self
            .ints(name)?
            .into_iter()
            .map(|v| {
                usize::try_from(v).map_err(|_| {
                    crate::TaskError::Argument(format!("`{name}` must be non-negative, is {v}"))
                })
            })
            .collect::<crate::Result<Vec<_>>>()?;
        match values.as_slice() {
            [v] => Ok(vec![*v; dims]),
            v if v.len() == dims => Ok(values),
            _ => Err(crate::TaskError::Argument(format!(
                "`{name}` must be one or {dims} integers, is {values:?}"
            ))),
        }
    }

    /// The integer list `name` (a single integer counts as a list of one).
    pub fn ints(&self, name: &str) -> crate::Result<Vec<i64>> {
        match self.get(name)? {
            ArgValue::Ints(v) => Ok(v.clone()),
            ArgValue::Int(v) => Ok(vec![*v]),
            other => Err(Self::wrong(name, other, "a list of integers")),
        }
    }
}
