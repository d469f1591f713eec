//! Checks a parsed file against the rules stackctl and AWS impose, collecting every problem at once.

use super::aws_limits::{self as limits, RESERVED_ENV, RETENTION_DAYS};
use super::diag::out_of_range;
use super::raw::{RawApi, RawFile, RawFunction};
use super::{
    ApiConfig, CorsConfig, DEFAULT_CORS_HEADERS, Diagnostic, FunctionConfig, ImportConfig,
    ImportedCode, LogLevel, RouteConfig, StackConfig,
};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use toml::Spanned;

mod api;

const METHODS: [&str; 8] = [
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY",
];
pub fn validate(
    path: &Path,
    text: &str,
    raw: RawFile,
    env: Option<&str>,
) -> Result<StackConfig, Vec<Diagnostic>> {
    let mut v = Validator {
        diagnostics: Vec::new(),
        text: text.to_string(),
        env: env.map(str::to_string),
    };
    let dir = path.parent().unwrap_or(Path::new("."));

    let stack = raw.stack.get_ref();
    let name = stack.name.get_ref().clone();
    v.check(
        is_stack_name(&name),
        &stack.name,
        format!("invalid stack name {name:?}"),
        "use 1 to 32 lowercase letters, digits or '-', starting with a letter",
    );
    let name = super::env::stack_name(&name, env);
    let region = stack.region.as_ref().map(|r| {
        let ok = !r.get_ref().is_empty()
            && r.get_ref()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        v.check(
            ok,
            r,
            format!("invalid region {:?}", r.get_ref()),
            "a region looks like \"us-east-1\"",
        );
        r.get_ref().clone()
    });

    let mut functions = BTreeMap::new();
    for (key, f) in &raw.functions {
        if let Some(fc) = v.function(&name, key, f, dir) {
            functions.insert(key.clone(), fc);
        }
    }

    // Routes and [import] refer to functions by key: a function with a bad value is still
    // defined, so its own error is the only one reported.
    // Event sources across functions (issue 11).
    super::event_types::s3_overlaps(&raw.functions, &mut v.diagnostics);
    let defined: BTreeSet<String> = raw.functions.keys().cloned().collect();
    let api = raw.api.as_ref().map(|api| v.api(&name, api, &defined));
    let import = raw
        .import
        .as_ref()
        .map(|i| v.import(&name, i.get_ref(), &functions, &defined))
        .unwrap_or_default();

    if v.diagnostics.is_empty() {
        Ok(StackConfig {
            path: path.to_path_buf(),
            text: text.to_string(),
            name,
            env: env.map(str::to_string),
            region,
            functions,
            api,
            import,
        })
    } else {
        Err(v.diagnostics)
    }
}

struct Validator {
    diagnostics: Vec<Diagnostic>,
    text: String,
    env: Option<String>,
}

impl Validator {
    fn check<T>(&mut self, ok: bool, at: &Spanned<T>, message: String, hint: &str) -> bool {
        if !ok {
            self.diagnostics
                .push(Diagnostic::new(message, at.span()).hint(hint));
        }
        ok
    }

