//! Reads what really exists in AWS for a stack, as the same model types the file produces.
//! Reads run concurrently; ownership is decided by the stack tag, never by name alone.

mod apigw;
pub mod events;
mod iam;
pub mod lambda;
pub mod layers;
mod logs;
mod s3;
mod schedules;
mod sns;
mod streams;

use crate::aws::Aws;
use crate::config::StackConfig;
use crate::model::{Resource, STACK_TAG};
use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use apigw::{LiveApi, list_resources, list_rest_apis};
pub use lambda::function_of;
pub use s3::{entry_of, notification_configuration};
pub use sns::subscriptions as sns_subscriptions;

/// Something that stops stackctl from acting safely: a look-alike it does not own, or duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    pub what: String,
    pub message: String,
    pub hint: String,
}

/// Identifiers of live things that apply needs and the diff does not compare.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ids {
    pub api_id: Option<String>,
    pub root_resource_id: Option<String>,
    /// API Gateway resource id by path.
    pub resource_ids: BTreeMap<String, String>,
    /// Function `RevisionId` by physical name, as read.
    pub revisions: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default)]
pub struct Live {
    pub account: String,
    /// Everything the stack owns (or is adopting, such as Lambda's own log group), as model values.
    pub resources: Vec<Resource>,
    pub conflicts: Vec<Conflict>,
    pub ids: Ids,
    /// The account's cloudwatchRoleArn, when it names a role API Gateway can use.
    pub usable_cloudwatch_role: Option<String>,
    /// Bytes of the policy statements stackctl did not add, by function: they count toward
    /// Lambda's policy limit (see `policy`).
    pub foreign_policy_bytes: BTreeMap<String, usize>,
    /// The stream ARN of each `dynamodb` / `kinesis` event, by `StreamEvent::key` (see `streams`).
    pub stream_arns: BTreeMap<String, String>,
}

impl Live {
    pub fn by_address(&self) -> BTreeMap<crate::model::Address, &Resource> {
        self.resources.iter().map(|r| (r.address(), r)).collect()
    }
}

/// Reads the live state of `config`'s stack. `for_destroy` skips the checks that only matter when
/// creating (look-alikes of wanted names, the account's logging role).
///
/// Nothing here lists every function in the account, and roles only in one bounded page (see
/// [`iam::SNAPSHOT_MIN_ROLES`]). Each function's log group is the
/// stack's breadcrumb: stackctl creates it before the function's role and function and deletes it
/// after them, so one `DescribeLogGroups` by prefix names every function the stack ever made,
/// including those the file no longer has (orphans) and the remains of an interrupted destroy.
pub async fn read(aws: &Aws, config: &StackConfig, for_destroy: bool) -> Result<Live> {
    let stack = config.name.as_str();
    let wanted_functions: Vec<String> = config
        .functions
        .keys()
        .map(|k| config.function_name(k))
        .collect();
    let wanted_roles: Vec<String> = config
        .functions
        .iter()
        .filter(|(_, f)| f.role.is_none())
        .map(|(k, _)| crate::names::role_name(stack, k))
        .collect();
    let logging = config
        .api
        .as_ref()
        .is_some_and(|a| a.logging != crate::config::LogLevel::Off);

    // Adopting untagged resources named in [import] is for taking them over, never for deleting.
    let adopted: Vec<String> = if for_destroy {
        Vec::new()
    } else {
        config
            .import
            .functions
            .keys()
            .map(|k| config.function_name(k))
            .collect()
    };

    let (groups, functions, roles, api, cloudwatch) = tokio::try_join!(
        logs::list_log_groups(aws, stack),
        lambda::read_functions(aws, stack, &wanted_functions, &[], &adopted),
        iam::read_roles(aws, stack, &wanted_roles, &[]),
        apigw::read_api(
            aws,
            stack,
            config.api.as_ref().map(|a| a.name.as_str()),
            config.api.as_ref().map(|a| a.stage.as_str()),
            config.import.rest_api.as_deref().filter(|_| !for_destroy),
            // Read while the stack logs, and for destroy (which deletes them even when logging is off).
            logging || for_destroy,
        ),
        async {
            if logging && !for_destroy {
                iam::read_cloudwatch_role(aws).await.map(Some)
            } else {
                Ok(None)
            }
        },
    )?;

    // Functions the file no longer has, found by their breadcrumbs; their roles by name.
    let orphan_functions: Vec<String> = groups
        .iter()
        .filter_map(|g| g.function.clone())
        .filter(|f| !wanted_functions.contains(f))
        .collect();
    // The execution roles of those functions, and of functions that now name their own `role`.
    let orphan_roles: Vec<String> = orphan_functions
        .iter()
        .map(|f| crate::names::exec_role_of(f))
        .chain(
            config
                .functions
                .iter()
                .filter(|(_, f)| f.role.is_some())
                .map(|(k, _)| crate::names::role_name(stack, k)),
        )
        .filter(|r| !wanted_roles.contains(r))
        .collect();
    let (orphans, orphan_roles) = tokio::try_join!(
        lambda::read_functions(aws, stack, &[], &orphan_functions, &[]),
        iam::read_roles(aws, stack, &[], &orphan_roles),
    )?;

    let mut live = Live::default();
    for part in [functions, orphans, roles, orphan_roles] {
        live.resources.extend(part.resources);
        live.conflicts.extend(part.conflicts);
        live.ids.revisions.extend(part.revisions);
        live.foreign_policy_bytes.extend(part.foreign_policy_bytes);
    }
    let owned_functions: Vec<String> = live
        .resources
        .iter()
        .filter_map(|r| match r {
            Resource::Function(f) => Some(f.name.clone()),
            _ => None,
        })
        .collect();
    let adopted_groups: &[String] = if for_destroy {
        &[]
    } else {
        &config.import.log_groups
    };
    let (log_groups, group_conflicts) = logs::owned_log_groups(
        aws,
        stack,
        &groups,
        &owned_functions,
        &wanted_functions,
        adopted_groups,
    )
    .await?;
    live.resources.extend(log_groups);
    live.conflicts.extend(group_conflicts);
    // An API already deleted by an interrupted destroy leaves its execution-log groups with no
    // name to find them by: destroy looks for them by tag (see logs::orphan_execution_log_groups).
    if for_destroy && api.as_ref().is_none_or(|a| a.api_id.is_none()) {
        live.resources
            .extend(logs::orphan_execution_log_groups(aws, stack).await?);
    }
    if let Some(api) = api {
        // The stack's own stages: those it reads as its own, and the one the file wants.
        let mut stages: Vec<String> = api
            .resources
            .iter()
            .filter_map(|r| match r {
                Resource::Stage(s) => Some(s.name.clone()),
                _ => None,
            })
            .collect();
        if !for_destroy && let Some(a) = &config.api {
            stages.push(a.stage.clone());
        }
        live.resources
            .extend(logs::of_stages(api.execution_log_groups, &stages));
        live.resources.extend(api.resources);
        live.conflicts.extend(api.conflicts);
        live.ids.api_id = api.api_id;
        live.ids.root_resource_id = api.root_resource_id;
        live.ids.resource_ids = api.resource_ids;
    }
    if let Some(cw) = cloudwatch {
        live.usable_cloudwatch_role = cw.usable.clone();
        live.resources.extend(cw.resources);
    }
    live.account = match account_of(&live, &groups) {
        Some(account) => account,
        None => aws.account().await?,
    };
    // Event sources (issue 11): the mappings of the stack's functions, the referenced queues.
    let (mappings, event_conflicts, stream_arns) =
        events::read(aws, config, &live.resources, for_destroy).await?;
    live.resources.extend(mappings);
    live.conflicts.extend(event_conflicts);
    live.stream_arns = stream_arns;
    if for_destroy {
        live.conflicts.clear();
    }
    Ok(live)
}

