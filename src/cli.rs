//! The command line: clap derive, doc comments are the help text, global flags declared once.

use crate::render::ColorChoice;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Declarative Lambda + API Gateway stacks from one stack.toml, diffed against live AWS.
#[derive(Debug, Parser)]
#[command(name = "stackctl", version, propagate_version = true)]
#[command(
    after_help = "Examples:\n  stackctl plan\n  stackctl apply --yes\n  stackctl outputs --json\n  stackctl destroy --yes"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// The stack file.
    #[arg(
        short = 'f',
        long = "file",
        global = true,
        default_value = "stack.toml"
    )]
    pub file: PathBuf,
    /// AWS region (default: [stack] region, then AWS_REGION / the profile).
    #[arg(long, global = true, env = "STACKCTL_REGION")]
    pub region: Option<String>,
    /// AWS named profile.
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// Send every AWS call to this endpoint (an emulator such as LocalStack); AWS_ENDPOINT_URL works too.
    #[arg(long, global = true)]
    pub endpoint_url: Option<String>,
    /// How many AWS calls or steps to run at once.
    #[arg(long, global = true, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallelism: u16,
    /// Print only results and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also print every AWS call with its duration.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// When to use colour (NO_COLOR is honoured by auto).
    #[arg(long, global = true, value_enum, default_value = "auto")]
    pub color: ColorChoice,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show what apply would change, read from live AWS.
    #[command(
        after_help = "Examples:\n  stackctl plan\n  stackctl plan --json | jq .summary\n  stackctl plan --detailed-exitcode   # 0 no changes, 2 changes, 1 error\n  stackctl plan --out plan.json && stackctl apply plan.json"
    )]
    Plan(PlanArgs),
    /// Make live AWS match the stack file, then print the invoke URLs.
    #[command(
        after_help = "Examples:\n  stackctl apply\n  stackctl apply --yes\n  stackctl apply plan.json   # a plan saved with `plan --out`; refused if AWS changed since"
    )]
    Apply(ApplyArgs),
    /// Delete everything that carries this stack's tag (account-wide settings are left alone).
    #[command(
        after_help = "Examples:\n  stackctl destroy\n  stackctl destroy --yes -f examples/tutorial/stack.toml"
    )]
    Destroy(DestroyArgs),
    /// Print the invoke URL of each route, the API id and the function ARNs.
    #[command(
        after_help = "Examples:\n  stackctl outputs\n  stackctl outputs --json | jq -r '.routes[0].url'"
    )]
    Outputs(OutputsArgs),
    /// Check the stack file offline: no AWS call is made.
    #[command(
        after_help = "Examples:\n  stackctl validate\n  stackctl validate -f examples/tutorial/stack.toml"
    )]
    Validate,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Print the plan as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Exit 0 when there are no changes, 2 when there are, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Save the plan, to apply exactly it later with `stackctl apply FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Do not ask for confirmation.
    #[arg(short, long)]
    pub yes: bool,
    /// A plan saved with `stackctl plan --out`.
    pub plan_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DestroyArgs {
    /// Do not ask for confirmation.
    #[arg(short, long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct OutputsArgs {
    /// Print the outputs as JSON.
    #[arg(long)]
    pub json: bool,
}
