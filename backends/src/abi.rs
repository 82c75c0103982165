//! The kernel ABI on the Rust side: `kb_tensor` and 64-byte aligned host buffers.

use crate::backend::BackendError;
use kbench_tasks::DType;
use std::path::Path;

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

/// Opens `path` with `flags`, refusing a symbolic link and never blocking on a pipe
/// (mode 0600 when it creates).
fn open_no_follow(path: &std::path::Path, flags: libc::c_int) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options
        .read(true)
        .write(flags & libc::O_RDWR != 0)
        .create_new(flags & libc::O_CREAT != 0)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .mode(0o600);
    options.open(path)
}

#[repr(C, align(64))]
#[derive(Clone, Copy)]
struct CacheLine([u8; 64]);

/// Buffers at least this large are mapped straight from the operating system: their
/// pages come zeroed, on first touch, so a buffer about to be overwritten is never
/// written twice.
const MAP_THRESHOLD: usize = 1 << 20;

enum Storage {
    Heap(Vec<CacheLine>),
    Mapped { ptr: *mut u8, size: usize },
}

/// A zeroed host buffer aligned to 64 bytes (to a page when large).
pub struct AlignedBuffer {
    storage: Storage,
    len: usize,
}

// SAFETY: the mapping is owned by the buffer alone, like the vector of the heap case.
unsafe impl Send for AlignedBuffer {}

impl AlignedBuffer {
    /// A buffer of `len` zero bytes.
    pub fn zeroed(len: usize) -> Self {
        if len >= MAP_THRESHOLD {
            // SAFETY: an anonymous private mapping of a non-zero size; the result is
            // checked before use.
            let ptr = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                    -1,
                    0,
                )
            };
            if ptr != libc::MAP_FAILED {
                return AlignedBuffer {
                    storage: Storage::Mapped {
                        ptr: ptr.cast(),
                        size: len,
                    },
                    len,
                };
            }
        }
        AlignedBuffer {
            storage: Storage::Heap(vec![CacheLine([0; 64]); len.div_ceil(64).max(1)]),
            len,
        }
    }

    /// A buffer of `len` bytes holding a copy of `bytes` (zero-padded), or zeros.
    pub fn new(len: usize, bytes: Option<&[u8]>) -> Self {
        let mut buf = AlignedBuffer::zeroed(len);
        if let Some(src) = bytes {
            let n = src.len().min(len);
            buf.bytes_mut()[..n].copy_from_slice(&src[..n]);
        }
        buf
    }

    /// A private, copy-on-write mapping of the `len` bytes of the file at `path`: on a
    /// memory file system the pages are shared with the file until written, so staging
    /// costs no copy; a write (a kernel scribbling on its inputs) stays in this process.
    pub fn map_file(path: &std::path::Path, len: usize) -> std::io::Result<Self> {
        let file = open_no_follow(path, libc::O_RDONLY)?;
        let meta = file.metadata()?;
        if !meta.is_file() || meta.len() != len as u64 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "{} bytes where {len} were expected, or not a plain file",
                    meta.len()
                ),
            ));
        }
        Self::map(&file, len, libc::MAP_PRIVATE)
    }

    /// A new file of `len` zero bytes at `path`, mapped shared: what is written to the
    /// buffer is in the file, so results reach the parent without a copy.
    pub fn create_shared_file(path: &std::path::Path, len: usize) -> std::io::Result<Self> {
        let file = open_no_follow(path, libc::O_RDWR | libc::O_CREAT)?;
        file.set_len(len as u64)?;
        Self::map(&file, len, libc::MAP_SHARED)
    }

    fn map(file: &std::fs::File, len: usize, kind: libc::c_int) -> std::io::Result<Self> {
        use std::os::fd::AsRawFd;
        if len == 0 {
            return Ok(AlignedBuffer::zeroed(0));
        }
        // SAFETY: a fresh mapping of an open file of at least `len` bytes; the result is
        // checked before use. The descriptor may close afterwards: the mapping stays.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                kind,
                file.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(AlignedBuffer {
            storage: Storage::Mapped {
                ptr: ptr.cast(),
                size: len,
            },
            len,
        })
    }

    fn start(&self) -> *mut u8 {
        match &self.storage {
            Storage::Heap(lines) => lines.as_ptr().cast::<u8>().cast_mut(),
            Storage::Mapped { ptr, .. } => *ptr,
        }
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: the storage holds at least `len` initialised bytes (zeroed by the
        // vector or by the operating system), borrowed with `self`.
        unsafe { std::slice::from_raw_parts(self.start(), self.len) }
    }

    /// The bytes, mutable.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `bytes`, and we hold the only reference.
        unsafe { std::slice::from_raw_parts_mut(self.start(), self.len) }
    }

    /// Pointer handed to kernels.
    pub fn as_mut_ptr(&mut self) -> *mut std::ffi::c_void {
        self.start().cast()
    }
}

