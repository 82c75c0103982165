//! Fresh inputs for every timed call, cheaply: a timed call's inputs are one of the trial
//! sets with about half of every tensor's elements replaced by their mirror image under
//! a symmetry of the tensor's distribution, chosen by a secret per-call seed.
//!
//! The mirror maps each distribution onto itself, so the new inputs are as likely as
//! the trial's under the task's declared distribution (a kernel's speed and accuracy do
//! not change), yet they differ densely and unpredictably from every input the kernel
//! saw before: an output cached by pointer, shape or content is wrong for them.
//!
//! | Init | Mirror of `x` |
//! |---|---|
//! | `Normal { mean, .. }` | `2 mean - x` (the sign flipped when `mean` is 0) |
//! | `Uniform { low, high }` | `low + high - x` (the sign flipped when centred on 0) |
//! | `IntRange { low, high }` | `low + high - 1 - x` |
//! | `Bernoulli` | `!x` |
//! | `Sign` | `-x` |
//! | `AbsNormal`, `ShiftedNormal`, `SoftmaxNormal` | no symmetry known here: the element trades places with its neighbour (within a row of `SoftmaxNormal` when rows are of even length, so rows still sum to 1) |
//! | `Full` | none needed: every element is the same |
//! | `DistinctInts` | the element trades places with its neighbour (rows are of even length, so pairs stay within a row and rows keep no repeats) |
//!
//! Each tensor draws its own mask from the stream of `(task, seed, tensor name)`, so
//! tensors flip independently (a loss of two tensors changes too). A task's
//! [`crate::InputCondition`] is applied afterwards, as after generation. Parent and
//! worker run this same code, so both see the same bytes.

use crate::error::{Result, TaskError};
use crate::generator::{Init, stream_key, word};
use crate::spec::Task;
use crate::tensor::{DType, HostTensor};

/// Whether element `index` of the stream `key` is mirrored.
fn mirrored(key: u64, index: usize) -> bool {
    (word(key, (index / 64) as u64) >> (index % 64)) & 1 == 1
}

/// Writes `src` with the elements the mask picks mirrored into `dst` (same length).
fn mirror_bytes(init: Init, dtype: DType, key: u64, src: &[u8], dst: &mut [u8]) {
    match (init, dtype) {
        (Init::Full { .. }, _) => dst.copy_from_slice(src),
        (
            Init::AbsNormal { .. }
            | Init::ShiftedNormal { .. }
            | Init::SoftmaxNormal { .. }
            | Init::DistinctInts { .. },
            _,
        ) => {
            let size = dtype.size_bytes();
            dst.copy_from_slice(src);
            for (pair, chunk) in dst.chunks_exact_mut(2 * size).enumerate() {
                if mirrored(key, pair) {
                    let (a, b) = chunk.split_at_mut(size);
                    a.swap_with_slice(b);
                }
            }
        }
        (Init::Normal { mean, .. }, DType::F32) => mirror_f32(key, 2.0 * mean, src, dst),
        (Init::ScaledNormal { .. } | Init::Sign, DType::F32) => mirror_f32(key, 0.0, src, dst),
        (Init::Uniform { low, high }, DType::F32) => mirror_f32(key, low + high, src, dst),
        (Init::IntRange { low, high }, DType::I64) => {
            let sum = low.wrapping_add(high).wrapping_sub(1);
            for (i, (d, s)) in dst.chunks_exact_mut(8).zip(src.chunks_exact(8)).enumerate() {
                let mut x = [0u8; 8];
                x.copy_from_slice(s);
                let x = i64::from_le_bytes(x);
                let y = if mirrored(key, i) {
                    sum.wrapping_sub(x)
                } else {
                    x
                };
                d.copy_from_slice(&y.to_le_bytes());
            }
        }
        (Init::Bernoulli, DType::Bool) => {
            for (i, (d, &s)) in dst.iter_mut().zip(src).enumerate() {
                *d = if mirrored(key, i) {
                    u8::from(s == 0)
                } else {
                    s
                };
            }
        }
        // A distribution stored in a dtype it does not produce: left as it is.
        _ => dst.copy_from_slice(src),
    }
}

