//! activation: 15 elementwise and row-wise activations.

use super::{TaskBuilder, n, py, task, unary_map};
use crate::error::{Result, TaskError};
use crate::generator::Init;
use crate::ops::elementwise as ew;
use crate::spec::{Category, ReferenceFn, Task};
use crate::tensor::HostTensor;

const SHAPE: [usize; 2] = [16, 16384];

/// An activation over `x: [16, 16384]` costing `flops_per_element`.
fn elementwise(
    name: &'static str,
    summary: &'static str,
    source: &'static str,
    flops_per_element: u64,
    reference: ReferenceFn,
) -> TaskBuilder {
    task(Category::Activation, name, summary, source, reference)
        .input("x", &SHAPE, Init::RANDN)
        .output("y", &SHAPE)
        .flops(flops_per_element * n(&SHAPE))
}

/// Softmax (log-softmax when `log`) over dimension 1 of the one `[rows, cols]` input.
fn softmax_rows(args: &[HostTensor], log: bool) -> Result<Vec<HostTensor>> {
    let t = args
        .first()
        .ok_or_else(|| TaskError::Shape("missing argument 0".into()))?;
    if t.shape.len() != 2 {
        return Err(TaskError::Shape(format!(
            "x has shape {:?}, expected rank 2",
            t.shape
        )));
    }
    Ok(vec![ew::softmax_last(t, "x", log)?])
}

pub(super) fn tasks() -> Vec<Task> {
    let gpt_shape = [2000, 2000];
    vec![
        elementwise(
            "elu",
            "F.elu(x, alpha=1.0)",
            py!("activation/elu"),
            3,
            |a| unary_map(a, |x| ew::elu(x, 1.0)),
        )
        .build(),
        elementwise(
            "gelu",
            "F.gelu(x), exact erf form",
            py!("activation/gelu"),
            8,
            |a| unary_map(a, ew::gelu_erf),
        )
        .build(),
        elementwise(
            "hardsigmoid",
            "F.hardsigmoid(x) = clamp(x / 6 + 1/2, 0, 1)",
            py!("activation/hardsigmoid"),
            4,
            |a| unary_map(a, |x| (x / 6.0 + 0.5).clamp(0.0, 1.0)),
        )
        .build(),
        elementwise(
            "hardtanh",
            "F.hardtanh(x, -1, 1)",
            py!("activation/hardtanh"),
            2,
            |a| unary_map(a, |x| x.clamp(-1.0, 1.0)),
        )
        .build(),
        elementwise(
            "leaky_relu",
            "F.leaky_relu(x, negative_slope=0.01)",
            py!("activation/leaky_relu"),
            2,
            |a| unary_map(a, |x| if x >= 0.0 { x } else { 0.01 * x }),
        )
        .build(),
        elementwise(
            "log_softmax",
            "torch.log_softmax(x, dim=1)",
            py!("activation/log_softmax"),
            5,
            |a| softmax_rows(a, true),
        )
        .build(),
        task(
            Category::Activation,
            "min_gpt_new_gelu",
            "0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), minGPT's GELU",
            py!("activation/min_gpt_new_gelu"),
            |a| unary_map(a, ew::gelu_tanh),
        )
        .input("x", &gpt_shape, Init::RANDN)
        .output("y", &gpt_shape)
        .flops(9 * n(&gpt_shape))
        .build(),
        elementwise("relu", "torch.relu(x)", py!("activation/relu"), 1, |a| {
            unary_map(a, |x| x.max(0.0))
        })
        .build(),
        elementwise("selu", "torch.selu(x)", py!("activation/selu"), 4, |a| {
            unary_map(a, ew::selu)
        })
        .build(),
        elementwise(
            "sigmoid",
            "torch.sigmoid(x)",
            py!("activation/sigmoid"),
            4,
            |a| unary_map(a, ew::sigmoid),
        )
        .build(),
        elementwise(
            "softmax",
            "torch.softmax(x, dim=1)",
            py!("activation/softmax"),
            5,
            |a| softmax_rows(a, false),
        )
        .redraw(
            "x",
            Init::Normal {
                mean: 0.0,
                std: 10.0,
            },
        )
        .notes(
            "x ~ N(0, 10^2) instead of N(0, 1): over 16384 columns of standard normals every \
             probability is below 0.01, so all zeros (or the constant 1/16384) passed the \
             tolerance; at std 10 the largest probabilities of a row are far above it",
        )
        .build(),
        elementwise(
            "softplus",
            "F.softplus(x) = log(1 + exp(x))",
            py!("activation/softplus"),
            4,
            |a| unary_map(a, ew::softplus),
        )
        .build(),
        elementwise(
            "softsign",
            "x / (1 + |x|)",
            py!("activation/softsign"),
            3,
            |a| unary_map(a, |x| x / (1.0 + x.abs())),
        )
        .build(),
        elementwise("swish", "x * sigmoid(x)", py!("activation/swish"), 5, |a| {
            unary_map(a, ew::silu)
        })
        .build(),
        elementwise("tanh", "torch.tanh(x)", py!("activation/tanh"), 4, |a| {
            unary_map(a, ew::tanh)
        })
        .build(),
    ]
}
