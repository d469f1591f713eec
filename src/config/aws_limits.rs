//! The values AWS documents as valid for what a stack file sets, kept in one place so that
//! `validate` refuses offline what AWS would refuse part-way through an apply.
//!
//! Sources (checked 2026-12-01; AWS changes these tables, keep them current):
//! - Lambda runtimes and their deprecation, block-create and block-update dates:
//!   <https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html> (see [`RUNTIMES`] for
//!   the scrape the dates come from; what they mean for a stack: [`super::lifecycle`]).
//! - Handlers: the per-language "Define Lambda function handler" pages of the Lambda guide.
//! - Reserved environment variables and the 4 KB total:
//!   <https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-runtime.html>,
//!   <https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html>.
//! - Log retention values: CloudWatch Logs `PutRetentionPolicy`.

use super::Diagnostic;
use toml::Spanned;

/// A runtime's lifecycle dates (`YYYY-MM-DD`, UTC), the three columns of the Lambda guide's
/// runtime tables: "Deprecation date" (end of support: no more patches), "Block function
/// create" (`CreateFunction` refused on and after it) and "Block function update"
/// (`UpdateFunctionCode` / `UpdateFunctionConfiguration` refused on and after it, except an
/// update that moves the function to a supported runtime).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifecycle {
    pub deprecated: &'static str,
    pub block_create: &'static str,
    pub block_update: &'static str,
}

/// Where a runtime stands on a given day, from its [`Lifecycle`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Before its deprecation date.
    Supported,
    /// Deprecated, but Lambda still creates and updates functions with it.
    Deprecated,
    /// Lambda refuses to create functions with it; existing ones can still be updated.
    CreateBlocked,
    /// Lambda refuses to create or update functions with it.
    UpdateBlocked,
}

/// How a runtime's handler string is formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandlerFormat {
    /// `<file>.<function>`, the file relative to the package root: Node.js, Python, Ruby.
    FileFunction,
    /// `<package.Class>` or `<package.Class>::<method>`: Java.
    JavaClass,
    /// `<Assembly>::<Namespace.Class>::<Method>`, or an executable assembly's name: .NET.
    DotnetMethod,
    /// Ignored by the OS-only runtimes (the `bootstrap` executable runs): any non-blank value.
    Any,
}

/// One Lambda runtime identifier.
#[derive(Debug, Clone, Copy)]
pub struct Runtime {
    pub id: &'static str,
    pub lifecycle: Lifecycle,
    pub handler: HandlerFormat,
    /// What to move to once this one is deprecated: the newest runtime of its language.
    pub successor: Option<&'static str>,
}

impl Runtime {
    /// The runtime's phase on `today` (`YYYY-MM-DD`; such strings order as their dates do).
    pub fn phase(&self, today: &str) -> Phase {
        let l = &self.lifecycle;
        if today >= l.block_update {
            Phase::UpdateBlocked
        } else if today >= l.block_create {
            Phase::CreateBlocked
        } else if today >= l.deprecated {
            Phase::Deprecated
        } else {
            Phase::Supported
        }
    }
}

/// Where AWS published no block date. It lists `dotnet7` and `dotnet5.0` (container-image
/// runtimes) with a deprecation date only; its runtime support policy says deprecated runtimes
/// "stop supporting creation of new functions and updates of existing functions", so the table
/// takes both blocks to start on the deprecation date.
const NO_BLOCK_DATE: &str = "";

const fn or_deprecated(date: &'static str, deprecated: &'static str) -> &'static str {
    if date.is_empty() { deprecated } else { date }
}

