//! IAM: the stack's execution roles (and orphans among `<stack>-*-exec`), and the account's
//! API Gateway logging role.

use super::{Found, not_owned_tagged};
use crate::aws::Service::ApiGateway;
use crate::aws::{Absent, Aws, Service::Iam};
use crate::model::{
    AccountRole, AccountSettings, CLOUDWATCH_ROLE_NAME, ROLE_POLICY_NAME, Resource, Role, Tags,
    canonical_json,
};
use anyhow::Result;
use futures::future::try_join_all;

/// IAM returns policy documents URL-encoded.
pub fn decode_policy(doc: &str) -> String {
    percent_encoding::percent_decode_str(doc)
        .decode_utf8_lossy()
        .into_owned()
}

/// The service a trust policy lets assume the role, when it is exactly one; else the document.
pub fn trust_service(doc: &str) -> String {
    let canonical = canonical_json(&decode_policy(doc));
    let v: serde_json::Value = serde_json::from_str(&canonical).unwrap_or_default();
    let statements = v["Statement"].as_array().map_or(&[][..], Vec::as_slice);
    let [statement] = statements else {
        return canonical;
    };
    match statement["Principal"]["Service"].as_str() {
        Some(service)
            if statement["Effect"] == "Allow" && statement["Action"] == "sts:AssumeRole" =>
        {
            service.to_string()
        }
        _ => canonical,
    }
}

