//! One module per top-level command.

mod tasks;

use crate::cli::{Cli, Command};

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Tasks(cmd) => tasks::run(cmd),
    }
}
