//! Tasks declared as data: each task is a `.toml` declaration beside its `.py`, resolved
//! into a [`Task`] for a [`SizeProfile`].
//!
//! The build script embeds every `tasks/<category>/<name>.toml` with its `.py`; this
//! module parses them, evaluates their shapes for a profile and binds their reference
//! function by name. Nothing else lists the tasks.

pub mod expr;
pub mod schema;
pub mod source;

use crate::error::{Result, TaskError};
use crate::generator::Init;
use crate::references;
use crate::spec::{Category, OutputSpec, Task, TensorSpec, Tolerance};
use crate::tensor::DType;
use expr::Sizes;
use schema::{Declaration, Dim, InitDecl, InitTable, NamedInit};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// The files of one declared task, embedded at build time.
pub(crate) struct DeclaredFiles {
    /// `<category>/<name>`.
    pub key: &'static str,
    /// The `.toml` text.
    pub declaration: &'static str,
    /// The `.py` text.
    pub source: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/declared.rs"));

/// Which sizes a task's tensors have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SizeProfile {
    /// The sizes of the MultiKernelBench paper (the `.py` as written).
    #[default]
    Paper,
    /// The upstream sizes of 2026-01, which modern GPUs need.
    Current,
}

impl SizeProfile {
    /// Both profiles.
    pub const ALL: [SizeProfile; 2] = [SizeProfile::Paper, SizeProfile::Current];

    /// The name used on the command line and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            SizeProfile::Paper => "paper",
            SizeProfile::Current => "current",
        }
    }

    /// Parses a profile name.
    pub fn parse(name: &str) -> Option<SizeProfile> {
        SizeProfile::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

impl std::fmt::Display for SizeProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for SizeProfile {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        SizeProfile::parse(s).ok_or_else(|| format!("unknown size profile `{s}`: paper or current"))
    }
}

/// A parsed declaration with its source.
#[derive(Debug)]
pub struct Declared {
    /// `<category>/<name>`.
    pub key: &'static str,
    /// The category, from the folder.
    pub category: Category,
    /// The name, from the file.
    pub name: &'static str,
    /// The declaration.
    pub declaration: Declaration,
    /// The PyTorch source as written (the `paper` profile).
    pub source: &'static str,
    /// The size constants of the source.
    pub paper_sizes: Sizes,
}

impl Declared {
    /// The size constants of `profile`: the source's, with the profile's overrides.
    pub fn sizes(&self, profile: SizeProfile) -> Sizes {
        let mut sizes = self.paper_sizes.clone();
        if profile == SizeProfile::Current {
            sizes.extend(self.declaration.sizes.current.clone());
        }
        sizes
    }

    fn error(&self, message: impl Into<String>) -> TaskError {
        TaskError::Declaration {
            task: self.key.to_string(),
            message: message.into(),
        }
    }
}

/// Parses every embedded declaration of `files`.
pub(crate) fn parse_all(files: &'static [DeclaredFiles]) -> Result<Vec<Declared>> {
    files.iter().map(parse).collect()
}

fn parse(files: &'static DeclaredFiles) -> Result<Declared> {
    let fail = |message: String| TaskError::Declaration {
        task: files.key.to_string(),
        message,
    };
    let (category, name) = files
        .key
        .split_once('/')
        .ok_or_else(|| fail("not in a category folder".into()))?;
    let category =
        Category::parse(category).ok_or_else(|| fail(format!("unknown category `{category}`")))?;
    let declaration: Declaration =
        toml::from_str(files.declaration).map_err(|e| fail(e.to_string()))?;
    let paper_sizes = source::constants(files.source);
    for key in declaration.sizes.current.keys() {
        if !paper_sizes.contains_key(key) {
            return Err(fail(format!(
                "[sizes.current] overrides `{key}`, which is not a size constant of the .py"
            )));
        }
    }
    Ok(Declared {
        key: files.key,
        category,
        name,
        declaration,
        source: files.source,
        paper_sizes,
    })
}

