//! matmul: matrix multiplications.

use super::{arg, one, py, task};
use crate::generator::Init;
use crate::spec::{Category, Task};

pub(super) fn tasks() -> Vec<Task> {
    let (m, k, n) = (1024usize, 4096usize, 2048usize);
    vec![
        task(
            Category::Matmul,
            "standard_matrix_multiplication",
            "C = A @ B, M = 1024, K = 4096, N = 2048",
            py!("matmul/standard_matrix_multiplication"),
            |a| one(arg::<2>(a, 0)?.matmul(arg::<2>(a, 1)?)),
        )
        .input("A", &[m, k], Init::RANDN)
        .input("B", &[k, n], Init::RANDN)
        .output("C", &[m, n])
        .flops(2 * (m * k * n) as u64)
        .build(),
    ]
}
