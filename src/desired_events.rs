//! The desired side of event-driven functions: the execution role's extra statements (event
//! sources, X-Ray, the file's `statements`) and the event source mappings. Pure, like desired.rs.

use crate::config::events::{EventConfig, StatementConfig, StreamEvent, StreamSource};
use crate::config::{FunctionConfig, StackConfig};
use crate::desired::Env;
use crate::model::{Resource, canonical_json};
use crate::model_events::{EVENTS_TAG, EventSourceMapping};
use crate::names::{execution_policy as logs_policy, stack_tags};
use serde_json::{Value, json};

/// What Lambda's poller needs on an SQS queue (AWS managed policy
/// AWSLambdaSQSQueueExecutionRole, scoped to the queue).
pub const SQS_ACTIONS: [&str; 3] = [
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
];
/// What Lambda's poller needs on a table's stream (AWS managed policy
/// AWSLambdaDynamoDBExecutionRole), scoped to the stream ARN; its `dynamodb:ListStreams` is
/// granted on `*` apart ([`LIST_STREAMS`]).
pub const DYNAMODB_STREAM_ACTIONS: [&str; 3] = [
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
];
/// What Lambda's poller needs on a Kinesis stream (AWS managed policy
/// AWSLambdaKinesisExecutionRole, without `SubscribeToShard`, which only enhanced fan-out
/// consumers use), scoped to the stream ARN; `kinesis:ListStreams` is granted on `*` apart.
pub const KINESIS_ACTIONS: [&str; 5] = [
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:ListShards",
];
/// `ListStreams` of each stream service: it lists the account's streams and takes no stream ARN
/// (the managed policies grant it on `*`), so it gets one statement with resource `*`.
pub const LIST_STREAMS: [&str; 2] = ["dynamodb:ListStreams", "kinesis:ListStreams"];
/// What the function needs to send traces (AWS managed policy AWSXRayDaemonWriteAccess). X-Ray
/// has no resource-level permissions for these: the resource is `*`.
pub const XRAY_ACTIONS: [&str; 2] = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"];

/// The ARN of a queue written as a name (in the stack's account and region) or as an ARN.
pub fn queue_arn(env: &Env, queue: &str) -> String {
    if queue.starts_with("arn:") {
        queue.to_string()
    } else {
        format!(
            "arn:{}:sqs:{}:{}:{queue}",
            env.partition, env.region, env.account
        )
    }
}

/// The ARN of a topic written as a name (in the stack's account and region) or as an ARN.
pub fn topic_arn(env: &Env, topic: &str) -> String {
    if topic.starts_with("arn:") {
        topic.to_string()
    } else {
        format!(
            "arn:{}:sns:{}:{}:{topic}",
            env.partition, env.region, env.account
        )
    }
}

/// The stream ARN of a `dynamodb` or `kinesis` event: as looked up at plan time
/// (`env.stream_arns`), else, for a Kinesis stream, built from its name or ARN. `None` for a table
/// whose stream was not found (the plan refuses it, see `live::streams`).
pub fn stream_arn(env: &Env, s: &StreamEvent) -> Option<String> {
    if let Some(arn) = env.stream_arns.get(&s.key()) {
        return Some(arn.clone());
    }
    match &s.source {
        StreamSource::Kinesis { stream } if stream.starts_with("arn:") => Some(stream.clone()),
        StreamSource::Kinesis { stream } => Some(format!(
            "arn:{}:kinesis:{}:{}:stream/{stream}",
            env.partition, env.region, env.account
        )),
        StreamSource::DynamoDb { .. } => None,
    }
}

/// The execution role's inline policy: the log-group statement of [`logs_policy`], then one
/// statement per queue and stream, [`LIST_STREAMS`] when there are streams, X-Ray's when tracing,
/// and the file's `statements`, in that order. A function with none of these gets exactly
/// [`logs_policy`], so existing roles do not change.
pub fn execution_policy(env: &Env, function: &str, f: &FunctionConfig) -> String {
    let base = logs_policy(env, function);
    let mut extra: Vec<Value> = Vec::new();
    let mut list_streams: Vec<&str> = Vec::new();
    for e in &f.events {
        match e {
            EventConfig::Sqs(q) => extra.push(json!({
                "Effect": "Allow",
                "Action": SQS_ACTIONS,
                "Resource": queue_arn(env, &q.queue),
            })),
            EventConfig::Stream(s) => {
                let (actions, list): (&[&str], _) = match s.source {
                    StreamSource::DynamoDb { .. } => (&DYNAMODB_STREAM_ACTIONS, LIST_STREAMS[0]),
                    StreamSource::Kinesis { .. } => (&KINESIS_ACTIONS, LIST_STREAMS[1]),
                };
                if let Some(arn) = stream_arn(env, s) {
                    extra.push(json!({"Effect": "Allow", "Action": actions, "Resource": arn}));
                }
                if !list_streams.contains(&list) {
                    list_streams.push(list);
                }
            }
            // EventBridge invokes through the function's resource policy: nothing on the role.
            EventConfig::Schedule(_) | EventConfig::Sns(_) | EventConfig::S3(_) => {}
        }
    }
    if !list_streams.is_empty() {
        list_streams.sort();
        extra.push(json!({"Effect": "Allow", "Action": list_streams, "Resource": "*"}));
    }
    if f.tracing {
        extra.push(json!({"Effect": "Allow", "Action": XRAY_ACTIONS, "Resource": "*"}));
    }
    extra.extend(f.statements.iter().map(statement));
    if extra.is_empty() {
        return base;
    }
    let mut doc: Value = serde_json::from_str(&base).expect("the base policy is JSON");
    doc["Statement"]
        .as_array_mut()
        .expect("Statement is a list")
        .extend(extra);
    canonical_json(&doc.to_string())
}

