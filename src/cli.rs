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
    /// The environment: the file's [env.NAME] overrides apply and the stack is `<stack>-<NAME>`.
    #[arg(long, global = true, env = "STACKCTL_ENV", value_name = "NAME")]
    pub env: Option<String>,
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
    /// Print the functions' log events (and the API's with --api); --follow streams new ones.
    #[command(
        after_help = "Examples:\n  stackctl logs\n  stackctl logs --follow\n  stackctl logs hello --since 1h --filter ERROR\n  stackctl logs --api --since 30m\n  stackctl logs --json | jq -r .message"
    )]
    Logs(LogsArgs),
    /// Call every route of the deployed API (and its CORS preflight); fail if one does not answer as deployed.
    #[command(
        after_help = "Examples:\n  stackctl test\n  stackctl test -d '{\"name\": \"Ada\"}'\n  stackctl test --origin https://app.example.com"
    )]
    Test(TestArgs),
    /// Install each function's dependencies and zip it, as plan and apply would; no AWS call.
    #[command(
        after_help = "Examples:\n  stackctl build\n  stackctl build api\n  stackctl --env prod build"
    )]
    Build(BuildArgs),
    /// Check the stack file offline: no AWS call is made.
    #[command(
        after_help = "Examples:\n  stackctl validate\n  stackctl validate -f examples/tutorial/stack.toml"
    )]
    Validate,
    /// Start a new stack: a stack.toml and a handler that answers as API Gateway expects.
    #[command(
        after_help = "Examples:\n  stackctl init\n  stackctl init my-api --template python\n  stackctl init . --name orders --force\n  cd my-api && stackctl plan"
    )]
    Init(InitArgs),
    /// Write a stack.toml for functions and a REST API made elsewhere (the console), with their code.
    #[command(
        after_help = "Examples:\n  stackctl import --function my-func\n  stackctl import --api a1b2c3d4e5 -f imported/stack.toml\n  stackctl import --api a1b2c3d4e5 --function my-worker --name my\n  stackctl plan   # then: only the stack's tags to add"
    )]
    Import(ImportArgs),
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  stackctl completions bash > ~/.local/share/bash-completion/completions/stackctl\n  stackctl completions zsh > \"${fpath[1]}/_stackctl\"\n  stackctl completions fish > ~/.config/fish/completions/stackctl.fish"
    )]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: CompletionShell,
    },
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The directory to create the stack in (created if missing).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// The handler's language.
    #[arg(long, value_enum, default_value = "node")]
    pub template: crate::init::Template,
    /// The stack name (default: the directory's name, made valid).
    #[arg(long)]
    pub name: Option<String>,
    /// Overwrite files that exist.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A Lambda function to import, by name (repeatable).
    #[arg(long = "function", value_name = "NAME")]
    pub functions: Vec<String>,
    /// A REST API to import, by id; the functions its integrations call come with it.
    #[arg(long, value_name = "REST_API_ID")]
    pub api: Option<String>,
    /// The stack name; every function must be named `<NAME>-<key>` (default: derived from them).
    #[arg(long)]
    pub name: Option<String>,
    /// Overwrite the stack file and the functions' source directories.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
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

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Functions to show, by key in the file or full name (default: all of the stack's).
    #[arg(value_name = "FUNCTION")]
    pub functions: Vec<String>,
    /// Keep printing new events until Ctrl-C.
    #[arg(long)]
    pub follow: bool,
    /// Start this far back, e.g. 30s, 10m, 2h, 1d.
    #[arg(long, default_value = "10m", value_parser = humantime::parse_duration)]
    pub since: std::time::Duration,
    /// Only events matching this CloudWatch Logs filter pattern.
    #[arg(long, value_name = "PATTERN")]
    pub filter: Option<String>,
    /// Add the API Gateway execution logs of the stage, merged in time order.
    #[arg(long)]
    pub api: bool,
    /// One JSON object per event, one per line.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Functions to build, by key in the file (default: all).
    #[arg(value_name = "FUNCTION")]
    pub functions: Vec<String>,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// JSON body for POST, PUT and PATCH (default: the route's test_body, else {}).
    #[arg(short = 'd', long = "data", value_name = "JSON")]
    pub data: Option<String>,
    /// Origin header to send (default: the configured allow_origin, or https://example.com for *).
    #[arg(long)]
    pub origin: Option<String>,
}
