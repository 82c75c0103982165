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
//! 4. Normal element `i` is the standard normal quantile of word `i`'s open uniform
//!    `p = (top 53 bits + 0.5) * 2^-53`, by Wichura's algorithm AS 241 (PPND16, Applied
//!    Statistics 37(3), 1988; relative error about 1e-16, the algorithm of R's
//!    `qnorm`), in `f64` with the pure-Rust `libm` logarithm (no platform libm), then
//!    rounded to `f32`. One word per element and no trigonometry: about three times
//!    faster than Box-Muller, which matters for the tasks of 2^26 elements.
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

/// Numerator and denominator coefficients of AS 241, lowest power first, as published
/// (more digits than an `f64` holds; the compiler rounds them).
#[allow(clippy::excessive_precision)]
const CENTRAL: ([f64; 8], [f64; 8]) = (
    [
        3.387_132_872_796_366_608,
        1.331_416_678_917_843_774_5e2,
        1.971_590_950_306_551_442_7e3,
        1.373_169_376_550_946_112_5e4,
        4.592_195_393_154_987_145_7e4,
        6.726_577_092_700_870_085_3e4,
        3.343_057_558_358_812_810_5e4,
        2.509_080_928_730_122_672_7e3,
    ],
    [
        1.0,
        4.231_333_070_160_091_125_2e1,
        6.871_870_074_920_579_083e2,
        5.394_196_021_424_751_107_7e3,
        2.121_379_430_158_659_586_7e4,
        3.930_789_580_009_271_061e4,
        2.872_908_573_572_194_267_4e4,
        5.226_495_278_852_854_561e3,
    ],
);
#[allow(clippy::excessive_precision)]
const NEAR_TAIL: ([f64; 8], [f64; 8]) = (
    [
        1.423_437_110_749_683_577_34,
        4.630_337_846_156_545_295_9,
        5.769_497_221_460_691_405_5,
        3.647_848_324_763_204_605_04,
        1.270_458_252_452_368_382_58,
        2.417_807_251_774_506_117_7e-1,
        2.272_384_498_926_918_458_33e-2,
        7.745_450_142_783_414_076_4e-4,
    ],
    [
        1.0,
        2.053_191_626_637_758_821_87,
        1.676_384_830_183_803_849_4,
        6.897_673_349_851_000_045_5e-1,
        1.481_039_764_274_800_745_9e-1,
        1.519_866_656_361_645_719_66e-2,
        5.475_938_084_995_344_946e-4,
        1.050_750_071_644_416_843_24e-9,
    ],
);
#[allow(clippy::excessive_precision)]
const FAR_TAIL: ([f64; 8], [f64; 8]) = (
    [
        6.657_904_643_501_103_777_2,
        5.463_784_911_164_114_369_9,
        1.784_826_539_917_291_335_8,
        2.965_605_718_285_048_912_3e-1,
        2.653_218_952_657_612_309_3e-2,
        1.242_660_947_388_078_438_6e-3,
        2.711_555_568_743_487_578_15e-5,
        2.010_334_399_292_288_132_65e-7,
    ],
    [
        1.0,
        5.998_322_065_558_879_376_9e-1,
        1.369_298_809_227_358_053_1e-1,
        1.487_536_129_085_061_485_25e-2,
        7.868_691_311_456_132_591e-4,
        1.846_318_317_510_054_681_8e-5,
        1.421_511_758_316_445_888_7e-7,
        2.044_263_103_389_939_785_64e-15,
    ],
);

/// `num(x) / den(x)`, both evaluated by Horner's rule (plain multiplies and adds, never
/// fused, so every platform rounds alike).
fn rational((num, den): &([f64; 8], [f64; 8]), x: f64) -> f64 {
    let horner = |c: &[f64; 8]| c.iter().rev().fold(0.0, |acc, &k| acc * x + k);
    horner(num) / horner(den)
}