    fn function(
        &mut self,
        stack: &str,
        key: &str,
        f: &Spanned<RawFunction>,
        dir: &Path,
    ) -> Option<FunctionConfig> {
        let before = self.diagnostics.len();
        let table = f.get_ref();
        self.check(
            is_function_key(key),
            f,
            format!("invalid function name {key:?}"),
            "use lowercase letters, digits, '-' or '_', starting with a letter",
        );
        // Lambda function names and IAM role names are at most 64 characters.
        let physical = [
            Some(("function", format!("{stack}-{key}"))),
            table
                .role
                .is_none()
                .then(|| ("role", crate::names::role_name(stack, key))),
        ];
        for (kind, name) in physical.into_iter().flatten() {
            self.check(
                name.len() <= 64,
                f,
                format!(
                    "the {kind} name {name} is {} characters; AWS allows 64",
                    name.len()
                ),
                "shorten the function's key, the stack name or the environment name",
            );
        }
        self.check(
            format!("{stack}-{key}").len() <= limits::NAME_MAX,
            f,
            format!("function name \"{stack}-{key}\" is longer than 64 characters"),
            "Lambda function names are at most 64 characters; shorten the stack name or the key",
        );
        self.diagnostics
            .extend(limits::runtime_and_handler(&table.runtime, &table.handler));
        let memory_mb = table.memory_mb.as_ref().map_or(128, |m| *m.get_ref());
        if let Some(m) = &table.memory_mb {
            self.diagnostics.extend(out_of_range(
                "memory_mb",
                m,
                limits::MEMORY_MB,
                "Lambda accepts 128 to 10240 MB",
            ));
        }
        let timeout_s = table.timeout_s.as_ref().map_or(3, |t| *t.get_ref());
        if let Some(t) = &table.timeout_s {
            self.diagnostics.extend(out_of_range(
                "timeout_s",
                t,
                limits::TIMEOUT_S,
                "Lambda accepts 1 to 900 seconds",
            ));
        }
        if let Some(r) = &table.log_retention_days {
            self.retention(r);
        }
        if let Some(role) = &table.role {
            self.check(
                is_role_arn(role.get_ref()),
                role,
                format!("invalid role ARN {:?}", role.get_ref()),
                "use a full ARN like \"arn:aws:iam::123456789012:role/name\", or omit role to let the stack create one",
            );
        }
        if let Some(d) = &table.description {
            self.check(
                d.get_ref().chars().count() <= limits::FUNCTION_DESCRIPTION_MAX,
                d,
                "description is longer than 256 characters".into(),
                "Lambda accepts at most 256 characters; shorten it",
            );
        }
        let mut environment = BTreeMap::new();
        for (k, val) in &table.environment {
            let name = k.get_ref();
            let ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            self.check(
                ok,
                k,
                format!("invalid environment variable name {name:?}"),
                "names are letters, digits and '_', starting with a letter",
            );
            self.check(
                !RESERVED_ENV.contains(&name.as_str()),
                k,
                format!("{name} is reserved by Lambda"),
                "Lambda sets this variable itself; choose another name",
            );
            environment.insert(name.clone(), val.get_ref().clone());
        }
        let bytes = limits::environment_bytes(&environment);
        if bytes > limits::ENVIRONMENT_MAX_BYTES {
            self.diagnostics.push(
                Diagnostic::new(
                    format!("environment totals {bytes} bytes, over Lambda's 4096"),
                    table
                        .environment
                        .keys()
                        .next()
                        .map_or(f.span(), |k| k.span()),
                )
                .hint("Lambda counts every key and value (UTF-8 bytes) against a 4 KB limit it cannot raise; move large values to SSM Parameter Store or Secrets Manager"),
            );
        }
        let mut secrets = Vec::new();
        for s in &table.secrets {
            self.check(
                environment.contains_key(s.get_ref()),
                s,
                format!("secret {:?} is not a key of environment", s.get_ref()),
                "list the names of environment variables whose values must be masked",
            );
            secrets.push(s.get_ref().clone());
        }
        let source = dir.join(table.source.get_ref());
        if !source.is_dir() {
            self.check(
                false,
                &table.source,
                format!(
                    "source directory {:?} does not exist",
                    table.source.get_ref()
                ),
                "source is a directory relative to stack.toml holding the function's code",
            );
        } else {
            let empty = std::fs::read_dir(&source).map_or(true, |mut d| d.next().is_none());
            self.check(
                !empty,
                &table.source,
                format!("source directory {:?} is empty", table.source.get_ref()),
                "put the handler's file in it, e.g. index.js or index.py",
            );
        }
        let architecture =
            super::platform::architecture(table.architecture.as_ref(), &mut self.diagnostics);
        let (layers, layer_spans) =
            super::platform::layers(table.layers.as_ref(), &mut self.diagnostics);
        let statements = super::events::statements(
            &table.statements,
            table.role.is_none(),
            &mut self.diagnostics,
        );
        let events = super::events::events(
            &table.events,
            &format!("{stack}-{key}"),
            &mut self.diagnostics,
        );
        if self.diagnostics.len() > before {
            return None;
        }
        Some(FunctionConfig {
            key: key.to_string(),
            runtime: table.runtime.get_ref().clone(),
            runtime_span: table.runtime.span(),
            handler: table.handler.get_ref().clone(),
            source,
            source_span: table.source.span(),
            memory_mb: memory_mb as i32,
            timeout_s: timeout_s as i32,
            description: table
                .description
                .as_ref()
                .map(|d| d.get_ref().clone())
                .unwrap_or_default(),
            environment,
            secrets,
            log_retention_days: table
                .log_retention_days
                .as_ref()
                .map(|r| *r.get_ref() as i32),
            role: table.role.as_ref().map(|r| r.get_ref().clone()),
            architecture,
            layers,
            layer_spans,
            tracing: table.tracing.unwrap_or(false),
            statements,
            events,
        })
    }

    fn retention(&mut self, r: &Spanned<i64>) {
        self.check(
            RETENTION_DAYS.contains(r.get_ref()),
            r,
            format!("log_retention_days = {} is not a retention CloudWatch offers", r.get_ref()),
            "use one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653",
        );
    }

    fn import(
        &mut self,
        stack: &str,
        i: &super::raw::RawImport,
        functions: &BTreeMap<String, FunctionConfig>,
        defined: &BTreeSet<String>,
    ) -> ImportConfig {
        let mut out = ImportConfig {
            rest_api: i.rest_api.as_ref().map(|r| r.get_ref().clone()),
            ..ImportConfig::default()
        };
        for g in &i.log_groups {
            let ok = defined
                .iter()
                .any(|k| crate::names::log_group_name(&format!("{stack}-{k}")) == *g.get_ref());
            if self.check(
                ok,
                g,
                format!(
                    "[import] log_groups names {:?}, not the log group of a function here",
                    g.get_ref()
                ),
                "list the /aws/lambda/<stack>-<key> groups of this file's functions",
            ) {
                out.log_groups.push(g.get_ref().clone());
            }
        }
        for (key, code) in &i.functions {
            if self.check(
                defined.contains(key),
                code,
                format!("[import.functions.{key}] names a function that is not defined"),
                "import records functions of this file; remove the table or define the function",
            ) && functions.contains_key(key)
            {
                let code = code.get_ref();
                out.functions.insert(
                    key.clone(),
                    ImportedCode {
                        code_sha256: code.code_sha256.get_ref().clone(),
                        source_sha256: code.source_sha256.get_ref().clone(),
                    },
                );
            }
        }
        out
    }
}

/// 1 to 32 lowercase letters, digits or '-', starting with a letter.
pub fn is_stack_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Lowercase letters, digits, '-' or '_', starting with a letter.
pub fn is_function_key(s: &str) -> bool {
    !s.is_empty()
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

fn is_role_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[4].len() == 12
        && parts[4].chars().all(|c| c.is_ascii_digit())
        && parts[5].starts_with("role/")
        && parts[5].len() > 5
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}