const fn rt(
    id: &'static str,
    [deprecated, block_create, block_update]: [&'static str; 3],
    handler: HandlerFormat,
    successor: Option<&'static str>,
) -> Runtime {
    Runtime {
        id,
        lifecycle: Lifecycle {
            deprecated,
            block_create: or_deprecated(block_create, deprecated),
            block_update: or_deprecated(block_update, deprecated),
        },
        handler,
        successor,
    }
}

use HandlerFormat::{Any, DotnetMethod, FileFunction, JavaClass};

/// Every runtime identifier Lambda knows: `[deprecation, block create, block update]` and the
/// successor to name in messages.
///
/// Source of every date: the Lambda guide's "Lambda runtimes" page
/// (<https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html>, its "Supported
/// runtimes" and "Deprecated runtimes" tables), as scraped from that page on 2026-07-31 by
/// tflint-ruleset-aws (`rules/lambda_deprecated_runtime/deprecated_runtimes.json`, commit
/// e439f77). On it AWS postponed the blocks of every runtime deprecated from mid-2024 on to
/// 2027-02-01 (create) and 2027-03-03 (update), and calls future dates planning estimates:
/// re-check the page when one nears. Before 2021 AWS blocked creation before deprecation
/// (nodejs4.3, nodejs4.3-edge, nodejs6.10, nodejs8.10, dotnetcore2.0): kept as published.
#[rustfmt::skip]
pub const RUNTIMES: &[Runtime] = &[
    rt("nodejs24.x",     ["2028-04-30", "2028-06-01", "2028-07-01"], FileFunction, None),
    rt("nodejs22.x",     ["2027-04-30", "2027-06-01", "2027-07-01"], FileFunction, Some("nodejs24.x")),
    rt("nodejs20.x",     ["2026-04-30", "2027-02-01", "2027-03-03"], FileFunction, Some("nodejs24.x")),
    rt("nodejs18.x",     ["2025-09-01", "2027-02-01", "2027-03-03"], FileFunction, Some("nodejs24.x")),
    rt("nodejs16.x",     ["2024-06-12", "2027-02-01", "2027-03-03"], FileFunction, Some("nodejs24.x")),
    rt("nodejs14.x",     ["2023-12-04", "2024-01-09", "2027-03-03"], FileFunction, Some("nodejs24.x")),
    rt("nodejs12.x",     ["2023-03-31", "2023-03-31", "2023-04-30"], FileFunction, Some("nodejs24.x")),
    rt("nodejs10.x",     ["2021-07-30", "2021-07-30", "2022-02-14"], FileFunction, Some("nodejs24.x")),
    rt("nodejs8.10",     ["2020-03-06", "2020-02-04", "2020-03-06"], FileFunction, Some("nodejs24.x")),
    rt("nodejs6.10",     ["2019-08-12", "2019-07-12", "2019-08-12"], FileFunction, Some("nodejs24.x")),
    rt("nodejs4.3",      ["2020-03-05", "2020-02-03", "2020-03-05"], FileFunction, Some("nodejs24.x")),
    rt("nodejs4.3-edge", ["2020-03-05", "2019-03-31", "2019-04-30"], FileFunction, Some("nodejs24.x")),
    rt("nodejs",         ["2016-08-30", "2016-09-30", "2016-10-31"], FileFunction, Some("nodejs24.x")),
    rt("python3.14",     ["2029-06-30", "2029-07-31", "2029-08-31"], FileFunction, None),
    rt("python3.13",     ["2029-06-30", "2029-07-31", "2029-08-31"], FileFunction, Some("python3.14")),
    rt("python3.12",     ["2028-10-31", "2028-11-30", "2029-01-10"], FileFunction, Some("python3.13")),
    rt("python3.11",     ["2027-06-30", "2027-07-31", "2027-08-31"], FileFunction, Some("python3.13")),
    rt("python3.10",     ["2026-10-31", "2027-02-01", "2027-03-03"], FileFunction, Some("python3.13")),
    rt("python3.9",      ["2025-12-15", "2027-02-01", "2027-03-03"], FileFunction, Some("python3.13")),
    rt("python3.8",      ["2024-10-14", "2027-02-01", "2027-03-03"], FileFunction, Some("python3.13")),
    rt("python3.7",      ["2023-12-04", "2024-01-09", "2027-03-03"], FileFunction, Some("python3.13")),
    rt("python3.6",      ["2022-07-18", "2022-07-18", "2022-08-29"], FileFunction, Some("python3.13")),
    rt("python2.7",      ["2021-07-15", "2021-07-15", "2022-05-30"], FileFunction, Some("python3.13")),
    rt("java25",         ["2029-06-30", "2029-07-31", "2029-08-31"], JavaClass, None),
    rt("java21",         ["2029-06-30", "2029-07-31", "2029-08-31"], JavaClass, Some("java25")),
    rt("java17",         ["2027-06-30", "2027-07-31", "2027-08-31"], JavaClass, Some("java21")),
    rt("java11",         ["2027-06-30", "2027-07-31", "2027-08-31"], JavaClass, Some("java21")),
    rt("java8.al2",      ["2027-06-30", "2027-07-31", "2027-08-31"], JavaClass, Some("java21")),
    rt("java8",          ["2024-01-08", "2024-02-08", "2027-03-03"], JavaClass, Some("java21")),
    rt("dotnet10",       ["2028-11-14", "2028-12-14", "2029-01-15"], DotnetMethod, None),
    rt("dotnet8",        ["2026-11-10", "2027-02-01", "2027-03-03"], DotnetMethod, Some("dotnet10")),
    rt("dotnet7",        ["2024-05-14", NO_BLOCK_DATE, NO_BLOCK_DATE], DotnetMethod, Some("dotnet10")),
    rt("dotnet6",        ["2024-12-20", "2027-02-01", "2027-03-03"], DotnetMethod, Some("dotnet10")),
    rt("dotnet5.0",      ["2022-05-10", NO_BLOCK_DATE, NO_BLOCK_DATE], DotnetMethod, Some("dotnet10")),
    rt("dotnetcore3.1",  ["2023-04-03", "2023-04-03", "2023-05-03"], DotnetMethod, Some("dotnet10")),
    rt("dotnetcore2.1",  ["2022-01-05", "2022-01-05", "2022-04-13"], DotnetMethod, Some("dotnet10")),
    rt("dotnetcore2.0",  ["2019-05-30", "2019-04-30", "2019-05-30"], DotnetMethod, Some("dotnet10")),
    rt("dotnetcore1.0",  ["2019-06-27", "2019-06-30", "2019-07-30"], DotnetMethod, Some("dotnet10")),
    rt("ruby4.0",        ["2029-03-31", "2029-04-30", "2029-05-31"], FileFunction, None),
    rt("ruby3.4",        ["2028-03-31", "2028-04-30", "2028-05-31"], FileFunction, Some("ruby4.0")),
    rt("ruby3.3",        ["2027-03-31", "2027-04-30", "2027-05-31"], FileFunction, Some("ruby4.0")),
    rt("ruby3.2",        ["2026-03-31", "2027-02-01", "2027-03-03"], FileFunction, Some("ruby4.0")),
    rt("ruby2.7",        ["2023-12-07", "2024-01-09", "2027-03-03"], FileFunction, Some("ruby4.0")),
    rt("ruby2.5",        ["2021-07-30", "2021-07-30", "2022-03-31"], FileFunction, Some("ruby4.0")),
    rt("go1.x",          ["2024-01-08", "2024-02-08", "2027-03-03"], Any, Some("provided.al2023")),
    rt("provided.al2023", ["2029-06-30", "2029-07-31", "2029-08-31"], Any, None),
    rt("provided.al2",   ["2026-07-31", "2027-02-01", "2027-03-03"], Any, Some("provided.al2023")),
    rt("provided",       ["2024-01-08", "2024-02-08", "2027-03-03"], Any, Some("provided.al2023")),
];

/// The table's entry for a runtime identifier, if Lambda knows it.
pub fn runtime(id: &str) -> Option<&'static Runtime> {
    RUNTIMES.iter().find(|r| r.id == id)
}