fn statement(s: &StatementConfig) -> Value {
    json!({"Effect": s.effect, "Action": s.actions, "Resource": s.resources})
}

/// The tags a function carries: the stack tag, and [`EVENTS_TAG`] when it has event sources.
pub fn function_tags(config: &StackConfig, f: &FunctionConfig) -> crate::model::Tags {
    let mut tags = stack_tags(&config.name);
    if !f.events.is_empty() {
        tags.insert(EVENTS_TAG.into(), "true".into());
    }
    tags
}

/// The names of the schedule rules the file describes.
pub fn rule_names(config: &StackConfig) -> Vec<String> {
    config
        .functions
        .iter()
        .flat_map(|(key, f)| {
            let function = config.function_name(key);
            let n = f
                .events
                .iter()
                .filter(|e| matches!(e, EventConfig::Schedule(_)))
                .count();
            (1..=n).map(move |i| crate::config::events::rule_name(&function, i))
        })
        .collect()
}

/// The event source mappings (and schedule rules) the file describes, tagged with the stack tag.
pub fn mappings(config: &StackConfig, env: &Env) -> Vec<Resource> {
    let mut out = Vec::new();
    for (key, f) in &config.functions {
        let mut schedules = 0;
        let mut buckets = 0;
        for e in &f.events {
            match e {
                EventConfig::S3(b) => {
                    buckets += 1;
                    let function = config.function_name(key);
                    out.push(Resource::S3Notification(
                        crate::model_events::S3Notification {
                            bucket: b.bucket.clone(),
                            id: crate::model_events::s3_entry_id(&function, buckets),
                            function,
                            events: b.events.clone(),
                            prefix: b.prefix.clone(),
                            suffix: b.suffix.clone(),
                        },
                    ))
                }
                EventConfig::Sns(t) => out.push(Resource::SnsSubscription(
                    crate::model_events::SnsSubscription {
                        function: config.function_name(key),
                        topic_arn: topic_arn(env, &t.topic),
                        filter_policy: t.filter_policy.clone(),
                        subscription_arn: None,
                    },
                )),
                EventConfig::Schedule(s) => {
                    schedules += 1;
                    let function = config.function_name(key);
                    out.push(Resource::ScheduleRule(crate::model_events::ScheduleRule {
                        name: crate::config::events::rule_name(&function, schedules),
                        function,
                        expression: s.expression.clone(),
                        input: s.input.clone(),
                        tags: stack_tags(&config.name),
                    }));
                }
                EventConfig::Sqs(q) => out.push(Resource::EventSourceMapping(EventSourceMapping {
                    function: config.function_name(key),
                    source_arn: queue_arn(env, &q.queue),
                    batch_size: q.batch_size,
                    max_batching_window_s: q.max_batching_window_s,
                    report_batch_item_failures: q.report_batch_item_failures,
                    enabled: q.enabled,
                    starting_position: None,
                    tags: stack_tags(&config.name),
                    uuid: None,
                })),
                EventConfig::Stream(s) => {
                    // A table without a stream has no ARN: the plan refuses it (live::streams).
                    let Some(source_arn) = stream_arn(env, s) else {
                        continue;
                    };
                    out.push(Resource::EventSourceMapping(EventSourceMapping {
                        function: config.function_name(key),
                        source_arn,
                        batch_size: s.batch_size,
                        max_batching_window_s: s.max_batching_window_s,
                        report_batch_item_failures: s.report_batch_item_failures,
                        enabled: s.enabled,
                        starting_position: Some(s.starting_position.clone()),
                        tags: stack_tags(&config.name),
                        uuid: None,
                    }))
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Env {
        Env {
            account: "123456789012".into(),
            region: "us-east-1".into(),
            partition: "aws".into(),
            api_id: None,
            code: Default::default(),
            usable_cloudwatch_role: None,
            foreign_policy_bytes: Default::default(),
            stream_arns: Default::default(),
        }
    }

    fn config(text: &str) -> StackConfig {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/index.py"), "def handler(e, c): pass\n").unwrap();
        let path = dir.path().join("stack.toml");
        StackConfig::parse(&path, text).unwrap_or_else(|e| panic!("{e}"))
    }

    const BASE: &str = "[stack]\nname = \"demo\"\n[functions.worker]\nruntime = \"python3.12\"\nhandler = \"index.handler\"\nsource = \"src\"\n";

    #[test]
    fn a_function_without_extras_keeps_the_logs_only_policy() {
        let c = config(BASE);
        let f = &c.functions["worker"];
        assert_eq!(
            execution_policy(&env(), "demo-worker", f),
            logs_policy(&env(), "demo-worker")
        );
        assert!(mappings(&c, &env()).is_empty());
        assert!(!function_tags(&c, f).contains_key(EVENTS_TAG));
    }

    #[test]
    fn queue_tracing_and_statements_join_the_policy_scoped_to_their_arns() {
        let c = config(&format!(
            "{BASE}tracing = true\n[[functions.worker.statements]]\nactions = [\"s3:GetObject\"]\nresources = [\"arn:aws:s3:::photos/uploads/*\"]\n[[functions.worker.events]]\ntype = \"sqs\"\nqueue = \"jobs\"\nbatch_size = 5\n"
        ));
        let f = &c.functions["worker"];
        let policy: Value =
            serde_json::from_str(&execution_policy(&env(), "demo-worker", f)).unwrap();
        let statements = policy["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 4, "{policy}");
        assert_eq!(
            statements[1],
            json!({"Effect": "Allow", "Action": SQS_ACTIONS, "Resource": "arn:aws:sqs:us-east-1:123456789012:jobs"})
        );
        assert_eq!(
            statements[2],
            json!({"Effect": "Allow", "Action": XRAY_ACTIONS, "Resource": "*"})
        );
        assert_eq!(
            statements[3],
            json!({"Action": "s3:GetObject", "Effect": "Allow", "Resource": "arn:aws:s3:::photos/uploads/*"})
        );
        let m = mappings(&c, &env());
        let Resource::EventSourceMapping(m) = &m[0] else {
            panic!()
        };
        assert_eq!(m.batch_size, 5);
        assert_eq!(
            m.name(),
            "demo-worker/arn:aws:sqs:us-east-1:123456789012:jobs"
        );
        assert!(function_tags(&c, f).contains_key(EVENTS_TAG));
    }

    #[test]
    fn streams_grant_the_poller_on_the_looked_up_arn_and_list_streams_on_any() {
        let c = config(&format!(
            "{BASE}[[functions.worker.events]]\ntype = \"dynamodb\"\ntable = \"orders\"\nstarting_position = \"LATEST\"\n[[functions.worker.events]]\ntype = \"kinesis\"\nstream = \"clicks\"\nstarting_position = \"TRIM_HORIZON\"\nbatch_size = 7\n"
        ));
        let f = &c.functions["worker"];
        let table_stream =
            "arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2026-12-01T00:00:00.000";
        let kinesis = "arn:aws:kinesis:us-east-1:123456789012:stream/clicks";
        // Not looked up (the plan refuses the table): no statement and no mapping for it.
        let policy: Value =
            serde_json::from_str(&execution_policy(&env(), "demo-worker", f)).unwrap();
        let statements = policy["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 3, "{policy}");
        assert_eq!(mappings(&c, &env()).len(), 1);
        let mut e = env();
        e.stream_arns
            .insert("dynamodb:orders".into(), table_stream.into());
        let policy: Value = serde_json::from_str(&execution_policy(&e, "demo-worker", f)).unwrap();
        let statements = policy["Statement"].as_array().unwrap();
        assert_eq!(
            &statements[1..],
            &[
                json!({"Effect": "Allow", "Action": DYNAMODB_STREAM_ACTIONS, "Resource": table_stream}),
                json!({"Effect": "Allow", "Action": KINESIS_ACTIONS, "Resource": kinesis}),
                json!({"Effect": "Allow", "Action": LIST_STREAMS, "Resource": "*"}),
            ],
            "{policy}"
        );
        let m: Vec<EventSourceMapping> = mappings(&c, &e)
            .into_iter()
            .map(|r| match r {
                Resource::EventSourceMapping(m) => m,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            m.iter()
                .map(|m| (
                    m.source_arn.as_str(),
                    m.starting_position.as_deref(),
                    m.batch_size
                ))
                .collect::<Vec<_>>(),
            [
                (table_stream, Some("LATEST"), 100),
                (kinesis, Some("TRIM_HORIZON"), 7)
            ]
        );
    }
}
