//! Lambda: the stack's functions (and orphans among `<stack>-*`), and their invoke permissions.

use super::{Found, not_owned_tagged};
use crate::aws::{Absent, Aws, Service::Lambda};
use crate::model::{Architecture, Function, Permission, Resource, SID_PREFIX, STACK_TAG};
use anyhow::Result;
use futures::future::try_join_all;
use std::collections::BTreeMap;

struct LiveFunction {
    function: Function,
    revision: String,
    owned: bool,
    permissions: Vec<Permission>,
    /// Bytes the statements stackctl did not add take in the function's policy.
    foreign_policy_bytes: usize,
}

/// `adopt`: the function is named in `[import]`, so untagged it still counts as the stack's.
async fn read_function(
    aws: &Aws,
    stack: &str,
    name: &str,
    adopt: bool,
) -> Result<Option<LiveFunction>> {
    // The policy is read alongside, not after: one round trip per function, not two.
    let (out, (permissions, foreign_policy_bytes)) = tokio::try_join!(
        async {
            aws.read_call(Lambda, "GetFunction", name, || {
                aws.lambda.get_function().function_name(name).send()
            })
            .await
            .found()
            .map_err(anyhow::Error::from)
        },
        read_permissions(aws, name),
    )?;
    let Some(out) = out else { return Ok(None) };
    let Some(c) = out.configuration() else {
        return Ok(None);
    };
    let tags: BTreeMap<String, String> = out
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let owned = if tags.contains_key(STACK_TAG) {
        crate::names::is_owned(&tags, stack)
    } else {
        adopt
    };
    let function = function_of(name, c, tags);
    let permissions = if owned { permissions } else { Vec::new() };
    Ok(Some(LiveFunction {
        function,
        revision: c.revision_id().unwrap_or_default().to_string(),
        owned,
        permissions,
        foreign_policy_bytes,
    }))
}

/// A function's configuration as the model sees it, AWS's defaults filled in.
pub fn function_of(
    name: &str,
    c: &aws_sdk_lambda::types::FunctionConfiguration,
    tags: BTreeMap<String, String>,
) -> Function {
    Function {
        name: name.to_string(),
        runtime: c
            .runtime()
            .map(|r| r.as_str().to_string())
            .unwrap_or_default(),
        handler: c.handler().unwrap_or_default().to_string(),
        memory_mb: c.memory_size().unwrap_or(128),
        timeout_s: c.timeout().unwrap_or(3),
        description: c.description().unwrap_or_default().to_string(),
        environment: c
            .environment()
            .and_then(|e| e.variables())
            .map(|v| v.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        role_arn: c.role().unwrap_or_default().to_string(),
        code_sha256: c.code_sha256().unwrap_or_default().to_string(),
        // Lambda's default when it reports none (older functions, some emulators).
        architecture: c
            .architectures()
            .first()
            .and_then(|a| Architecture::parse(a.as_str()))
            .unwrap_or_default(),
        layers: c
            .layers()
            .iter()
            .filter_map(|l| l.arn().map(str::to_string))
            .collect(),
        tracing: c
            .tracing_config()
            .and_then(|t| t.mode())
            .is_some_and(|m| *m == aws_sdk_lambda::types::TracingMode::Active),
        tags,
    }
}

/// The statements stackctl added (by their statement-id prefix), and the bytes the others take
/// in the policy: they are left alone, but count toward Lambda's 20,480-byte limit.
async fn read_permissions(aws: &Aws, name: &str) -> Result<(Vec<Permission>, usize)> {
    let Some(out) = aws
        .read_call(Lambda, "GetPolicy", name, || {
            aws.lambda.get_policy().function_name(name).send()
        })
        .await
        .found()?
    else {
        return Ok((Vec::new(), 0));
    };
    let policy = out.policy.unwrap_or_default();
    Ok((
        parse_permissions(name, &policy),
        foreign_statement_bytes(&policy),
    ))
}

/// The bytes the statements stackctl did not add take in the stored policy: each one as compact
/// JSON, and the comma before it.
pub fn foreign_statement_bytes(policy: &str) -> usize {
    let doc: serde_json::Value = serde_json::from_str(policy).unwrap_or_default();
    let statements = match &doc["Statement"] {
        serde_json::Value::Array(items) => items.clone(),
        serde_json::Value::Object(_) => vec![doc["Statement"].clone()],
        _ => Vec::new(),
    };
    statements
        .iter()
        .filter(|s| {
            !s["Sid"]
                .as_str()
                .is_some_and(|sid| sid.starts_with(SID_PREFIX))
        })
        .map(|s| s.to_string().len() + 1)
        .sum()
}

pub fn parse_permissions(function: &str, policy: &str) -> Vec<Permission> {
    let doc: serde_json::Value = serde_json::from_str(policy).unwrap_or_default();
    let statements = match &doc["Statement"] {
        serde_json::Value::Array(items) => items.clone(),
        serde_json::Value::Object(_) => vec![doc["Statement"].clone()],
        _ => Vec::new(),
    };
    statements
        .iter()
        .filter_map(|s| {
            let sid = s["Sid"].as_str()?;
            if !sid.starts_with(SID_PREFIX) {
                return None;
            }
            let source_arn = s["Condition"]["ArnLike"]["AWS:SourceArn"]
                .as_str()
                .map(str::to_string);
            Some(Permission {
                function: function.to_string(),
                statement_id: sid.to_string(),
                source_arn,
                verb: String::new(),
                path: String::new(),
            })
        })
        .collect()
}

/// Reads the functions the file wants (an untagged one is a conflict, unless `[import]` adopts
/// it) and the orphan candidates (kept only if they carry the stack's tag).
pub async fn read_functions(
    aws: &Aws,
    stack: &str,
    wanted: &[String],
    candidates: &[String],
    adopt: &[String],
) -> Result<Found> {
    let names: Vec<&String> = wanted.iter().chain(candidates).collect();
    let functions = try_join_all(
        names
            .iter()
            .map(|n| read_function(aws, stack, n, adopt.contains(n))),
    )
    .await?;
    let mut found = Found::default();
    for (name, f) in names.into_iter().zip(functions) {
        let Some(f) = f else { continue };
        if f.owned {
            found.revisions.insert(name.clone(), f.revision);
            if f.foreign_policy_bytes > 0 {
                found
                    .foreign_policy_bytes
                    .insert(name.clone(), f.foreign_policy_bytes);
            }
            found.resources.push(Resource::Function(f.function));
            found
                .resources
                .extend(f.permissions.into_iter().map(Resource::Permission));
        } else if wanted.contains(name) {
            found
                .conflicts
                .push(not_owned_tagged("function", name, &f.function.tags));
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_stackctl_statements_with_their_source_arn() {
        let policy = r#"{"Version":"2012-10-17","Id":"default","Statement":[
          {"Sid":"stackctl-POST-hello-1a2b3c4d","Effect":"Allow","Principal":{"Service":"apigateway.amazonaws.com"},
           "Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:1:function:f",
           "Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:execute-api:us-east-1:1:abc/*/POST/hello"}}},
          {"Sid":"console-added","Effect":"Allow"}]}"#;
        let ps = parse_permissions("f", policy);
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].statement_id, "stackctl-POST-hello-1a2b3c4d");
        assert_eq!(
            ps[0].source_arn.as_deref(),
            Some("arn:aws:execute-api:us-east-1:1:abc/*/POST/hello")
        );
    }
}
