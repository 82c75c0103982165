//! One module per top-level command.

mod bench;
mod evaluate;
mod runs;
mod tasks;

use crate::cli::{Cli, Command};

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Tasks(cmd) => tasks::run(cmd),
        Command::Evaluate(args) => runtime()?.block_on(evaluate::run(*args)),
        Command::Runs { db } => runtime()?.block_on(runs::run(&db)),
        Command::Bench(args) => bench::run(&args),
        Command::Prompt {
            id,
            backend,
            strategy,
        } => {
            let task = kbench_tasks::registry::find(&id)?;
            let backend = kbench_backends::backend_by_name(&backend)?;
            let text = crate::prompt::render(task, backend.as_ref(), strategy.parse()?)?;
            print!("{text}");
            Ok(())
        }
        Command::Worker { dir } => Ok(kbench_backends::worker::child::run(&dir)?),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}
