//! Host tensors: contiguous, row-major buffers with a dtype and a shape.
//!
//! This is the currency between the registry, the backends and the exporter. The dtype
//! codes are the ones of the kernel ABI (`kb_tensor::dtype`).

use crate::error::{Result, TaskError};
use serde::{Deserialize, Serialize};

/// Element type of a tensor, with the integer code used by the kernel ABI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DType {
    /// 32-bit IEEE float (ABI code 0).
    F32,
    /// 16-bit IEEE float (ABI code 1).
    F16,
    /// bfloat16 (ABI code 2).
    BF16,
    /// 64-bit signed integer (ABI code 3).
    I64,
    /// 32-bit signed integer (ABI code 4).
    I32,
    /// Boolean stored as one byte, 0 or 1 (ABI code 5).
    Bool,
}

impl DType {
    /// The code of this dtype in the kernel ABI.
    pub fn abi_code(self) -> i32 {
        match self {
            DType::F32 => 0,
            DType::F16 => 1,
            DType::BF16 => 2,
            DType::I64 => 3,
            DType::I32 => 4,
            DType::Bool => 5,
        }
    }

    /// Size of one element in bytes.
    pub fn size_bytes(self) -> usize {
        match self {
            DType::F32 | DType::I32 => 4,
            DType::F16 | DType::BF16 => 2,
            DType::I64 => 8,
            DType::Bool => 1,
        }
    }

    /// Short lowercase name, as PyTorch spells it after `torch.`.
    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "float32",
            DType::F16 => "float16",
            DType::BF16 => "bfloat16",
            DType::I64 => "int64",
            DType::I32 => "int32",
            DType::Bool => "bool",
        }
    }
}

/// The elements of a host tensor.
#[derive(Debug, Clone, PartialEq)]
pub enum HostData {
    /// f32 elements.
    F32(Vec<f32>),
    /// i64 elements.
    I64(Vec<i64>),
    /// Boolean elements.
    Bool(Vec<bool>),
}

/// A contiguous, row-major tensor in host memory.
#[derive(Debug, Clone, PartialEq)]
pub struct HostTensor {
    /// Extent of each dimension; empty for a 0-d tensor.
    pub shape: Vec<usize>,
    /// The elements, `shape.iter().product()` of them.
    pub data: HostData,
}

/// Number of elements of a shape (1 for a 0-d shape).
pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

impl HostTensor {
    /// An f32 tensor; fails when the element count does not match the shape.
    pub fn f32(shape: Vec<usize>, data: Vec<f32>) -> Result<Self> {
        Self::checked(shape, HostData::F32(data))
    }

    /// An i64 tensor; fails when the element count does not match the shape.
    pub fn i64(shape: Vec<usize>, data: Vec<i64>) -> Result<Self> {
        Self::checked(shape, HostData::I64(data))
    }

    /// A boolean tensor; fails when the element count does not match the shape.
    pub fn bool(shape: Vec<usize>, data: Vec<bool>) -> Result<Self> {
        Self::checked(shape, HostData::Bool(data))
    }

    fn checked(shape: Vec<usize>, data: HostData) -> Result<Self> {
        let tensor = HostTensor { shape, data };
        if tensor.len() != numel(&tensor.shape) {
            return Err(TaskError::Shape(format!(
                "{} elements do not fill shape {:?}",
                tensor.len(),
                tensor.shape
            )));
        }
        Ok(tensor)
    }

    /// The dtype of the elements.
    pub fn dtype(&self) -> DType {
        match self.data {
            HostData::F32(_) => DType::F32,
            HostData::I64(_) => DType::I64,
            HostData::Bool(_) => DType::Bool,
        }
    }

    /// Number of elements held.
    pub fn len(&self) -> usize {
        match &self.data {
            HostData::F32(v) => v.len(),
            HostData::I64(v) => v.len(),
            HostData::Bool(v) => v.len(),
        }
    }

    /// True when the tensor holds no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Size of the elements in bytes.
    pub fn size_bytes(&self) -> usize {
        self.len() * self.dtype().size_bytes()
    }

