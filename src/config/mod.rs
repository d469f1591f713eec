//! stack.toml: the file format, parsing with spans, and validation into a [`StackConfig`].
//!
//! Everything here is offline: a file that fails here never reaches an AWS call.

pub mod aws_limits;
mod diag;
pub mod env;
mod event_mappings;
mod event_types;
pub mod events;
pub mod lifecycle;
mod plain;
mod platform;
mod raw;
mod validate;

pub use diag::{ConfigError, Diagnostic};
pub use validate::{is_function_key, is_stack_name};

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A validated stack file.
#[derive(Debug, Clone)]
pub struct StackConfig {
    /// The file it was read from, and its text (for pointing at a source span later).
    pub path: PathBuf,
    pub text: String,
    /// The stack's name: `[stack] name`, plus `-<env>` with `--env` (see [`env::stack_name`]).
    pub name: String,
    /// The environment chosen with `--env` (`[env.NAME]`), if any.
    pub env: Option<String>,
    pub region: Option<String>,
    pub functions: BTreeMap<String, FunctionConfig>,
    pub api: Option<ApiConfig>,
    /// Resources made outside stackctl that this file adopts (`[import]`).
    pub import: ImportConfig,
}

/// What `stackctl import` recorded: the untagged resources the live readers may take as the
/// stack's (the next apply tags them), and the code each imported function was running.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportConfig {
    /// The id of the REST API to adopt.
    pub rest_api: Option<String>,
    /// By function key: the code as imported.
    pub functions: BTreeMap<String, ImportedCode>,
    /// Untagged `/aws/lambda/<stack>-<key>` log groups to adopt, with the events they hold.
    pub log_groups: Vec<String>,
}

/// An imported function's code: while its source directory still packages to `source_sha256`,
/// it is the code Lambda runs (`code_sha256`), so no upload is planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedCode {
    pub code_sha256: String,
    pub source_sha256: String,
}

#[derive(Debug, Clone)]
pub struct FunctionConfig {
    /// The logical name: the key of `[functions.<key>]`.
    pub key: String,
    pub runtime: String,
    /// Where `runtime` is written, for the lifecycle checks made later ([`lifecycle`]).
    pub runtime_span: Range<usize>,
    pub handler: String,
    /// The source directory, resolved against the stack file's directory.
    pub source: PathBuf,
    pub source_span: Range<usize>,
    pub memory_mb: i32,
    pub timeout_s: i32,
    pub description: String,
    pub environment: BTreeMap<String, String>,
    /// Environment keys whose values are masked in plan output.
    pub secrets: Vec<String>,
    pub log_retention_days: Option<i32>,
    /// An existing role to use instead of the one the stack creates.
    pub role: Option<String>,
    /// `x86_64` (default) or `arm64`.
    pub architecture: crate::model::Architecture,
    /// Existing layer version ARNs, in order (at most 5).
    pub layers: Vec<String>,
    /// Where `layers` is written (each ARN's span), for errors found later (a missing layer, size).
    pub layer_spans: Vec<Range<usize>>,
    /// X-Ray active tracing (`TracingConfig.Mode = Active`); default false.
    pub tracing: bool,
    /// Statements added to the execution role the stack creates.
    pub statements: Vec<events::StatementConfig>,
    /// What invokes the function besides API routes.
    pub events: Vec<events::EventConfig>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum LogLevel {
    Off,
    Error,
    Info,
}

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Off => "OFF",
            LogLevel::Error => "ERROR",
            LogLevel::Info => "INFO",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ApiConfig {
    pub name: String,
    pub stage: String,
    pub logging: LogLevel,
    pub data_trace: bool,
    pub metrics: bool,
    /// `[api] tracing`: X-Ray tracing of the stage (`tracingEnabled`). `None` (the key absent):
    /// not managed, the stage keeps whatever it has.
    pub tracing: Option<bool>,
    /// Retention of the stage's execution-log group `API-Gateway-Execution-Logs_{apiId}/{stage}`,
    /// which stackctl creates before logging is enabled; default 30 days.
    pub log_retention_days: i32,
    pub cors: Option<CorsConfig>,
    pub routes: Vec<RouteConfig>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsConfig {
    pub allow_origin: String,
    pub allow_headers: Vec<String>,
    /// None: the path's routed methods plus OPTIONS.
    pub allow_methods: Option<Vec<String>>,
}

#[derive(Debug, Clone)]
pub struct RouteConfig {
    pub path: String,
    pub methods: Vec<String>,
    pub function: String,
    /// The body `stackctl test` sends with POST, PUT and PATCH (unless -d is given).
    pub test_body: Option<String>,
}

/// The headers the console's "Enable CORS" allows.
pub const DEFAULT_CORS_HEADERS: [&str; 5] = [
    "Content-Type",
    "X-Amz-Date",
    "Authorization",
    "X-Api-Key",
    "X-Amz-Security-Token",
];

impl StackConfig {
    /// Reads and validates a stack file that has no environments.
    pub fn load(path: &Path) -> anyhow::Result<StackConfig> {
        Self::load_env(path, None)
    }

    /// Reads and validates a stack file with environment `env`'s overrides (`--env`); a file
    /// with `[env.*]` tables and no `env` is refused, listing them.
    pub fn load_env(path: &Path, env: Option<&str>) -> anyhow::Result<StackConfig> {
        let bytes = std::fs::read(path).map_err(|e| {
            crate::hinted!("cannot read {}: {e}", path.display(); hint = "run `stackctl init` to create one, or pass -f PATH")
        })?;
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
                return Err(ConfigError::new(
                    path,
                    &lossy,
                    vec![
                        Diagnostic::new("the file is not valid UTF-8", at..at + 1)
                            .hint("save stack.toml as UTF-8"),
                    ],
                )
                .into());
            }
        };
        Ok(Self::parse_env(path, &text, env)?)
    }

    /// Parses and validates stack-file text; `path` locates the file and its source directories.
    pub fn parse(path: &Path, text: &str) -> Result<StackConfig, ConfigError> {
        Self::parse_env(path, text, None)
    }

    /// [`StackConfig::parse`] with environment `env`'s overrides merged in.
    pub fn parse_env(
        path: &Path,
        text: &str,
        env: Option<&str>,
    ) -> Result<StackConfig, ConfigError> {
        let raw = raw::parse(text, env).map_err(|d| ConfigError::new(path, text, vec![d]))?;
        validate::validate(path, text, raw, env).map_err(|ds| ConfigError::new(path, text, ds))
    }

    /// The environments (`[env.NAME]`) a stack file's text defines; empty when it has none.
    pub fn environments(text: &str) -> Vec<String> {
        raw::environments(text)
    }

    /// The physical name of a function: `<stack>-<key>`.
    pub fn function_name(&self, key: &str) -> String {
        format!("{}-{}", self.name, key)
    }
}
