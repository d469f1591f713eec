//! Schedule steps: the EventBridge rule (`PutRule`, an upsert; tagged on create), the function's
//! invoke permission for `events.amazonaws.com` scoped to the rule's ARN, then the rule's target
//! (`PutTargets` with Id `stackctl`, an upsert). Delete goes the other way: target, rule,
//! permission. Other targets on the rule are never touched.

use super::Ctx;
use crate::aws::Absent;
use crate::aws::Service::Events;
use crate::diff::Action;
use crate::model::Resource;
use crate::model_events::{SCHEDULE_TARGET_ID, ScheduleRule, schedule_sid};
use crate::names::function_arn;
use crate::plan::Step;
use anyhow::{Result, bail};
use aws_sdk_eventbridge::types::{RuleState, Tag, Target};

pub async fn apply(ctx: &Ctx, step: &Step) -> Result<()> {
    let live = match &step.live {
        Some(Resource::ScheduleRule(r)) => Some(r),
        _ => None,
    };
    match (&step.desired, step.action) {
        (Some(Resource::ScheduleRule(r)), Action::Create | Action::Update | Action::Replace) => {
            put(ctx, r, live).await
        }
        (_, Action::Delete) if live.is_some() => delete(ctx, live.expect("checked")).await,
        _ => bail!("internal error: no schedule action for {}", step.name),
    }
}

async fn put(ctx: &Ctx, r: &ScheduleRule, live: Option<&ScheduleRule>) -> Result<()> {
    let events = &ctx.aws.events;
    let tags: Vec<Tag> = r
        .tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect::<Result<_, _>>()?;
    let out = ctx
        .aws
        .call(Events, "PutRule", &r.name, || {
            events
                .put_rule()
                .name(&r.name)
                .schedule_expression(&r.expression)
                .state(RuleState::Enabled)
                .description(format!("stackctl: invokes {} on a schedule", r.function))
                .set_tags(Some(tags.clone()))
                .send()
        })
        .await?;
    let rule_arn = out.rule_arn().unwrap_or_default().to_string();
    // PutRule tags only a new rule: an existing one is tagged here.
    if live.is_some_and(|l| l.tags != r.tags) {
        ctx.aws
            .call(Events, "TagResource", &r.name, || {
                events
                    .tag_resource()
                    .resource_arn(&rule_arn)
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await?;
    }
    add_permission(ctx, r, &rule_arn).await?;
    let target = Target::builder()
        .id(SCHEDULE_TARGET_ID)
        .arn(function_arn(&ctx.env, &r.function))
        .set_input(r.input.clone())
        .build()?;
    let out = ctx
        .aws
        .call(Events, "PutTargets", &r.name, || {
            events
                .put_targets()
                .rule(&r.name)
                .targets(target.clone())
                .send()
        })
        .await?;
    if out.failed_entry_count() > 0 {
        let why: Vec<String> = out
            .failed_entries()
            .iter()
            .map(|e| {
                format!(
                    "{}: {}",
                    e.error_code().unwrap_or("?"),
                    e.error_message().unwrap_or("?")
                )
            })
            .collect();
        bail!("events:PutTargets {} failed: {}", r.name, why.join("; "));
    }
    Ok(())
}

/// The invoke permission; one already there (same statement id) is kept.
async fn add_permission(ctx: &Ctx, r: &ScheduleRule, rule_arn: &str) -> Result<()> {
    let sid = schedule_sid(&r.name);
    super::events::allow_service(
        ctx,
        &r.function,
        &sid,
        "events.amazonaws.com",
        rule_arn,
        None,
    )
    .await
}

async fn delete(ctx: &Ctx, r: &ScheduleRule) -> Result<()> {
    let events = &ctx.aws.events;
    ctx.aws
        .call(Events, "RemoveTargets", &r.name, || {
            events
                .remove_targets()
                .rule(&r.name)
                .ids(SCHEDULE_TARGET_ID)
                .send()
        })
        .await
        .gone_ok()?;
    // A rule that still has another owner's targets cannot be deleted: it is left, untagged
    // targets and all, and the error says so.
    ctx.aws
        .call(Events, "DeleteRule", &r.name, || {
            events.delete_rule().name(&r.name).send()
        })
        .await
        .gone_ok()?;
    let sid = schedule_sid(&r.name);
    // From the rule's name, not its target (which may be missing or changed by hand).
    let function = r
        .name
        .rsplit_once("-schedule-")
        .map_or(r.function.as_str(), |(f, _)| f);
    super::events::revoke_service(ctx, function, &sid).await
}