/// The account id, from any ARN already read; `None` when nothing exists yet.
fn account_of(live: &Live, groups: &[logs::Breadcrumb]) -> Option<String> {
    let from_arn = |arn: &str| {
        arn.split(':')
            .nth(4)
            .filter(|a| !a.is_empty())
            .map(str::to_string)
    };
    live.resources
        .iter()
        .find_map(|r| match r {
            Resource::Function(f) => from_arn(&f.role_arn),
            _ => None,
        })
        .or_else(|| groups.iter().find_map(|g| from_arn(&g.arn)))
}

/// What one reader found.
#[derive(Debug, Default)]
pub struct Found {
    pub resources: Vec<Resource>,
    pub conflicts: Vec<Conflict>,
    pub revisions: BTreeMap<String, String>,
    /// Bytes of the policy statements stackctl did not add, by function (those with any).
    pub foreign_policy_bytes: BTreeMap<String, usize>,
}

/// [`not_owned`], or, when the resource carries another stack's tag, a conflict naming that
/// stack: two stacks whose physical names collide (stack `shop` with function key `api-v2` and
/// stack `shop-api` with key `v2` both name `shop-api-v2`). `stackctl import` refuses such a
/// resource, so the hint does not point there.
pub fn not_owned_tagged(kind: &str, name: &str, tags: impl crate::names::TagMap) -> Conflict {
    match tags.tag(STACK_TAG) {
        Some(owner) => Conflict {
            what: format!("{kind} {name}"),
            message: format!(
                "{kind} {name} belongs to stack {owner} (its tag {STACK_TAG} is {owner:?}); stackctl will not touch another stack's resources"
            ),
            hint: format!(
                "physical names are <stack>-<function key>: choose a stack name or function key whose names do not collide with stack {owner}'s"
            ),
        },
        None => not_owned(kind, name),
    }
}

pub fn not_owned(kind: &str, name: &str) -> Conflict {
    Conflict {
        what: format!("{kind} {name}"),
        message: format!(
            "{kind} {name} exists but does not carry the tag {STACK_TAG}; stackctl will not touch what it does not own"
        ),
        hint: format!(
            "adopt it with `stackctl import`, or rename it in stack.toml (or delete the {kind} if it is unused)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_look_alike_is_named_as_its_owners_or_as_untagged() {
        let theirs = BTreeMap::from([(STACK_TAG.to_string(), "shop-api".to_string())]);
        let c = not_owned_tagged("schedule rule", "shop-api-v2-schedule-0", &theirs);
        assert!(c.message.contains("belongs to stack shop-api"), "{c:?}");
        assert!(!c.hint.contains("import"), "{c:?}");
        let untagged: BTreeMap<String, String> = BTreeMap::new();
        let c = not_owned_tagged("event source mapping", "f ← arn", &untagged);
        assert!(c.message.contains("does not carry the tag"), "{c:?}");
        assert!(c.hint.contains("stackctl import"), "{c:?}");
    }
}
