//! The `stackctl` binary: parses the command line and runs the command.

// The command futures nest deep (every read is an async block in an async block): the default
// limit of 128 is too low to compute their layout.
#![recursion_limit = "256"]

use clap::Parser;
use stackctl::{cli::Cli, commands, render};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse().resolved().unwrap_or_else(|e| e.exit());
    let printer = render::Printer::new(cli.global.color, cli.global.quiet, cli.global.verbose);
    match commands::run(cli, &printer).await {
        Ok(commands::Status::Ok) => ExitCode::SUCCESS,
        Ok(commands::Status::Changes) => ExitCode::from(2),
        // A second Ctrl-C: stopped at once, as a killed process would be (128 + SIGINT).
        Err(e) if e.is::<stackctl::error::Interrupted>() => ExitCode::from(130),
        Err(e) => {
            printer.error(&e);
            ExitCode::from(1)
        }
    }
}
