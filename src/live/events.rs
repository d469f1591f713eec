//! Live event sources: each function's event source mappings, and the queues the file references
//! (read, never changed: a missing queue, or one whose visibility timeout is below the function's
//! timeout, is a conflict the plan refuses with the numbers and the fix).
//!
//! Reads of a no-op plan, per source: one `ListEventSourceMappings` per function tagged
//! [`EVENTS_TAG`] (or with events in the file), one `ListTags` per mapping found, and per SQS
//! event `GetQueueUrl` + `GetQueueAttributes`; per stream source what `streams` reads. A stack
//! without events reads nothing more.

use super::{Conflict, not_owned_tagged};
use crate::aws::Service::{Lambda, Sqs};
use crate::aws::{Absent, Aws};
use crate::config::StackConfig;
use crate::config::events::EventConfig;
use crate::model::{Function, Resource, STACK_TAG};
use crate::model_events::{EVENTS_TAG, EventSourceMapping};
use anyhow::Result;
use aws_sdk_lambda::types::{EventSourceMappingConfiguration, FunctionResponseType};
use futures::future::try_join_all;
use std::collections::BTreeMap;

/// The mappings of the stack's functions, the conflicts the referenced sources raise and the
/// stream ARNs of the file's stream events (see `streams`). `resources` is what the other readers
/// found (the functions are taken from it).
pub async fn read(
    aws: &Aws,
    config: &StackConfig,
    resources: &[Resource],
    for_destroy: bool,
) -> Result<(Vec<Resource>, Vec<Conflict>, BTreeMap<String, String>)> {
    let functions: Vec<&Function> = resources
        .iter()
        .filter_map(|r| match r {
            Resource::Function(f) => Some(f),
            _ => None,
        })
        .filter(|f| {
            f.tags.contains_key(EVENTS_TAG)
                || config
                    .functions
                    .iter()
                    .any(|(k, c)| config.function_name(k) == f.name && !c.events.is_empty())
        })
        .collect();
    let names: Vec<String> = functions.iter().map(|f| f.name.clone()).collect();
    let wanted_rules: Vec<String> = crate::desired_events::rule_names(config);
    let wanted_topics = topic_pairs(aws, config, resources).await?;
    let (
        listed,
        conflicts,
        (stream_arns, stream_conflicts),
        (rules, rule_conflicts),
        (subs, sub_conflicts, buckets),
    ) = tokio::try_join!(
        try_join_all(functions.iter().map(|f| mappings_of(aws, &f.name))),
        async {
            if for_destroy {
                Ok(Vec::new())
            } else {
                check_queues(aws, config).await
            }
        },
        async {
            if for_destroy {
                Ok((BTreeMap::new(), Vec::new()))
            } else {
                super::streams::read(aws, config).await
            }
        },
        super::schedules::read(aws, &config.name, &names, &wanted_rules),
        super::sns::read(aws, &wanted_topics, &names, for_destroy),
    )?;
    let (entries, bucket_conflicts) =
        super::s3::read(aws, config, &names, &buckets, for_destroy).await?;
    let mut out = rules;
    out.extend(subs);
    out.extend(entries);
    let mut conflicts = conflicts;
    conflicts.extend(stream_conflicts);
    conflicts.extend(rule_conflicts);
    conflicts.extend(sub_conflicts);
    conflicts.extend(bucket_conflicts);
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for (f, found) in functions.iter().zip(listed) {
        for (m, tags) in found {
            let owned = crate::names::is_owned(&tags, &config.name);
            let mapping = mapping_of(&f.name, &m, tags);
            if !owned {
                let wanted = config.functions.iter().any(|(k, c)| {
                    config.function_name(k) == f.name
                        && c.events.iter().any(|e| match e {
                            EventConfig::Sqs(q) => {
                                q.queue == mapping.source_arn
                                    || mapping.source_arn.ends_with(&format!(":{}", q.queue))
                            }
                            EventConfig::Stream(s) => {
                                stream_arns.get(&s.key()) == Some(&mapping.source_arn)
                            }
                            EventConfig::Schedule(_) | EventConfig::Sns(_) | EventConfig::S3(_) => {
                                false
                            }
                        })
                });
                if wanted && !for_destroy {
                    conflicts.push(not_owned_tagged(
                        "event source mapping",
                        &mapping.name(),
                        &mapping.tags,
                    ));
                }
                continue;
            }
            let uuid = mapping.uuid.clone().unwrap_or_default();
            if let Some(first) = seen.insert(mapping.name(), uuid.clone()) {
                conflicts.push(Conflict {
                    what: format!("event source mapping {}", mapping.name()),
                    message: format!(
                        "{} has two mappings from {} ({first} and {uuid}): every message would be delivered to two pollers",
                        mapping.function, mapping.source_arn
                    ),
                    hint: format!(
                        "delete one: `aws lambda delete-event-source-mapping --uuid {uuid}`"
                    ),
                });
                continue;
            }
            out.push(Resource::EventSourceMapping(mapping));
        }
    }
    Ok((out, conflicts, stream_arns))
}

