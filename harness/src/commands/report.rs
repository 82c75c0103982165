//! `kbench report`: the leaderboard files from the store.

use crate::cli::ReportArgs;
use crate::report;
use anyhow::Context;
use std::time::Instant;

/// Writes the report of the selected runs and says where it is.
pub async fn run(args: &ReportArgs) -> anyhow::Result<()> {
    let start = Instant::now();
    let store = super::open_existing(&args.source.db).await?;
    let selection = args.source.selection();
    let runs = report::load(&store, &selection).await?;
    let written = report::write(&store, &runs, &args.out)
        .await
        .with_context(|| format!("writing the report into {}", args.out.display()))?;
    println!(
        "report of {} runs in {} groups: {} files in {} ({:.2} s); open {}",
        runs.len(),
        written.groups,
        written.files.len(),
        args.out.display(),
        start.elapsed().as_secs_f64(),
        args.out.join("index.html").display()
    );
    Ok(())
}
