//! The values AWS documents as valid for what a stack file sets, kept in one place so that
//! `validate` refuses offline what AWS would refuse part-way through an apply.
//!
//! Sources (checked 2026-12-01; AWS changes these tables, keep them current):
//! - Lambda runtimes and deprecations: <https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html>
//!   (dates as mirrored by tflint-ruleset-aws `aws_lambda_function_deprecated_runtime`).
//! - Handlers: the per-language "Define Lambda function handler" pages of the Lambda guide.
//! - Reserved environment variables and the 4 KB total:
//!   <https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-runtime.html>,
//!   <https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html>.
//! - Log retention values: CloudWatch Logs `PutRetentionPolicy`.

use super::Diagnostic;
use toml::Spanned;

/// Whether Lambda takes a runtime for a new function today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuntimeStatus {
    /// Accepted by `CreateFunction`; `deprecated` is the end of standard support (`YYYY-MM-DD`)
    /// when AWS has announced it.
    Supported { deprecated: Option<&'static str> },
    /// Deprecated on that date (`YYYY-MM-DD`) and refused by `CreateFunction` since.
    Refused { deprecated: &'static str },
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
    pub status: RuntimeStatus,
    pub handler: HandlerFormat,
    /// What to move to when this one is deprecated or refused.
    pub successor: Option<&'static str>,
}

const fn supported(
    id: &'static str,
    deprecated: Option<&'static str>,
    handler: HandlerFormat,
    successor: Option<&'static str>,
) -> Runtime {
    Runtime {
        id,
        status: RuntimeStatus::Supported { deprecated },
        handler,
        successor,
    }
}

const fn refused(
    id: &'static str,
    deprecated: &'static str,
    handler: HandlerFormat,
    successor: &'static str,
) -> Runtime {
    Runtime {
        id,
        status: RuntimeStatus::Refused { deprecated },
        handler,
        successor: Some(successor),
    }
}

use HandlerFormat::{Any, DotnetMethod, FileFunction, JavaClass};

/// Every runtime identifier Lambda knows, supported or refused for new functions.
pub const RUNTIMES: &[Runtime] = &[
    supported("nodejs24.x", None, FileFunction, None),
    supported(
        "nodejs22.x",
        Some("2027-04-30"),
        FileFunction,
        Some("nodejs24.x"),
    ),
    supported(
        "nodejs20.x",
        Some("2026-04-30"),
        FileFunction,
        Some("nodejs22.x"),
    ),
    supported(
        "nodejs18.x",
        Some("2025-09-01"),
        FileFunction,
        Some("nodejs22.x"),
    ),
    refused("nodejs16.x", "2024-06-12", FileFunction, "nodejs22.x"),
    refused("nodejs14.x", "2023-12-04", FileFunction, "nodejs22.x"),
    refused("nodejs12.x", "2023-03-31", FileFunction, "nodejs22.x"),
    refused("nodejs10.x", "2021-07-30", FileFunction, "nodejs22.x"),
    refused("nodejs8.10", "2020-03-06", FileFunction, "nodejs22.x"),
    refused("nodejs6.10", "2019-08-12", FileFunction, "nodejs22.x"),
    refused("nodejs4.3", "2020-03-05", FileFunction, "nodejs22.x"),
    refused("nodejs4.3-edge", "2020-03-05", FileFunction, "nodejs22.x"),
    refused("nodejs", "2016-10-31", FileFunction, "nodejs22.x"),
    supported("python3.14", None, FileFunction, None),
    supported(
        "python3.13",
        Some("2029-06-30"),
        FileFunction,
        Some("python3.14"),
    ),
    supported(
        "python3.12",
        Some("2028-10-31"),
        FileFunction,
        Some("python3.13"),
    ),
    supported(
        "python3.11",
        Some("2026-06-30"),
        FileFunction,
        Some("python3.13"),
    ),
    supported(
        "python3.10",
        Some("2026-06-30"),
        FileFunction,
        Some("python3.13"),
    ),
    supported(
        "python3.9",
        Some("2025-12-15"),
        FileFunction,
        Some("python3.13"),
    ),
    refused("python3.8", "2024-10-14", FileFunction, "python3.13"),
    refused("python3.7", "2023-12-04", FileFunction, "python3.13"),
    refused("python3.6", "2022-07-18", FileFunction, "python3.13"),
    refused("python2.7", "2021-07-15", FileFunction, "python3.13"),
    supported("java25", None, JavaClass, None),
    supported("java21", Some("2029-06-30"), JavaClass, Some("java25")),
    supported("java17", Some("2026-06-30"), JavaClass, Some("java21")),
    supported("java11", Some("2026-06-30"), JavaClass, Some("java21")),
    supported("java8.al2", Some("2026-06-30"), JavaClass, Some("java21")),
    refused("java8", "2024-01-08", JavaClass, "java21"),
    supported("dotnet10", None, DotnetMethod, None),
    supported(
        "dotnet8",
        Some("2026-11-10"),
        DotnetMethod,
        Some("dotnet10"),
    ),
    refused("dotnet7", "2024-05-14", DotnetMethod, "dotnet8"),
    refused("dotnet6", "2024-11-12", DotnetMethod, "dotnet8"),
    refused("dotnet5.0", "2022-05-10", DotnetMethod, "dotnet8"),
    refused("dotnetcore3.1", "2023-04-03", DotnetMethod, "dotnet8"),
    refused("dotnetcore2.1", "2022-01-05", DotnetMethod, "dotnet8"),
    refused("dotnetcore2.0", "2019-05-30", DotnetMethod, "dotnet8"),
    refused("dotnetcore1.0", "2019-07-27", DotnetMethod, "dotnet8"),
    supported("ruby3.4", Some("2028-03-31"), FileFunction, None),
    supported("ruby3.3", Some("2027-03-31"), FileFunction, Some("ruby3.4")),
    supported("ruby3.2", Some("2026-03-31"), FileFunction, Some("ruby3.4")),
    refused("ruby2.7", "2023-11-27", FileFunction, "ruby3.4"),
    refused("ruby2.5", "2021-07-30", FileFunction, "ruby3.4"),
    refused("go1.x", "2024-01-08", Any, "provided.al2023"),
    supported("provided.al2023", Some("2029-06-30"), Any, None),
    supported(
        "provided.al2",
        Some("2026-06-30"),
        Any,
        Some("provided.al2023"),
    ),
    refused("provided", "2024-01-08", Any, "provided.al2023"),
];

/// The table's entry for a runtime identifier, if Lambda knows it.
pub fn runtime(id: &str) -> Option<&'static Runtime> {
    RUNTIMES.iter().find(|r| r.id == id)
}

/// The identifiers `CreateFunction` accepts, newest first per language, for hints.
pub fn supported_runtimes() -> Vec<&'static str> {
    RUNTIMES
        .iter()
        .filter(|r| matches!(r.status, RuntimeStatus::Supported { .. }))
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

/// The runtime must be one Lambda takes for a new function today, and the handler must have
/// that runtime's form (see [`RUNTIMES`]).
pub(super) fn runtime_and_handler(
    runtime: &Spanned<String>,
    handler: &Spanned<String>,
) -> Vec<Diagnostic> {
    let id = runtime.get_ref();
    let Some(r) = self::runtime(id) else {
        return vec![
            Diagnostic::new(format!("unknown runtime {id:?}"), runtime.span()).hint(format!(
                "Lambda accepts: {}",
                supported_runtimes().join(", ")
            )),
        ];
    };
    let mut out = Vec::new();
    if let RuntimeStatus::Refused { deprecated } = r.status {
        out.push(
            Diagnostic::new(
                format!("runtime {id:?} is deprecated since {deprecated}: Lambda no longer creates functions with it"),
                runtime.span(),
            )
            .hint(format!("use {}", r.successor.unwrap_or("a supported runtime"))),
        );
    }
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
