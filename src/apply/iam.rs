//! IAM steps: execution roles, and the account-wide API Gateway logging role (created, never deleted).

use super::Ctx;
use crate::aws::{Absent, Service::Iam};
use crate::diff::Action;
use crate::model::{ROLE_POLICY_NAME, Resource, Role, cloudwatch_policy_arn};
use crate::names::{is_owned, trust_policy};
use crate::plan::{Step, changed};
use anyhow::Result;
use aws_sdk_iam::types::Tag;
use std::collections::HashMap;

pub async fn apply(ctx: &Ctx, step: &Step) -> Result<()> {
    match (&step.desired, &step.live, step.action) {
        (Some(Resource::Role(role)), _, Action::Create) => create_role(ctx, role).await,
        (Some(Resource::Role(role)), _, _) => update_role(ctx, live_of!(step, Role), role).await,
        (_, Some(Resource::Role(role)), Action::Delete) => delete_role(ctx, &role.name).await,
        (Some(Resource::AccountRole(role)), _, Action::Create) => {
            create_cloudwatch_role(ctx, &role.name).await
        }
        _ => crate::bail_internal!("no IAM action for {} {}", step.kind.as_str(), step.name),
    }
}

fn tags(role: &Role) -> Vec<Tag> {
    role.tags
        .iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .expect("key and value set")
        })
        .collect()
}

async fn create_role(ctx: &Ctx, role: &Role) -> Result<()> {
    let (aws, iam) = (&ctx.aws, &ctx.aws.iam);
    let created = aws
        .call(Iam, "CreateRole", &role.name, || {
            iam.create_role()
                .role_name(&role.name)
                .assume_role_policy_document(trust_policy(&role.trust_service))
                .description(format!(
                    "Execution role of a function of stackctl stack {}",
                    ctx.stack
                ))
                .set_tags(Some(tags(role)))
                .send()
        })
        .await;
    match created {
        Ok(_) => {}
        // A create whose response was lost: the role is there; make sure it is ours.
        Err(e) if e.is_already_exists() => {
            let out = aws
                .call(Iam, "GetRole", &role.name, || {
                    iam.get_role().role_name(&role.name).send()
                })
                .await?;
            let tags: HashMap<String, String> = out
                .role()
                .map(|r| r.tags())
                .unwrap_or_default()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
            if !is_owned(&tags, &ctx.stack) {
                crate::bail_hint!("iam:CreateRole {}: a role with this name appeared that this stack does not own", role.name; hint = "run `stackctl plan` again");
            }
        }
        Err(e) => return Err(e.into()),
    }
    put_policy(ctx, role).await
}

async fn put_policy(ctx: &Ctx, role: &Role) -> Result<()> {
    ctx.aws
        .call(Iam, "PutRolePolicy", &role.name, || {
            ctx.aws
                .iam
                .put_role_policy()
                .role_name(&role.name)
                .policy_name(ROLE_POLICY_NAME)
                .policy_document(&role.policy)
                .send()
        })
        .await?;
    Ok(())
}

async fn update_role(ctx: &Ctx, live: Option<&Role>, role: &Role) -> Result<()> {
    let (aws, iam) = (&ctx.aws, &ctx.aws.iam);
    if changed(live, role, |r| &r.trust_service) {
        aws.call(Iam, "UpdateAssumeRolePolicy", &role.name, || {
            iam.update_assume_role_policy()
                .role_name(&role.name)
                .policy_document(trust_policy(&role.trust_service))
                .send()
        })
        .await?;
    }
    if changed(live, role, |r| &r.policy) {
        put_policy(ctx, role).await?;
    }
    if changed(live, role, |r| &r.tags) {
        aws.call(Iam, "TagRole", &role.name, || {
            iam.tag_role()
                .role_name(&role.name)
                .set_tags(Some(tags(role)))
                .send()
        })
        .await?;
    }
    Ok(())
}

/// Deletes a role with its inline and attached policies (IAM refuses to delete a role that has
/// any); a role already gone is done.
async fn delete_role(ctx: &Ctx, name: &str) -> Result<()> {
    let (aws, iam) = (&ctx.aws, &ctx.aws.iam);
    let Some(inline) = aws
        .call(Iam, "ListRolePolicies", name, || {
            iam.list_role_policies().role_name(name).send()
        })
        .await
        .found()?
    else {
        return Ok(());
    };
    for policy in inline.policy_names {
        aws.call(Iam, "DeleteRolePolicy", format!("{name} {policy}"), || {
            iam.delete_role_policy()
                .role_name(name)
                .policy_name(&policy)
                .send()
        })
        .await
        .gone_ok()?;
    }
    let attached = aws
        .call(Iam, "ListAttachedRolePolicies", name, || {
            iam.list_attached_role_policies().role_name(name).send()
        })
        .await?;
    for arn in attached
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn())
    {
        aws.call(Iam, "DetachRolePolicy", name, || {
            iam.detach_role_policy()
                .role_name(name)
                .policy_arn(arn)
                .send()
        })
        .await?;
    }
    aws.call(Iam, "DeleteRole", name, || {
        iam.delete_role().role_name(name).send()
    })
    .await
    .gone_ok()?;
    Ok(())
}

/// The role API Gateway assumes to write execution logs, shared by every API in the account.
async fn create_cloudwatch_role(ctx: &Ctx, name: &str) -> Result<()> {
    let (aws, iam) = (&ctx.aws, &ctx.aws.iam);
    let created = aws
        .call(Iam, "CreateRole", name, || {
            iam.create_role()
                .role_name(name)
                .assume_role_policy_document(trust_policy("apigateway.amazonaws.com"))
                .description("Lets API Gateway write execution logs to CloudWatch (account-wide; created by stackctl)")
                .tags(
                    Tag::builder()
                        .key("stackctl:account-wide")
                        .value("true")
                        .build()
                        .expect("key and value set"),
                )
                .send()
        })
        .await;
    match created {
        Err(e) if !e.is_already_exists() => return Err(e.into()),
        _ => {}
    }
    aws.call(Iam, "AttachRolePolicy", name, || {
        iam.attach_role_policy()
            .role_name(name)
            .policy_arn(cloudwatch_policy_arn(&ctx.env.partition))
            .send()
    })
    .await?;
    Ok(())
}
