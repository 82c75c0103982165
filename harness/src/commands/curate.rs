//! `kbench curate`: a training set from the store.

use crate::cli::CurateArgs;
use crate::curate::{self, CurateOptions};
use anyhow::Context;
use std::time::Instant;

/// Curates the selected runs and says what was kept.
pub async fn run(args: &CurateArgs) -> anyhow::Result<()> {
    let start = Instant::now();
    let store = super::open_existing(&args.source.db).await?;
    let selection = args.source.selection();
    let options = CurateOptions {
        rules: args.rules.clone(),
        speedup_b: args.speedup_b,
        max_spread: args.max_spread,
        holdout: args.holdout.clone(),
        difficulty: args.difficulty,
    };
    let data = curate::plan(&store, &selection, options).await?;
    let written = curate::write(&store, &data, &args.out)
        .await
        .with_context(|| format!("writing the dataset into {}", args.out.display()))?;
    println!(
        "curated {} sample turns of {} runs: {} kept, {} rejected ({:.2} s); the card: {}",
        written.kept + written.rejected,
        data.runs.len(),
        written.kept,
        written.rejected,
        start.elapsed().as_secs_f64(),
        args.out.join("README.md").display()
    );
    Ok(())
}
