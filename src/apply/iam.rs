//! IAM steps: execution roles, and the account-wide API Gateway logging role (created, never deleted).

use super::Ctx;
use crate::aws::{CallExt, code, is_not_found};
use crate::diff::Action;
use crate::model::{ROLE_POLICY_NAME, Resource, Role, cloudwatch_policy_arn};
use crate::names::trust_policy;
use crate::plan::Step;
use anyhow::{Result, bail};
use aws_sdk_iam::types::Tag;

pub async fn apply(ctx: &Ctx, step: &Step) -> Result<()> {
    match (&step.desired, &step.live, step.action) {
        (Some(Resource::Role(role)), _, Action::Create) => create_role(ctx, role).await,
        (Some(Resource::Role(role)), _, _) => update_role(ctx, step, role).await,
        (_, Some(Resource::Role(role)), Action::Delete) => delete_role(ctx, &role.name).await,
        (Some(Resource::AccountRole(role)), _, Action::Create) => {
            create_cloudwatch_role(ctx, &role.name).await
        }
        _ => bail!(
            "internal error: no IAM action for {} {}",
            step.kind.as_str(),
            step.name
        ),
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
    let iam = &ctx.aws.iam;
    let created = iam
        .create_role()
        .role_name(&role.name)
        .assume_role_policy_document(trust_policy(&role.trust_service))
        .description(format!(
            "Execution role of a function of stackctl stack {}",
            ctx.config.name
        ))
        .set_tags(Some(tags(role)))
        .send()
        .await;
    match created {
        Ok(_) => {}
        // A create whose response was lost: the role is there; make sure it is ours.
        Err(e) if code(&e) == Some("EntityAlreadyExists") => {
            let out = iam
                .get_role()
                .role_name(&role.name)
                .send()
                .await
                .ctx(format!("iam:GetRole {}", role.name))?;
            let ours = out.role().is_some_and(|r| {
                r.tags()
                    .iter()
                    .any(|t| t.key() == crate::model::STACK_TAG && t.value() == ctx.config.name)
            });
            if !ours {
                bail!(
                    "iam:CreateRole {}: a role with this name appeared that this stack does not own\n  = hint: run `stackctl plan` again",
                    role.name
                );
            }
        }
        Err(e) => return Err(e).ctx(format!("iam:CreateRole {}", role.name)),
    }
    put_policy(ctx, role).await
}

async fn put_policy(ctx: &Ctx, role: &Role) -> Result<()> {
    ctx.aws
        .iam
        .put_role_policy()
        .role_name(&role.name)
        .policy_name(ROLE_POLICY_NAME)
        .policy_document(&role.policy)
        .send()
        .await
        .ctx(format!("iam:PutRolePolicy {}", role.name))?;
    Ok(())
}

async fn update_role(ctx: &Ctx, step: &Step, role: &Role) -> Result<()> {
    let iam = &ctx.aws.iam;
    if step.changed("trust") {
        iam.update_assume_role_policy()
            .role_name(&role.name)
            .policy_document(trust_policy(&role.trust_service))
            .send()
            .await
            .ctx(format!("iam:UpdateAssumeRolePolicy {}", role.name))?;
    }
    if step.changed("policy") {
        put_policy(ctx, role).await?;
    }
    if step.changed_prefix("tags.") {
        iam.tag_role()
            .role_name(&role.name)
            .set_tags(Some(tags(role)))
            .send()
            .await
            .ctx(format!("iam:TagRole {}", role.name))?;
    }
    Ok(())
}

async fn delete_role(ctx: &Ctx, name: &str) -> Result<()> {
    let iam = &ctx.aws.iam;
    let inline = match iam.list_role_policies().role_name(name).send().await {
        Ok(out) => out.policy_names,
        Err(e) if is_not_found(&e) => return Ok(()),
        Err(e) => return Err(e).ctx(format!("iam:ListRolePolicies {name}")),
    };
    for policy in inline {
        match iam
            .delete_role_policy()
            .role_name(name)
            .policy_name(&policy)
            .send()
            .await
        {
            Err(e) if !is_not_found(&e) => {
                return Err(e).ctx(format!("iam:DeleteRolePolicy {name} {policy}"));
            }
            _ => {}
        }
    }
    let attached = iam
        .list_attached_role_policies()
        .role_name(name)
        .send()
        .await
        .ctx(format!("iam:ListAttachedRolePolicies {name}"))?;
    for p in attached.attached_policies() {
        if let Some(arn) = p.policy_arn() {
            iam.detach_role_policy()
                .role_name(name)
                .policy_arn(arn)
                .send()
                .await
                .ctx(format!("iam:DetachRolePolicy {name}"))?;
        }
    }
    match iam.delete_role().role_name(name).send().await {
        Err(e) if !is_not_found(&e) => Err(e).ctx(format!("iam:DeleteRole {name}")),
        _ => Ok(()),
    }
}

/// The role API Gateway assumes to write execution logs, shared by every API in the account.
async fn create_cloudwatch_role(ctx: &Ctx, name: &str) -> Result<()> {
    let iam = &ctx.aws.iam;
    match iam
        .create_role()
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
        .await
    {
        Err(e) if code(&e) != Some("EntityAlreadyExists") => {
            return Err(e).ctx(format!("iam:CreateRole {name}"))
        }
        _ => {}
    }
    iam.attach_role_policy()
        .role_name(name)
        .policy_arn(cloudwatch_policy_arn(&ctx.env.partition))
        .send()
        .await
        .ctx(format!("iam:AttachRolePolicy {name}"))?;
    Ok(())
}
