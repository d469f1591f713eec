//! SNS subscription steps: the function's invoke permission for `sns.amazonaws.com` scoped to the
//! topic first, then `Subscribe` (protocol `lambda`, the filter policy as an attribute). The
//! subscription is looked up by (topic, function) before subscribing and after any failure, and
//! `Subscribe` is sent without SDK retries, so a lost response never makes a second one. Updates
//! set the filter policy; delete unsubscribes and removes the permission.

use super::Ctx;
use crate::aws::Absent;
use crate::aws::Service::Sns;
use crate::aws::retry::Backoff;
use crate::diff::Action;
use crate::live::sns_subscriptions;
use crate::model::Resource;
use crate::model_events::{SnsSubscription, sns_sid};
use crate::names::function_arn;
use crate::plan::Step;
use anyhow::{Result, bail};

const SUBSCRIBE_ATTEMPTS: u32 = 5;

pub async fn apply(ctx: &Ctx, step: &Step) -> Result<()> {
    let live = match &step.live {
        Some(Resource::SnsSubscription(s)) => Some(s),
        _ => None,
    };
    match (&step.desired, step.action) {
        (Some(Resource::SnsSubscription(s)), Action::Create) => create(ctx, s).await,
        (Some(Resource::SnsSubscription(s)), Action::Update | Action::Replace) => {
            let l = live.ok_or_else(|| anyhow::anyhow!("internal error: update without live"))?;
            set_filter(ctx, s, l).await
        }
        (_, Action::Delete) if live.is_some() => delete(ctx, live.expect("checked")).await,
        _ => bail!("internal error: no SNS action for {}", step.name),
    }
}

async fn find(ctx: &Ctx, s: &SnsSubscription) -> Result<Option<SnsSubscription>> {
    Ok(sns_subscriptions(&ctx.aws, &s.function, &s.topic_arn)
        .await?
        .and_then(|subs| subs.into_iter().next()))
}

async fn create(ctx: &Ctx, s: &SnsSubscription) -> Result<()> {
    add_permission(ctx, s).await?;
    if let Some(existing) = find(ctx, s).await? {
        return set_filter(ctx, s, &existing).await;
    }
    let mut failures = Backoff::attempts(SUBSCRIBE_ATTEMPTS);
    let target = format!("{} → {}", s.topic_arn, s.function);
    loop {
        let (sent, verdict) = ctx
            .aws
            .call_once(Sns, "Subscribe", &target, || {
                ctx.aws
                    .sns
                    .subscribe()
                    .topic_arn(&s.topic_arn)
                    .protocol("lambda")
                    .endpoint(function_arn(&ctx.env, &s.function))
                    .set_attributes(
                        s.filter_policy
                            .clone()
                            .map(|p| [("FilterPolicy".to_string(), p)].into_iter().collect()),
                    )
                    .return_subscription_arn(true)
                    .customize()
                    .config_override(
                        aws_sdk_sns::config::Config::builder()
                            .retry_config(aws_config::retry::RetryConfig::disabled()),
                    )
                    .send()
            })
            .await;
        let err = match sent {
            Ok(_) => return Ok(()),
            Err(e) => e,
        };
        if let Some(existing) = find(ctx, s).await? {
            return set_filter(ctx, s, &existing).await;
        }
        match failures.after(verdict) {
            Some(wait) => tokio::time::sleep(wait).await,
            None => return Err(err.into()),
        }
    }
}

/// Sets the filter policy when it differs (`{}` removes one).
async fn set_filter(ctx: &Ctx, s: &SnsSubscription, live: &SnsSubscription) -> Result<()> {
    if s.filter_policy == live.filter_policy {
        return Ok(());
    }
    let arn = live
        .subscription_arn
        .clone()
        .ok_or_else(|| anyhow::anyhow!("internal error: subscription {} has no ARN", s.name()))?;
    ctx.aws
        .call(Sns, "SetSubscriptionAttributes", &arn, || {
            ctx.aws
                .sns
                .set_subscription_attributes()
                .subscription_arn(&arn)
                .attribute_name("FilterPolicy")
                .attribute_value(s.filter_policy.clone().unwrap_or_else(|| "{}".into()))
                .send()
        })
        .await?;
    Ok(())
}

async fn add_permission(ctx: &Ctx, s: &SnsSubscription) -> Result<()> {
    let sid = sns_sid(&s.topic_arn);
    super::events::allow_service(
        ctx,
        &s.function,
        &sid,
        "sns.amazonaws.com",
        &s.topic_arn,
        None,
    )
    .await
}

async fn delete(ctx: &Ctx, s: &SnsSubscription) -> Result<()> {
    if let Some(arn) = &s.subscription_arn {
        ctx.aws
            .call(Sns, "Unsubscribe", arn, || {
                ctx.aws.sns.unsubscribe().subscription_arn(arn).send()
            })
            .await
            .gone_ok()?;
    }
    super::events::revoke_service(ctx, &s.function, &sns_sid(&s.topic_arn)).await
}
