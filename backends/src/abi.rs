//! The kernel ABI on the Rust side: `kb_tensor` and 64-byte aligned host buffers.

use crate::backend::BackendError;
use kbench_tasks::DType;

/// Most dimensions a tensor may have (`KB_MAX_DIMS`).
pub const MAX_DIMS: usize = 8;

/// `kb_tensor` of `kbench.h`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct KbTensor {
    /// Start of the contiguous, row-major elements.
    pub data: *mut std::ffi::c_void,
    /// [`DType::abi_code`].
    pub dtype: i32,
    /// Number of dimensions.
    pub ndim: i32,
    /// Extents; unused trailing entries are 1.
    pub shape: [i64; MAX_DIMS],
}

/// `kb_forward`'s signature on the cpu backend.
pub type KbForward = unsafe extern "C" fn(*const KbTensor, i32, *mut KbTensor, i32) -> i32;

#[repr(C, align(64))]
#[derive(Clone, Copy)]
struct CacheLine([u8; 64]);

/// A zeroed host buffer aligned to 64 bytes.
pub struct AlignedBuffer {
    lines: Vec<CacheLine>,
    len: usize,
}

impl AlignedBuffer {
    /// A buffer of `len` bytes holding a copy of `bytes` (zero-padded), or zeros.
    pub fn new(len: usize, bytes: Option<&[u8]>) -> Self {
        let mut buf = AlignedBuffer {
            lines: vec![CacheLine([0; 64]); len.div_ceil(64).max(1)],
            len,
        };
        if let Some(src) = bytes {
            let n = src.len().min(len);
            buf.bytes_mut()[..n].copy_from_slice(&src[..n]);
        }
        buf
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: `lines` holds at least `len` initialised bytes, and CacheLine is plain bytes.
        unsafe { std::slice::from_raw_parts(self.lines.as_ptr().cast::<u8>(), self.len) }
    }

    /// The bytes, mutable.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `bytes`, and we hold the only reference.
        unsafe { std::slice::from_raw_parts_mut(self.lines.as_mut_ptr().cast::<u8>(), self.len) }
    }

    /// Pointer handed to kernels.
    pub fn as_mut_ptr(&mut self) -> *mut std::ffi::c_void {
        self.lines.as_mut_ptr().cast()
    }
}

/// Describes a buffer as a `kb_tensor`.
pub fn describe(
    buffer: &mut AlignedBuffer,
    dtype: DType,
    shape: &[usize],
) -> Result<KbTensor, BackendError> {
    if shape.len() > MAX_DIMS {
        return Err(BackendError::Abi(format!(
            "{} dimensions exceed the ABI's {MAX_DIMS}",
            shape.len()
        )));
    }
    let mut dims = [1i64; MAX_DIMS];
    for (d, &s) in dims.iter_mut().zip(shape) {
        *d = i64::try_from(s).map_err(|_| BackendError::Abi(format!("extent {s} too large")))?;
    }
    Ok(KbTensor {
        data: buffer.as_mut_ptr(),
        dtype: dtype.abi_code(),
        ndim: shape.len() as i32,
        shape: dims,
    })
}

/// Fills a buffer with the poison of its dtype: quiet NaN for floats, `i64::MIN` /
/// `i32::MIN` for integers, and the invalid byte 0xFF for booleans.
pub fn poison(buffer: &mut AlignedBuffer, dtype: DType) {
    let bytes = buffer.bytes_mut();
    match dtype {
        DType::F32 => fill_pattern(bytes, &f32::NAN.to_le_bytes()),
        DType::F16 => fill_pattern(bytes, &0x7E00u16.to_le_bytes()),
        DType::BF16 => fill_pattern(bytes, &0x7FC0u16.to_le_bytes()),
        DType::I64 => fill_pattern(bytes, &i64::MIN.to_le_bytes()),
        DType::I32 => fill_pattern(bytes, &i32::MIN.to_le_bytes()),
        DType::Bool => bytes.fill(0xFF),
    }
}

fn fill_pattern(bytes: &mut [u8], pattern: &[u8]) {
    for chunk in bytes.chunks_mut(pattern.len()) {
        chunk.copy_from_slice(&pattern[..chunk.len()]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_aligned_and_poisoned() {
        let mut b = AlignedBuffer::new(10, Some(&[1, 2, 3]));
        assert_eq!(b.as_mut_ptr() as usize % 64, 0);
        assert_eq!(&b.bytes()[..4], &[1, 2, 3, 0]);
        let mut f = AlignedBuffer::new(8, None);
        poison(&mut f, DType::F32);
        let v = f32::from_le_bytes([f.bytes()[4], f.bytes()[5], f.bytes()[6], f.bytes()[7]]);
        assert!(v.is_nan());
    }

    #[test]
    fn describe_fills_unused_dims_with_one() {
        let mut b = AlignedBuffer::new(24, None);
        let t = describe(&mut b, DType::F32, &[2, 3]).expect("fits");
        assert_eq!(t.ndim, 2);
        assert_eq!(&t.shape[..3], &[2, 3, 1]);
        assert!(describe(&mut b, DType::F32, &[1; 9]).is_err());
    }
}
