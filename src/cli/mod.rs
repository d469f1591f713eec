//! The command line: clap derive, doc comments are the help text, global flags declared once.

use crate::render::ColorChoice;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

mod args;
pub use args::*;

/// Declarative Lambda + API Gateway stacks from one stack.toml, diffed against live AWS.
#[derive(Debug, Parser)]
#[command(name = "stackctl", version, propagate_version = true)]
#[command(
    after_help = "The stack file and the AWS options go before the command or after it; after `logs`, -f is --follow.\n\nExamples:\n  stackctl plan\n  stackctl apply --yes\n  stackctl outputs --json\n  stackctl destroy --yes\n  stackctl --local apply --yes   # on MiniStack at 127.0.0.1:4567, started if needed\n  stackctl -f api/stack.toml logs -f"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(flatten)]
    top_file: FileFlag,
    #[command(flatten)]
    top_aws: AwsFlags,
    #[command(subcommand)]
    pub command: Command,
}

/// Every option, resolved: the flags given before the command merged with those after it (the
/// latter win), defaults filled in. Only the output flags are clap-global; the others are read by
/// [`Cli::resolved`].
#[derive(Debug, Args)]
pub struct Global {
    /// The environment: the file's [env.NAME] overrides apply and the stack is `<stack>-<NAME>`.
    #[arg(long, global = true, env = "STACKCTL_ENV", value_name = "NAME")]
    pub env: Option<String>,
    /// Print only results and errors.
    #[arg(
        short,
        long,
        global = true,
        conflicts_with = "verbose",
        display_order = 900
    )]
    pub quiet: bool,
    /// Also print every AWS call with its duration.
    #[arg(short, long, global = true, display_order = 901)]
    pub verbose: bool,
    /// When to use colour (NO_COLOR is honoured by auto).
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "auto",
        display_order = 902
    )]
    pub color: ColorChoice,
    /// The stack file (`-f/--file`, default stack.toml).
    #[arg(skip = PathBuf::from("stack.toml"))]
    pub file: PathBuf,
    /// `--region`, else `STACKCTL_REGION`; the stack file and the AWS chain come after it.
    #[arg(skip)]
    pub region: Option<String>,
    /// `--profile`: a profile of the shared AWS config/credentials files.
    #[arg(skip)]
    pub profile: Option<String>,
    /// `--endpoint-url`: where every AWS call goes (an emulator).
    #[arg(skip)]
    pub endpoint_url: Option<String>,
    /// `--parallelism`, default 10.
    #[arg(skip = 10u16)]
    pub parallelism: u16,
    /// `--local`: use MiniStack on 127.0.0.1:4567 (started if needed) with dummy credentials.
    #[arg(skip)]
    pub local: bool,
}

