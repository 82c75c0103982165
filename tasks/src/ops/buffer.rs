//! Output buffers of the host-side references.
//!
//! A large fresh buffer costs one page fault per 4 KiB page when it is first written:
//! for a 40 MB output that is 10,000 faults, more than the work of a copy-like
//! reference. Where the kernel offers transparent huge pages on request (Linux in
//! `madvise` mode), [`zeroed`] asks for them, so the same buffer faults in 2 MiB steps.

/// Buffers from this size up ask for huge pages.
const HUGE_FROM_BYTES: usize = 4 << 20;

/// The huge-page size the advice is aligned to.
const HUGE_PAGE: usize = 2 << 20;

/// `len` zeros, in pages not yet touched (the allocator maps large zeroed blocks
/// fresh), advised to use transparent huge pages when `len` floats are at least
/// [`HUGE_FROM_BYTES`].
pub fn zeroed(len: usize) -> Vec<f32> {
    let buffer = vec![0.0f32; len];
    let bytes = len * size_of::<f32>();
    if bytes >= HUGE_FROM_BYTES {
        advise_huge_pages(buffer.as_ptr() as usize, bytes);
    }
    buffer
}

/// Advises the kernel to back the whole huge pages inside `[start, start + bytes)`
/// with transparent huge pages. Advice only: failure changes nothing but speed.
#[cfg(target_os = "linux")]
fn advise_huge_pages(start: usize, bytes: usize) {
    let first = start.next_multiple_of(HUGE_PAGE);
    let end = (start + bytes) / HUGE_PAGE * HUGE_PAGE;
    if end > first {
        // SAFETY: the range lies inside a live allocation owned by the caller's buffer;
        // MADV_HUGEPAGE changes only how the kernel backs the pages, never their
        // contents, so no Rust invariant depends on the call.
        unsafe {
            libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE);
        }
    }
}

/// No advice off Linux.
#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_: usize, _: usize) {}

#[cfg(test)]
mod tests {
    #[test]
    fn zeroed_buffers_are_zero_at_every_size() {
        for len in [0, 1, 1000, (8 << 20) / 4 + 3] {
            let b = super::zeroed(len);
            assert_eq!(b.len(), len);
            assert!(b.iter().all(|&v| v == 0.0));
        }
    }
}
