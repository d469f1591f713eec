//! What a function may call and what invokes it: `tracing`, `[[functions.<key>.statements]]` and
//! `[[functions.<key>.events]]`. Parsed with spans, checked offline, each problem located.
//!
//! Event sources are referenced, never owned: a queue named here must already exist (the plan
//! reads it, see `live::events`). Source types: `sqs`, `s3`, `sns`, `schedule` (event_types.rs),
//! `dynamodb` and `kinesis` (event_streams.rs).

use super::Diagnostic;
use serde::Deserialize;
use toml::Spanned;

pub use super::event_mappings::{SqsEvent, StreamEvent, StreamSource, is_queue_arn, is_queue_name};
use super::event_mappings::{sqs, stream};
pub use super::event_types::{
    S3Event, ScheduleEvent, SnsEvent, check_schedule, is_topic_name, rule_name,
};
use super::event_types::{s3, schedule, sns};

/// The hint of a missing or unknown event type.
const SUPPORTED: &str =
    "the types are \"sqs\", \"s3\", \"sns\", \"schedule\", \"dynamodb\" and \"kinesis\"";

/// `[[functions.<key>.statements]]`: one IAM statement added to the function's own execution role.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStatement {
    pub actions: Option<Spanned<Vec<Spanned<String>>>>,
    pub resources: Option<Spanned<Vec<Spanned<String>>>>,
    pub effect: Option<Spanned<String>>,
    pub allow_wildcard: Option<bool>,
}

/// `[[functions.<key>.events]]`, every key of every source type; [`events`] checks which keys
/// the given `type` takes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEvent {
    #[serde(rename = "type")]
    pub kind: Option<Spanned<String>>,
    pub queue: Option<Spanned<String>>,
    pub batch_size: Option<Spanned<i64>>,
    pub max_batching_window_s: Option<Spanned<i64>>,
    pub report_batch_item_failures: Option<Spanned<bool>>,
    pub enabled: Option<Spanned<bool>>,
    pub expression: Option<Spanned<String>>,
    pub input: Option<Spanned<String>>,
    pub topic: Option<Spanned<String>>,
    pub filter_policy: Option<Spanned<toml::Value>>,
    pub bucket: Option<Spanned<String>>,
    pub events: Option<Spanned<Vec<Spanned<String>>>>,
    pub prefix: Option<Spanned<String>>,
    pub suffix: Option<Spanned<String>>,
    pub table: Option<Spanned<String>>,
    pub stream: Option<Spanned<String>>,
    pub starting_position: Option<Spanned<String>>,
}

/// A statement of the execution role's inline policy, as written (`effect` defaulted to Allow).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementConfig {
    /// `Allow` | `Deny`.
    pub effect: String,
    /// IAM actions, `service:Action` (wildcards allowed, e.g. `s3:Get*`).
    pub actions: Vec<String>,
    /// Resource ARNs; `*` only with `allow_wildcard = true`.
    pub resources: Vec<String>,
}

/// An event source of a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventConfig {
    Sqs(SqsEvent),
    Schedule(ScheduleEvent),
    Sns(SnsEvent),
    S3(S3Event),
    /// `type = "dynamodb"` or `type = "kinesis"`.
    Stream(StreamEvent),
}

/// Checks `statements`; `own_role` is false when the function names its own `role`, which
/// stackctl does not manage.
pub fn statements(
    raw: &[Spanned<RawStatement>],
    own_role: bool,
    out: &mut Vec<Diagnostic>,
) -> Vec<StatementConfig> {
    let mut result = Vec::new();
    for s in raw {
        let st = s.get_ref();
        if !own_role {
            out.push(
                Diagnostic::new(
                    "statements are added to the role the stack creates, and this function names its own role",
                    s.span(),
                )
                .hint("add these permissions to that role yourself, or remove `role`"),
            );
            continue;
        }
        let effect = match &st.effect {
            None => "Allow".to_string(),
            Some(e) if ["Allow", "Deny"].contains(&e.get_ref().as_str()) => e.get_ref().clone(),
            Some(e) => {
                out.push(
                    Diagnostic::new(format!("unknown effect {:?}", e.get_ref()), e.span())
                        .hint("use \"Allow\" (the default) or \"Deny\""),
                );
                continue;
            }
        };
        let list = |field: &Option<Spanned<Vec<Spanned<String>>>>,
                    name: &str,
                    out: &mut Vec<Diagnostic>|
         -> Vec<Spanned<String>> {
            match field {
                None => {
                    out.push(
                        Diagnostic::new(format!("a statement needs `{name}`"), s.span()).hint(
                            "e.g. actions = [\"s3:GetObject\"], resources = [\"arn:aws:s3:::photos/*\"]",
                        ),
                    );
                    Vec::new()
                }
                Some(l) if l.get_ref().is_empty() => {
                    out.push(
                        Diagnostic::new(format!("`{name}` is empty"), l.span())
                            .hint(format!("list at least one of the statement's {name}")),
                    );
                    Vec::new()
                }
                Some(l) => l.get_ref().clone(),
            }
        };
        let actions = list(&st.actions, "actions", out);
        let resources = list(&st.resources, "resources", out);
        for a in &actions {
            let ok = a.get_ref() == "*"
                || a.get_ref().split_once(':').is_some_and(|(svc, op)| {
                    !svc.is_empty()
                        && !op.is_empty()
                        && svc.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                        && op.chars().all(|c| c.is_ascii_alphanumeric() || c == '*')
                });
            if !ok {
                out.push(
                    Diagnostic::new(format!("invalid IAM action {:?}", a.get_ref()), a.span())
                        .hint("an action is SERVICE:Operation, e.g. \"s3:GetObject\" or \"dynamodb:Query\""),
                );
            }
        }
        let wildcard_ok = st.allow_wildcard == Some(true);
        for r in &resources {
            let v = r.get_ref();
            if v == "*" && !wildcard_ok {
                out.push(
                    Diagnostic::new("resource \"*\" grants the action on everything", r.span())
                        .hint("name the exact ARNs, or set allow_wildcard = true in this statement if you mean it"),
                );
            } else if v != "*" && !v.starts_with("arn:") {
                out.push(
                    Diagnostic::new(format!("invalid resource {v:?}"), r.span())
                        .hint("a resource is an ARN, e.g. \"arn:aws:s3:::photos/uploads/*\""),
                );
            }
        }
        result.push(StatementConfig {
            effect,
            actions: actions.into_iter().map(|a| a.into_inner()).collect(),
            resources: resources.into_iter().map(|r| r.into_inner()).collect(),
        });
    }
    result
}