/// The [`Task`] that `declared` describes at `profile`'s sizes.
pub fn resolve(declared: &'static Declared, profile: SizeProfile) -> Result<Task> {
    let d = &declared.declaration;
    let sizes = declared.sizes(profile);
    let dim = |value: &Dim, what: &str| -> Result<i64> {
        match value {
            Dim::Int(v) => Ok(*v),
            Dim::Expr(text) => expr::eval(text, &sizes),
        }
        .map_err(|e| declared.error(format!("{what}: {e}")))
    };
    let shape = |dims: &[Dim], what: &str| -> Result<Vec<usize>> {
        dims.iter()
            .map(|v| {
                let n = dim(v, what)?;
                usize::try_from(n).map_err(|_| declared.error(format!("{what}: extent {n} < 0")))
            })
            .collect()
    };
    let tensor = |t: &'static schema::TensorDecl| -> Result<TensorSpec> {
        let init = match &t.init {
            InitDecl::Named(NamedInit::Randn) => Init::RANDN,
            InitDecl::Named(NamedInit::Bernoulli) => Init::Bernoulli,
            InitDecl::Named(NamedInit::Sign) => Init::Sign,
            InitDecl::Table(table) => match table {
                InitTable::Normal { mean, std } => Init::Normal {
                    mean: *mean,
                    std: *std,
                },
                InitTable::AbsNormal { offset } => Init::AbsNormal { offset: *offset },
                InitTable::Uniform { low, high } => Init::Uniform {
                    low: *low,
                    high: *high,
                },
                InitTable::Full(value) => Init::Full { value: *value },
                InitTable::IntRange { low, high } => Init::IntRange {
                    low: dim(low, &t.name)?,
                    high: dim(high, &t.name)?,
                },
                InitTable::DistinctInts { low, high } => Init::DistinctInts {
                    low: dim(low, &t.name)?,
                    high: dim(high, &t.name)?,
                },
                InitTable::ScaledNormal { low, high } => Init::ScaledNormal {
                    low: *low,
                    high: *high,
                },
                InitTable::ShiftedNormal { low, high } => Init::ShiftedNormal {
                    low: *low,
                    high: *high,
                },
                InitTable::SoftmaxNormal { low, high } => Init::SoftmaxNormal {
                    low: *low,
                    high: *high,
                },
                InitTable::Kaiming(fan_in) => {
                    let fan_in = dim(fan_in, &t.name)?;
                    if fan_in <= 0 {
                        return Err(declared.error(format!("{}: fan-in {fan_in}", t.name)));
                    }
                    Init::kaiming_default(fan_in as usize)
                }
            },
        };
        let mut full = shape(&t.shape, &t.name)?;
        if let Some(rank) = &t.rank {
            let rank = dim(rank, &t.name)?;
            match usize::try_from(rank) {
                Ok(r) if r <= full.len() => full.truncate(r),
                _ => {
                    return Err(declared.error(format!(
                        "{}: rank {rank} of a shape of {} dimensions",
                        t.name,
                        full.len()
                    )));
                }
            }
        }
        if let Init::DistinctInts { low, high } = init {
            let cols = full.last().copied().unwrap_or(1) as i64;
            if cols > high - low || (cols > 1 && cols % 2 == 1) {
                return Err(declared.error(format!(
                    "{}: rows of {cols} distinct integers in [{low}, {high}) (rows must be \
                     even, for the timed calls' pair swaps, and no longer than the range)",
                    t.name
                )));
            }
        }
        Ok(TensorSpec {
            name: &t.name,
            dtype: init.natural_dtype(),
            shape: full,
            init,
        })
    };
    let outputs = d
        .outputs
        .iter()
        .map(|o| {
            Ok(OutputSpec {
                name: &o.name,
                dtype: o.dtype.unwrap_or(DType::F32),
                shape: shape(&o.shape, &o.name)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let reference = references::find(&d.reference)
        .ok_or_else(|| declared.error(format!("no reference function `{}`", d.reference)))?;
    let condition = match &d.condition {
        None => None,
        Some(name) => Some(
            references::condition(name)
                .ok_or_else(|| declared.error(format!("no input condition `{name}`")))?,
        ),
    };
    let flops = dim(&d.flops, "flops")?;
    let source = if profile == SizeProfile::Paper || d.sizes.current.is_empty() {
        Cow::Borrowed(declared.source)
    } else {
        Cow::Owned(source::render(declared.source, &sizes))
    };
    Ok(Task {
        category: declared.category,
        name: declared.name,
        summary: &d.summary,
        inputs: d.inputs.iter().map(tensor).collect::<Result<_>>()?,
        params: d.params.iter().map(tensor).collect::<Result<_>>()?,
        outputs,
        tolerance: d
            .tolerance
            .as_ref()
            .map_or(Tolerance::DEFAULT, |t| Tolerance {
                atol: t.atol,
                rtol: t.rtol,
            }),
        tolerance_reason: d.tolerance.as_ref().map(|t| t.reason.as_str()),
        flops: u64::try_from(flops).map_err(|_| declared.error("flops < 0"))?,
        notes: d.notes.as_deref(),
        condition,
        source,
        reference,
        args: &d.args,
        profile,
    })
}