/// The newest runtime of each language (the ones without a successor), for hints.
pub fn newest_runtimes() -> Vec<&'static str> {
    RUNTIMES
        .iter()
        .filter(|r| r.successor.is_none())
        .map(|r| r.id)
        .collect()
}

/// Lambda's `Handler` is at most 128 characters, with no whitespace (API pattern `[^\s]+`).
pub const HANDLER_MAX_LEN: usize = 128;

/// Why `handler` does not fit the runtime's format, if it does not.
pub fn handler_problem(format: HandlerFormat, handler: &str) -> Option<&'static str> {
    if handler.is_empty() || handler.chars().any(char::is_whitespace) {
        return Some("a handler is non-empty and has no spaces");
    }
    if handler.chars().count() > HANDLER_MAX_LEN {
        return Some("Lambda accepts at most 128 characters");
    }
    let ident = |s: &str| {
        !s.is_empty()
            && s.split('.').all(|p| {
                p.chars()
                    .next()
                    .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
                    && p.chars()
                        .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
            })
    };
    match format {
        FileFunction => match handler.rsplit_once('.') {
            Some((file, function))
                if !file.is_empty() && !file.ends_with('/') && !function.is_empty() =>
            {
                None
            }
            _ => Some("this runtime's handler is <file>.<function>, e.g. \"index.handler\""),
        },
        JavaClass => {
            let (class, method) = handler.split_once("::").unwrap_or((handler, "x"));
            (!(ident(class) && ident(method) && !method.contains('.')))
                .then_some("a Java handler is <package.Class>::<method>, e.g. \"example.Handler::handleRequest\"")
        }
        DotnetMethod => {
            let parts: Vec<&str> = handler.split("::").collect();
            let ok = match parts.as_slice() {
                [assembly] => !assembly.is_empty(),
                [assembly, class, method] => !assembly.is_empty() && ident(class) && ident(method),
                _ => false,
            };
            (!ok).then_some("a .NET handler is <Assembly>::<Namespace.Class>::<Method>, or an executable assembly's name")
        }
        Any => None,
    }
}

