//! `kbench runs`: the stored runs.

use crate::store::Store;
use comfy_table::{Table, presets::ASCII_BORDERS_ONLY_CONDENSED};
use std::path::Path;

/// Lists the runs of the database at `db`.
pub async fn run(db: &Path) -> anyhow::Result<()> {
    let store = Store::open(db).await?;
    let runs = store.runs().await?;
    if runs.is_empty() {
        println!("no runs in {}", db.display());
        return Ok(());
    }
    let mut table = Table::new();
    table
        .load_style(ASCII_BORDERS_ONLY_CONDENSED)
        .set_header(vec![
            "run",
            "created (UTC)",
            "status",
            "backend",
            "model",
            "sizes",
            "samples",
            "compiled",
            "correct",
            "tokens in/out",
            "cost",
        ]);
    for r in runs {
        table.add_row(vec![
            r.id.to_string(),
            r.created_at,
            if r.finished_at.is_some() {
                "finished"
            } else {
                "unfinished"
            }
            .to_string(),
            r.backend,
            r.model,
            r.sizes,
            r.samples.to_string(),
            r.compiled.to_string(),
            r.correct.to_string(),
            format!("{}/{}", r.input_tokens, r.output_tokens),
            r.cost_usd.map_or("-".into(), |c| format!("${c:.4}")),
        ]);
    }
    println!("{table}");
    Ok(())
}
