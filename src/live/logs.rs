//! CloudWatch Logs: the functions' log groups, which double as the stack's breadcrumbs (see
//! [`super::read`]). A group's ownership follows its function's: the group of a function the stack
//! owns is the stack's, whether stackctl created it or Lambda did on first invoke. Only a group
//! whose function the stack does not own (yet, or any more) has its own tag read.

use super::Conflict;
use crate::aws::{Aws, Service::Logs};
use crate::model::{LogGroup, Resource, STACK_TAG, Tags};
use crate::names::{EXECUTION_LOGS_PREFIX, log_group_name, stack_tags};
use anyhow::Result;
use aws_sdk_cloudwatchlogs::types::LogGroup as LogGroupSummary;
use futures::future::try_join_all;

/// A log group under `/aws/lambda/<stack>-`.
#[derive(Debug, Clone)]
pub struct Breadcrumb {
    pub name: String,
    /// The function the group is named after.
    pub function: Option<String>,
    pub retention_days: Option<i32>,
    pub arn: String,
}

/// Every log group whose name starts with `prefix` (one paginated `DescribeLogGroups`).
async fn groups_by_prefix(aws: &Aws, prefix: &str) -> Result<Vec<LogGroupSummary>> {
    let groups = aws
        .read_call(Logs, "DescribeLogGroups", prefix, || {
            aws.logs
                .describe_log_groups()
                .log_group_name_prefix(prefix)
                .into_paginator()
                .items()
                .send()
                .try_collect()
        })
        .await?;
    Ok(groups)
}

pub async fn list_log_groups(aws: &Aws, stack: &str) -> Result<Vec<Breadcrumb>> {
    let prefix = log_group_name(&format!("{stack}-"));
    let groups = groups_by_prefix(aws, &prefix).await?;
    Ok(groups
        .iter()
        .map(|g| {
            let name = g.log_group_name().unwrap_or_default().to_string();
            Breadcrumb {
                function: name.strip_prefix("/aws/lambda/").map(str::to_string),
                retention_days: g.retention_in_days(),
                arn: g
                    .log_group_arn()
                    .map(str::to_string)
                    .or_else(|| g.arn().map(|a| a.trim_end_matches(":*").to_string()))
                    .unwrap_or_default(),
                name,
            }
        })
        .collect())
}

/// The groups that are the stack's: those of functions it owns, any other that carries the
/// stack's tag (a function not created yet, or the remains of an interrupted destroy), and those
/// `[import] log_groups` adopts (read with their real, missing tags, so the plan adds the tag).
/// An untagged group named after a function of the file that the stack does not own (a leftover:
/// Lambda never deletes a function's group) is a conflict: adopting it silently would set its
/// retention and later delete events the stack never wrote. Only groups whose ownership does not
/// follow from an owned function cost a `ListTagsForResource`.
pub async fn owned_log_groups(
    aws: &Aws,
    stack: &str,
    groups: &[Breadcrumb],
    owned: &[String],
    wanted: &[String],
    adopted: &[String],
) -> Result<(Vec<Resource>, Vec<Conflict>)> {
    let decided = |g: &Breadcrumb| g.function.as_ref().is_some_and(|f| owned.contains(f));
    let undecided: Vec<&Breadcrumb> = groups.iter().filter(|g| !decided(g)).collect();
    let tagged = try_join_all(undecided.iter().map(|g| async move {
        let out = aws
            .read_call(Logs, "ListTagsForResource", &g.name, || {
                aws.logs
                    .list_tags_for_resource()
                    .resource_arn(&g.arn)
                    .send()
            })
            .await?;
        let owner = out.tags().and_then(|t| t.get(STACK_TAG)).cloned();
        anyhow::Ok((g.name.clone(), owner))
    }))
    .await?;
    let owner = |g: &Breadcrumb| {
        tagged
            .iter()
            .find(|(n, _)| *n == g.name)
            .and_then(|(_, o)| o.as_deref())
    };
    let is_tagged = |g: &Breadcrumb| owner(g) == Some(stack);
    let mut resources = Vec::new();
    let mut conflicts = Vec::new();
    for g in groups {
        let tags = if decided(g) || is_tagged(g) {
            stack_tags(stack)
        } else if let Some(other) = owner(g) {
            // Another stack's group (colliding names): never adopted, even through [import].
            if adopted.contains(&g.name) || g.function.as_ref().is_some_and(|f| wanted.contains(f))
            {
                let tags = Tags::from([(STACK_TAG.to_string(), other.to_string())]);
                conflicts.push(super::not_owned_tagged("log_group", &g.name, &tags));
            }
            continue;
        } else if adopted.contains(&g.name) {
            Tags::new()
        } else {
            if g.function.as_ref().is_some_and(|f| wanted.contains(f)) {
                conflicts.push(not_owned_log_group(stack, &g.name));
            }
            continue;
        };
        resources.push(Resource::LogGroup(LogGroup {
            name: g.name.clone(),
            retention_days: g.retention_days,
            tags,
        }));
    }
    Ok((resources, conflicts))
}

