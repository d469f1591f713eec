//! Lambda's resource-based policy limit: 20,480 bytes, not raisable (Lambda quotas, "Function
//! resource-based policy"). Each invoke permission is one statement of about 300 bytes, so about 62
//! routes on one function cross it, and `AddPermission` fails with
//! `PolicyLengthExceededException` part-way through an apply. The planner therefore computes the
//! exact size of the policy it will produce and coarsens the statements deterministically when
//! per-route ones would not fit: per route → per method (`{apiId}/*/{METHOD}/*`, at most 8
//! statements of under 400 bytes, so it always fits). The API id is always named, never `*`.
//!
//! Size model, as Lambda stores the policy (compact JSON): `{"Version":"2012-10-17","Id":"default",
//! "Statement":[…]}` is 54 bytes, plus each statement, plus a comma between statements. Checked
//! against sizes measured on AWS: 61 short routes 19,329 bytes, 65 routes 20,593 bytes.

use crate::desired::Env;
use crate::live::Conflict;
use crate::model::{Permission, Resource, SID_PREFIX};
use crate::names::{function_arn, source_arn};
use serde_json::json;
use std::collections::BTreeMap;

/// Lambda's limit on a function's resource-based policy, bytes.
pub const POLICY_MAX_BYTES: usize = 20_480;
/// The policy document around the statements: `{"Version":"2012-10-17","Id":"default","Statement":[]}`.
const ENVELOPE_BYTES: usize = 54;
/// Stands in for the API id before the API exists: AWS's ids are 10 characters.
const UNKNOWN_API_ID: &str = "0123456789";

/// Ends the statement id of a per-method permission (per-route ones end with a hash).
const ALL_PATHS: &str = "all-paths";

/// The plan's note on a per-method statement; `None` for per-route ones.
pub fn scope_note(statement_id: &str) -> Option<&'static str> {
    statement_id.ends_with(ALL_PATHS).then_some(
        "per method: per-route statements would exceed Lambda's 20,480-byte policy limit",
    )
}

/// The bytes one statement takes in the stored policy.
pub fn statement_bytes(env: &Env, p: &Permission) -> usize {
    let source = p
        .source_arn
        .clone()
        .unwrap_or_else(|| source_arn(env, UNKNOWN_API_ID, &p.verb, &p.path));
    json!({
        "Sid": p.statement_id,
        "Effect": "Allow",
        "Principal": {"Service": "apigateway.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": function_arn(env, &p.function),
        "Condition": {"ArnLike": {"AWS:SourceArn": source}},
    })
    .to_string()
    .len()
}

/// The size of the policy holding exactly these statements (0 when there are none: no policy).
pub fn policy_bytes<'a>(env: &Env, statements: impl IntoIterator<Item = &'a Permission>) -> usize {
    let (n, sum) = statements
        .into_iter()
        .fold((0, 0), |(n, sum), p| (n + 1, sum + statement_bytes(env, p)));
    if n == 0 {
        0
    } else {
        ENVELOPE_BYTES + sum + (n - 1)
    }
}

/// The bytes statements others added take in `function`'s policy (0 when none).
fn foreign_bytes(env: &Env, function: &str) -> usize {
    env.foreign_policy_bytes.get(function).copied().unwrap_or(0)
}

/// One statement per method for one function's per-route permissions: `{apiId}/*/{METHOD}/*`.
fn per_method(env: &Env, per_route: &[Permission]) -> Vec<Permission> {
    let verbs: std::collections::BTreeSet<&str> =
        per_route.iter().map(|p| p.verb.as_str()).collect();
    verbs
        .into_iter()
        .map(|verb| Permission {
            function: per_route[0].function.clone(),
            statement_id: format!("{SID_PREFIX}{verb}-{ALL_PATHS}"),
            source_arn: env.api_id.as_ref().map(|id| source_arn(env, id, verb, "*")),
            verb: verb.to_string(),
            path: "*".to_string(),
        })
        .collect()
}

/// Per function: the per-route permissions while their policy, with the statements others added
/// to it (`env.foreign_policy_bytes`), fits [`POLICY_MAX_BYTES`], else one per method.
/// `permissions` are the per-route ones the routes need.
pub fn fit(env: &Env, permissions: Vec<Permission>) -> Vec<Permission> {
    let mut by_function: BTreeMap<String, Vec<Permission>> = BTreeMap::new();
    for p in permissions {
        by_function.entry(p.function.clone()).or_default().push(p);
    }
    let mut out = Vec::new();
    for per_route in by_function.into_values() {
        let foreign = foreign_bytes(env, &per_route[0].function);
        if policy_bytes(env, &per_route) + foreign <= POLICY_MAX_BYTES {
            out.extend(per_route);
        } else {
            out.extend(per_method(env, &per_route));
        }
    }
    out
}

/// Functions whose policy would cross the limit during the apply: new statements are added
/// before the old ones are removed (those wait until the stage stops routing to them), so the
/// policy briefly holds both. Refused at plan time instead of failing half-way.
pub fn transition_conflicts(env: &Env, desired: &[Resource], live: &[Resource]) -> Vec<Conflict> {
    let mut by_function: BTreeMap<&str, BTreeMap<&str, &Permission>> = BTreeMap::new();
    for r in live.iter().chain(desired) {
        if let Resource::Permission(p) = r {
            by_function
                .entry(&p.function)
                .or_default()
                .insert(&p.statement_id, p);
        }
    }
    by_function
        .into_iter()
        .filter_map(|(function, statements)| {
            let bytes = policy_bytes(env, statements.values().copied()) + foreign_bytes(env, function);
            (bytes > POLICY_MAX_BYTES).then(|| Conflict {
                what: format!("function {function}"),
                message: format!(
                    "during this apply the resource policy of {function} would hold its old and new invoke permissions, {bytes} bytes, over Lambda's {POLICY_MAX_BYTES}"
                ),
                hint: format!(
                    "new statements are added before old ones are removed, so the policy holds both for a moment; \
                     make room first: apply once with fewer routes on {function} (or without the statements others added to its policy), then the full file"
                ),
            })
        })
        .collect()
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