impl Drop for AlignedBuffer {
    fn drop(&mut self) {
        if let Storage::Mapped { ptr, size } = self.storage {
            // SAFETY: the mapping was made by `zeroed` or `map` with this size and is
            // unmapped once, here.
            unsafe { libc::munmap(ptr.cast(), size) };
        }
    }
}

/// Describes a buffer as a `kb_tensor`.
pub fn describe(
    buffer: &mut AlignedBuffer,
    dtype: DType,
    shape: &[usize],
) -> Result<KbTensor, BackendError> {
    describe_at(buffer.as_mut_ptr(), dtype, shape)
}

/// The ABI descriptor of a tensor at `data` (host or device memory).
pub fn describe_at(
    data: *mut std::ffi::c_void,
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
        data,
        dtype: dtype.abi_code(),
        ndim: shape.len() as i32,
        shape: dims,
    })
}

/// The digest of a set's input bytes (blake3 over the buffers in order), compared
/// before and after calls to catch a kernel that writes its inputs.
pub fn input_digest<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> String {
    let mut h = blake3::Hasher::new();
    for part in parts {
        h.update(part);
    }
    h.finalize().to_hex().to_string()
}

/// A fast fingerprint of output bytes (xxh3, about 20 GB/s): taken by the worker right
/// after a call returns and again by the parent on the final files, so outputs that
/// change after `kb_forward` returned (work left running on another thread) are seen.
pub fn fingerprint<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for part in parts {
        h.update(&(part.len() as u64).to_le_bytes());
        h.update(part);
    }
    h.digest()
}

/// Most elements of one output a checked timed call keeps; a larger output keeps a
/// secret random sample of this many (a cheat wrong on a fraction `f` of the elements
/// escapes with probability `(1 - f)^KEPT_ELEMENTS`, nil for any cheat that saves time).
pub const KEPT_ELEMENTS: usize = 1 << 20;

/// The elements of an output of `numel` elements that a checked call keeps, for the
/// parent's `seed`: `None` for all of them (at most [`KEPT_ELEMENTS`]); otherwise one
/// position drawn in each of [`KEPT_ELEMENTS`] equal strata, ascending.
pub fn kept_positions(numel: usize, seed: u64) -> Option<Vec<usize>> {
    if numel <= KEPT_ELEMENTS {
        return None;
    }
    let bound = |i: usize| (i as u128 * numel as u128 / KEPT_ELEMENTS as u128) as usize;
    Some(
        (0..KEPT_ELEMENTS)
            .map(|i| {
                let (start, end) = (bound(i), bound(i + 1));
                let draw = kbench_tasks::generator::word(seed, i as u64);
                start + ((u128::from(draw) * (end - start) as u128) >> 64) as usize
            })
            .collect(),
    )
}

/// The seed that picks the kept elements of output `k` from a keep message's `seed`.
pub fn kept_seed(seed: u64, k: usize) -> u64 {
    kbench_tasks::generator::word(seed, k as u64)
}

