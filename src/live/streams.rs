//! The streams the file's `dynamodb` and `kinesis` events reference (read, never changed): each
//! one's ARN, which the mapping and the execution role's statement name, or a conflict the plan
//! refuses with the fix: a table or stream that does not exist, a table without a stream.
//!
//! Reads of a plan, per referenced source: one DynamoDB `DescribeTable` (its `LatestStreamArn`)
//! or one Kinesis `DescribeStreamSummary`.

use super::Conflict;
use crate::aws::Service::{DynamoDb, Kinesis};
use crate::aws::{Absent, Aws};
use crate::config::StackConfig;
use crate::config::events::{EventConfig, StreamEvent, StreamSource};
use anyhow::Result;
use futures::future::try_join_all;
use std::collections::BTreeMap;

/// The stream ARN of every `dynamodb` / `kinesis` event of the file, by [`StreamEvent::key`], and
/// a conflict for each source that cannot be read from.
pub async fn read(
    aws: &Aws,
    config: &StackConfig,
) -> Result<(BTreeMap<String, String>, Vec<Conflict>)> {
    let mut wanted: BTreeMap<String, (String, StreamEvent)> = BTreeMap::new();
    for (key, f) in &config.functions {
        for e in &f.events {
            if let EventConfig::Stream(s) = e {
                wanted
                    .entry(s.key())
                    .or_insert_with(|| (config.function_name(key), s.clone()));
            }
        }
    }
    let found = try_join_all(wanted.iter().map(|(key, (function, s))| async move {
        Ok::<_, anyhow::Error>((key, lookup(aws, function, s).await?))
    }))
    .await?;
    let mut arns = BTreeMap::new();
    let mut conflicts = Vec::new();
    for (key, result) in found {
        match result {
            Ok(arn) => {
                arns.insert(key.clone(), arn);
            }
            Err(c) => conflicts.push(c),
        }
    }
    Ok((arns, conflicts))
}

/// The source's stream ARN, or the conflict that says why there is none.
async fn lookup(aws: &Aws, function: &str, s: &StreamEvent) -> Result<Result<String, Conflict>> {
    match &s.source {
        StreamSource::DynamoDb { table } => {
            let described = aws
                .read_call(DynamoDb, "DescribeTable", table, || {
                    aws.dynamodb.describe_table().table_name(table).send()
                })
                .await
                .found()?;
            let name = table.rsplit('/').next().unwrap_or(table);
            let Some(out) = described else {
                return Ok(Err(Conflict {
                    what: format!("table {table}"),
                    message: format!(
                        "table {table} (a dynamodb event of {function}) does not exist; stackctl references tables, it never creates them"
                    ),
                    hint: format!(
                        "create it with a stream first (e.g. `aws dynamodb create-table --table-name {name} … --stream-specification StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES`), or fix the name"
                    ),
                }));
            };
            let t = out.table();
            let enabled = t
                .and_then(|t| t.stream_specification())
                .is_some_and(|s| s.stream_enabled());
            match t.and_then(|t| t.latest_stream_arn()) {
                Some(arn) if enabled => Ok(Ok(arn.to_string())),
                _ => Ok(Err(Conflict {
                    what: format!("table {table}"),
                    message: format!(
                        "table {table} (a dynamodb event of {function}) has no stream: Lambda reads a table's changes from its DynamoDB stream"
                    ),
                    hint: format!(
                        "enable the table's stream, e.g. `aws dynamodb update-table --table-name {name} --stream-specification StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES`"
                    ),
                })),
            }
        }
        StreamSource::Kinesis { stream } => {
            let by_arn = stream.starts_with("arn:");
            let described = aws
                .read_call(Kinesis, "DescribeStreamSummary", stream, || {
                    let call = aws.kinesis.describe_stream_summary();
                    if by_arn {
                        call.stream_arn(stream).send()
                    } else {
                        call.stream_name(stream).send()
                    }
                })
                .await
                .found()?;
            let arn = described.as_ref().and_then(|out| {
                out.stream_description_summary()
                    .map(|s| s.stream_arn().to_string())
            });
            match arn {
                Some(arn) => Ok(Ok(arn)),
                None => Ok(Err(Conflict {
                    what: format!("stream {stream}"),
                    message: format!(
                        "Kinesis stream {stream} (a kinesis event of {function}) does not exist; stackctl references streams, it never creates them"
                    ),
                    hint: format!(
                        "create it first (e.g. `aws kinesis create-stream --stream-name {} --shard-count 1`), or fix the name",
                        stream.rsplit('/').next().unwrap_or(stream)
                    ),
                })),
            }
        }
    }
}
