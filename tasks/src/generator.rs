//! The documented, seedable tensor generator.
//!
//! `(task id, seed, tensor name)` fixes every byte of a generated tensor on every
//! machine, whatever the thread count:
//!
//! 1. `key = mix(fnv1a64(task_id ++ 0x00 ++ tensor_name) ^ mix(seed + GAMMA))`, where
//!    `fnv1a64` is 64-bit FNV-1a, `GAMMA = 0x9E3779B97F4A7C15` and `mix` is the
//!    SplitMix64 finaliser.
//! 2. The `i`-th raw word of the stream is `mix(key + (i + 1) * GAMMA)` (wrapping), i.e.
//!    SplitMix64 evaluated at counter `i`; being counter-based, chunks are generated in
//!    parallel with the same result.
//! 3. A uniform `u` in `[0, 1)` is the word's top 53 bits times `2^-53`.
//! 4. Normal element `2j` and `2j + 1` come from Box-Muller on words `2j` and `2j + 1`:
//!    `r = sqrt(-2 ln(1 - u0))`, `z0 = r cos(2 pi u1)`, `z1 = r sin(2 pi u1)`, in `f64`
//!    with the pure-Rust `libm` functions (no platform libm), then rounded to `f32`.
//! 5. Integers in `[low, high)` are `low + floor(word * (high - low) / 2^64)`; booleans
//!    are the top bit of the word.

use crate::tensor::{HostTensor, numel};
use rayon::prelude::*;
use serde::Serialize;

const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;
const CHUNK: usize = 1 << 16;

/// The SplitMix64 finaliser.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn fnv1a64(bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes.into_iter().fold(0xCBF2_9CE4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

/// The stream key of one tensor (step 1 of the module documentation).
pub fn stream_key(task_id: &str, seed: u64, tensor_name: &str) -> u64 {
    let name = task_id
        .bytes()
        .chain(std::iter::once(0u8))
        .chain(tensor_name.bytes());
    mix(fnv1a64(name) ^ mix(seed.wrapping_add(GAMMA)))
}

/// The `index`-th raw word of the stream `key` (step 2).
pub fn word(key: u64, index: u64) -> u64 {
    mix(key.wrapping_add(index.wrapping_add(1).wrapping_mul(GAMMA)))
}

fn unit(word: u64) -> f64 {
    (word >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Normal elements `2 * pair` and `2 * pair + 1` (step 4).
fn normal_pair(key: u64, pair: u64) -> (f64, f64) {
    let u0 = unit(word(key, 2 * pair));
    let u1 = unit(word(key, 2 * pair + 1));
    let r = libm::sqrt(-2.0 * libm::log(1.0 - u0));
    let angle = 2.0 * std::f64::consts::PI * u1;
    (r * libm::cos(angle), r * libm::sin(angle))
}

/// How the elements of a tensor are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Init {
    /// `mean + std * N(0, 1)` (`torch.randn(...) * std + mean`).
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        std: f64,
    },
    /// `|N(0, 1)| + offset`, for inputs that must be positive.
    AbsNormal {
        /// Added after the absolute value.
        offset: f64,
    },
    /// Uniform in `[low, high)`; PyTorch's default `Linear`/`Conv` initialisation is
    /// `Uniform(-1/sqrt(fan_in), 1/sqrt(fan_in))`.
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound (excluded).
        high: f64,
    },
    /// Every element equal to `value`.
    Full {
        /// The value.
        value: f64,
    },
    /// Integers uniform in `[low, high)` (int64).
    IntRange {
        /// Lower bound.
        low: i64,
        /// Upper bound (excluded).
        high: i64,
    },
    /// Booleans, true with probability one half.
    Bernoulli,
}

impl Init {
    /// Standard normal, `torch.randn`.
    pub const RANDN: Init = Init::Normal {
        mean: 0.0,
        std: 1.0,
    };

    /// PyTorch's default initialisation of a `Linear`/`Conv` weight or bias with this
    /// fan-in: `Uniform(-1/sqrt(fan_in), 1/sqrt(fan_in))`.
    pub fn kaiming_default(fan_in: usize) -> Init {
        let bound = 1.0 / (fan_in as f64).sqrt();
        Init::Uniform {
            low: -bound,
            high: bound,
        }
    }

    /// The dtype this distribution produces when the task does not say otherwise.
    pub fn natural_dtype(self) -> crate::tensor::DType {
        match self {
            Init::IntRange { .. } => crate::tensor::DType::I64,
            Init::Bernoulli => crate::tensor::DType::Bool,
            _ => crate::tensor::DType::F32,
        }
    }

    /// Generates a tensor of `shape` from the stream of `(task_id, seed, name)`.
    pub fn generate(self, task_id: &str, seed: u64, name: &str, shape: &[usize]) -> HostTensor {
        let key = stream_key(task_id, seed, name);
        let n = numel(shape);
        let shape = shape.to_vec();
        let data = match self {
            Init::IntRange { low, high } => {
                let span = high.saturating_sub(low).max(1) as u128;
                crate::tensor::HostData::I64(fill(n, |i| {
                    low + ((u128::from(word(key, i)) * span) >> 64) as i64
                }))
            }
            Init::Bernoulli => crate::tensor::HostData::Bool(fill(n, |i| word(key, i) >> 63 == 1)),
            Init::Normal { mean, std } => crate::tensor::HostData::F32(fill_pairs(n, |p| {
                let (a, b) = normal_pair(key, p);
                ((mean + std * a) as f32, (mean + std * b) as f32)
            })),
            Init::AbsNormal { offset } => crate::tensor::HostData::F32(fill_pairs(n, |p| {
                let (a, b) = normal_pair(key, p);
                ((a.abs() + offset) as f32, (b.abs() + offset) as f32)
            })),
            Init::Uniform { low, high } => crate::tensor::HostData::F32(fill(n, |i| {
                (low + (high - low) * unit(word(key, i))) as f32
            })),
            Init::Full { value } => crate::tensor::HostData::F32(vec![value as f32; n]),
        };
        HostTensor { shape, data }
    }
}