    /// The f32 elements, or a dtype error naming `name`.
    pub fn as_f32(&self, name: &str) -> Result<&[f32]> {
        match &self.data {
            HostData::F32(v) => Ok(v),
            _ => Err(self.dtype_error(name, "float32")),
        }
    }

    /// The i64 elements, or a dtype error naming `name`.
    pub fn as_i64(&self, name: &str) -> Result<&[i64]> {
        match &self.data {
            HostData::I64(v) => Ok(v),
            _ => Err(self.dtype_error(name, "int64")),
        }
    }

    /// The boolean elements, or a dtype error naming `name`.
    pub fn as_bool(&self, name: &str) -> Result<&[bool]> {
        match &self.data {
            HostData::Bool(v) => Ok(v),
            _ => Err(self.dtype_error(name, "bool")),
        }
    }

    fn dtype_error(&self, name: &str, expected: &'static str) -> TaskError {
        TaskError::DType {
            name: name.to_string(),
            found: self.dtype().name(),
            expected,
        }
    }

    /// Builds a tensor from little-endian bytes of `dtype` (f32, i64 or bool).
    pub fn from_le_bytes(dtype: DType, shape: Vec<usize>, bytes: &[u8]) -> Result<Self> {
        let n = numel(&shape);
        if bytes.len() != n * dtype.size_bytes() {
            return Err(TaskError::Shape(format!(
                "{} bytes cannot hold {n} {} elements",
                bytes.len(),
                dtype.name()
            )));
        }
        let data = match dtype {
            DType::F32 => HostData::F32(
                bytes
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            ),
            DType::I64 => HostData::I64(
                bytes
                    .chunks_exact(8)
                    .map(|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                    .collect(),
            ),
            DType::Bool => HostData::Bool(bytes.iter().map(|&b| b != 0).collect()),
            other => {
                return Err(TaskError::DType {
                    name: "host tensor".into(),
                    found: other.name(),
                    expected: "float32, int64 or bool",
                });
            }
        };
        Ok(HostTensor { shape, data })
    }

    /// The elements as little-endian bytes, borrowed where memory already holds them so
    /// (every little-endian machine), copied otherwise.
    pub fn le_bytes(&self) -> std::borrow::Cow<'_, [u8]> {
        if cfg!(target_endian = "little") {
            let ptr = match &self.data {
                HostData::F32(v) => v.as_ptr().cast::<u8>(),
                HostData::I64(v) => v.as_ptr().cast::<u8>(),
                HostData::Bool(v) => v.as_ptr().cast::<u8>(),
            };
            // SAFETY: the pointer and length describe the vector's initialised elements;
            // f32, i64 and bool are plain values (a bool is one byte, 0 or 1), and on a
            // little-endian machine their bytes are the little-endian encoding.
            std::borrow::Cow::Borrowed(unsafe {
                std::slice::from_raw_parts(ptr, self.size_bytes())
            })
        } else {
            std::borrow::Cow::Owned(self.to_le_bytes())
        }
    }

    /// The elements as writable little-endian bytes, on a little-endian machine (where
    /// memory holds them so); `None` elsewhere. A bool byte must stay 0 or 1.
    pub fn le_bytes_mut(&mut self) -> Option<&mut [u8]> {
        if cfg!(target_endian = "big") {
            return None;
        }
        let len = self.size_bytes();
        let ptr = match &mut self.data {
            HostData::F32(v) => v.as_mut_ptr().cast::<u8>(),
            HostData::I64(v) => v.as_mut_ptr().cast::<u8>(),
            HostData::Bool(v) => v.as_mut_ptr().cast::<u8>(),
        };
        // SAFETY: as in `le_bytes`, and the borrow is exclusive; every bit pattern is a
        // valid f32 or i64, and callers write only 0 or 1 into a bool's byte.
        Some(unsafe { std::slice::from_raw_parts_mut(ptr, len) })
    }

    /// The elements as little-endian bytes, the layout the kernel ABI and `.npy` use.
    pub fn to_le_bytes(&self) -> Vec<u8> {
        match &self.data {
            HostData::F32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            HostData::I64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            HostData::Bool(v) => v.iter().map(|&b| u8::from(b)).collect(),
        }
    }
}
