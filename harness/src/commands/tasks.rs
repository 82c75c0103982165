//! `kbench tasks`: list, show and export registered tasks.

use crate::cli::TasksCommand;
use anyhow::{Context, bail};
use comfy_table::{Table, presets::ASCII_BORDERS_ONLY_CONDENSED};
use kbench_tasks::{Category, SizeProfile, Task, TensorSpec, export, registry};
use serde_json::json;

/// Runs a `kbench tasks` subcommand.
pub fn run(cmd: TasksCommand) -> anyhow::Result<()> {
    match cmd {
        TasksCommand::List {
            category,
            json,
            exemplars,
            sizes,
        } => list(category.as_deref(), json, exemplars, sizes),
        TasksCommand::Show { id, json, sizes } => show(&id, json, sizes),
        TasksCommand::Export {
            id,
            seed,
            out,
            time_runs,
            sizes,
        } => {
            let task = registry::find_any_in(&id, sizes)?;
            let manifest = export::export(task, seed, &out, time_runs)
                .with_context(|| format!("exporting {id} (seed {seed})"))?;
            println!(
                "exported {} seed {}: {} inputs, {} parameters, {} outputs -> {}",
                manifest.task,
                manifest.seed,
                manifest.inputs.len(),
                manifest.params.len(),
                manifest.outputs.len(),
                out.join("manifest.json").display()
            );
            Ok(())
        }
    }
}

fn shapes(specs: &[TensorSpec]) -> String {
    specs
        .iter()
        .map(|s| format!("{}{:?}", s.name, s.shape))
        .collect::<Vec<_>>()
        .join(" ")
}

fn summary_json(task: &Task, prefix: &str) -> serde_json::Value {
    let cost = task.cost();
    json!({
        "id": format!("{prefix}{}", task.id()),
        "sizes": task.profile,
        "category": task.category,
        "name": task.name,
        "summary": task.summary,
        "inputs": task.inputs,
        "params": task.params,
        "outputs": task.outputs,
        "tolerance": task.tolerance,
        "tolerance_reason": task.tolerance_reason,
        "flops": cost.flops,
        "min_bytes": cost.bytes,
        "notes": task.notes,
        "inputs_condition": task.condition.map(|c| c.reason),
    })
}

fn list(
    category: Option<&str>,
    as_json: bool,
    exemplars: bool,
    sizes: SizeProfile,
) -> anyhow::Result<()> {
    let wanted = match category {
        Some(name) => match Category::parse(name) {
            Some(c) => Some(c),
            None => bail!(
                "unknown category `{name}`; categories are: {}",
                Category::ALL.map(Category::as_str).join(", ")
            ),
        },
        None => None,
    };
    let (source, prefix) = if exemplars {
        (registry::exemplars_in(sizes), "exemplar:")
    } else {
        (registry::all_in(sizes), "")
    };
    let tasks: Vec<&Task> = source
        .iter()
        .filter(|t| wanted.is_none_or(|c| t.category == c))
        .collect();
    if as_json {
        let rows: Vec<_> = tasks.iter().map(|t| summary_json(t, prefix)).collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    let mut table = Table::new();
    table
        .load_style(ASCII_BORDERS_ONLY_CONDENSED)
        .set_header(vec![
            "task",
            "inputs",
            "params",
            "GFLOP",
            "MB moved",
            "atol/rtol",
        ]);
    for t in &tasks {
        let cost = t.cost();
        table.add_row(vec![
            format!("{prefix}{}", t.id()),
            shapes(&t.inputs),
            t.params.len().to_string(),
            format!("{:.3}", cost.flops as f64 / 1e9),
            format!("{:.1}", cost.bytes as f64 / 1e6),
            format!("{:e}/{:e}", t.tolerance.atol, t.tolerance.rtol),
        ]);
    }
    println!("{table}");
    let categories: std::collections::BTreeSet<_> = tasks.iter().map(|t| t.category).collect();
    let in_paper = tasks.iter().filter(|t| t.category.in_paper()).count();
    println!(
        "{} tasks in {} categories ({sizes} sizes); {in_paper} of them in the paper's \
         categories, the rest (attention) added upstream after it",
        tasks.len(),
        categories.len()
    );
    Ok(())
}

fn show(id: &str, as_json: bool, sizes: SizeProfile) -> anyhow::Result<()> {
    let task = registry::find_any_in(id, sizes)?;
    if as_json {
        let mut value = summary_json(task, "");
        value["source"] = json!(task.source);
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    let cost = task.cost();
    println!("{}: {} ({sizes} sizes)", task.id(), task.summary);
    let describe = |label: &str, specs: &[TensorSpec]| {
        for s in specs {
            println!(
                "  {label} {}: {} {:?} ~ {}",
                s.name,
                s.dtype.name(),
                s.shape,
                serde_json::to_string(&s.init).unwrap_or_default()
            );
        }
    };
    describe("input", &task.inputs);
    describe("param", &task.params);
    for o in &task.outputs {
        println!("  output {}: {} {:?}", o.name, o.dtype.name(), o.shape);
    }
    println!(
        "  tolerance: atol {:e}, rtol {:e}{}",
        task.tolerance.atol,
        task.tolerance.rtol,
        task.tolerance_reason
            .map(|r| format!(" ({r})"))
            .unwrap_or_default()
    );
    println!(
        "  cost: {} FLOPs, {} bytes moved at least",
        cost.flops, cost.bytes
    );
    if let Some(notes) = task.notes {
        println!("  notes: {notes}");
    }
    if let Some(condition) = task.condition {
        println!("  inputs adjusted: {}", condition.reason);
    }
    println!(
        "\n--- PyTorch source ({}.py) ---\n{}",
        task.id(),
        task.source
    );
    Ok(())
}
