//! Scans along the rows and scalar arithmetic (the math category).

use super::host;
use crate::error::Result;
use crate::ops::elementwise::{self as ew, Scan, scan_rows};
use crate::spec::ReferenceFn;
use crate::tensor::HostTensor;

/// The task's literal scalar `s`, not an approximation of pi.
#[allow(clippy::approx_constant)]
const SCALE: f64 = 3.14;

pub(super) const REFERENCES: &[(&str, ReferenceFn)] = &[
    ("cumprod", |a, _| row_scan(a, None, Scan::Prod)),
    ("cumsum", |a, _| row_scan(a, None, Scan::Sum)),
    ("cumsum_exclusive", |a, _| {
        row_scan(a, None, Scan::ExclusiveSum)
    }),
    ("cumsum_reverse", |a, _| row_scan(a, None, Scan::ReverseSum)),
    ("masked_cumsum", |a, _| {
        row_scan(a, Some(host(a, 1)?), Scan::Sum)
    }),
    // PyTorch multiplies a float32 tensor by a Python float in float32.
    ("matrix_scalar_multiplication", |a, _| {
        let s = SCALE as f32;
        Ok(vec![ew::map(host(a, 0)?, "A", move |x| x * s)?])
    }),
];

/// A row scan of the first argument `x`, optionally masked by `mask`.
fn row_scan(args: &[HostTensor], mask: Option<&HostTensor>, kind: Scan) -> Result<Vec<HostTensor>> {
    Ok(vec![scan_rows(host(args, 0)?, "x", mask, kind)?])
}
