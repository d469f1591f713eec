//! CloudWatch Logs steps: each function's log group, created before the function so it is tagged
//! and retained as the file says (Lambda would otherwise create it untagged on first invoke).

use super::Ctx;
use crate::aws::Absent;
use crate::aws::Service::Logs;
use crate::diff::Action;
use crate::model::{LogGroup, Resource};
use crate::plan::{Step, changed};
use anyhow::Result;

pub async fn apply(ctx: &Ctx, step: &Step) -> Result<()> {
    match (&step.desired, &step.live, step.action) {
        (Some(Resource::LogGroup(g)), _, Action::Create) => create(ctx, &resolved(ctx, g)?).await,
        (Some(Resource::LogGroup(g)), _, _) => update(ctx, live_of!(step, LogGroup), g).await,
        (_, Some(Resource::LogGroup(g)), Action::Delete) => delete(ctx, &g.name).await,
        _ => crate::bail_internal!("no Logs action for {}", step.name),
    }
}

/// The group with the REST API id filled in, for an execution-log group planned before the API
/// existed (`API-Gateway-Execution-Logs_{apiId}/{stage}`).
fn resolved(ctx: &Ctx, g: &LogGroup) -> Result<LogGroup> {
    if !g.name.contains(crate::names::API_ID_PLACEHOLDER) {
        return Ok(g.clone());
    }
    Ok(LogGroup {
        name: g
            .name
            .replace(crate::names::API_ID_PLACEHOLDER, &ctx.api_id()?),
        ..g.clone()
    })
}

fn arn(ctx: &Ctx, name: &str) -> String {
    crate::names::log_group_arn(&ctx.env.partition, &ctx.env.region, &ctx.env.account, name)
}

async fn create(ctx: &Ctx, g: &LogGroup) -> Result<()> {
    let created = ctx
        .aws
        .call(Logs, "CreateLogGroup", &g.name, || {
            ctx.aws
                .logs
                .create_log_group()
                .log_group_name(&g.name)
                .set_tags(Some(g.tags.clone().into_iter().collect()))
                .send()
        })
        .await;
    match created {
        Ok(_) => {}
        // Created since the plan: ours only if it carries our tag (a lost response to our own
        // create); anyone else's group, with events the stack never wrote, is not taken over.
        Err(e) if e.is_already_exists() => {
            if !carries_tags(ctx, g).await? {
                crate::bail_hint!("log group {} appeared since the plan and does not carry the tag {}; stackctl will not take it over", g.name, crate::model::STACK_TAG; hint = "run `stackctl plan` to see it; adopt it through [import] log_groups or delete it");
            }
        }
        Err(e) => return Err(e.into()),
    }
    if g.retention_days.is_some() {
        retention(ctx, g).await?;
    }
    Ok(())
}

async fn update(ctx: &Ctx, live: Option<&LogGroup>, g: &LogGroup) -> Result<()> {
    if changed(live, g, |g| g.retention_days) {
        retention(ctx, g).await?;
    }
    if changed(live, g, |g| &g.tags) {
        tag(ctx, g).await?;
    }
    Ok(())
}

/// Whether the group carries every tag `g` wants.
async fn carries_tags(ctx: &Ctx, g: &LogGroup) -> Result<bool> {
    let out = ctx
        .aws
        .call(Logs, "ListTagsForResource", &g.name, || {
            ctx.aws
                .logs
                .list_tags_for_resource()
                .resource_arn(arn(ctx, &g.name))
                .send()
        })
        .await?;
    let have = out.tags();
    Ok(g.tags
        .iter()
        .all(|(k, v)| have.and_then(|t| t.get(k)) == Some(v)))
}

async fn tag(ctx: &Ctx, g: &LogGroup) -> Result<()> {
    ctx.aws
        .call(Logs, "TagResource", &g.name, || {
            ctx.aws
                .logs
                .tag_resource()
                .resource_arn(arn(ctx, &g.name))
                .set_tags(Some(g.tags.clone().into_iter().collect()))
                .send()
        })
        .await?;
    Ok(())
}

async fn retention(ctx: &Ctx, g: &LogGroup) -> Result<()> {
    let logs = &ctx.aws.logs;
    match g.retention_days {
        Some(days) => {
            ctx.aws
                .call(Logs, "PutRetentionPolicy", &g.name, || {
                    logs.put_retention_policy()
                        .log_group_name(&g.name)
                        .retention_in_days(days)
                        .send()
                })
                .await?;
        }
        None => {
            ctx.aws
                .call(Logs, "DeleteRetentionPolicy", &g.name, || {
                    logs.delete_retention_policy()
                        .log_group_name(&g.name)
                        .send()
                })
                .await?;
        }
    }
    Ok(())
}

async fn delete(ctx: &Ctx, name: &str) -> Result<()> {
    ctx.aws
        .call(Logs, "DeleteLogGroup", name, || {
            ctx.aws.logs.delete_log_group().log_group_name(name).send()
        })
        .await
        .gone_ok()?;
    Ok(())
}
