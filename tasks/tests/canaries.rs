//! Canaries: outputs a cheating or broken kernel would produce must fail every task's
//! comparison on the trial inputs (issue: "a constant passed"). For every task and
//! every output: all zeros; the best constant guess (the mean of the reference output
//! over other seeds, which is how a constant 2.0 once passed `loss/mse_loss`); a copy of
//! an input of the same shape and type, where there is one; and random values. A
//! canary fails when at least one element is outside `atol + rtol * |ref|` (the
//! harness requires every element inside). Where a canary passed, the task's input
//! distribution was changed and its notes say so.

use kbench_tasks::{HostData, HostTensor, SizeProfile, Task, Tolerance, registry};

/// The seed of the trial inputs the canaries are compared on, and the other seeds the
/// best constant is learned from.
const TRIAL_SEED: u64 = 1;
const OTHER_SEEDS: [u64; 2] = [2, 3];

/// Element `i` of `t` as a number (booleans 0 or 1).
fn value(t: &HostTensor, i: usize) -> f64 {
    match &t.data {
        HostData::F32(v) => f64::from(v[i]),
        HostData::I64(v) => v[i] as f64,
        HostData::Bool(v) => f64::from(u8::from(v[i])),
    }
}

/// Whether the candidate `candidate(i)` for every element passes the comparison with
/// `reference` (every element within tolerance; booleans and integers compared as
/// numbers). Streams: nothing the size of the output is allocated.
fn passes_with(
    reference: &HostTensor,
    tol: Tolerance,
    mut candidate: impl FnMut(usize) -> f64,
) -> bool {
    (0..reference.len()).all(|i| tol.accepts(candidate(i), value(reference, i)))
}

/// Whether `candidate` passes the comparison with `reference`.
fn passes(candidate: &[f64], reference: &[f64], tol: Tolerance) -> bool {
    candidate.len() == reference.len()
        && candidate
            .iter()
            .zip(reference)
            .all(|(&c, &r)| tol.accepts(c, r))
}

