//! Comparing a kernel's raw output with the reference, in the parent process.

use crate::store::TrialRecord;
use kbench_tasks::{HostData, HostTensor, Tolerance};

/// How one output compared.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Every element within tolerance.
    pub passed: bool,
    /// Largest |out - ref| (infinite when a NaN or invalid value is present).
    pub max_abs_err: f64,
    /// Largest |out - ref| / (1 + |ref|).
    pub max_e: f64,
    /// Elements out of tolerance.
    pub mismatches: u64,
    /// The first one: index, kernel value, reference value.
    pub first_mismatch: Option<String>,
}

/// Compares raw little-endian `bytes` (as the kernel wrote them) with `reference`.
pub fn compare(bytes: &[u8], reference: &HostTensor, tol: Tolerance) -> Comparison {
    let mut c = Comparison {
        passed: true,
        max_abs_err: 0.0,
        max_e: 0.0,
        mismatches: 0,
        first_mismatch: None,
    };
    if bytes.len() != reference.size_bytes() {
        c.passed = false;
        c.max_abs_err = f64::INFINITY;
        c.max_e = f64::INFINITY;
        c.mismatches = reference.len() as u64;
        c.first_mismatch = Some(format!(
            "{} bytes written where {} were expected",
            bytes.len(),
            reference.size_bytes()
        ));
        return c;
    }
    let note = |c: &mut Comparison, i: usize, got: String, want: String| {
        c.passed = false;
        c.mismatches += 1;
        if c.first_mismatch.is_none() {
            c.first_mismatch = Some(format!(
                "element {i} {:?}: kernel {got}, reference {want}",
                unravel(i, &reference.shape)
            ));
        }
    };
    match &reference.data {
        HostData::F32(want) => {
            // Blocks of elements are first checked by a branch-free pass that the compiler
            // vectorises; only a block with a value out of tolerance (or a NaN) is walked
            // again element by element to count and describe the mismatches.
            const BLOCK: usize = 1024;
            for (b, (raw, want)) in bytes.chunks(4 * BLOCK).zip(want.chunks(BLOCK)).enumerate() {
                let mut max_abs = 0.0f64;
                let mut max_e = 0.0f64;
                let mut rejected = false;
                for (chunk, &r) in raw.chunks_exact(4).zip(want) {
                    let (g64, r64) = (f64::from(f32_le(chunk)), f64::from(r));
                    let diff = (g64 - r64).abs();
                    // `Tolerance::accepts`, spelled out so that it vectorises here.
                    let accepted =
                        (r64.is_finite() && diff <= tol.atol + tol.rtol * r64.abs()) || g64 == r64;
                    rejected |= !accepted;
                    max_abs = if diff > max_abs { diff } else { max_abs };
                    let e = diff / (1.0 + r64.abs());
                    max_e = if e > max_e { e } else { max_e };
                }
                if rejected {
                    for (k, (chunk, &r)) in raw.chunks_exact(4).zip(want).enumerate() {
                        let g = f32_le(chunk);
                        let (g64, r64) = (f64::from(g), f64::from(r));
                        if (g64 - r64).is_nan() {
                            max_abs = f64::INFINITY;
                            max_e = f64::INFINITY;
                        }
                        if !tol.accepts(g64, r64) {
                            note(&mut c, b * BLOCK + k, g.to_string(), r.to_string());
                        }
                    }
                }
                c.max_abs_err = c.max_abs_err.max(max_abs);
                c.max_e = c.max_e.max(max_e);
            }
        }
        HostData::I64(want) => {
            for (i, (chunk, &r)) in bytes.chunks_exact(8).zip(want).enumerate() {
                let mut b = [0u8; 8];
                b.copy_from_slice(chunk);
                let g = i64::from_le_bytes(b);
                if g != r {
                    c.max_abs_err = f64::INFINITY;
                    c.max_e = f64::INFINITY;
                    note(&mut c, i, g.to_string(), r.to_string());
                }
            }
        }
        HostData::Bool(want) => {
            for (i, (&g, &r)) in bytes.iter().zip(want).enumerate() {
                if g > 1 || (g == 1) != r {
                    c.max_abs_err = f64::INFINITY;
                    c.max_e = f64::INFINITY;
                    note(&mut c, i, format!("byte {g}"), r.to_string());
                }
            }
        }
    }
    c
}

/// The f32 of four little-endian bytes.
fn f32_le(chunk: &[u8]) -> f32 {
    f32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]])
}

