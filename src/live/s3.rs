//! Live S3 notification entries of the stack: per bucket the file names, or that a function's
//! policy still grants (`stackctl_s3-` statements), one `GetBucketNotificationConfiguration`.
//! Only Lambda entries whose Id is `stackctl-<function>-s3-<n>` for a function of the stack are
//! the stack's; a bucket the file names that does not exist is a conflict.

use super::Conflict;
use crate::aws::Service::S3;
use crate::aws::{Absent, Aws};
use crate::config::StackConfig;
use crate::config::events::EventConfig;
use crate::model::Resource;
use crate::model_events::S3Notification;
use anyhow::Result;
use aws_sdk_s3::operation::get_bucket_notification_configuration::GetBucketNotificationConfigurationOutput as Configuration;
use aws_sdk_s3::types::LambdaFunctionConfiguration;
use futures::future::try_join_all;
use std::collections::BTreeSet;

pub async fn read(
    aws: &Aws,
    config: &StackConfig,
    existing: &[String],
    granted: &[String],
    for_destroy: bool,
) -> Result<(Vec<Resource>, Vec<Conflict>)> {
    let wanted: BTreeSet<String> = config
        .functions
        .values()
        .flat_map(|f| f.events.iter())
        .filter_map(|e| match e {
            EventConfig::S3(b) => Some(b.bucket.clone()),
            _ => None,
        })
        .collect();
    let buckets: BTreeSet<String> = wanted.iter().chain(granted).cloned().collect();
    let functions: BTreeSet<String> = config
        .functions
        .keys()
        .map(|k| config.function_name(k))
        .chain(existing.iter().cloned())
        .collect();
    let configs = try_join_all(buckets.iter().map(|b| notification_configuration(aws, b))).await?;
    let mut resources = Vec::new();
    let mut conflicts = Vec::new();
    for (bucket, c) in buckets.iter().zip(configs) {
        let Some(c) = c else {
            if wanted.contains(bucket) && !for_destroy {
                conflicts.push(Conflict {
                    what: format!("bucket {bucket}"),
                    message: format!(
                        "bucket {bucket} (an s3 event) does not exist; stackctl references buckets, it never creates them"
                    ),
                    hint: format!("create it first (e.g. `aws s3 mb s3://{bucket}`), or fix the name"),
                });
            }
            continue;
        };
        for entry in c.lambda_function_configurations() {
            let Some(id) = entry.id() else { continue };
            let ours = functions
                .iter()
                .any(|f| id.starts_with(&format!("stackctl-{f}-s3-")));
            if ours {
                resources.push(Resource::S3Notification(entry_of(bucket, id, entry)));
            }
        }
    }
    Ok((resources, conflicts))
}

/// A Lambda entry as the model sees it (filter rule names compared case-insensitively: MiniStack
/// returns `prefix`, S3 `Prefix`).
pub fn entry_of(bucket: &str, id: &str, e: &LambdaFunctionConfiguration) -> S3Notification {
    let rule = |name: &str| {
        e.filter()
            .and_then(|f| f.key())
            .and_then(|k| {
                k.filter_rules().iter().find(|r| {
                    r.name()
                        .is_some_and(|n| n.as_str().eq_ignore_ascii_case(name))
                })
            })
            .and_then(|r| r.value())
            .map(str::to_string)
    };
    let mut events: Vec<String> = e.events().iter().map(|t| t.as_str().to_string()).collect();
    events.sort();
    events.dedup();
    S3Notification {
        bucket: bucket.to_string(),
        id: id.to_string(),
        function: e
            .lambda_function_arn()
            .rsplit(':')
            .next()
            .unwrap_or_default()
            .to_string(),
        events,
        prefix: rule("prefix"),
        suffix: rule("suffix"),
    }
}

/// The bucket's whole notification configuration; `None` when the bucket does not exist.
pub async fn notification_configuration(aws: &Aws, bucket: &str) -> Result<Option<Configuration>> {
    Ok(aws
        .read_call(S3, "GetBucketNotificationConfiguration", bucket, || {
            aws.s3
                .get_bucket_notification_configuration()
                .bucket(bucket)
                .send()
        })
        .await
        .found()?)
}
