//! optimizer: one update step of an optimiser.

use super::{arg, n, one, py, task};
use crate::generator::Init;
use crate::ops::Tensor;
use crate::spec::{Category, Task, Tolerance};

const LR: f64 = 1e-3;
const BETA1: f64 = 0.9;
const BETA2: f64 = 0.999;
const EPS: f64 = 1e-8;
const STEP: i32 = 1;

pub(super) fn tasks() -> Vec<Task> {
    let shape = [512, 2048];
    vec![
        task(
            Category::Optimizer,
            "adam",
            "one Adam step (step 1, bias-corrected moments), returns the updated parameter",
            py!("optimizer/adam"),
            |a| {
                let param: Tensor<2> = arg(a, 0)?;
                let grad: Tensor<2> = arg(a, 1)?;
                let m: Tensor<2> = arg(a, 2)?;
                let v: Tensor<2> = arg(a, 3)?;
                let m = m.mul_scalar(BETA1) + grad.clone().mul_scalar(1.0 - BETA1);
                let v = v.mul_scalar(BETA2) + grad.square().mul_scalar(1.0 - BETA2);
                let m_hat = m.div_scalar(1.0 - BETA1.powi(STEP));
                let v_hat = v.div_scalar(1.0 - BETA2.powi(STEP));
                one(param - m_hat.mul_scalar(LR) / v_hat.sqrt().add_scalar(EPS))
            },
        )
        .input("param", &shape, Init::RANDN)
        .input("grad", &shape, Init::RANDN)
        .input("m", &shape, Init::Full { value: 0.0 })
        .input("v", &shape, Init::Full { value: 0.0 })
        .output("param_out", &shape)
        .flops(12 * n(&shape))
        .tolerance(
            Tolerance {
                atol: 1e-5,
                rtol: 1e-5,
            },
            "the update lr * m_hat / (sqrt(v_hat) + eps) is about 1e-3, below the default 1e-2: \
         a kernel returning the parameter unchanged would pass. 1e-5 is 100x float32 \
         rounding on |param| ~ 1 and 100x below the update.",
        )
        .build(),
    ]
}
