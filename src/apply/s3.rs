//! S3 notification steps. `PutBucketNotificationConfiguration` replaces the bucket's whole
//! configuration (every owner's Lambda, SQS, SNS and EventBridge settings), so each step reads
//! it, replaces or removes only the Lambda entry with its own Id, and writes everything else
//! back as read. Steps on one bucket run one at a time (a lock per bucket), so two of this
//! apply's own entries never overwrite each other. The function's invoke permission for
//! `s3.amazonaws.com` (SourceArn the bucket, SourceAccount the account) is added first: S3
//! validates destinations on write ("Unable to validate the following destination
//! configurations"), retried while the permission propagates.

use super::Ctx;
use crate::aws::AwsError;
use crate::aws::Service::S3;
use crate::aws::retry::retry;
use crate::diff::Action;
use crate::live::notification_configuration;
use crate::model::Resource;
use crate::model_events::{S3Notification, s3_sid};
use crate::names::function_arn;
use crate::plan::Step;
use anyhow::{Result, bail};
use aws_sdk_s3::types::{
    Event, FilterRule, FilterRuleName, LambdaFunctionConfiguration, NotificationConfiguration,
    NotificationConfigurationFilter, S3KeyFilter,
};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// How long S3 may refuse a destination whose permission was just added.
const PERMISSION_PROPAGATION: Duration = Duration::from_secs(120);

/// One lock per bucket, for this process.
fn bucket_lock(bucket: &str) -> Arc<tokio::sync::Mutex<()>> {
    static LOCKS: OnceLock<Mutex<BTreeMap<String, Arc<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    LOCKS
        .get_or_init(Default::default)
        .lock()
        .expect("locks")
        .entry(bucket.to_string())
        .or_default()
        .clone()
}

pub async fn apply(ctx: &Ctx, step: &Step) -> Result<()> {
    let live = match &step.live {
        Some(Resource::S3Notification(n)) => Some(n),
        _ => None,
    };
    match (&step.desired, step.action) {
        (Some(Resource::S3Notification(n)), _) => {
            add_permission(ctx, n).await?;
            write(ctx, &n.bucket, &n.id, Some(n)).await
        }
        (_, Action::Delete) if live.is_some() => {
            let n = live.expect("checked");
            write(ctx, &n.bucket, &n.id, None).await?;
            if step.permission_shared {
                return Ok(());
            }
            remove_permission(ctx, n).await
        }
        _ => bail!("internal error: no S3 action for {}", step.name),
    }
}

/// Read, replace (or drop) the entry `id`, write back the rest untouched.
async fn write(ctx: &Ctx, bucket: &str, id: &str, entry: Option<&S3Notification>) -> Result<()> {
    let lock = bucket_lock(bucket);
    let _held = lock.lock().await;
    let Some(read) = notification_configuration(&ctx.aws, bucket).await? else {
        if entry.is_none() {
            return Ok(());
        }
        bail!("bucket {bucket} does not exist (it did when the plan was made)");
    };
    let mut lambdas: Vec<LambdaFunctionConfiguration> = read
        .lambda_function_configurations()
        .iter()
        .filter(|e| e.id() != Some(id))
        .cloned()
        .collect();
    if entry.is_none() && lambdas.len() == read.lambda_function_configurations().len() {
        return Ok(());
    }
    if let Some(n) = entry {
        lambdas.push(lambda_entry(ctx, n)?);
    }
    let config = NotificationConfiguration::builder()
        .set_topic_configurations(Some(read.topic_configurations().to_vec()))
        .set_queue_configurations(Some(read.queue_configurations().to_vec()))
        .set_lambda_function_configurations(Some(lambdas))
        .set_event_bridge_configuration(read.event_bridge_configuration().cloned())
        .build();
    retry(
        PERMISSION_PROPAGATION,
        AwsError::is_destination_not_ready,
        || {
            ctx.aws
                .call(S3, "PutBucketNotificationConfiguration", bucket, || {
                    ctx.aws
                        .s3
                        .put_bucket_notification_configuration()
                        .bucket(bucket)
                        .notification_configuration(config.clone())
                        .send()
                })
        },
    )
    .await?;
    Ok(())
}

fn lambda_entry(ctx: &Ctx, n: &S3Notification) -> Result<LambdaFunctionConfiguration> {
    let mut rules = Vec::new();
    for (name, value) in [
        (FilterRuleName::Prefix, &n.prefix),
        (FilterRuleName::Suffix, &n.suffix),
    ] {
        if let Some(v) = value {
            rules.push(FilterRule::builder().name(name).value(v).build());
        }
    }
    let filter = (!rules.is_empty()).then(|| {
        NotificationConfigurationFilter::builder()
            .key(S3KeyFilter::builder().set_filter_rules(Some(rules)).build())
            .build()
    });
    Ok(LambdaFunctionConfiguration::builder()
        .id(&n.id)
        .lambda_function_arn(function_arn(&ctx.env, &n.function))
        .set_events(Some(
            n.events.iter().map(|e| Event::from(e.as_str())).collect(),
        ))
        .set_filter(filter)
        .build()?)
}

async fn add_permission(ctx: &Ctx, n: &S3Notification) -> Result<()> {
    let sid = s3_sid(&n.bucket);
    let source = format!("arn:aws:s3:::{}", n.bucket);
    let account = Some(ctx.env.account.as_str());
    super::events::allow_service(ctx, &n.function, &sid, "s3.amazonaws.com", &source, account).await
}

/// Called unless another of the file's s3 events of the function on the bucket still uses it
/// ([`Step::permission_shared`]).
async fn remove_permission(ctx: &Ctx, n: &S3Notification) -> Result<()> {
    super::events::revoke_service(ctx, &n.function, &s3_sid(&n.bucket)).await
}
