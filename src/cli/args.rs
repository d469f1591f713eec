//! Each command's own flags (the global ones are in `Global`); doc comments are the help text.

use super::*;

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
    #[command(flatten)]
    pub file: FileFlag,
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
    #[command(flatten)]
    pub aws: AwsFlags,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub file: FileFlag,
    /// Print the plan as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Exit 0 when there are no changes, 2 when there are, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Save the plan, to apply exactly it later with `stackctl apply FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub aws: AwsFlags,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub file: FileFlag,
    /// Do not ask for confirmation.
    #[arg(short, long)]
    pub yes: bool,
    /// A plan saved with `stackctl plan --out`.
    pub plan_file: Option<PathBuf>,
    #[command(flatten)]
    pub aws: AwsFlags,
}

#[derive(Debug, Args)]
pub struct DestroyArgs {
    #[command(flatten)]
    pub file: FileFlag,
    /// Do not ask for confirmation.
    #[arg(short, long)]
    pub yes: bool,
    #[command(flatten)]
    pub aws: AwsFlags,
}

#[derive(Debug, Args)]
pub struct OutputsArgs {
    #[command(flatten)]
    pub file: FileFlag,
    /// Print the outputs as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub aws: AwsFlags,
}

/// `stackctl invoke` (see [`crate::invoke`]).
#[derive(Debug, Args)]
pub struct InvokeArgs {
    #[command(flatten)]
    pub file: FileFlag,
    /// The function, by key in the file or full name.
    #[arg(value_name = "FUNCTION")]
    pub function: String,
    /// The event, as JSON [default: {}].
    #[arg(long, value_name = "JSON", conflicts_with = "payload_file")]
    pub payload: Option<String>,
    /// Read the event (JSON) from this file.
    #[arg(long, value_name = "FILE")]
    pub payload_file: Option<PathBuf>,
    /// Also print the invocation's log tail (its last 4 KB) to stderr.
    #[arg(long)]
    pub log: bool,
    #[command(flatten)]
    pub aws: AwsFlags,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// The stack file [default: stack.toml] (`-f` after `logs` is --follow).
    #[arg(long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Functions to show, by key in the file or full name (default: all of the stack's).
    #[arg(value_name = "FUNCTION")]
    pub functions: Vec<String>,
    /// Keep printing new events until Ctrl-C.
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// Start this far back (30s, 10m, 2h, 1d) or at this time (RFC 3339, e.g. 2026-11-21T05:00:00Z).
    #[arg(long, default_value = "10m", value_parser = parse_since)]
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
    #[command(flatten)]
    pub aws: AwsFlags,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub file: FileFlag,
    /// Functions to build, by key in the file (default: all).
    #[arg(value_name = "FUNCTION")]
    pub functions: Vec<String>,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    #[command(flatten)]
    pub file: FileFlag,
    /// JSON body for POST, PUT and PATCH (default: the route's test_body, else {}).
    #[arg(short = 'd', long = "data", value_name = "JSON")]
    pub data: Option<String>,
    /// Origin header to send (default: the configured allow_origin, or https://example.com for *).
    #[arg(long)]
    pub origin: Option<String>,
    #[command(flatten)]
    pub aws: AwsFlags,
}

/// `validate` reads only the stack file: no AWS option.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub file: FileFlag,
}
