//! Event source mapping steps. `CreateEventSourceMapping` is not idempotent (each call returns a
//! new UUID; a retry after a lost response makes a second mapping, or AWS answers
//! `ResourceConflictException`), so it is sent without SDK retries and the mapping is looked up
//! by (function, source ARN) before the first attempt and after every failure. A role that just
//! gained the source's permissions is refused for a while ("The provided execution role does not
//! have permissions to call ReceiveMessage on SQS"): retried, like a role that "cannot be
//! assumed". Every write waits until the mapping leaves Creating/Enabling/Updating/Disabling, and a
//! delete until it is gone (so a replace can create the new one).

use super::Ctx;
use crate::aws::Service::Lambda;
use crate::aws::retry::{Backoff, retry};
use crate::aws::{Absent, AwsError};
use crate::diff::Action;
use crate::live::events::{mapping_of, mappings_of};
use crate::model::{Resource, STACK_TAG};
use crate::model_events::EventSourceMapping;
use crate::plan::Step;
use anyhow::{Result, bail};
use aws_sdk_lambda::types::FunctionResponseType;
use std::time::{Duration, Instant};

/// How long a role's new permissions may take to reach Lambda's poller (IAM is eventually
/// consistent; Terraform allows minutes).
const PERMISSION_PROPAGATION: Duration = Duration::from_secs(180);
/// How long a mapping may take to settle (Creating → Enabled, Deleting → gone).
const SETTLE: Duration = Duration::from_secs(300);
/// Attempts of a create that failed in transit (lost response, 5xx, throttling).
const CREATE_ATTEMPTS: u32 = 5;

pub async fn apply(ctx: &Ctx, step: &Step) -> Result<()> {
    let live = match &step.live {
        Some(Resource::EventSourceMapping(m)) => Some(m),
        _ => None,
    };
    match (&step.desired, step.action) {
        (Some(Resource::EventSourceMapping(m)), Action::Create) => create(ctx, m).await,
        (Some(Resource::EventSourceMapping(m)), Action::Update) => {
            let l = live.ok_or_else(|| anyhow::anyhow!("internal error: update without live"))?;
            update(ctx, m, l).await
        }
        (Some(Resource::EventSourceMapping(m)), Action::Replace) => {
            if let Some(l) = live {
                delete(ctx, l).await?;
            }
            create(ctx, m).await
        }
        (_, Action::Delete) if live.is_some() => delete(ctx, live.expect("checked")).await,
        _ => bail!("internal error: no event source action for {}", step.name),
    }
}

/// The stack's mapping from `m.source_arn` to `m.function`, if one exists. One that exists and is
/// not the stack's is an error: it is never adopted nor duplicated.
async fn find(ctx: &Ctx, m: &EventSourceMapping) -> Result<Option<EventSourceMapping>> {
    let found = mappings_of(&ctx.aws, &m.function).await?;
    let mut ours = None;
    for (c, tags) in found {
        if c.event_source_arn() != Some(m.source_arn.as_str()) {
            continue;
        }
        if !crate::names::is_owned(&tags, &ctx.stack) {
            crate::bail_hint!(
                "{} already has a mapping from {} ({}) that this stack does not own; stackctl will not make a second one",
                m.function,
                m.source_arn,
                c.uuid().unwrap_or("?");
                hint = "delete it, or tag it {STACK_TAG}={} to adopt it",
                ctx.stack
            );
        }
        ours = Some(mapping_of(&m.function, &c, tags));
    }
    Ok(ours)
}

async fn create(ctx: &Ctx, m: &EventSourceMapping) -> Result<()> {
    // Made by an earlier, interrupted apply: bring it to the wanted settings instead.
    if let Some(existing) = find(ctx, m).await? {
        wait_settled(ctx, &existing, false).await?;
        return update(ctx, m, &existing).await;
    }
    let lambda = &ctx.aws.lambda;
    let mut propagation = Backoff::within(PERMISSION_PROPAGATION);
    let mut failures = Backoff::attempts(CREATE_ATTEMPTS);
    let target = format!("{} ← {}", m.function, m.source_arn);
    loop {
        let (sent, verdict) = ctx
            .aws
            .call_once(Lambda, "CreateEventSourceMapping", &target, || {
                lambda
                    .create_event_source_mapping()
                    .function_name(&m.function)
                    .event_source_arn(&m.source_arn)
                    .batch_size(m.batch_size)
                    .maximum_batching_window_in_seconds(m.max_batching_window_s)
                    .set_function_response_types(
                        m.report_batch_item_failures
                            .then(|| vec![FunctionResponseType::ReportBatchItemFailures]),
                    )
                    .enabled(m.enabled)
                    .set_starting_position(
                        m.starting_position
                            .as_deref()
                            .map(aws_sdk_lambda::types::EventSourcePosition::from),
                    )
                    .set_tags(Some(m.tags.clone().into_iter().collect()))
                    .customize()
                    .config_override(
                        aws_sdk_lambda::config::Config::builder()
                            .retry_config(aws_config::retry::RetryConfig::disabled()),
                    )
                    .send()
            })
            .await;
        let err = match sent {
            Ok(out) => {
                let created = EventSourceMapping {
                    uuid: out.uuid().map(str::to_string),
                    ..m.clone()
                };
                return wait_settled(ctx, &created, false).await;
            }
            Err(e) => e,
        };
        // Whatever failed, the mapping may exist (a lost response): never send a second create.
        if let Some(existing) = find(ctx, m).await? {
            wait_settled(ctx, &existing, false).await?;
            return update(ctx, m, &existing).await;
        }
        if err.is_permission_not_ready()
            && let Some(wait) = propagation.next_wait()
        {
            tokio::time::sleep(wait).await;
            continue;
        }
        match failures.after(verdict) {
            Some(wait) => tokio::time::sleep(wait).await,
            None => return Err(err.into()),
        }
    }
}

