//! Every registered reference runs and returns its declared outputs.

use kbench_tasks::{Category, registry};

#[test]
fn tasks_cover_every_category_with_unique_ids() {
    let tasks = registry::all();
    for category in Category::ALL {
        assert!(
            tasks.iter().any(|t| t.category == category),
            "no task in {category}"
        );
    }
    let mut ids: Vec<String> = tasks.iter().map(|t| t.id()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), tasks.len(), "identifiers must be unique");
}

#[test]
fn every_reference_runs_with_declared_outputs() {
    for task in registry::all() {
        let tensors = task.generate(1);
        let outputs = task
            .run_reference(&tensors)
            .unwrap_or_else(|e| panic!("{}: {e}", task.id()));
        for out in &outputs {
            if let Ok(values) = out.as_f32("out") {
                assert!(
                    values.iter().all(|v| v.is_finite()),
                    "{}: non-finite reference output",
                    task.id()
                );
            }
        }
    }
}

#[test]
fn cumsum_exclusive_is_the_intended_scan() {
    let task = registry::find("math/cumsum_exclusive").expect("registered");
    let tensors = task.generate(5);
    let x = tensors[0].as_f32("x").expect("f32");
    let y = task.run_reference(&tensors).expect("runs");
    let y = y[0].as_f32("y").expect("f32");
    let cols = 4000;
    for row in [0usize, 127] {
        assert_eq!(y[row * cols], 0.0);
        let mut acc = 0.0f64;
        for j in 1..cols {
            acc += f64::from(x[row * cols + j - 1]);
            assert!(
                (f64::from(y[row * cols + j]) - acc).abs() < 1e-3,
                "row {row} col {j}"
            );
        }
    }
}

#[test]
fn wrong_arity_and_unknown_ids_are_errors() {
    let task = registry::find("activation/relu").expect("registered");
    let err = task.run_reference(&[]).expect_err("no inputs");
    assert!(err.to_string().contains("takes 1 tensors"), "{err}");
    let err = registry::find("activation/nope").expect_err("unknown");
    assert!(err.to_string().contains("unknown task"), "{err}");
}

#[test]
fn tolerance_never_accepts_nan() {
    let t = kbench_tasks::Tolerance::DEFAULT;
    assert!(t.accepts(1.005, 1.0));
    assert!(!t.accepts(1.1, 1.0));
    assert!(!t.accepts(f64::NAN, 1.0));
    assert!(!t.accepts(1.0, f64::NAN));
    assert!(!t.accepts(f64::NAN, f64::NAN));
}

#[test]
fn an_infinite_reference_accepts_only_itself() {
    let t = kbench_tasks::Tolerance::DEFAULT;
    assert!(t.accepts(f64::NEG_INFINITY, f64::NEG_INFINITY));
    assert!(
        !t.accepts(-1e30, f64::NEG_INFINITY),
        "a finite value is not -inf"
    );
    assert!(!t.accepts(f64::INFINITY, f64::NEG_INFINITY));
    assert!(!t.accepts(f64::INFINITY, 1.0));
}

#[test]
fn exemplars_are_not_benchmark_tasks_and_cover_every_category() {
    let table = include_str!("../data/multikernelbench_tasks.tsv");
    let names: Vec<&str> = table
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').next())
        .collect();
    assert!(
        names.len() >= 285,
        "the task table has {} rows",
        names.len()
    );
    for ex in registry::exemplars() {
        assert!(
            !names.contains(&ex.name),
            "exemplar {} is a MultiKernelBench task",
            ex.id()
        );
        let outputs = ex
            .run_reference(&ex.generate(3))
            .unwrap_or_else(|e| panic!("{}: {e}", ex.id()));
        assert_eq!(outputs.len(), ex.outputs.len());
    }
    for category in Category::ALL {
        let ex = registry::exemplar(category).unwrap_or_else(|| panic!("no {category} exemplar"));
        assert_eq!(ex.category, category);
    }
    assert_eq!(
        registry::add_exemplar().map(|t| t.id()),
        Some("broadcast/elementwise_add".to_string())
    );
}

#[test]
fn registered_names_are_in_the_task_table() {
    let table = include_str!("../data/multikernelbench_tasks.tsv");
    for task in registry::all() {
        let row = table
            .lines()
            .find(|l| l.split('\t').next() == Some(task.name))
            .unwrap_or_else(|| panic!("{} is not in the task table", task.id()));
        let category = row.split('\t').nth(1).unwrap_or_default();
        assert_eq!(category, task.category.as_str(), "{}", task.id());
    }
}

#[test]
fn lion_inputs_keep_clear_of_the_sign_jump() {
    let lion = registry::find_any("exemplar:optimizer/lion").expect("the lion exemplar");
    assert!(
        lion.condition.is_some(),
        "lion must declare its input condition"
    );
    for seed in [1, 2, 3] {
        let tensors = lion.generate(seed);
        let (kbench_tasks::HostData::F32(grad), kbench_tasks::HostData::F32(m)) =
            (&tensors[1].data, &tensors[2].data)
        else {
            panic!("lion's inputs are f32");
        };
        let closest = m
            .iter()
            .zip(grad)
            .map(|(&m, &g)| (0.9 * f64::from(m) + 0.1 * f64::from(g)).abs())
            .fold(f64::INFINITY, f64::min);
        assert!(closest > 0.99e-3, "seed {seed}: |c| = {closest}");
    }
}
