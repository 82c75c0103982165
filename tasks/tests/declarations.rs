//! Tasks are declared as data (`tasks/<category>/<name>.toml` beside the `.py`): every
//! declaration resolves at every size profile, every reference function is used, the
//! sources render with each profile's sizes, and the shapes agree with the task table
//! (`tasks/data/multikernelbench_tasks.tsv`, columns `inputs` and `inputs_at_head`).

use kbench_tasks::declare::source;
use kbench_tasks::{SizeProfile, Task, references, registry};
use std::collections::{BTreeMap, BTreeSet};

/// The shapes of a task's tensor arguments, in order.
type Shapes = Vec<Vec<usize>>;

/// The task table's tensor shapes by task name: `(paper, current)`, each the ordered
/// list of tensor arguments (python scalars and tuples skipped).
fn table_shapes() -> BTreeMap<String, (Shapes, Shapes)> {
    let text = include_str!("../data/multikernelbench_tasks.tsv");
    let mut rows = text.lines();
    let header: Vec<&str> = rows.next().expect("a header").split('\t').collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    let (name, paper, current) = (column("name"), column("inputs"), column("inputs_at_head"));
    let parse = |cell: &str| -> Shapes {
        cell.split(" ; ")
            .filter_map(|arg| {
                let (_, rest) = arg.trim().split_once(":[")?;
                let dims = rest.split_once(']')?.0;
                Some(
                    dims.split(',')
                        .filter(|d| !d.is_empty())
                        .map(|d| d.trim().parse().expect("a dimension"))
                        .collect(),
                )
            })
            .collect()
    };
    rows.map(|row| {
        let cells: Vec<&str> = row.split('\t').collect();
        (
            cells[name].to_string(),
            (parse(cells[paper]), parse(cells[current])),
        )
    })
    .collect()
}

fn input_shapes(task: &Task) -> Shapes {
    task.inputs.iter().map(|s| s.shape.clone()).collect()
}

#[test]
fn every_declaration_resolves_at_every_profile() {
    let tasks = registry::task_declarations().expect("task declarations parse");
    let exemplars = registry::exemplar_declarations().expect("exemplar declarations parse");
    assert!(!tasks.is_empty() && !exemplars.is_empty());
    for profile in SizeProfile::ALL {
        let resolved = registry::resolve_all(tasks, profile)
            .unwrap_or_else(|e| panic!("{profile} sizes: {e}"));
        let ids: BTreeSet<String> = resolved.iter().map(Task::id).collect();
        assert_eq!(ids.len(), resolved.len(), "duplicate task ids");
        registry::resolve_all(exemplars, profile)
            .unwrap_or_else(|e| panic!("exemplars at {profile} sizes: {e}"));
        for task in &resolved {
            assert_eq!(task.profile, profile);
            assert!(task.flops > 0, "{}: no FLOPs", task.id());
            assert!(!task.outputs.is_empty(), "{}: no output", task.id());
        }
    }
    let names: BTreeSet<&str> = registry::all()
        .iter()
        .chain(registry::exemplars())
        .map(|t| t.name)
        .collect();
    assert_eq!(
        names.len(),
        registry::all().len() + registry::exemplars().len(),
        "an exemplar has a task's name"
    );
}

/// The reference names the declarations waiting in `tasks/pending/<category>/` use.
fn pending_references() -> BTreeSet<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pending");
    let mut names = BTreeSet::new();
    for folder in std::fs::read_dir(&root).into_iter().flatten().flatten() {
        for file in std::fs::read_dir(folder.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let path = file.path();
            if path.extension().is_some_and(|e| e == "toml") {
                let text = std::fs::read_to_string(&path).expect("readable");
                let d: kbench_tasks::declare::schema::Declaration =
                    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                names.insert(d.reference);
            }
        }
    }
    names
}

#[test]
fn every_reference_function_is_used() {
    let pending = pending_references();
    let used: BTreeSet<&str> = registry::task_declarations()
        .expect("parse")
        .iter()
        .chain(registry::exemplar_declarations().expect("parse"))
        .map(|d| d.declaration.reference.as_str())
        .chain(pending.iter().map(String::as_str))
        .collect();
    for name in references::names() {
        assert!(
            used.contains(name),
            "reference `{name}` is declared by no task (registered or pending)"
        );
    }
}

#[test]
fn sources_show_the_profile_sizes() {
    for declared in registry::task_declarations().expect("parse") {
        let paper = registry::find_in(declared.key, SizeProfile::Paper).expect("paper");
        assert_eq!(
            paper.source, declared.source,
            "{}: paper source is the .py",
            declared.key
        );
        let current = registry::find_in(declared.key, SizeProfile::Current).expect("current");
        let shown = source::constants(&current.source);
        assert_eq!(
            shown,
            declared.sizes(SizeProfile::Current),
            "{}: the current source shows other sizes",
            declared.key
        );
    }
}

#[test]
fn shapes_agree_with_the_task_table() {
    let table = table_shapes();
    let mut checked = 0;
    for task in registry::all() {
        let Some((paper, current)) = table.get(task.name) else {
            panic!("{} is not in the task table", task.id());
        };
        let current_task = registry::find_in(&task.id(), SizeProfile::Current).expect("current");
        assert_eq!(&input_shapes(task), paper, "{}: paper shapes", task.id());
        assert_eq!(
            &input_shapes(current_task),
            current,
            "{}: current shapes",
            task.id()
        );
        checked += 1;
    }
    assert_eq!(checked, registry::all().len());
}

#[test]
fn a_broken_declaration_is_an_error_that_names_the_problem() {
    let sizes: kbench_tasks::declare::expr::Sizes = [("n".to_string(), 4)].into();
    let err = kbench_tasks::declare::expr::eval("n * m", &sizes).expect_err("unknown name");
    assert!(err.contains("`m`"), "{err}");
    let bad: Result<kbench_tasks::declare::schema::Declaration, _> =
        toml::from_str("summary = \"x\"\nreference = \"relu\"\nflops = 1\nshape = 3\n");
    assert!(bad.is_err(), "unknown fields are refused");
}
