//! Live SNS subscriptions of the stack's functions. Subscriptions cannot be tagged and cannot be
//! listed by endpoint, so the topics to look at are those the file names plus those the
//! function's resource policy still grants (`stackctl_sns-…` statements, made with each
//! subscription): per function with events one `GetPolicy`, per topic one
//! `ListSubscriptionsByTopic`, per subscription of the function one `GetSubscriptionAttributes`.
//! A topic the file names that does not exist is a conflict (for a function not made yet, read
//! with `GetTopicAttributes`).

use super::Conflict;
use crate::aws::Service::{Lambda, Sns};
use crate::aws::{Absent, Aws};
use crate::model::Resource;
use crate::model_events::SnsSubscription;
use anyhow::Result;
use futures::future::try_join_all;
use std::collections::BTreeSet;

/// `wanted`: (function, topic ARN) pairs from the file; `existing`: functions that exist and
/// have (or had) events.
pub async fn read(
    aws: &Aws,
    wanted: &[(String, String)],
    existing: &[String],
    for_destroy: bool,
) -> Result<(Vec<Resource>, Vec<Conflict>, Vec<String>)> {
    let granted = try_join_all(existing.iter().map(|f| granted_topics(aws, f))).await?;
    let mut pairs: BTreeSet<(String, String)> = BTreeSet::new();
    let mut buckets: BTreeSet<String> = BTreeSet::new();
    for (f, arns) in existing.iter().zip(granted) {
        for arn in arns {
            match arn.strip_prefix("arn:aws:s3:::") {
                Some(bucket) => {
                    buckets.insert(bucket.to_string());
                }
                None => {
                    pairs.insert((f.clone(), arn));
                }
            }
        }
    }
    let mut missing_check = Vec::new();
    for (f, t) in wanted {
        if existing.contains(f) {
            pairs.insert((f.clone(), t.clone()));
        } else if !for_destroy {
            missing_check.push(t.clone());
        }
    }
    let (found, absent) = tokio::try_join!(
        try_join_all(pairs.iter().map(|(f, t)| subscriptions(aws, f, t))),
        try_join_all(missing_check.iter().map(|t| topic_exists(aws, t))),
    )?;
    let mut resources = Vec::new();
    let mut conflicts = Vec::new();
    let mut missing: BTreeSet<String> = BTreeSet::new();
    for ((f, t), subs) in pairs.iter().zip(found) {
        match subs {
            Some(subs) => resources.extend(subs.into_iter().map(Resource::SnsSubscription)),
            None if wanted.contains(&(f.clone(), t.clone())) => {
                missing.insert(t.clone());
            }
            None => {}
        }
    }
    for (t, exists) in missing_check.iter().zip(absent) {
        if !exists {
            missing.insert(t.clone());
        }
    }
    if !for_destroy {
        conflicts.extend(missing.into_iter().map(|t| Conflict {
            what: format!("topic {t}"),
            message: format!(
                "topic {t} (an sns event) does not exist; stackctl references topics, it never creates them"
            ),
            hint: format!(
                "create it first (e.g. `aws sns create-topic --name {}`), or fix the name",
                t.rsplit(':').next().unwrap_or(&t)
            ),
        }));
    }
    Ok((resources, conflicts, buckets.into_iter().collect()))
}

/// The topics and buckets (`arn:aws:s3:::NAME`) the function's policy grants through
/// `stackctl_sns-` and `stackctl_s3-` statements.
async fn granted_topics(aws: &Aws, function: &str) -> Result<Vec<String>> {
    let policy = match aws
        .read_call(Lambda, "GetPolicy", function, || {
            aws.lambda.get_policy().function_name(function).send()
        })
        .await
        .found()?
    {
        Some(out) => out.policy.unwrap_or_default(),
        None => return Ok(Vec::new()),
    };
    let doc: serde_json::Value = serde_json::from_str(&policy).unwrap_or_default();
    let statements = match &doc["Statement"] {
        serde_json::Value::Array(items) => items.clone(),
        one @ serde_json::Value::Object(_) => vec![one.clone()],
        _ => Vec::new(),
    };
    Ok(statements
        .iter()
        .filter(|s| {
            s["Sid"].as_str().is_some_and(|sid| {
                sid.starts_with("stackctl_sns-") || sid.starts_with("stackctl_s3-")
            })
        })
        .filter_map(|s| {
            s["Condition"]["ArnLike"]["AWS:SourceArn"]
                .as_str()
                .map(str::to_string)
        })
        .collect())
}

async fn topic_exists(aws: &Aws, topic: &str) -> Result<bool> {
    Ok(aws
        .read_call(Sns, "GetTopicAttributes", topic, || {
            aws.sns.get_topic_attributes().topic_arn(topic).send()
        })
        .await
        .found()?
        .is_some())
}

/// The function's subscriptions to `topic`; `None` when the topic does not exist.
pub async fn subscriptions(
    aws: &Aws,
    function: &str,
    topic: &str,
) -> Result<Option<Vec<SnsSubscription>>> {
    let mut mine = Vec::new();
    let mut token = None;
    loop {
        let Some(out) = aws
            .read_call(Sns, "ListSubscriptionsByTopic", topic, || {
                aws.sns
                    .list_subscriptions_by_topic()
                    .topic_arn(topic)
                    .set_next_token(token.clone())
                    .send()
            })
            .await
            .found()?
        else {
            return Ok(None);
        };
        mine.extend(
            out.subscriptions()
                .iter()
                .filter(|s| {
                    s.protocol() == Some("lambda")
                        && s.endpoint()
                            .is_some_and(|e| e.ends_with(&format!(":function:{function}")))
                })
                .filter_map(|s| s.subscription_arn().map(str::to_string)),
        );
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    let subs = try_join_all(mine.into_iter().map(|arn| async move {
        let attrs = aws
            .read_call(Sns, "GetSubscriptionAttributes", &arn, || {
                aws.sns
                    .get_subscription_attributes()
                    .subscription_arn(&arn)
                    .send()
            })
            .await?;
        let filter_policy = attrs
            .attributes()
            .and_then(|a| a.get("FilterPolicy"))
            .and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok())
            .filter(|v| v.as_object().is_some_and(|o| !o.is_empty()))
            .map(|v| v.to_string());
        Ok::<_, anyhow::Error>(SnsSubscription {
            function: function.to_string(),
            topic_arn: topic.to_string(),
            filter_policy,
            subscription_arn: Some(arn),
        })
    }))
    .await?;
    Ok(Some(subs))
}