/// (function, topic ARN) of every sns event in the file. A topic written as a name is in the
/// stack's account: taken from a function's ARN already read, else from STS.
async fn topic_pairs(
    aws: &Aws,
    config: &StackConfig,
    resources: &[Resource],
) -> Result<Vec<(String, String)>> {
    let topics: Vec<(String, String)> = config
        .functions
        .iter()
        .flat_map(|(k, f)| {
            f.events.iter().filter_map(move |e| match e {
                EventConfig::Sns(t) => Some((config.function_name(k), t.topic.clone())),
                _ => None,
            })
        })
        .collect();
    if topics.is_empty() {
        return Ok(Vec::new());
    }
    let account = match resources.iter().find_map(|r| match r {
        Resource::Function(f) => f.role_arn.split(':').nth(4).map(str::to_string),
        _ => None,
    }) {
        Some(a) => a,
        None => aws.account().await?,
    };
    let env = crate::desired::Env {
        account,
        region: aws.region.clone(),
        partition: aws.partition().to_string(),
        api_id: None,
        code: Default::default(),
        usable_cloudwatch_role: None,
        foreign_policy_bytes: Default::default(),
        stream_arns: Default::default(),
    };
    Ok(topics
        .into_iter()
        .map(|(f, t)| (f, crate::desired_events::topic_arn(&env, &t)))
        .collect())
}

/// The mapping as the model sees it. A mapping being deleted still counts (it still polls).
pub fn mapping_of(
    function: &str,
    m: &EventSourceMappingConfiguration,
    tags: BTreeMap<String, String>,
) -> EventSourceMapping {
    let state = m.state().unwrap_or_default();
    EventSourceMapping {
        function: function.to_string(),
        source_arn: m.event_source_arn().unwrap_or_default().to_string(),
        batch_size: m.batch_size().unwrap_or(10),
        max_batching_window_s: m.maximum_batching_window_in_seconds().unwrap_or(0),
        report_batch_item_failures: m
            .function_response_types()
            .contains(&FunctionResponseType::ReportBatchItemFailures),
        enabled: !matches!(state, "Disabled" | "Disabling"),
        starting_position: m.starting_position().map(|p| p.as_str().to_string()),
        tags: tags.into_iter().filter(|(k, _)| k == STACK_TAG).collect(),
        uuid: m.uuid().map(str::to_string),
    }
}

/// Every mapping of `function`, with its tags.
pub async fn mappings_of(
    aws: &Aws,
    function: &str,
) -> Result<Vec<(EventSourceMappingConfiguration, BTreeMap<String, String>)>> {
    let mut all = Vec::new();
    let mut marker = None;
    loop {
        let out = aws
            .read_call(Lambda, "ListEventSourceMappings", function, || {
                aws.lambda
                    .list_event_source_mappings()
                    .function_name(function)
                    .set_marker(marker.clone())
                    .send()
            })
            .await?;
        all.extend(out.event_source_mappings().iter().cloned());
        match out.next_marker() {
            Some(m) if !m.is_empty() => marker = Some(m.to_string()),
            _ => break,
        }
    }
    let tags = try_join_all(all.iter().map(|m| tags_of(aws, m))).await?;
    Ok(all.into_iter().zip(tags).collect())
}

