//! The event-source resources stackctl manages, as desired (from the file) and live (from AWS)
//! both build them: a Lambda event source mapping (SQS today).

use crate::model::Tags;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The function tag that says the function has (or had) event source mappings of this stack:
/// only such functions are asked for their mappings, so a stack without events reads nothing
/// more. Set before the first mapping is made; never removed (a function that loses all its
/// events keeps one `ListEventSourceMappings` read per plan).
pub const EVENTS_TAG: &str = "stackctl:event-sources";

/// A Lambda event source mapping: a poller Lambda runs that reads `source_arn` and invokes
/// `function`. Identified by (function, source ARN): Lambda allows one mapping per pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventSourceMapping {
    /// The function's physical name.
    pub function: String,
    /// The queue's (or stream's) ARN.
    pub source_arn: String,
    /// Records per invocation (`BatchSize`).
    pub batch_size: i32,
    /// `MaximumBatchingWindowInSeconds`, seconds.
    pub max_batching_window_s: i32,
    /// `FunctionResponseTypes` holds `ReportBatchItemFailures`.
    pub report_batch_item_failures: bool,
    /// `Enabled` (live: State is Enabled/Enabling/Creating rather than Disabled/Disabling).
    pub enabled: bool,
    /// `StartingPosition` (streams only; SQS has none). Cannot be updated: a change replaces.
    pub starting_position: Option<String>,
    pub tags: Tags,
    /// The mapping's UUID: live only, never compared.
    #[serde(default)]
    pub uuid: Option<String>,
}

impl EventSourceMapping {
    /// The address name: `<function>/<source ARN>`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.function, self.source_arn)
    }

    /// The attributes the diff compares and the plan shows (tags aside; the function and source
    /// are in the address).
    pub fn attrs(&self, a: &mut BTreeMap<String, String>) {
        a.insert("batch_size".into(), self.batch_size.to_string());
        a.insert(
            "max_batching_window_s".into(),
            self.max_batching_window_s.to_string(),
        );
        a.insert(
            "report_batch_item_failures".into(),
            self.report_batch_item_failures.to_string(),
        );
        a.insert("enabled".into(), self.enabled.to_string());
        if let Some(p) = &self.starting_position {
            a.insert("starting_position".into(), p.clone());
        }
    }
}

/// An EventBridge schedule rule whose one target (Id [`SCHEDULE_TARGET_ID`]) is the function,
/// with the function's invoke permission for `events.amazonaws.com` ([`schedule_sid`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleRule {
    /// `<function>-schedule-<n>`.
    pub name: String,
    /// The function's physical name.
    pub function: String,
    /// `rate(...)` or `cron(...)`.
    pub expression: String,
    /// The target's constant `Input`, if any.
    pub input: Option<String>,
    pub tags: Tags,
}

/// The Id of the rule's target stackctl writes; other targets on the rule are left alone.
pub const SCHEDULE_TARGET_ID: &str = "stackctl";

/// The statement id of a schedule's invoke permission. It does not start with
/// [`crate::model::SID_PREFIX`], which the API permissions' reader claims; the schedule's own
/// step adds and removes it.
pub fn schedule_sid(rule: &str) -> String {
    format!("stackctl_schedule-{rule}")
}

impl ScheduleRule {
    /// The attributes the diff compares and the plan shows (tags aside).
    pub fn attrs(&self, a: &mut BTreeMap<String, String>) {
        a.insert("expression".into(), self.expression.clone());
        a.insert("target".into(), self.function.clone());
        if let Some(i) = &self.input {
            a.insert("input".into(), i.clone());
        }
    }
}

/// A subscription (protocol `lambda`) of the function to a topic, with the function's invoke
/// permission for `sns.amazonaws.com` scoped to the topic ([`sns_sid`]). Subscriptions cannot be
/// tagged: one is the stack's when its endpoint is a function the stack owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnsSubscription {
    pub function: String,
    pub topic_arn: String,
    /// Compact JSON, sorted keys.
    pub filter_policy: Option<String>,
    /// Live only, never compared.
    #[serde(default)]
    pub subscription_arn: Option<String>,
}

impl SnsSubscription {
    /// The address name: `<function>/<topic ARN>`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.function, self.topic_arn)
    }

    /// The attributes the diff compares and the plan shows: the filter policy, when set.
    pub fn attrs(&self, a: &mut BTreeMap<String, String>) {
        if let Some(p) = &self.filter_policy {
            a.insert("filter_policy".into(), p.clone());
        }
    }
}

/// The statement id of an SNS subscription's invoke permission: a short hash of the topic ARN,
/// outside the API permissions' prefix (see [`schedule_sid`]).
pub fn sns_sid(topic_arn: &str) -> String {
    use sha2::{Digest, Sha256};
    let hash = crate::model::hex(&Sha256::digest(topic_arn.as_bytes())[..6]);
    format!("stackctl_sns-{hash}")
}

/// One Lambda entry of a bucket's notification configuration. Its `Id` names the stack's
/// function (`stackctl-<function>-s3-<n>`): only entries with such an Id are the stack's; every
/// other entry of the bucket (other owners' Lambda, SQS, SNS, EventBridge settings) is written
/// back untouched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct S3Notification {
    pub bucket: String,
    pub id: String,
    pub function: String,
    /// Sorted.
    pub events: Vec<String>,
    pub prefix: Option<String>,
    pub suffix: Option<String>,
}