/// Whether a trust policy lets `service` assume the role, however the document is written (one
/// statement or several, a service or a list of them, extra actions such as sts:TagSession).
pub fn trusts(doc: &str, service: &str) -> bool {
    let v: serde_json::Value = serde_json::from_str(&decode_policy(doc)).unwrap_or_default();
    let as_list = |v: &serde_json::Value| -> Vec<String> {
        match v {
            serde_json::Value::String(s) => vec![s.clone()],
            serde_json::Value::Array(items) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    };
    let statements = match &v["Statement"] {
        serde_json::Value::Array(items) => items.clone(),
        one @ serde_json::Value::Object(_) => vec![one.clone()],
        _ => Vec::new(),
    };
    statements.iter().any(|st| {
        st["Effect"] == "Allow"
            && as_list(&st["Action"])
                .iter()
                .any(|a| a == "sts:AssumeRole" || a == "sts:*" || a == "*")
            && as_list(&st["Principal"]["Service"])
                .iter()
                .any(|s| s == service)
    })
}

fn tags_of(tags: &[aws_sdk_iam::types::Tag]) -> Tags {
    tags.iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect()
}

/// Reads one role with its inline policy; `None` if it does not exist.
async fn read_role(aws: &Aws, name: &str) -> Result<Option<Role>> {
    // Both reads at once: one round trip per role.
    let (role, policy) = tokio::try_join!(
        async {
            get_role(aws, name)
                .await
                .map(|out| out.and_then(|o| o.role))
        },
        async {
            aws.read_call(Iam, "GetRolePolicy", name, || {
                aws.iam
                    .get_role_policy()
                    .role_name(name)
                    .policy_name(ROLE_POLICY_NAME)
                    .send()
            })
            .await
            .found()
            .map(|out| match out {
                Some(out) => canonical_json(&decode_policy(out.policy_document())),
                None => "(none)".to_string(),
            })
            .map_err(anyhow::Error::from)
        },
    )?;
    let Some(role) = role else { return Ok(None) };
    Ok(Some(Role {
        name: name.to_string(),
        trust_service: trust_service(role.assume_role_policy_document().unwrap_or("")),
        policy,
        tags: tags_of(role.tags()),
    }))
}

/// Reading this many roles or more one by one (`GetRole` + `GetRolePolicy` each, so twice as many
/// calls) costs more than one page of `GetAccountAuthorizationDetails`, which carries every role's
/// trust policy, inline policies and tags.
pub const SNAPSHOT_MIN_ROLES: usize = 5;
/// Roles per `GetAccountAuthorizationDetails` page: its `MaxItems` maximum (IAM API reference).
const SNAPSHOT_PAGE_ROLES: i32 = 1000;

/// Reads the execution roles the file wants (an untagged one is a conflict) and the orphan
/// candidates (kept only if they carry the stack's tag).
///
/// From [`SNAPSHOT_MIN_ROLES`] roles on, one `GetAccountAuthorizationDetails` page replaces two
/// reads per role; it reports the same trust policy, inline policy and tags, so drift is read the
/// same way. An account with more roles than one page holds, or credentials without
/// `iam:GetAccountAuthorizationDetails`, fall back to reading each role: the fallback is the
/// authoritative read, never "absent".
pub async fn read_roles(
    aws: &Aws,
    stack: &str,
    wanted: &[String],
    candidates: &[String],
) -> Result<Found> {
    let names: Vec<&String> = wanted.iter().chain(candidates).collect();
    let snapshot = if names.len() >= SNAPSHOT_MIN_ROLES {
        role_snapshot(aws).await?
    } else {
        None
    };
    let roles = match snapshot {
        Some(mut all) => names.iter().map(|n| all.remove(n.as_str())).collect(),
        None => try_join_all(names.iter().map(|n| read_role(aws, n))).await?,
    };
    let mut found = Found::default();
    for (name, role) in names.into_iter().zip(roles) {
        let Some(role) = role else { continue };
        if crate::names::is_owned(&role.tags, stack) {
            found.resources.push(Resource::Role(role));
        } else if wanted.contains(name) {
            found
                .conflicts
                .push(not_owned_tagged("role", name, &role.tags));
        }
    }
    Ok(found)
}

/// Every role in the account, by name, from one `GetAccountAuthorizationDetails` page; `None`
/// when one page does not hold them all or the caller may not make the call (read each role
/// instead).
async fn role_snapshot(aws: &Aws) -> Result<Option<std::collections::BTreeMap<String, Role>>> {
    let page = aws
        .read_call(Iam, "GetAccountAuthorizationDetails", "Role", || {
            aws.iam
                .get_account_authorization_details()
                .filter(aws_sdk_iam::types::EntityType::Role)
                .max_items(SNAPSHOT_PAGE_ROLES)
                .send()
        })
        .await;
    let page = match page {
        Ok(page) => page,
        Err(e) if e.is_access_denied() || e.is_unsupported() => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if page.is_truncated() {
        return Ok(None);
    }
    Ok(Some(
        page.role_detail_list()
            .iter()
            .filter_map(|r| {
                let name = r.role_name()?;
                let policy = r
                    .role_policy_list()
                    .iter()
                    .find(|p| p.policy_name() == Some(ROLE_POLICY_NAME))
                    .map_or_else(
                        || "(none)".to_string(),
                        |p| canonical_json(&decode_policy(p.policy_document().unwrap_or(""))),
                    );
                let role = Role {
                    name: name.to_string(),
                    trust_service: trust_service(r.assume_role_policy_document().unwrap_or("")),
                    policy,
                    tags: tags_of(r.tags()),
                };
                Some((name.to_string(), role))
            })
            .collect(),
    ))
}

/// The account's API Gateway logging setting and whether the role it names is usable.
pub struct CloudWatch {
    pub usable: Option<String>,
    pub resources: Vec<Resource>,
}

pub async fn read_cloudwatch_role(aws: &Aws) -> Result<CloudWatch> {
    let account = aws
        .read_call(ApiGateway, "GetAccount", "", || {
            aws.apigw.get_account().send()
        })
        .await?;
    let current = account.cloudwatch_role_arn().map(str::to_string);
    let usable = match &current {
        Some(arn) => {
            let name = arn.rsplit('/').next().unwrap_or_default();
            get_role(aws, name)
                .await?
                .and_then(|out| out.role)
                .and_then(|r| r.assume_role_policy_document().map(str::to_string))
                .filter(|doc| trusts(doc, "apigateway.amazonaws.com"))
                .map(|_| arn.clone())
        }
        None => None,
    };
    let mut resources = vec![Resource::AccountSettings(AccountSettings {
        cloudwatch_role_arn: current,
    })];
    // Only when the setting must change is stackctl's own role looked for.
    if usable.is_none() && read_role_exists(aws, CLOUDWATCH_ROLE_NAME).await? {
        resources.push(Resource::AccountRole(AccountRole {
            name: CLOUDWATCH_ROLE_NAME.into(),
        }));
    }
    Ok(CloudWatch { usable, resources })
}

async fn read_role_exists(aws: &Aws, name: &str) -> Result<bool> {
    Ok(get_role(aws, name).await?.is_some())
}

/// `iam:GetRole`; `None` when there is no such role.
async fn get_role(
    aws: &Aws,
    name: &str,
) -> Result<Option<aws_sdk_iam::operation::get_role::GetRoleOutput>> {
    Ok(aws
        .read_call(Iam, "GetRole", name, || {
            aws.iam.get_role().role_name(name).send()
        })
        .await
        .found()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_service_reads_one_service_from_an_encoded_document() {
        let doc = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22lambda.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D";
        assert_eq!(trust_service(doc), "lambda.amazonaws.com");
        let two = r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"a"},"Action":"sts:AssumeRole"},{"Effect":"Allow"}]}"#;
        assert!(trust_service(two).starts_with('{'));
    }

    #[test]
    fn a_shared_logging_role_written_differently_is_still_usable() {
        let list = r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":["lambda.amazonaws.com","apigateway.amazonaws.com"]},"Action":["sts:AssumeRole","sts:TagSession"]}]}"#;
        assert!(trusts(list, "apigateway.amazonaws.com"));
        let two = r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"Service":"apigateway.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        assert!(trusts(two, "apigateway.amazonaws.com"));
        let deny = r#"{"Statement":{"Effect":"Deny","Principal":{"Service":"apigateway.amazonaws.com"},"Action":"sts:AssumeRole"}}"#;
        assert!(!trusts(deny, "apigateway.amazonaws.com"));
        assert!(!trusts(list, "states.amazonaws.com"));
    }
}