fn unravel(mut index: usize, shape: &[usize]) -> Vec<usize> {
    let mut out = vec![0; shape.len()];
    for (slot, &extent) in out.iter_mut().zip(shape).rev() {
        *slot = index % extent.max(1);
        index /= extent.max(1);
    }
    out
}

/// Digest of a set's input bytes, as the worker computes it.
pub fn input_digest(inputs: &[HostTensor]) -> String {
    let mut h = blake3::Hasher::new();
    for t in inputs {
        h.update(&t.le_bytes());
    }
    h.finalize().to_hex().to_string()
}

/// Folds the comparisons of one trial's outputs into a trial record.
pub fn trial_record(
    trial: usize,
    status: i32,
    inputs_unchanged: bool,
    outputs: &[Comparison],
) -> TrialRecord {
    let passed = status == 0 && inputs_unchanged && outputs.iter().all(|c| c.passed);
    TrialRecord {
        trial: trial as i64,
        status: Some(i64::from(status)),
        passed,
        inputs_unchanged: Some(inputs_unchanged),
        max_abs_err: outputs.iter().map(|c| c.max_abs_err).reduce(f64::max),
        max_e: outputs.iter().map(|c| c.max_e).reduce(f64::max),
        mismatches: Some(outputs.iter().map(|c| c.mismatches as i64).sum()),
        first_mismatch: outputs.iter().find_map(|c| c.first_mismatch.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f32_bytes(v: &[f32]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    #[test]
    fn tolerance_nan_and_partial_writes() {
        let reference = HostTensor::f32(vec![2, 2], vec![1.0, 2.0, 3.0, 100.0]).expect("shape");
        let ok = compare(
            &f32_bytes(&[1.005, 2.0, 3.0, 101.0]),
            &reference,
            Tolerance::DEFAULT,
        );
        assert!(ok.passed, "{ok:?}");
        assert!((ok.max_e - 1.0 / 101.0).abs() < 1e-6);
        let nan = compare(
            &f32_bytes(&[1.0, f32::NAN, 3.0, 100.0]),
            &reference,
            Tolerance::DEFAULT,
        );
        assert!(!nan.passed);
        assert_eq!(nan.mismatches, 1);
        assert!(
            nan.first_mismatch
                .as_deref()
                .is_some_and(|m| m.contains("[0, 1]"))
        );
        let short = compare(&f32_bytes(&[1.0]), &reference, Tolerance::DEFAULT);
        assert!(!short.passed);
    }

    #[test]
    fn mismatches_past_the_first_block_keep_their_index() {
        let n = 3000;
        let want: Vec<f32> = (0..n).map(|i| i as f32 * 0.5).collect();
        let reference = HostTensor::f32(vec![n], want.clone()).expect("shape");
        let mut got = want;
        got[2500] += 100.0;
        got[2999] = f32::INFINITY;
        let c = compare(&f32_bytes(&got), &reference, Tolerance::DEFAULT);
        assert!(!c.passed);
        assert_eq!(c.mismatches, 2);
        assert!(
            c.first_mismatch
                .as_deref()
                .is_some_and(|m| m.contains("[2500]"))
        );
        assert_eq!(c.max_abs_err, f64::INFINITY);
        let exact = compare(&f32_bytes(&got[..0]), &reference, Tolerance::DEFAULT);
        assert!(!exact.passed, "no bytes is not a pass");
    }

    #[test]
    fn an_infinite_reference_accepts_only_the_same_infinity() {
        let reference = HostTensor::f32(vec![2], vec![f32::NEG_INFINITY, 1.0]).expect("shape");
        let same = compare(
            &f32_bytes(&[f32::NEG_INFINITY, 1.0]),
            &reference,
            Tolerance::DEFAULT,
        );
        assert!(same.passed, "{same:?}");
        let finite = compare(&f32_bytes(&[-1e30, 1.0]), &reference, Tolerance::DEFAULT);
        assert!(
            !finite.passed,
            "a finite value within rtol of -inf must not pass"
        );
        assert_eq!(finite.mismatches, 1);
    }

    #[test]
    fn bools_must_be_zero_or_one() {
        let reference = HostTensor::bool(vec![3], vec![true, false, true]).expect("shape");
        assert!(compare(&[1, 0, 1], &reference, Tolerance::DEFAULT).passed);
        let poisoned = compare(&[1, 0, 0xFF], &reference, Tolerance::DEFAULT);
        assert!(!poisoned.passed);
        assert_eq!(poisoned.mismatches, 1);
    }
}