/// A deterministic stream of uniform numbers in [0, 1).
fn uniform(seed: u64) -> impl FnMut() -> f64 {
    let mut state = seed ^ 0x9E37_79B9_7F4A_7C15;
    move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A stream of random values shaped like `reference`: a standard normal for floats,
/// fair bits for booleans, and integers spread over the reference's range.
fn random_like(reference: &HostTensor, seed: u64) -> impl FnMut(usize) -> f64 + '_ {
    let mut next = uniform(seed);
    let range = match &reference.data {
        HostData::I64(v) => Some((
            v.iter().copied().min().unwrap_or(0),
            v.iter().copied().max().unwrap_or(1),
        )),
        _ => None,
    };
    move |_| match (&reference.data, range) {
        (HostData::Bool(_), _) => (next() < 0.5) as u8 as f64,
        (HostData::I64(_), Some((lo, hi))) => {
            (lo as f64 + (next() * (hi - lo + 1) as f64).floor()).min(hi as f64)
        }
        _ => {
            let (u, v) = (next().max(1e-12), next());
            (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
        }
    }
}

/// The canaries of output `k` of `task` that pass, by name; `mean` is the mean of that
/// output over the other seeds.
fn passing_canaries(
    task: &Task,
    trial: &[HostTensor],
    reference: &HostTensor,
    mean: f64,
    k: usize,
) -> Vec<String> {
    let tol = task.tolerance;
    let mut passing = Vec::new();
    if passes_with(reference, tol, |_| 0.0) {
        passing.push("zeros".to_string());
    }
    let constant = match reference.data {
        HostData::F32(_) => mean as f32 as f64,
        HostData::I64(_) | HostData::Bool(_) => mean.round(),
    };
    if passes_with(reference, tol, |_| constant) {
        passing.push(format!("the constant {constant}"));
    }
    let inputs = &trial[..task.inputs.len()];
    for (spec, input) in task.inputs.iter().zip(inputs) {
        if input.shape == reference.shape
            && input.dtype() == reference.dtype()
            && passes_with(reference, tol, |i| value(input, i))
        {
            passing.push(format!("a copy of input `{}`", spec.name));
        }
    }
    if passes_with(reference, tol, random_like(reference, 7 + k as u64)) {
        passing.push("random values".to_string());
    }
    passing
}

/// The canaries of `task` that pass, as messages. One reference output lives at a
/// time beside the trial's: the other seeds contribute only their means.
fn canaries_that_pass(task: &Task) -> Vec<String> {
    let mut sums = vec![0.0f64; task.outputs.len()];
    let mut counts = vec![0usize; task.outputs.len()];
    for seed in OTHER_SEEDS {
        let tensors = task.generate(seed);
        let outputs = task
            .run_reference(&tensors)
            .unwrap_or_else(|e| panic!("{}: {e}", task.id()));
        for (k, out) in outputs.iter().enumerate() {
            sums[k] += (0..out.len()).map(|i| value(out, i)).sum::<f64>();
            counts[k] += out.len();
        }
    }
    let trial = task.generate(TRIAL_SEED);
    let refs = task
        .run_reference(&trial)
        .unwrap_or_else(|e| panic!("{}: {e}", task.id()));
    let mut failures = Vec::new();
    for (k, spec) in task.outputs.iter().enumerate() {
        let mean = sums[k] / counts[k].max(1) as f64;
        for canary in passing_canaries(task, &trial, &refs[k], mean, k) {
            failures.push(format!(
                "{} ({} sizes) output `{}`: {canary} passes",
                task.id(),
                task.profile,
                spec.name
            ));
        }
    }
    failures
}

/// The largest current-profile task (bytes moved) the canaries run in CI: they hold one
/// seed's inputs and outputs at a time, so a 13 GB task needs 13 GB, which a 23 GB CI
/// machine running other tests beside them does not have. `KBENCH_CANARY_CURRENT_GB`
/// raises the limit for a run on a machine with the memory to spare.
fn current_bytes_limit() -> u64 {
    std::env::var("KBENCH_CANARY_CURRENT_GB")
        .ok()
        .and_then(|gb| gb.parse::<f64>().ok())
        .map_or(1 << 30, |gb| (gb * 1e9) as u64)
}

/// Held by each profile's test: one task at a time over both, as the largest tasks need
/// several GB.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Asserts that no canary of `tasks` passes.
fn assert_no_canary_passes<'a>(tasks: impl Iterator<Item = &'a Task>) {
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let failures: Vec<String> = tasks.flat_map(canaries_that_pass).collect();
    assert!(
        failures.is_empty(),
        "canaries that pass:\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_canary_fails_every_task_at_paper_sizes() {
    assert_no_canary_passes(registry::all().iter());
}

/// The current profile's tasks whose sizes differ from the paper's, up to
/// [`current_bytes_limit`] moved; the larger ones are named.
#[test]
fn every_canary_fails_every_task_at_current_sizes() {
    let mut too_large = Vec::new();
    let resized = registry::all_in(SizeProfile::Current)
        .iter()
        .filter(|task| {
            let paper = registry::find(&task.id()).expect("the same task at paper sizes");
            let same_sizes = task
                .inputs
                .iter()
                .zip(&paper.inputs)
                .all(|(a, b)| a.shape == b.shape)
                && task
                    .params
                    .iter()
                    .zip(&paper.params)
                    .all(|(a, b)| a.shape == b.shape);
            let bytes = task.cost().bytes;
            if !same_sizes && bytes > current_bytes_limit() {
                too_large.push(format!("{} ({:.1} GB)", task.id(), bytes as f64 / 1e9));
                return false;
            }
            !same_sizes
        });
    let resized: Vec<&Task> = resized.collect();
    if !too_large.is_empty() {
        println!(
            "canaries at current sizes not run here (over {:.1} GB moved, too large for this \
             machine; KBENCH_CANARY_CURRENT_GB raises the limit): {}",
            current_bytes_limit() as f64 / 1e9,
            too_large.join(", ")
        );
    }
    assert_no_canary_passes(resized.into_iter());
}

#[test]
fn the_canaries_catch_what_they_should() {
    let tol = Tolerance::DEFAULT;
    let reference = [2.0, 2.0];
    assert!(passes(&[2.0, 2.01], &reference, tol));
    assert!(!passes(&[2.0, 2.1], &reference, tol));
    assert!(!passes(&[f64::NAN, 2.0], &reference, tol));
    assert!(
        !passes(&[2.0], &reference, tol),
        "a wrong length never passes"
    );
}