/// Checks `events`: the type, its required keys, each value's range, no key of another type,
/// no queue listed twice for one function. `function` is the physical name (rule names derive
/// from it).
pub fn events(
    raw: &[Spanned<RawEvent>],
    function: &str,
    out: &mut Vec<Diagnostic>,
) -> Vec<EventConfig> {
    let mut result = Vec::new();
    let mut queues: Vec<String> = Vec::new();
    let mut schedules = 0;
    let mut topics: Vec<String> = Vec::new();
    let mut streams: Vec<String> = Vec::new();
    for e in raw {
        let ev = e.get_ref();
        let Some(kind) = &ev.kind else {
            out.push(Diagnostic::new("an event needs a `type`", e.span()).hint(SUPPORTED));
            continue;
        };
        let foreign = |key: &str, present: bool, out: &mut Vec<Diagnostic>| {
            if present {
                out.push(
                    Diagnostic::new(
                        format!("`{key}` does not apply to type = {:?}", kind.get_ref()),
                        e.span(),
                    )
                    .hint("remove it, or change the type"),
                );
            }
        };
        let kind_name = kind.get_ref().as_str();
        if ["sqs", "s3", "sns", "schedule", "dynamodb", "kinesis"].contains(&kind_name) {
            for (key, present, types) in type_keys(ev) {
                foreign(key, present && !types.contains(&kind_name), out);
            }
        }
        match kind_name {
            "sqs" => {}
            "s3" => {
                if let Some(s) = s3(ev, e, out) {
                    result.push(EventConfig::S3(s));
                }
                continue;
            }
            "sns" => {
                if let Some(s) = sns(ev, e, &mut topics, out) {
                    result.push(EventConfig::Sns(s));
                }
                continue;
            }
            "schedule" => {
                schedules += 1;
                if let Some(s) = schedule(ev, e, function, schedules, out) {
                    result.push(EventConfig::Schedule(s));
                }
                continue;
            }
            k @ ("dynamodb" | "kinesis") => {
                if let Some(s) = stream(k, ev, e, &mut streams, out) {
                    result.push(EventConfig::Stream(s));
                }
                continue;
            }
            other => {
                out.push(
                    Diagnostic::new(format!("unknown event type {other:?}"), kind.span())
                        .hint(SUPPORTED),
                );
                continue;
            }
        }
        if let Some(q) = sqs(ev, e, &mut queues, out) {
            result.push(EventConfig::Sqs(q));
        }
    }
    result
}

/// The keys that belong to some event types only: each key, whether it is set, and the types it
/// applies to.
fn type_keys(ev: &RawEvent) -> [(&'static str, bool, &'static [&'static str]); 16] {
    // The keys of every event source mapping (SQS and the streams).
    const MAPPING: &[&str] = &["sqs", "dynamodb", "kinesis"];
    const STREAMS: &[&str] = &["dynamodb", "kinesis"];
    [
        ("queue", ev.queue.is_some(), &["sqs"]),
        ("batch_size", ev.batch_size.is_some(), MAPPING),
        (
            "max_batching_window_s",
            ev.max_batching_window_s.is_some(),
            MAPPING,
        ),
        (
            "report_batch_item_failures",
            ev.report_batch_item_failures.is_some(),
            MAPPING,
        ),
        ("enabled", ev.enabled.is_some(), MAPPING),
        ("table", ev.table.is_some(), &["dynamodb"]),
        ("stream", ev.stream.is_some(), &["kinesis"]),
        ("starting_position", ev.starting_position.is_some(), STREAMS),
        ("expression", ev.expression.is_some(), &["schedule"]),
        ("input", ev.input.is_some(), &["schedule"]),
        ("topic", ev.topic.is_some(), &["sns"]),
        ("filter_policy", ev.filter_policy.is_some(), &["sns"]),
        ("bucket", ev.bucket.is_some(), &["s3"]),
        ("events", ev.events.is_some(), &["s3"]),
        ("prefix", ev.prefix.is_some(), &["s3"]),
        ("suffix", ev.suffix.is_some(), &["s3"]),
    ]
}

#[cfg(test)]
#[path = "events_tests.rs"]
mod tests;