/// A leftover log group: how to adopt it (with its events) or to start afresh.
fn not_owned_log_group(stack: &str, name: &str) -> Conflict {
    let mut c = super::not_owned("log_group", name);
    c.hint = format!(
        "it is probably left from an earlier function of that name (Lambda never deletes log groups). \
         Adopt it with its events: add `log_groups = [\"{name}\"]` under [import] in the stack file, \
         or delete it: aws logs delete-log-group --log-group-name {name}; \
         stack {stack} will not touch it until then"
    );
    c
}

/// Execution-log groups carrying the stack's tag whose REST API is gone: what a destroy
/// interrupted between `DeleteRestApi` and `DeleteLogGroup` leaves. Their names hold the deleted
/// API's id, so they are found by tag, over every execution-log group in the region (one
/// `ListTagsForResource` each). Costly on an account with many logging APIs, so only destroy,
/// and only when the stack has no API left, pays it.
pub async fn orphan_execution_log_groups(aws: &Aws, stack: &str) -> Result<Vec<Resource>> {
    let groups = groups_with_owner(aws, stack, EXECUTION_LOGS_PREFIX, |_| true).await?;
    Ok(groups
        .into_iter()
        .filter(|(_, ours)| *ours)
        .map(|(g, _)| g)
        .collect())
}

/// An execution-log group (`API-Gateway-Execution-Logs_{apiId}/{stage}`) and the stage it logs.
#[derive(Debug)]
pub struct ExecutionLogGroup {
    pub stage: String,
    pub group: Resource,
    /// It carries the stack's tag.
    pub owned: bool,
}

/// Every execution-log group of one API: one `DescribeLogGroups` by prefix, then one
/// `ListTagsForResource` per group found. It runs alongside the reads of the API's contents, so
/// the stages are not known yet: [`of_stages`] keeps the groups of the stack's own.
pub async fn execution_log_groups(
    aws: &Aws,
    stack: &str,
    api_id: &str,
) -> Result<Vec<ExecutionLogGroup>> {
    let prefix = crate::names::execution_log_group(Some(api_id), "");
    let groups = groups_with_owner(aws, stack, &prefix, |_| true).await?;
    Ok(groups
        .into_iter()
        .map(|(group, owned)| {
            let name = match &group {
                Resource::LogGroup(g) => g.name.as_str(),
                _ => "",
            };
            ExecutionLogGroup {
                stage: name.strip_prefix(&prefix).unwrap_or_default().to_string(),
                group,
                owned,
            }
        })
        .collect())
}

/// The groups of `stages` (the stack's own stages, and the one the file wants), and every group
/// carrying the stack's tag (that of a stage renamed while logging was off, which kept its group
/// until destroy). A group of a stage the stack does not own (added by hand to its API) is left
/// alone: it is not listed. One of an owned stage is the stack's even untagged (API Gateway made
/// it before stackctl managed it), and shows the tag it lacks as a change.
pub fn of_stages(groups: Vec<ExecutionLogGroup>, stages: &[String]) -> Vec<Resource> {
    groups
        .into_iter()
        .filter(|g| g.owned || stages.contains(&g.stage))
        .map(|g| g.group)
        .collect()
}

/// The log groups named `prefix…` that `keep` accepts, each with whether it carries the stack's
/// tag (it holds the stack's tag in the model only if it does).
async fn groups_with_owner(
    aws: &Aws,
    stack: &str,
    prefix: &str,
    keep: impl Fn(&str) -> bool,
) -> Result<Vec<(Resource, bool)>> {
    let groups = groups_by_prefix(aws, prefix).await?;
    let kept = groups
        .iter()
        .filter(|g| g.log_group_name().is_some_and(&keep));
    try_join_all(kept.map(|g| async move {
        let name = g.log_group_name().unwrap_or_default().to_string();
        let arn = g
            .arn()
            .map(|a| a.trim_end_matches(":*").to_string())
            .unwrap_or_default();
        let out = aws
            .read_call(Logs, "ListTagsForResource", &name, || {
                aws.logs.list_tags_for_resource().resource_arn(&arn).send()
            })
            .await?;
        let ours = crate::names::is_owned(out.tags(), stack);
        let group = Resource::LogGroup(LogGroup {
            name,
            retention_days: g.retention_in_days(),
            tags: if ours { stack_tags(stack) } else { Tags::new() },
        });
        anyhow::Ok((group, ours))
    }))
    .await
}