fn fill<T: Send + Default + Clone>(n: usize, f: impl Fn(u64) -> T + Sync) -> Vec<T> {
    let mut out = vec![T::default(); n];
    out.par_chunks_mut(CHUNK)
        .enumerate()
        .for_each(|(chunk, values)| {
            let start = (chunk * CHUNK) as u64;
            for (offset, v) in values.iter_mut().enumerate() {
                *v = f(start + offset as u64);
            }
        });
    out
}

/// Like [`fill`] for values drawn in pairs: `f(p)` gives elements `2p` and `2p + 1`,
/// each pair computed once (chunks have an even length, so no pair straddles two).
fn fill_pairs<T: Send + Default + Clone>(n: usize, f: impl Fn(u64) -> (T, T) + Sync) -> Vec<T> {
    let mut out = vec![T::default(); n];
    out.par_chunks_mut(CHUNK)
        .enumerate()
        .for_each(|(chunk, values)| {
            let first_pair = (chunk * CHUNK / 2) as u64;
            for (k, two) in values.chunks_mut(2).enumerate() {
                let (a, b) = f(first_pair + k as u64);
                two[0] = a;
                if let Some(second) = two.get_mut(1) {
                    *second = b;
                }
            }
        });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::HostData;

    #[test]
    fn splitmix_matches_the_published_sequence() {
        // SplitMix64 seeded with 1234567: the first outputs of the reference C code.
        let key = 1_234_567u64;
        assert_eq!(word(key, 0), 6_457_827_717_110_365_317);
        assert_eq!(word(key, 1), 3_203_168_211_198_807_973);
    }

    #[test]
    fn same_seed_same_bytes_fixed_values() {
        let t = Init::RANDN.generate("activation/relu", 42, "x", &[4]);
        let again = Init::RANDN.generate("activation/relu", 42, "x", &[4]);
        assert_eq!(t, again);
        let HostData::F32(v) = &t.data else {
            panic!("randn must give f32")
        };
        let bits: Vec<u32> = v.iter().map(|x| x.to_bits()).collect();
        assert_eq!(bits, FIXED_RELU_X_SEED42.to_vec(), "values: {v:?}");
    }

    // Golden values: a change here changes every generated tensor, so it needs a new
    // generator version (`export::GENERATOR`).
    const FIXED_RELU_X_SEED42: [u32; 4] = [1051452311, 3212844943, 1068890904, 1076084397];

    #[test]
    fn different_seed_or_name_differs() {
        let a = Init::RANDN.generate("t", 1, "x", &[64]);
        let b = Init::RANDN.generate("t", 2, "x", &[64]);
        let c = Init::RANDN.generate("t", 1, "y", &[64]);
        assert_ne!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn parallel_chunks_do_not_change_the_stream() {
        let big = Init::RANDN.generate("t", 7, "x", &[3 * CHUNK + 5]);
        let HostData::F32(v) = &big.data else {
            panic!("f32")
        };
        let key = stream_key("t", 7, "x");
        for i in [0, 1, CHUNK - 1, CHUNK, 2 * CHUNK + 3, 3 * CHUNK + 4] {
            let (even, odd) = normal_pair(key, i as u64 / 2);
            let want = if i % 2 == 0 { even } else { odd };
            assert_eq!(v[i], want as f32, "element {i}");
        }
        let (HostData::F32(five), HostData::F32(six)) = (
            Init::RANDN.generate("t", 7, "x", &[5]).data,
            Init::RANDN.generate("t", 7, "x", &[6]).data,
        ) else {
            panic!("f32")
        };
        assert_eq!(
            five[..],
            six[..5],
            "an odd length ends with the pair's first element"
        );
    }

    #[test]
    fn normal_moments_are_right() {
        let t = Init::RANDN.generate("t", 3, "x", &[200_000]);
        let HostData::F32(v) = &t.data else {
            panic!("f32")
        };
        let n = v.len() as f64;
        let mean = v.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
        let var = v
            .iter()
            .map(|&x| (f64::from(x) - mean).powi(2))
            .sum::<f64>()
            / n;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.02, "variance {var}");
    }

    #[test]
    fn integers_stay_in_range_and_cover_it() {
        let t = Init::IntRange { low: 3, high: 9 }.generate("t", 0, "i", &[10_000]);
        let HostData::I64(v) = &t.data else {
            panic!("i64")
        };
        assert!(v.iter().all(|&x| (3..9).contains(&x)));
        for k in 3..9 {
            assert!(v.contains(&k), "{k} never drawn");
        }
    }

    #[test]
    fn bernoulli_is_balanced_and_abs_normal_positive() {
        let b = Init::Bernoulli.generate("t", 0, "m", &[10_000]);
        let HostData::Bool(v) = &b.data else {
            panic!("bool")
        };
        let ones = v.iter().filter(|&&x| x).count();
        assert!((4_700..5_300).contains(&ones), "{ones} trues");
        let p = Init::AbsNormal { offset: 0.01 }.generate("t", 0, "p", &[10_000]);
        let HostData::F32(v) = &p.data else {
            panic!("f32")
        };
        assert!(v.iter().all(|&x| x >= 0.01));
    }
}