/// Settings first (`UpdateEventSourceMapping`), tags after; each only when it differs.
async fn update(ctx: &Ctx, m: &EventSourceMapping, live: &EventSourceMapping) -> Result<()> {
    let uuid = uuid(live)?;
    let lambda = &ctx.aws.lambda;
    let settings_differ = m.batch_size != live.batch_size
        || m.max_batching_window_s != live.max_batching_window_s
        || m.report_batch_item_failures != live.report_batch_item_failures
        || m.enabled != live.enabled;
    if settings_differ {
        retry(
            SETTLE,
            |e: &AwsError| e.is_in_use() || e.is_permission_not_ready(),
            || {
                ctx.aws.call(Lambda, "UpdateEventSourceMapping", &uuid, || {
                    lambda
                        .update_event_source_mapping()
                        .uuid(&uuid)
                        .batch_size(m.batch_size)
                        .maximum_batching_window_in_seconds(m.max_batching_window_s)
                        // An empty list turns ReportBatchItemFailures off.
                        .set_function_response_types(Some(if m.report_batch_item_failures {
                            vec![FunctionResponseType::ReportBatchItemFailures]
                        } else {
                            Vec::new()
                        }))
                        .enabled(m.enabled)
                        .send()
                })
            },
        )
        .await?;
        wait_settled(ctx, live, false).await?;
    }
    let tags_differ = m.tags.iter().any(|(k, v)| live.tags.get(k) != Some(v));
    if tags_differ {
        let arn = mapping_arn(ctx, &uuid);
        ctx.aws
            .call(Lambda, "TagResource", &arn, || {
                lambda
                    .tag_resource()
                    .resource(&arn)
                    .set_tags(Some(m.tags.clone().into_iter().collect()))
                    .send()
            })
            .await?;
    }
    Ok(())
}

async fn delete(ctx: &Ctx, live: &EventSourceMapping) -> Result<()> {
    let uuid = uuid(live)?;
    let deleted = retry(
        SETTLE,
        |e: &AwsError| e.is_in_use(),
        || {
            ctx.aws.call(Lambda, "DeleteEventSourceMapping", &uuid, || {
                ctx.aws
                    .lambda
                    .delete_event_source_mapping()
                    .uuid(&uuid)
                    .send()
            })
        },
    )
    .await
    .found()?;
    if deleted.is_none() {
        return Ok(());
    }
    wait_settled(ctx, live, true).await
}

fn uuid(m: &EventSourceMapping) -> Result<String> {
    m.uuid
        .clone()
        .ok_or_else(|| anyhow::anyhow!("internal error: mapping {} has no UUID", m.name()))
}

fn mapping_arn(ctx: &Ctx, uuid: &str) -> String {
    format!(
        "arn:{}:lambda:{}:{}:event-source-mapping:{uuid}",
        ctx.env.partition, ctx.env.region, ctx.env.account
    )
}

/// Polls `GetEventSourceMapping` until the state is Enabled or Disabled (`until_gone`: until the
/// mapping is gone).
async fn wait_settled(ctx: &Ctx, m: &EventSourceMapping, until_gone: bool) -> Result<()> {
    let uuid = uuid(m)?;
    let start = Instant::now();
    loop {
        let got = ctx
            .aws
            .call(Lambda, "GetEventSourceMapping", &uuid, || {
                ctx.aws.lambda.get_event_source_mapping().uuid(&uuid).send()
            })
            .await
            .found()?;
        let Some(out) = got else {
            return Ok(());
        };
        let state = out.state().unwrap_or("Enabled").to_string();
        if !until_gone && matches!(state.as_str(), "Enabled" | "Disabled") {
            return Ok(());
        }
        if start.elapsed() > SETTLE {
            bail!(
                "event source mapping {uuid} ({}) is still {state} after {} s",
                m.name(),
                SETTLE.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Lets a service (`principal`, e.g. `s3.amazonaws.com`) invoke `function` from `source_arn`
/// (and, for S3, only from `source_account`) as statement `sid`: the permission S3, SNS and
/// EventBridge need before they deliver. A statement already there counts as done; a function
/// still updating is waited for, up to [`SETTLE`].
pub(super) async fn allow_service(
    ctx: &Ctx,
    function: &str,
    sid: &str,
    principal: &str,
    source_arn: &str,
    source_account: Option<&str>,
) -> Result<()> {
    let added = retry(
        SETTLE,
        |e: &AwsError| e.is_busy(),
        || {
            ctx.aws
                .call(Lambda, "AddPermission", format!("{function} {sid}"), || {
                    ctx.aws
                        .lambda
                        .add_permission()
                        .function_name(function)
                        .statement_id(sid)
                        .action("lambda:InvokeFunction")
                        .principal(principal)
                        .source_arn(source_arn)
                        .set_source_account(source_account.map(str::to_string))
                        .send()
                })
        },
    )
    .await;
    match added {
        Ok(_) => Ok(()),
        Err(e) if e.is_already_exists() => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Removes the invoke permission `sid` of `function` that [`allow_service`] added; one already
/// gone counts as done.
pub(super) async fn revoke_service(ctx: &Ctx, function: &str, sid: &str) -> Result<()> {
    ctx.aws
        .call(
            Lambda,
            "RemovePermission",
            format!("{function} {sid}"),
            || {
                ctx.aws
                    .lambda
                    .remove_permission()
                    .function_name(function)
                    .statement_id(sid)
                    .send()
            },
        )
        .await
        .gone_ok()?;
    Ok(())
}
