//! The resources stackctl manages, normalised so that desired (from the file) and live (from AWS)
//! compare as equal values. Both sides are built as these types; `attrs.rs` renders them as display
//! strings.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod address;
mod attrs;
#[cfg(test)]
pub mod fixtures;
mod policy_json;

pub use address::{Address, Kind};
pub use policy_json::canonical_json;

/// The tag that makes a resource the stack's: the name alone never does.
pub const STACK_TAG: &str = "stackctl:stack";
/// The environment (`--env NAME`) of the stack a resource belongs to; absent for a stack without
/// environments. `<stack>-<env>` alone is ambiguous (stack `shop` in environment `eu-prod`, stack
/// `shop-eu` in `prod`, and a stack named `shop-eu-prod` all spell `shop-eu-prod`), so a resource
/// is the stack's only when both tags say so.
pub const ENV_TAG: &str = "stackctl:env";
/// The inline policy each execution role carries.
pub const ROLE_POLICY_NAME: &str = "stackctl-logs";
/// The account-wide role API Gateway uses to write logs, created when none usable is set.
pub const CLOUDWATCH_ROLE_NAME: &str = "stackctl-apigateway-cloudwatch";
/// The AWS-managed policy the account-wide logging role carries, in the region's partition.
pub fn cloudwatch_policy_arn(partition: &str) -> String {
    format!("arn:{partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs")
}
/// Statement ids of the invoke permissions stackctl adds start with this.
pub const SID_PREFIX: &str = "stackctl-";
/// Prefix of the stage and deployment descriptions that record which API model is served.
pub const FINGERPRINT_PREFIX: &str = "stackctl api-model ";

/// The stage description recording the model fingerprint and the deployment that serves it: a
/// stage redeployed by anyone else then no longer matches, and is redeployed.
pub fn stage_description(model: &str, deployment_id: &str) -> String {
    format!("{FINGERPRINT_PREFIX}{model} deployment {deployment_id}")
}

/// The model a stage serves, from its description, if its deployment is the one recorded there.
pub fn served_model(description: Option<&str>, deployment_id: Option<&str>) -> Option<String> {
    let rest = description?.strip_prefix(FINGERPRINT_PREFIX)?;
    let (model, recorded) = rest.split_once(" deployment ")?;
    (Some(recorded) == deployment_id).then(|| model.to_string())
}

pub type Tags = BTreeMap<String, String>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    pub name: String,
    /// The service allowed to assume it, e.g. `lambda.amazonaws.com`.
    pub trust_service: String,
    /// Canonical JSON of the inline policy [`ROLE_POLICY_NAME`].
    pub policy: String,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogGroup {
    pub name: String,
    pub retention_days: Option<i32>,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Function {
    pub name: String,
    pub runtime: String,
    pub handler: String,
    pub memory_mb: i32,
    pub timeout_s: i32,
    pub description: String,
    pub environment: BTreeMap<String, String>,
    pub role_arn: String,
    /// base64(sha256(zip)), as Lambda reports `CodeSha256`.
    pub code_sha256: String,
    /// The instruction set it runs on (Lambda's `Architectures`, one element; default x86_64).
    /// Defaulted when absent so a plan saved before this field still parses (and is then found
    /// stale, not unreadable).
    #[serde(default)]
    pub architecture: Architecture,
    /// Layer version ARNs, in the order Lambda extracts them into /opt.
    #[serde(default)]
    pub layers: Vec<String>,
    /// X-Ray active tracing (`TracingConfig.Mode`: Active when true, PassThrough otherwise).
    #[serde(default)]
    pub tracing: bool,
    pub tags: Tags,
}

/// A function's instruction set: Lambda's `Architectures` holds exactly one of these.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Architecture {
    #[default]
    #[serde(rename = "x86_64")]
    X86_64,
    #[serde(rename = "arm64")]
    Arm64,
}