impl S3Notification {
    /// The address name: `<bucket>/<Id>`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.bucket, self.id)
    }

    /// The attributes the diff compares and the plan shows: target function, event types, filter.
    pub fn attrs(&self, a: &mut BTreeMap<String, String>) {
        a.insert("function".into(), self.function.clone());
        a.insert("events".into(), format!("{:?}", self.events));
        if let Some(p) = &self.prefix {
            a.insert("prefix".into(), format!("{p:?}"));
        }
        if let Some(s) = &self.suffix {
            a.insert("suffix".into(), format!("{s:?}"));
        }
    }
}

/// The Id of a function's `n`th s3 event entry (from 1).
pub fn s3_entry_id(function: &str, n: usize) -> String {
    format!("stackctl-{function}-s3-{n}")
}

/// The statement id of the invoke permission for `s3.amazonaws.com` on `bucket`.
pub fn s3_sid(bucket: &str) -> String {
    use sha2::{Digest, Sha256};
    let hash = crate::model::hex(&Sha256::digest(bucket.as_bytes())[..6]);
    format!("stackctl_s3-{hash}")
}

/// One line of `stackctl outputs`: a deployed mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventSourceOutput {
    pub function: String,
    /// `sqs` (from the source ARN's service).
    #[serde(rename = "type")]
    pub source_type: String,
    pub source_arn: String,
    pub uuid: String,
}

impl EventSourceOutput {
    /// The mappings among live resources, in address order.
    pub fn of(resources: &[crate::model::Resource]) -> Vec<EventSourceOutput> {
        let mut out: Vec<EventSourceOutput> = resources
            .iter()
            .filter_map(|r| match r {
                crate::model::Resource::EventSourceMapping(m) => Some(EventSourceOutput {
                    function: m.function.clone(),
                    source_type: m
                        .source_arn
                        .split(':')
                        .nth(2)
                        .unwrap_or_default()
                        .to_string(),
                    source_arn: m.source_arn.clone(),
                    uuid: m.uuid.clone().unwrap_or_default(),
                }),
                _ => None,
            })
            .collect();
        out.sort_by(|a, b| (&a.function, &a.source_arn).cmp(&(&b.function, &b.source_arn)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{Action, diff};
    use crate::model::{Function, Resource, Role, STACK_TAG};

    fn tags() -> Tags {
        BTreeMap::from([(STACK_TAG.into(), "s".into())])
    }

    fn function(tracing: bool) -> Resource {
        Resource::Function(Function {
            tracing,
            ..crate::model::fixtures::function("s-worker")
        })
    }

    fn role(policy: &str) -> Resource {
        Resource::Role(Role {
            name: "s-worker-exec".into(),
            trust_service: "lambda.amazonaws.com".into(),
            policy: policy.into(),
            tags: tags(),
        })
    }

    fn mapping(batch_size: i32, starting_position: Option<&str>) -> Resource {
        Resource::EventSourceMapping(EventSourceMapping {
            function: "s-worker".into(),
            source_arn: "arn:aws:sqs:us-east-1:1:jobs".into(),
            batch_size,
            max_batching_window_s: 0,
            report_batch_item_failures: false,
            enabled: true,
            starting_position: starting_position.map(str::to_string),
            tags: tags(),
            uuid: None,
        })
    }

    fn steps(desired: &[Resource], live: &[Resource]) -> Vec<crate::plan::Step> {
        crate::plan::build(diff(desired, live, &Default::default())).unwrap()
    }

    #[test]
    fn a_new_mapping_waits_for_its_function_and_the_role_that_grants_the_queue() {
        let s = steps(
            &[role("new"), function(true), mapping(10, None)],
            &[role("old"), function(false)],
        );
        let m = s
            .iter()
            .find(|s| s.kind == crate::model::Kind::EventSourceMapping)
            .unwrap();
        assert_eq!(m.action, Action::Create);
        let deps: Vec<_> = m.depends_on.iter().map(|&d| s[d].kind).collect();
        assert!(deps.contains(&crate::model::Kind::Function), "{deps:?}");
        assert!(deps.contains(&crate::model::Kind::Role), "{deps:?}");
    }

    #[test]
    fn a_deleted_function_waits_for_its_mappings_to_go() {
        let s = steps(&[], &[function(false), mapping(10, None)]);
        let f = s
            .iter()
            .find(|s| s.kind == crate::model::Kind::Function)
            .unwrap();
        assert!(
            f.depends_on
                .iter()
                .any(|&d| s[d].kind == crate::model::Kind::EventSourceMapping),
            "{s:#?}"
        );
    }

    #[test]
    fn batch_size_updates_and_starting_position_replaces() {
        let s = steps(&[mapping(5, None)], &[mapping(10, None)]);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].action, Action::Update);
        let s = steps(
            &[mapping(10, Some("LATEST"))],
            &[mapping(10, Some("TRIM_HORIZON"))],
        );
        assert_eq!(s[0].action, Action::Replace);
        assert!(steps(&[mapping(10, None)], &[mapping(10, None)]).is_empty());
    }
}
