//! Live schedule rules: per function with events, one `ListRules` by the name prefix
//! `<function>-schedule-`, then per rule `ListTagsForResource` (ownership: the stack tag) and
//! `ListTargetsByRule` (the target stackctl writes, Id `stackctl`). A rule with a wanted name
//! that is not the stack's is a conflict; other rules are never touched.

use super::{Conflict, not_owned_tagged};
use crate::aws::{Aws, Service::Events};
use crate::model::{Resource, STACK_TAG};
use crate::model_events::{SCHEDULE_TARGET_ID, ScheduleRule};
use anyhow::Result;
use futures::future::try_join_all;

/// The stack's schedule rules of `functions`; `wanted` are the rule names the file describes.
pub async fn read(
    aws: &Aws,
    stack: &str,
    functions: &[String],
    wanted: &[String],
) -> Result<(Vec<Resource>, Vec<Conflict>)> {
    let found = try_join_all(functions.iter().map(|f| rules_of(aws, stack, f))).await?;
    let mut resources = Vec::new();
    let mut conflicts = Vec::new();
    for (rule, owned) in found.into_iter().flatten() {
        if owned {
            resources.push(Resource::ScheduleRule(rule));
        } else if wanted.contains(&rule.name) {
            conflicts.push(not_owned_tagged("schedule rule", &rule.name, &rule.tags));
        }
    }
    Ok((resources, conflicts))
}

async fn rules_of(aws: &Aws, stack: &str, function: &str) -> Result<Vec<(ScheduleRule, bool)>> {
    let prefix = format!("{function}-schedule-");
    let mut rules = Vec::new();
    let mut token = None;
    loop {
        let out = aws
            .read_call(Events, "ListRules", &prefix, || {
                aws.events
                    .list_rules()
                    .name_prefix(&prefix)
                    .set_next_token(token.clone())
                    .send()
            })
            .await?;
        rules.extend(out.rules().iter().cloned());
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    try_join_all(rules.into_iter().map(|r| async move {
        let name = r.name().unwrap_or_default().to_string();
        let arn = r.arn().unwrap_or_default().to_string();
        let (tags, targets) = tokio::try_join!(
            async {
                aws.read_call(Events, "ListTagsForResource", &name, || {
                    aws.events
                        .list_tags_for_resource()
                        .resource_arn(&arn)
                        .send()
                })
                .await
            },
            async {
                aws.read_call(Events, "ListTargetsByRule", &name, || {
                    aws.events.list_targets_by_rule().rule(&name).send()
                })
                .await
            },
        )?;
        let owned = tags
            .tags()
            .iter()
            .any(|t| t.key() == STACK_TAG && t.value() == stack);
        let target = targets
            .targets()
            .iter()
            .find(|t| t.id() == SCHEDULE_TARGET_ID);
        Ok::<_, anyhow::Error>((
            ScheduleRule {
                name,
                // A missing or retargeted target shows as a change of `target`.
                function: target
                    .map(|t| t.arn().rsplit(':').next().unwrap_or_default().to_string())
                    .unwrap_or_else(|| "(none)".into()),
                expression: r.schedule_expression().unwrap_or_default().to_string(),
                input: target.and_then(|t| t.input()).map(str::to_string),
                tags: if owned {
                    crate::names::stack_tags(stack)
                } else {
                    Default::default()
                },
            },
            owned,
        ))
    }))
    .await
}
