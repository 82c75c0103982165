//! The op layer against values computed by hand.

use kbench_tasks::HostTensor;
use kbench_tasks::ops::{self, Conv2d, MaxPool2d, Tensor};

fn tensor<const D: usize>(shape: &[usize], values: Vec<f32>) -> Tensor<D> {
    let host = HostTensor::f32(shape.to_vec(), values).expect("shape matches");
    ops::load(&host, "t").expect("loads")
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    ops::store(t)
        .expect("stores")
        .as_f32("t")
        .expect("f32")
        .to_vec()
}

fn assert_close(got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < 1e-5, "{got:?} vs {want:?}");
    }
}

#[test]
fn linear_takes_pytorch_weight_layout() {
    let x = tensor::<2>(&[1, 2], vec![1.0, 2.0]);
    let w = tensor::<2>(&[3, 2], vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
    let b = tensor::<1>(&[3], vec![0.5, 0.0, -1.0]);
    assert_close(&values(ops::linear(x, w, Some(b))), &[1.5, 2.0, 2.0]);
}

#[test]
fn conv2d_is_cross_correlation() {
    let x = tensor::<4>(&[1, 1, 3, 3], (1..=9).map(|v| v as f32).collect());
    let w = tensor::<4>(&[1, 1, 2, 2], vec![1.0, 2.0, 3.0, 4.0]);
    let y = ops::conv2d(x, w, None, Conv2d::default());
    assert_eq!(y.dims(), [1, 1, 2, 2]);
    assert_close(&values(y), &[37.0, 47.0, 67.0, 77.0]);
}

#[test]
fn max_pool2d_with_padding_and_dilation() {
    // Windows of kernel 2, dilation 3, stride 2, padding 1 over a 4x4 ramp 0..15:
    // out(i, j) looks at rows 2i-1 and 2i+2, columns 2j-1 and 2j+2; padding is -inf.
    let x = tensor::<4>(&[1, 1, 4, 4], (0..16).map(|v| v as f32).collect());
    let geo = MaxPool2d {
        kernel: [2, 2],
        stride: [2, 2],
        padding: [1, 1],
        dilation: [3, 3],
    };
    let y = ops::max_pool2d(x, geo);
    assert_eq!(y.dims(), [1, 1, 2, 2]);
    assert_close(&values(y), &[10.0, 9.0, 6.0, 5.0]);
}

#[test]
fn bilinear_upsample_uses_half_pixel_centres() {
    // align_corners=False: source = (dst + 0.5) / 2 - 0.5, clamped at the borders.
    let x = tensor::<4>(&[1, 1, 2, 2], vec![1.0, 2.0, 3.0, 4.0]);
    let y = ops::bilinear_upsample(x, 2);
    assert_eq!(y.dims(), [1, 1, 4, 4]);
    #[rustfmt::skip]
    let want = [
        1.0, 1.25, 1.75, 2.0,
        1.5, 1.75, 2.25, 2.5,
        2.5, 2.75, 3.25, 3.5,
        3.0, 3.25, 3.75, 4.0,
    ];
    assert_close(&values(y), &want);
}

#[test]
fn layer_norm_over_trailing_dimensions() {
    let x = tensor::<3>(&[1, 2, 2], vec![1.0, 2.0, 3.0, 4.0]);
    let w = tensor::<1>(&[4], vec![1.0, 1.0, 2.0, 1.0]);
    let b = tensor::<1>(&[4], vec![0.0, 0.0, 0.0, 1.0]);
    // mean 2.5, biased variance 1.25.
    let s = (1.25f32 + 1e-5).sqrt();
    let want = [-1.5 / s, -0.5 / s, 2.0 * 0.5 / s, 1.5 / s + 1.0];
    assert_close(&values(ops::layer_norm_trailing(x, 2, w, b, 1e-5)), &want);
}

#[test]
fn gelu_forms_at_known_points() {
    let x = [-1.0f32, 0.0, 1.0];
    let at = |f: fn(f32) -> f32| -> Vec<f32> { x.iter().map(|&v| f(v)).collect() };
    // 0.5 x (1 + erf(x / sqrt 2)) at 1 is 0.8413447; the tanh form gives 0.8411920.
    assert_close(
        &at(ops::elementwise::gelu_erf),
        &[-0.158_655_3, 0.0, 0.841_344_7],
    );
    assert_close(
        &at(ops::elementwise::gelu_tanh),
        &[-0.158_808, 0.0, 0.841_192],
    );
}

#[test]
fn bool_round_trip_and_rank_errors() {
    let host = HostTensor::bool(vec![2], vec![true, false]).expect("shape");
    let t = ops::load_bool::<1>(&host, "m").expect("loads");
    assert_eq!(ops::store_bool(t).expect("stores"), host);
    let err = ops::load::<2>(&host, "m").expect_err("rank 1 is not rank 2");
    assert!(err.to_string().contains("rank"), "{err}");
    let f = HostTensor::f32(vec![2], vec![0.0, 1.0]).expect("shape");
    let err = ops::load_bool::<1>(&f, "m").expect_err("f32 is not bool");
    assert!(err.to_string().contains("dtype"), "{err}");
}
