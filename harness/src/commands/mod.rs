//! One module per top-level command.

mod bench;
mod curate;
mod evaluate;
mod report;
mod runs;
mod tasks;

use crate::cli::{Cli, Command};

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    // Builds start through this binary's `__build`, without forking the harness.
    if let Ok(exe) = std::env::current_exe() {
        kbench_backends::build_sandbox::use_helper(exe);
    }
    match cli.command {
        Command::Tasks(cmd) => tasks::run(cmd),
        Command::Evaluate(args) => runtime()?.block_on(evaluate::run(*args)),
        Command::Runs { db } => runtime()?.block_on(runs::run(&db)),
        Command::Report(args) => runtime()?.block_on(report::run(&args)),
        Command::Curate(args) => runtime()?.block_on(curate::run(&args)),
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
        Command::Build { dir, read, command } => build(&dir, &read, &command),
    }
}

/// The `__build` helper: confines itself, then becomes the compiler.
fn build(
    dir: &std::path::Path,
    read: &[std::path::PathBuf],
    command: &[std::ffi::OsString],
) -> anyhow::Result<()> {
    use std::os::unix::process::CommandExt;
    kbench_backends::build_sandbox::confine_self(dir, read)?;
    let (program, args) = command
        .split_first()
        .ok_or_else(|| anyhow::anyhow!("__build needs a compiler to run"))?;
    let err = std::process::Command::new(program).args(args).exec();
    Err(anyhow::anyhow!(
        "running {}: {err}",
        program.to_string_lossy()
    ))
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

/// Opens the store at `db`, which must exist (commands that only read refuse to create
/// an empty one).
async fn open_existing(db: &std::path::Path) -> anyhow::Result<crate::store::Store> {
    if !db.exists() {
        anyhow::bail!(
            "no database at {}; `kbench evaluate` creates it, `--db` names another",
            db.display()
        );
    }
    Ok(crate::store::Store::open(db).await?)
}