/// The open uniform of step 4: `(top 53 bits + 0.5) * 2^-53`, never 0 or 1.
fn open_unit(word: u64) -> f64 {
    ((word >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
}

/// The quantile of `p` outside the central region (`|p - 0.5| > 0.425`).
fn tail_quantile(p: f64) -> f64 {
    let q = p - 0.5;
    let tail = if q < 0.0 { p } else { 1.0 - p };
    let r = libm::sqrt(-libm::log(tail));
    let z = if r <= 5.0 {
        rational(&NEAR_TAIL, r - 1.6)
    } else {
        rational(&FAR_TAIL, r - 5.0)
    };
    if q < 0.0 { -z } else { z }
}

/// The standard normal quantile of `p` in `(0, 1)` (AS 241).
#[cfg(test)]
fn normal_quantile(p: f64) -> f64 {
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        q * rational(&CENTRAL, 0.180_625 - q * q)
    } else {
        tail_quantile(p)
    }
}

/// Normal element `index` of the stream `key` (step 4).
#[cfg(test)]
fn normal(key: u64, index: u64) -> f64 {
    normal_quantile(open_unit(word(key, index)))
}

/// Lanes evaluated together: the central rational function is a chain of 16 dependent
/// operations, so independent elements side by side keep the arithmetic units busy.
const LANES: usize = 8;

/// Normal elements `start..start + out.len()` of the stream `key`, mapped by `f`.
/// The same values as [`normal`] element by element, only computed lanes at a time.
fn normals_into(key: u64, start: u64, out: &mut [f32], f: impl Fn(f64) -> f32) {
    for (block, values) in out.chunks_mut(LANES).enumerate() {
        let first = start + (block * LANES) as u64;
        let mut p = [0.5; LANES];
        for (lane, slot) in p.iter_mut().enumerate().take(values.len()) {
            *slot = open_unit(word(key, first + lane as u64));
        }
        let mut z = [0.0; LANES];
        for (z, &p) in z.iter_mut().zip(&p) {
            let q = p - 0.5;
            *z = q * rational(&CENTRAL, 0.180_625 - q * q);
        }
        for ((value, &p), &z) in values.iter_mut().zip(&p).zip(&z) {
            let z = if (p - 0.5).abs() <= 0.425 {
                z
            } else {
                tail_quantile(p)
            };
            *value = f(z);
        }
    }
}

/// A vector of `n` normals of the stream `key`, mapped by `f`, generated in parallel
/// chunks (the same values whatever the thread count).
fn fill_normals(n: usize, key: u64, f: impl Fn(f64) -> f32 + Sync) -> Vec<f32> {
    let mut out = vec![0.0; n];
    out.par_chunks_mut(CHUNK)
        .enumerate()
        .for_each(|(chunk, values)| normals_into(key, (chunk * CHUNK) as u64, values, &f));
    out
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
    /// `s * N(0, 1)` with the scale `s` drawn once per tensor, uniform in `[low, high)`:
    /// a reduction of such tensors has no value a kernel could guess without reading
    /// them (a loss of two standard normals is always about 2).
    ScaledNormal {
        /// Least scale.
        low: f64,
        /// Greatest scale (excluded).
        high: f64,
    },
    /// `m + N(0, 1)` with the mean `m` drawn once per tensor, uniform in `[low, high)`:
    /// for scale-free reductions (a cosine similarity of two such tensors is about
    /// `m1 m2 / sqrt((1 + m1^2) (1 + m2^2))`, unguessable without reading them).
    ShiftedNormal {
        /// Least mean.
        low: f64,
        /// Greatest mean (excluded).
        high: f64,
    },
    /// `softmax(s * N(0, 1))` over the last dimension, `s` drawn once per tensor, uniform
    /// in `[low, high)`: rows of probabilities (`torch.randn(...).softmax(-1)` with a
    /// scale), the softmax computed in `f64` with the pure-Rust `libm` exponential.
    SoftmaxNormal {
        /// Least scale of the logits.
        low: f64,
        /// Greatest scale of the logits (excluded).
        high: f64,
    },
    /// `-1.0` or `+1.0` with probability one half each (f32; the top bit of the word):
    /// `torch.randint(0, 2, ...).float() * 2 - 1`.
    Sign,
    /// Integers in `[low, high)` (int64), without repeats within each row of the last
    /// dimension: a row is the first entries of a random permutation of the range (a
    /// partial Fisher-Yates shuffle driven by the row's words), like
    /// `torch.randperm(high - low)[:k] + low` per row. For scatter-like writes whose
    /// result would otherwise depend on which duplicate wins.
    DistinctInts {
        /// Lower bound.
        low: i64,
        /// Upper bound (excluded).
        high: i64,
    },
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
            Init::IntRange { .. } | Init::DistinctInts { .. } => crate::tensor::DType::I64,
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
            Init::DistinctInts { low, high } => crate::tensor::HostData::I64(distinct_rows(
                n,
                shape.last().copied().unwrap_or(1),
                key,
                low,
                high,
            )),
            Init::Bernoulli => crate::tensor::HostData::Bool(fill(n, |i| word(key, i) >> 63 == 1)),
            Init::Normal { mean, std } => {
                crate::tensor::HostData::F32(fill_normals(n, key, |z| (mean + std * z) as f32))
            }
            Init::ScaledNormal { low, high } => {
                let scale = low + (high - low) * unit(word(key, u64::MAX));
                crate::tensor::HostData::F32(fill_normals(n, key, |z| (scale * z) as f32))
            }
            Init::ShiftedNormal { low, high } => {
                let mean = low + (high - low) * unit(word(key, u64::MAX));
                crate::tensor::HostData::F32(fill_normals(n, key, |z| (mean + z) as f32))
            }
            Init::SoftmaxNormal { low, high } => {
                let scale = low + (high - low) * unit(word(key, u64::MAX));
                let mut values = fill_normals(n, key, |z| (scale * z) as f32);
                softmax_rows(&mut values, shape.last().copied().unwrap_or(1));
                crate::tensor::HostData::F32(values)
            }
            Init::Sign => crate::tensor::HostData::F32(fill(n, |i| {
                if word(key, i) >> 63 == 1 { 1.0 } else { -1.0 }
            })),
            Init::AbsNormal { offset } => {
                crate::tensor::HostData::F32(fill_normals(n, key, |z| (z.abs() + offset) as f32))
            }
            Init::Uniform { low, high } => crate::tensor::HostData::F32(fill(n, |i| {
                (low + (high - low) * unit(word(key, i))) as f32
            })),
            Init::Full { value } => crate::tensor::HostData::F32(vec![value as f32; n]),
        };
        HostTensor { shape, data }
    }
}

