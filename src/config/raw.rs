//! The file as serde reads it: every value keeps its span so validation can point at it.

use super::{Diagnostic, LogLevel};
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    pub stack: Spanned<RawStack>,
    #[serde(default)]
    pub functions: BTreeMap<String, Spanned<RawFunction>>,
    pub api: Option<Spanned<RawApi>>,
    pub import: Option<Spanned<RawImport>>,
}

/// `[import]`, written by `stackctl import`: existing untagged resources this file adopts.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawImport {
    pub rest_api: Option<Spanned<String>>,
    #[serde(default)]
    pub functions: BTreeMap<String, Spanned<RawImportedCode>>,
    /// Untagged log groups of the file's functions to adopt (leftovers of earlier functions).
    #[serde(default)]
    pub log_groups: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawImportedCode {
    pub code_sha256: Spanned<String>,
    pub source_sha256: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStack {
    pub name: Spanned<String>,
    pub region: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFunction {
    pub runtime: Spanned<String>,
    pub handler: Spanned<String>,
    pub source: Spanned<String>,
    pub memory_mb: Option<Spanned<i64>>,
    pub timeout_s: Option<Spanned<i64>>,
    pub description: Option<Spanned<String>>,
    #[serde(default)]
    pub environment: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    pub secrets: Vec<Spanned<String>>,
    pub log_retention_days: Option<Spanned<i64>>,
    pub role: Option<Spanned<String>>,
    pub architecture: Option<Spanned<String>>,
    pub layers: Option<Spanned<Vec<Spanned<String>>>>,
    // Event-driven functions (issue 11): see config/events.rs.
    pub tracing: Option<bool>,
    #[serde(default)]
    pub statements: Vec<Spanned<super::events::RawStatement>>,
    #[serde(default)]
    pub events: Vec<Spanned<super::events::RawEvent>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawApi {
    pub name: Option<Spanned<String>>,
    pub stage: Option<Spanned<String>>,
    pub logging: Option<Spanned<LogLevel>>,
    pub data_trace: Option<bool>,
    pub metrics: Option<bool>,
    pub tracing: Option<bool>,
    pub log_retention_days: Option<Spanned<i64>>,
    pub resources_quota: Option<Spanned<i64>>,
    pub cors: Option<Spanned<RawCors>>,
    #[serde(default)]
    pub routes: Vec<Spanned<RawRoute>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCors {
    pub allow_origin: Option<Spanned<String>>,
    pub allow_headers: Option<Vec<Spanned<String>>>,
    pub allow_methods: Option<Vec<Spanned<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRoute {
    pub path: Spanned<String>,
    pub methods: Spanned<Vec<Spanned<String>>>,
    pub function: Spanned<String>,
    pub test_body: Option<Spanned<String>>,
}

/// Parses TOML into the raw shape, with environment `env`'s overrides merged in (see
/// [`super::env`]); syntax, type, unknown-key and environment errors come back located.
pub fn parse(text: &str, env: Option<&str>) -> Result<RawFile, Diagnostic> {
    if text.trim().is_empty() {
        return Err(Diagnostic::new("the stack file is empty", 0..0)
            .hint("start from `stackctl init`, or add a [stack] table with a name"));
    }
    let plain = |e: toml::de::Error| {
        super::plain::diagnostic(text, e.span().unwrap_or(0..0), e.message().trim())
    };
    let mut root = toml::de::DeTable::parse(text).map_err(plain)?;
    super::env::overlay(&mut root, env)?;
    RawFile::deserialize(toml::de::Deserializer::from(root)).map_err(plain)
}

/// The environments a file defines (`[env.NAME]`), or none when it does not parse.
pub fn environments(text: &str) -> Vec<String> {
    toml::de::DeTable::parse(text)
        .map(|root| super::env::names(root.get_ref()))
        .unwrap_or_default()
}