/// `x -> twice_centre - x` on the picked f32 elements; an exact sign flip when the
/// centre is 0 (branch-free, so it runs at memory speed).
fn mirror_f32(key: u64, twice_centre: f64, src: &[u8], dst: &mut [u8]) {
    let centre = twice_centre as f32;
    for (block, (d, s)) in dst.chunks_mut(64 * 4).zip(src.chunks(64 * 4)).enumerate() {
        let mask = word(key, block as u64);
        let mut bits = [0u32; 64];
        for (b, s) in bits.iter_mut().zip(s.chunks_exact(4)) {
            *b = u32::from_le_bytes([s[0], s[1], s[2], s[3]]);
        }
        for (e, b) in bits.iter_mut().enumerate() {
            let pick = ((mask >> e) & 1) as u32;
            *b = if centre == 0.0 {
                *b ^ (pick << 31)
            } else if pick == 1 {
                (centre - f32::from_bits(*b)).to_bits()
            } else {
                *b
            };
        }
        for (d, b) in d.chunks_exact_mut(4).zip(&bits) {
            d.copy_from_slice(&b.to_le_bytes());
        }
    }
}

impl Task {
    /// Writes the inputs of a timed call with `seed` into `dst`, from the trial set
    /// `src` (inputs then parameters, raw little-endian bytes, in declared order).
    pub fn perturb_set(&self, seed: u64, src: &[&[u8]], dst: &mut [&mut [u8]]) -> Result<()> {
        let specs: Vec<_> = self.inputs.iter().chain(&self.params).collect();
        if src.len() != specs.len() || dst.len() != specs.len() {
            return Err(TaskError::Arity {
                task: self.id(),
                expected: specs.len(),
                found: src.len().min(dst.len()),
            });
        }
        let id = self.id();
        for ((spec, s), d) in specs.iter().zip(src).zip(dst.iter_mut()) {
            if s.len() != spec.size_bytes() || d.len() != spec.size_bytes() {
                return Err(TaskError::Shape(format!(
                    "{id}: {} holds {} bytes, {} expected",
                    spec.name,
                    s.len().min(d.len()),
                    spec.size_bytes()
                )));
            }
            mirror_bytes(
                spec.init,
                spec.dtype,
                stream_key(&id, seed, spec.name),
                s,
                d,
            );
        }
        if let Some(condition) = self.condition {
            let mut tensors = specs
                .iter()
                .zip(dst.iter())
                .map(|(spec, d)| HostTensor::from_le_bytes(spec.dtype, spec.shape.clone(), d))
                .collect::<Result<Vec<_>>>()?;
            (condition.apply)(&mut tensors);
            for (t, d) in tensors.iter().zip(dst.iter_mut()) {
                d.copy_from_slice(&t.le_bytes());
            }
        }
        Ok(())
    }

    /// The inputs of a timed call with `seed` made from the trial set `base`, as
    /// tensors (what the parent runs the reference on).
    pub fn perturbed(&self, base: &[HostTensor], seed: u64) -> Result<Vec<HostTensor>> {
        let mut out = base.to_vec();
        self.perturb_into(base, seed, &mut out)?;
        Ok(out)
    }