async fn tags_of(
    aws: &Aws,
    m: &EventSourceMappingConfiguration,
) -> Result<BTreeMap<String, String>> {
    let Some(arn) = mapping_arn(m) else {
        return Ok(BTreeMap::new());
    };
    let out = aws
        .read_call(Lambda, "ListTags", &arn, || {
            aws.lambda.list_tags().resource(&arn).send()
        })
        .await?;
    Ok(out
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default())
}

/// `arn:PARTITION:lambda:REGION:ACCOUNT:event-source-mapping:UUID`: as Lambda reports it, else
/// built from the function's ARN (emulators that omit `EventSourceMappingArn`).
pub fn mapping_arn(m: &EventSourceMappingConfiguration) -> Option<String> {
    if let Some(arn) = m.event_source_mapping_arn() {
        return Some(arn.to_string());
    }
    let function = m.function_arn()?;
    let prefix: Vec<&str> = function.split(':').take(5).collect();
    Some(format!(
        "{}:event-source-mapping:{}",
        prefix.join(":"),
        m.uuid()?
    ))
}

/// The queue's URL, or `None` when it does not exist.
pub async fn queue_url(aws: &Aws, queue: &str) -> Result<Option<String>> {
    let (name, owner) = match queue.strip_prefix("arn:") {
        Some(_) => {
            let parts: Vec<&str> = queue.split(':').collect();
            (parts[5], Some(parts[4].to_string()))
        }
        None => (queue, None),
    };
    Ok(aws
        .read_call(Sqs, "GetQueueUrl", name, || {
            aws.sqs
                .get_queue_url()
                .queue_name(name)
                .set_queue_owner_aws_account_id(owner.clone())
                .send()
        })
        .await
        .found()?
        .and_then(|out| out.queue_url().map(str::to_string)))
}

/// Each SQS event's queue exists, and its visibility timeout is at least the function's timeout
/// (Lambda refuses the mapping otherwise; AWS recommends 6 × the timeout, "Configuring a queue to
/// use with Lambda").
async fn check_queues(aws: &Aws, config: &StackConfig) -> Result<Vec<Conflict>> {
    let mut checks = Vec::new();
    for (key, f) in &config.functions {
        for e in &f.events {
            let EventConfig::Sqs(q) = e else { continue };
            checks.push((config.function_name(key), f.timeout_s, q.queue.clone()));
        }
    }
    let results = try_join_all(checks.iter().map(|(function, timeout_s, queue)| async move {
        let Some(url) = queue_url(aws, queue).await? else {
            return Ok::<_, anyhow::Error>(Some(Conflict {
                what: format!("queue {queue}"),
                message: format!(
                    "queue {queue} (an sqs event of {function}) does not exist; stackctl references queues, it never creates them"
                ),
                hint: format!(
                    "create it first (e.g. `aws sqs create-queue --queue-name {} --attributes VisibilityTimeout={}`), or fix the name",
                    queue.rsplit(':').next().unwrap_or(queue),
                    6 * timeout_s
                ),
            }));
        };
        let out = aws
            .read_call(Sqs, "GetQueueAttributes", queue, || {
                aws.sqs
                    .get_queue_attributes()
                    .queue_url(&url)
                    .attribute_names(aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout)
                    .send()
            })
            .await?;
        let visibility: i32 = out
            .attributes()
            .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout))
            .and_then(|v| v.parse().ok())
            .unwrap_or(30);
        Ok((visibility < *timeout_s).then(|| Conflict {
            what: format!("queue {queue}"),
            message: format!(
                "queue {queue} has a visibility timeout of {visibility} s, below the {timeout_s} s timeout of {function}: Lambda refuses the mapping"
            ),
            hint: format!(
                "raise the queue's visibility timeout to at least {timeout_s} s (AWS recommends 6 × the timeout: {} s), e.g. `aws sqs set-queue-attributes --queue-url {url} --attributes VisibilityTimeout={}`; or lower timeout_s",
                6 * timeout_s,
                6 * timeout_s
            ),
        }))
    }))
    .await?;
    Ok(results.into_iter().flatten().collect())
}