/// `n` integers in `[low, high)`, rows of `cols` without repeats: row `r` is the first
/// `cols` entries of the range after a partial Fisher-Yates shuffle whose `j`-th swap
/// partner is `j + floor(word(r * cols + j) * (span - j) / 2^64)`. Entries beyond the
/// span (a row longer than the range, which declarations reject) wrap around.
fn distinct_rows(n: usize, cols: usize, key: u64, low: i64, high: i64) -> Vec<i64> {
    let span = usize::try_from(high.saturating_sub(low))
        .unwrap_or(0)
        .max(1);
    let mut out = vec![0i64; n];
    out.par_chunks_mut(cols.max(1))
        .enumerate()
        .for_each(|(r, row)| {
            let mut perm: Vec<usize> = (0..span).collect();
            for (j, v) in row.iter_mut().enumerate() {
                let j = j % span;
                let left = (span - j) as u128;
                let pick =
                    j + ((u128::from(word(key, (r * cols + j) as u64)) * left) >> 64) as usize;
                perm.swap(j, pick);
                *v = low + perm[j] as i64;
            }
        });
    out
}

/// Replaces every row of `cols` logits of `values` by its softmax, computed in `f64` with
/// `libm::exp` (the same bytes on every machine), rows in parallel.
fn softmax_rows(values: &mut [f32], cols: usize) {
    values.par_chunks_mut(cols.max(1)).for_each(|row| {
        let max = row.iter().fold(f32::NEG_INFINITY, |m, &x| m.max(x));
        let sum: f64 = row
            .iter()
            .map(|&x| libm::exp(f64::from(x) - f64::from(max)))
            .sum();
        for x in row.iter_mut() {
            *x = (libm::exp(f64::from(*x) - f64::from(max)) / sum) as f32;
        }
    });
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
    const FIXED_RELU_X_SEED42: [u32; 4] = [3191587686, 1062786378, 1074593873, 3212115877];

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
            assert_eq!(v[i], normal(key, i as u64) as f32, "element {i}");
        }
        let (HostData::F32(five), HostData::F32(six)) = (
            Init::RANDN.generate("t", 7, "x", &[5]).data,
            Init::RANDN.generate("t", 7, "x", &[6]).data,
        ) else {
            panic!("f32")
        };
        assert_eq!(five[..], six[..5], "a longer tensor extends a shorter one");
    }

    #[test]
    fn quantiles_match_published_values() {
        // Φ⁻¹ at these probabilities, to 15 significant digits (R's qnorm, mpmath).
        for (p, z) in [
            (0.5, 0.0),
            (0.975, 1.959_963_984_540_054),
            (0.1, -1.281_551_565_544_600_4),
            (1e-10, -6.361_340_902_404_056),
            (1.0 - 1e-3, 3.090_232_306_167_813_6),
        ] {
            let got = normal_quantile(p);
            assert!(
                (got - z).abs() <= 1e-12 * (1.0 + z.abs()),
                "p {p}: {got} vs {z}"
            );
        }
    }

    #[test]
    fn sign_shifted_and_softmax_distributions_hold_their_promises() {
        let HostData::F32(signs) = Init::Sign.generate("t", 1, "s", &[1000]).data else {
            panic!("f32")
        };
        assert!(signs.iter().all(|&v| v == 1.0 || v == -1.0));
        assert!(signs.iter().filter(|&&v| v > 0.0).count().abs_diff(500) < 100);
        let shifted = Init::ShiftedNormal {
            low: 2.0,
            high: 3.0,
        };
        let HostData::F32(v) = shifted.generate("t", 1, "m", &[20_000]).data else {
            panic!("f32")
        };
        let mean = v.iter().map(|&x| f64::from(x)).sum::<f64>() / v.len() as f64;
        assert!((1.95..3.05).contains(&mean), "mean {mean}");
        let soft = Init::SoftmaxNormal {
            low: 0.5,
            high: 2.0,
        };
        let t = soft.generate("t", 1, "p", &[3, 500]);
        assert_eq!(t, soft.generate("t", 1, "p", &[3, 500]), "deterministic");
        let HostData::F32(p) = &t.data else {
            panic!("f32")
        };
        for row in p.chunks(500) {
            let sum: f64 = row.iter().map(|&x| f64::from(x)).sum();
            assert!((sum - 1.0).abs() < 1e-5, "row sum {sum}");
            assert!(row.iter().all(|&x| x > 0.0));
        }
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
        let beyond = v
            .iter()
            .filter(|&&x| f64::from(x).abs() > 1.959_964)
            .count() as f64;
        assert!(
            (beyond / n - 0.05).abs() < 0.003,
            "two-sided 5% tail {}",
            beyond / n
        );
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

    #[test]
    fn a_scaled_normal_has_one_scale_per_tensor_and_seed() {
        let init = Init::ScaledNormal {
            low: 0.5,
            high: 2.0,
        };
        let std_of = |seed: u64| {
            let t = init.generate("t", seed, "x", &[100_000]);
            let HostData::F32(v) = &t.data else {
                panic!("f32")
            };
            let n = v.len() as f64;
            (v.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / n).sqrt()
        };
        let stds: Vec<f64> = (1..=6).map(std_of).collect();
        for s in &stds {
            assert!((0.49..2.02).contains(s), "{stds:?}");
        }
        let spread = stds.iter().cloned().fold(f64::MIN, f64::max)
            - stds.iter().cloned().fold(f64::MAX, f64::min);
        assert!(
            spread > 0.2,
            "the scale must change with the seed: {stds:?}"
        );
    }
}