/// Lambda sets these itself and refuses them in a function's environment.
pub const RESERVED_ENV: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
];

/// A function's environment variables, keys plus values, may total 4 KB (4096 bytes, not raisable).
pub const ENVIRONMENT_MAX_BYTES: usize = 4096;

/// The size Lambda counts against [`ENVIRONMENT_MAX_BYTES`]: the UTF-8 bytes of every key and value.
pub fn environment_bytes<'a>(vars: impl IntoIterator<Item = (&'a String, &'a String)>) -> usize {
    vars.into_iter().map(|(k, v)| k.len() + v.len()).sum()
}

/// CloudWatch Logs accepts only these retention periods (days).
pub const RETENTION_DAYS: [i64; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// Lambda's `MemorySize` range, MB.
pub const MEMORY_MB: std::ops::RangeInclusive<i64> = 128..=10240;
/// Lambda's `Timeout` range, seconds.
pub const TIMEOUT_S: std::ops::RangeInclusive<i64> = 1..=900;
/// Lambda's function `Description`: at most 256 characters.
pub const FUNCTION_DESCRIPTION_MAX: usize = 256;
/// Lambda function names and IAM role names: at most 64 characters.
pub const NAME_MAX: usize = 64;
/// API Gateway's default quota of resources per REST API (raisable on request).
pub const API_RESOURCES_MAX: usize = 300;

/// The runtime must be one Lambda knows, and the handler must have that runtime's form (see
/// [`RUNTIMES`]). Whether Lambda still creates or updates functions with it depends on the day
/// and on the plan: see [`super::lifecycle`].
pub(super) fn runtime_and_handler(
    runtime: &Spanned<String>,
    handler: &Spanned<String>,
) -> Vec<Diagnostic> {
    let id = runtime.get_ref();
    let Some(r) = self::runtime(id) else {
        return vec![
            Diagnostic::new(format!("unknown runtime {id:?}"), runtime.span()).hint(format!(
                "the newest runtime of each language: {}",
                newest_runtimes().join(", ")
            )),
        ];
    };
    let mut out = Vec::new();
    if let Some(why) = handler_problem(r.handler, handler.get_ref()) {
        out.push(
            Diagnostic::new(
                format!("invalid handler {:?} for {id}", handler.get_ref()),
                handler.span(),
            )
            .hint(why),
        );
    }
    out
}

/// The API resources routes on `paths` need (every prefix, root included) must fit `quota` (the
/// account's "Resources per API", [`API_RESOURCES_MAX`] unless `[api] resources_quota` says it
/// was raised); the diagnostic points at `at` (the `[api]` table).
pub(super) fn api_resources<'a>(
    paths: impl Iterator<Item = &'a str>,
    at: std::ops::Range<usize>,
    quota: usize,
) -> Option<Diagnostic> {
    let resources: std::collections::BTreeSet<&str> = paths
        .flat_map(|path| {
            path.match_indices('/')
                .map(move |(i, _)| &path[..i])
                .chain([path])
                .filter(|p| !p.is_empty() && *p != "/")
        })
        .collect();
    let count = resources.len() + 1;
    (count > quota).then(|| {
        Diagnostic::new(
            format!("the routes need {count} API resources with the root, over API Gateway's quota of {quota} per API"),
            at,
        )
        .hint("share path prefixes or use a greedy {proxy+} route; or, once AWS Service Quotas has raised the account's \"Resources per API\", say so with `resources_quota = N` under [api]")
    })
}

#[cfg(test)]
#[path = "aws_limits_tests.rs"]
mod tests;