    /// Writes the inputs of a timed call with `seed`, made from the trial set `base`,
    /// into `out` (tensors of the same shapes, reused from call to call).
    pub fn perturb_into(
        &self,
        base: &[HostTensor],
        seed: u64,
        out: &mut [HostTensor],
    ) -> Result<()> {
        let src: Vec<std::borrow::Cow<'_, [u8]>> = base.iter().map(HostTensor::le_bytes).collect();
        let src_refs: Vec<&[u8]> = src.iter().map(AsRef::as_ref).collect();
        if let Some(mut dst) = out
            .iter_mut()
            .map(HostTensor::le_bytes_mut)
            .collect::<Option<Vec<&mut [u8]>>>()
        {
            return self.perturb_set(seed, &src_refs, &mut dst);
        }
        let mut bytes: Vec<Vec<u8>> = src.iter().map(|s| vec![0u8; s.len()]).collect();
        let mut dst: Vec<&mut [u8]> = bytes.iter_mut().map(Vec::as_mut_slice).collect();
        self.perturb_set(seed, &src_refs, &mut dst)?;
        for ((o, t), b) in out.iter_mut().zip(base).zip(&bytes) {
            *o = HostTensor::from_le_bytes(t.dtype(), t.shape.clone(), b)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::registry;
    use crate::tensor::HostData;

    #[test]
    fn timed_inputs_differ_densely_and_by_seed() {
        let task = registry::find("matmul/standard_matrix_multiplication").expect("task");
        let base = task.generate(7);
        let a = task.perturbed(&base, 1).expect("perturbs");
        let b = task.perturbed(&base, 2).expect("perturbs");
        assert_eq!(
            a,
            task.perturbed(&base, 1).expect("perturbs"),
            "deterministic"
        );
        assert_ne!(a, b, "the seed matters");
        let HostData::F32(x) = &base[0].data else {
            panic!("f32")
        };
        let HostData::F32(y) = &a[0].data else {
            panic!("f32")
        };
        let flipped = x.iter().zip(y).filter(|(p, q)| p != q).count();
        let share = flipped as f64 / x.len() as f64;
        assert!((0.45..0.55).contains(&share), "about half flipped: {share}");
        assert!(
            x.iter().zip(y).all(|(p, q)| p.abs() == q.abs()),
            "sign flips only"
        );
        assert_ne!(a[1], base[1], "every tensor changes");
    }

    #[test]
    fn every_mirror_keeps_the_values_in_their_distribution() {
        for task in registry::all().iter().chain(registry::exemplars()) {
            let base = task.generate(3);
            let timed = task.perturbed(&base, 11).expect("perturbs");
            let specs = task.inputs.iter().chain(&task.params);
            for ((spec, b), t) in specs.zip(&base).zip(&timed) {
                let id = format!("{} {}", task.id(), spec.name);
                assert_eq!(b.shape, t.shape, "{id}");
                match (&b.data, &t.data, spec.init) {
                    (HostData::I64(b), HostData::I64(t), crate::Init::IntRange { low, high }) => {
                        assert!(t.iter().all(|v| (low..high).contains(v)), "{id}");
                        // A range of one value (a 0 buffer) has nothing to mirror.
                        if high - low > 1 {
                            assert_ne!(b, t, "{id}");
                        }
                    }
                    (HostData::F32(b), HostData::F32(t), crate::Init::AbsNormal { offset }) => {
                        assert!(t.iter().all(|&v| f64::from(v) >= offset - 1e-6), "{id}");
                        let (mut bs, mut ts) = (b.clone(), t.clone());
                        bs.sort_by(f32::total_cmp);
                        ts.sort_by(f32::total_cmp);
                        assert_eq!(bs, ts, "{id}: the same values, moved");
                    }
                    (HostData::F32(b), HostData::F32(t), crate::Init::Uniform { low, high }) => {
                        let (lo, hi) = (low as f32, high as f32);
                        assert!(t.iter().all(|&v| v >= lo - 1e-6 && v <= hi + 1e-6), "{id}");
                        assert_ne!(b, t, "{id}");
                    }
                    (HostData::F32(b), HostData::F32(t), crate::Init::Full { .. }) => {
                        assert_eq!(b, t, "{id}");
                    }
                    (
                        _,
                        _,
                        crate::Init::Normal { .. }
                        | crate::Init::ScaledNormal { .. }
                        | crate::Init::Bernoulli,
                    ) => {
                        assert_ne!(b, t, "{id}");
                    }
                    _ => {}
                }
            }
        }
    }

    #[test]
    fn a_condition_holds_on_timed_inputs_too() {
        let task = registry::find_any("exemplar:optimizer/lion").expect("lion");
        assert_eq!(registry::key_of(task), "exemplar:optimizer/lion");
        let base = task.generate(5);
        let timed = task.perturbed(&base, 9).expect("perturbs");
        let (HostData::F32(grad), HostData::F32(m)) = (&timed[1].data, &timed[2].data) else {
            panic!("f32 tensors");
        };
        let closest = m
            .iter()
            .zip(grad)
            .map(|(&m, &g)| (0.9 * f64::from(m) + 0.1 * f64::from(g)).abs())
            .fold(f64::INFINITY, f64::min);
        assert!(closest >= 0.99e-3, "the condition was applied: {closest}");
    }

    #[test]
    fn wrong_sizes_are_refused() {
        let task = registry::find("activation/relu").expect("relu");
        let src = [&[0u8; 3][..]];
        let mut out = [0u8; 3];
        let mut dst = [&mut out[..]];
        assert!(task.perturb_set(1, &src, &mut dst).is_err());
        assert!(task.perturb_set(1, &[], &mut []).is_err());
    }
}
