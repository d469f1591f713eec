//! CloudWatch Logs: the functions' log groups. Lambda creates `/aws/lambda/<name>` itself on first
//! invocation, untagged; the group of a function the stack owns is adopted, not reported as foreign.

use super::Found;
use crate::aws::{Aws, CallExt};
use crate::model::{LogGroup, Resource, STACK_TAG};
use anyhow::Result;
use futures::future::try_join_all;

pub async fn read_log_groups(aws: &Aws, stack: &str, functions: &[String]) -> Result<Found> {
    let prefix = crate::desired::log_group_name(&format!("{stack}-"));
    let groups = aws
        .logs
        .describe_log_groups()
        .log_group_name_prefix(&prefix)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .ctx(format!("logs:DescribeLogGroups {prefix}"))?;
    let tagged = try_join_all(groups.iter().map(|g| async move {
        let arn = g
            .log_group_arn()
            .map(str::to_string)
            .or_else(|| g.arn().map(|a| a.trim_end_matches(":*").to_string()))
            .unwrap_or_default();
        let out = aws
            .logs
            .list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await
            .ctx(format!("logs:ListTagsForResource {arn}"))?;
        anyhow::Ok(out.tags.unwrap_or_default())
    }))
    .await?;
    let mut found = Found::default();
    for (g, tags) in groups.iter().zip(tagged) {
        let name = g.log_group_name().unwrap_or_default();
        let ours = tags.get(STACK_TAG).is_some_and(|s| s == stack);
        let wanted = functions
            .iter()
            .any(|f| crate::desired::log_group_name(f) == name);
        if ours || (wanted && !tags.contains_key(STACK_TAG)) {
            found.resources.push(Resource::LogGroup(LogGroup {
                name: name.to_string(),
                retention_days: g.retention_in_days(),
                tags: tags.into_iter().collect(),
            }));
        }
    }
    Ok(found)
}