/// The elements of `bytes` (elements of `size` bytes) at `positions`, in order.
pub fn gather(bytes: &[u8], size: usize, positions: &[usize]) -> Vec<u8> {
    let mut out = Vec::with_capacity(positions.len() * size);
    for &p in positions {
        out.extend_from_slice(&bytes[p * size..(p + 1) * size]);
    }
    out
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

/// Repeats `pattern` (1, 2, 4 or 8 bytes) over `bytes`, 64 bytes at a time.
fn fill_pattern(bytes: &mut [u8], pattern: &[u8]) {
    let mut block = [0u8; 64];
    for (i, b) in block.iter_mut().enumerate() {
        *b = pattern[i % pattern.len()];
    }
    let mut chunks = bytes.chunks_exact_mut(64);
    for chunk in &mut chunks {
        chunk.copy_from_slice(&block);
    }
    // The remainder starts at a multiple of 64, where the block's phase starts too.
    for (b, &p) in chunks.into_remainder().iter_mut().zip(&block) {
        *b = p;
    }
}

/// Loads a kernel library and resolves its guarded entry point
/// (`kbench_guarded_forward`, see `shim.cpp`). Runs the library's initialisers:
/// untrusted code, so only in a worker. The library is never unmapped
/// (`RTLD_NODELETE`): threads it started may still run in it when the worker exits.
pub fn load_guarded_entry(
    artifact: &Path,
) -> Result<(libloading::Library, KbForward), BackendError> {
    let flags =
        libloading::os::unix::RTLD_NOW | libloading::os::unix::RTLD_LOCAL | libc::RTLD_NODELETE;
    // SAFETY: loading runs arbitrary code; the caller is a disposable worker process.
    let library: libloading::Library =
        unsafe { libloading::os::unix::Library::open(Some(artifact), flags) }
            .map_err(|e| BackendError::Load(e.to_string()))?
            .into();
    // SAFETY: the symbol's type is the ABI's; a kernel declaring it otherwise breaks only
    // its own worker.
    let entry: KbForward = unsafe {
        *library
            .get::<KbForward>(b"kbench_guarded_forward\0")
            .map_err(|e| BackendError::Load(format!("no guarded entry point: {e}")))?
    };
    Ok((library, entry))
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
    fn file_mappings_share_outputs_and_keep_inputs_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let input = dir.path().join("in.bin");
        std::fs::write(&input, [7u8; 4096]).expect("write");
        let mut mapped = AlignedBuffer::map_file(&input, 4096).expect("maps");
        assert_eq!(mapped.as_mut_ptr() as usize % 64, 0);
        mapped.bytes_mut()[0] = 1;
        assert_eq!(
            std::fs::read(&input).expect("read")[0],
            7,
            "a write to a mapped input stays in the process"
        );
        assert!(
            AlignedBuffer::map_file(&input, 4095).is_err(),
            "size is checked"
        );

        let output = dir.path().join("out.bin");
        let mut shared = AlignedBuffer::create_shared_file(&output, 8).expect("creates");
        poison(&mut shared, DType::F32);
        let on_disk = std::fs::read(&output).expect("read");
        assert_eq!(
            on_disk,
            shared.bytes(),
            "the file holds what the buffer holds"
        );
        assert!(
            AlignedBuffer::create_shared_file(&output, 8).is_err(),
            "an existing file is never reused"
        );

        let link = dir.path().join("link.bin");
        std::os::unix::fs::symlink(&input, &link).expect("symlink");
        assert!(
            AlignedBuffer::map_file(&link, 4096).is_err(),
            "links are refused"
        );
        let fifo = dir.path().join("fifo.bin");
        let path = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).expect("path");
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
        assert!(
            AlignedBuffer::map_file(&fifo, 4096).is_err(),
            "a pipe is refused without blocking"
        );
    }

    #[test]
    fn large_buffers_are_mapped_zeroed_and_poisoned_everywhere() {
        for len in [MAP_THRESHOLD + 100, 1000] {
            let mut b = AlignedBuffer::zeroed(len);
            assert_eq!(b.as_mut_ptr() as usize % 64, 0);
            assert!(b.bytes().iter().all(|&x| x == 0));
            poison(&mut b, DType::I64);
            let words = b.bytes().chunks_exact(8);
            assert!(words.clone().count() == len / 8);
            assert!(words.into_iter().all(|w| w == i64::MIN.to_le_bytes()));
            assert_eq!(
                b.bytes()[len - len % 8..],
                i64::MIN.to_le_bytes()[..len % 8]
            );
        }
    }

    #[test]
    fn large_outputs_keep_a_spread_sample() {
        assert_eq!(kept_positions(KEPT_ELEMENTS, 1), None);
        let n = 5 * KEPT_ELEMENTS + 3;
        let p = kept_positions(n, 1).expect("sampled");
        assert_eq!(p.len(), KEPT_ELEMENTS);
        assert!(p.windows(2).all(|w| w[0] < w[1]), "ascending, distinct");
        assert!(
            p[0] < 5 && *p.last().expect("some") >= n - 6,
            "spread end to end"
        );
        assert_ne!(Some(p), kept_positions(n, 2), "by seed");
        let bytes: Vec<u8> = (0..40u8).collect();
        assert_eq!(gather(&bytes, 4, &[1, 3]), vec![4, 5, 6, 7, 12, 13, 14, 15]);
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