/// `-f/--file`, for the commands that read a stack file.
#[derive(Debug, Clone, Default, Args)]
pub struct FileFlag {
    /// The stack file [default: stack.toml].
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// The flags that say where and as whom AWS is called, for the commands that call it.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "AWS options")]
pub struct AwsFlags {
    /// AWS region (default: [stack] region, then AWS_REGION / the profile).
    #[arg(long, env = "STACKCTL_REGION")]
    pub region: Option<String>,
    /// AWS named profile (from ~/.aws/config or ~/.aws/credentials).
    #[arg(long)]
    pub profile: Option<String>,
    /// Send every AWS call to this endpoint (an emulator such as LocalStack); AWS_ENDPOINT_URL works too.
    #[arg(long, conflicts_with = "local")]
    pub endpoint_url: Option<String>,
    /// Run against MiniStack on 127.0.0.1:4567 with dummy credentials, starting it if it is not running.
    #[arg(long)]
    pub local: bool,
    /// How many steps, or reads of each AWS service, to run at once [default: 10].
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallelism: Option<u16>,
}

impl Cli {
    /// Merges the file and AWS flags given before the command with those given after it.
    pub fn resolved(mut self) -> Result<Cli, clap::Error> {
        let (file, aws) = match &self.command {
            Command::Plan(a) => (Some(&a.file), Some(&a.aws)),
            Command::Apply(a) => (Some(&a.file), Some(&a.aws)),
            Command::Destroy(a) => (Some(&a.file), Some(&a.aws)),
            Command::Outputs(a) => (Some(&a.file), Some(&a.aws)),
            Command::Invoke(a) => (Some(&a.file), Some(&a.aws)),
            Command::Test(a) => (Some(&a.file), Some(&a.aws)),
            Command::Import(a) => (Some(&a.file), Some(&a.aws)),
            Command::Logs(a) => (None, Some(&a.aws)),
            Command::Validate(a) => (Some(&a.file), None),
            Command::Build(a) => (Some(&a.file), None),
            Command::Init(_) | Command::Completions { .. } => (None, None),
        };
        let logs_file = match &self.command {
            Command::Logs(a) => {
                if a.follow
                    && let Some(f) = a.functions.iter().find(|f| f.ends_with(".toml"))
                {
                    use clap::CommandFactory;
                    return Err(Cli::command().error(
                        clap::error::ErrorKind::ArgumentConflict,
                        format!(
                            "after `logs`, -f means --follow, so {f} was read as a function name\n  \
                             = hint: name the stack file before the command (`stackctl -f {f} logs`) or with --file"
                        ),
                    ));
                }
                a.file.clone()
            }
            _ => None,
        };
        let file = file.and_then(|f| f.file.clone()).or(logs_file);
        let aws = aws.cloned().unwrap_or_default();
        let top = &self.top_aws;
        let g = &mut self.global;
        if let Some(f) = file.or_else(|| self.top_file.file.clone()) {
            g.file = f;
        }
        g.region = aws.region.or_else(|| top.region.clone());
        g.profile = aws.profile.or_else(|| top.profile.clone());
        g.endpoint_url = aws.endpoint_url.or_else(|| top.endpoint_url.clone());
        g.local = aws.local || top.local;
        g.parallelism = aws.parallelism.or(top.parallelism).unwrap_or(10);
        let clash = if g.endpoint_url.is_some() {
            Some("--endpoint-url")
        } else if g.profile.is_some() {
            Some("--profile")
        } else {
            None
        };
        if let (true, Some(other)) = (g.local, clash) {
            use clap::CommandFactory;
            return Err(Cli::command().error(
                clap::error::ErrorKind::ArgumentConflict,
                format!("--local chooses MiniStack and dummy credentials, so {other} cannot be used with it"),
            ));
        }
        Ok(self)
    }
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
    /// Invoke a function once and print its response; exit 1 on a function error.
    #[command(
        after_help = "Examples:\n  stackctl invoke worker\n  stackctl invoke worker --payload '{\"name\": \"Ada\"}' --log\n  stackctl invoke worker --payload-file event.json | jq ."
    )]
    Invoke(InvokeArgs),
    /// Print the functions' log events (and the API's with --api); -f/--follow streams new ones.
    #[command(
        after_help = "Examples:\n  stackctl logs\n  stackctl logs -f\n  stackctl -f api/stack.toml logs -f   # before the command -f is the file, after `logs` it is --follow\n  stackctl logs hello --since 1h --filter ERROR\n  stackctl logs --api --since 30m\n  stackctl logs --json | jq -r .message"
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
    Validate(ValidateArgs),
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

/// `--since`: a duration back from now (`10m`, `1h30m`), or an RFC 3339 time in the past.
pub fn parse_since(text: &str) -> Result<std::time::Duration, String> {
    if let Ok(d) = humantime::parse_duration(text) {
        return Ok(d);
    }
    if let Ok(t) = humantime::parse_rfc3339_weak(text) {
        return std::time::SystemTime::now()
            .duration_since(t)
            .map_err(|_| format!("{text} is in the future: --since needs a time in the past"));
    }
    Err(format!(
        "`{text}` is neither a duration nor a time: use a number and a unit (30s, 10m, 2h, 1d, \
         or combined: 1h30m) or an RFC 3339 time such as 2026-11-21T05:00:00Z"
    ))
}

/// The completion script for `shell` (the command prints it).
pub fn completions(shell: CompletionShell) -> String {
    use clap::CommandFactory;
    use clap_complete::Shell;
    let shell = match shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "stackctl", &mut script);
    String::from_utf8_lossy(&script).into_owned()
}