impl Architecture {
    /// Lambda's spelling: `x86_64` | `arm64`.
    pub fn as_str(self) -> &'static str {
        match self {
            Architecture::X86_64 => "x86_64",
            Architecture::Arm64 => "arm64",
        }
    }

    /// From Lambda's spelling; `None` for anything else.
    pub fn parse(s: &str) -> Option<Architecture> {
        match s {
            "x86_64" => Some(Architecture::X86_64),
            "arm64" => Some(Architecture::Arm64),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestApi {
    pub name: String,
    pub endpoint_type: String,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiResource {
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Integration {
    /// Lambda proxy integration to a function (by physical name).
    LambdaProxy { function: String, uri: String },
    /// The console's "Enable CORS" OPTIONS method.
    CorsMock {
        allow_origin: String,
        allow_methods: String,
        allow_headers: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Method {
    pub path: String,
    pub verb: String,
    pub authorization: String,
    pub integration: Integration,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayResponse {
    pub response_type: String,
    pub parameters: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permission {
    pub function: String,
    pub statement_id: String,
    /// None while the API does not exist yet: known after apply.
    pub source_arn: Option<String>,
    pub verb: String,
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRole {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSettings {
    pub cloudwatch_role_arn: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    pub name: String,
    /// Fingerprint of the API model the stage's deployment serves.
    pub model: String,
    pub log_level: String,
    pub data_trace: bool,
    pub metrics: bool,
    /// `tracingEnabled` (X-Ray); `None`: `[api] tracing` unset, not managed (live is adopted).
    pub tracing: Option<bool>,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Resource {
    Role(Role),
    LogGroup(LogGroup),
    Function(Function),
    RestApi(RestApi),
    ApiResource(ApiResource),
    Method(Method),
    GatewayResponse(GatewayResponse),
    Permission(Permission),
    AccountRole(AccountRole),
    AccountSettings(AccountSettings),
    Stage(Stage),
    EventSourceMapping(crate::model_events::EventSourceMapping),
    ScheduleRule(crate::model_events::ScheduleRule),
    SnsSubscription(crate::model_events::SnsSubscription),
    S3Notification(crate::model_events::S3Notification),
}

impl Resource {
    pub fn address(&self) -> Address {
        match self {
            Resource::Role(r) => Address::new(Kind::Role, &r.name),
            Resource::LogGroup(l) => Address::new(Kind::LogGroup, &l.name),
            Resource::Function(f) => Address::new(Kind::Function, &f.name),
            Resource::RestApi(a) => Address::new(Kind::RestApi, &a.name),
            Resource::ApiResource(r) => Address::new(Kind::ApiResource, &r.path),
            Resource::Method(m) => Address::new(Kind::Method, method_name(&m.verb, &m.path)),
            Resource::GatewayResponse(g) => Address::new(Kind::GatewayResponse, &g.response_type),
            Resource::Permission(p) => Address::new(
                Kind::Permission,
                format!("{}/{}", p.function, p.statement_id),
            ),
            Resource::AccountRole(r) => Address::new(Kind::AccountRole, &r.name),
            Resource::AccountSettings(_) => Address::new(Kind::AccountSettings, "apigateway"),
            Resource::Stage(s) => Address::new(Kind::Stage, &s.name),
            Resource::EventSourceMapping(m) => Address::new(Kind::EventSourceMapping, m.name()),
            Resource::ScheduleRule(r) => Address::new(Kind::ScheduleRule, &r.name),
            Resource::SnsSubscription(s) => Address::new(Kind::SnsSubscription, s.name()),
            Resource::S3Notification(n) => Address::new(Kind::S3Notification, n.name()),
        }
    }

    /// Settings every stack shares with others in the account: marked in the plan, never deleted.
    pub fn account_wide(&self) -> bool {
        matches!(
            self,
            Resource::AccountRole(_) | Resource::AccountSettings(_)
        )
    }
}

/// The verbs API Gateway's `ANY` method answers (OPTIONS aside, which CORS answers itself).
pub const ANY_VERBS: [&str; 6] = ["DELETE", "GET", "HEAD", "PATCH", "POST", "PUT"];

/// The `Access-Control-Allow-Methods` a path's CORS preflight answers: `configured` as written
/// when `[api.cors] allow_methods` is set; otherwise OPTIONS plus the path's routed verbs, with
/// `ANY` standing for every verb, sorted. The one derivation the desired model, the smoke test and
/// import share, so they cannot disagree.
pub fn cors_allow_methods<'a>(
    routed: impl IntoIterator<Item = &'a str>,
    configured: Option<&[String]>,
) -> Vec<String> {
    if let Some(methods) = configured {
        return methods.to_vec();
    }
    let mut all = std::collections::BTreeSet::from(["OPTIONS"]);
    for verb in routed {
        if verb == "ANY" {
            all.extend(ANY_VERBS);
        } else {
            all.insert(verb);
        }
    }
    all.into_iter().map(String::from).collect()
}

pub const KNOWN_AFTER_APPLY: &str = "(known after apply)";
/// What the live reader puts in a CORS mock's header values when the mock lacks its request
/// template or 200 method response: it differs from any wanted value, and is rebuilt whole.
pub const INCOMPLETE: &str = "(incomplete)";

pub fn method_name(verb: &str, path: &str) -> String {
    format!("{verb} {path}")
}

pub(crate) fn quote(s: &str) -> String {
    format!("{s:?}")
}

/// A deterministic statement id for the invoke permission of (verb, path): readable, and unique
/// thanks to a short hash of the exact pair.
pub fn statement_id(verb: &str, path: &str) -> String {
    use sha2::{Digest, Sha256};
    let readable: String = path
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let readable = readable.trim_matches('_');
    let hash = hex(&Sha256::digest(format!("{verb} {path}").as_bytes())[..4]);
    let mut sid = format!("{SID_PREFIX}{verb}-{readable}");
    sid.truncate(80);
    format!("{sid}-{hash}")
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests;
