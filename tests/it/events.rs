//! Event-driven functions (issue 11): the examples/events stack (an SQS-driven function with
//! X-Ray tracing and a role statement, an S3-invoked one, an SNS subscriber with a filter policy
//! and a scheduled one), from missing sources to destroy on both emulators, checked with the SDK:
//! another owner's S3 entry and mapping survive byte for byte; on MiniStack a message leaves the
//! queue, an object and a publish reach their functions, each line shown by `stackctl logs`, and
//! `stackctl invoke` runs. Faults: lost CreateEventSourceMapping and Subscribe responses and the
//! poller's permission propagating late make no duplicate.

use crate::on_both;
use crate::proxy::{Fault, Proxy};
use crate::support::*;
use aws_sdk_sqs::types::QueueAttributeName;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The example without its stream functions (streams.rs tests those: LocalStack 4.13 has no
/// working DynamoDB or Kinesis), with its queue and topic renamed to ones only this test uses
/// (not created yet).
fn events_stack(emu: &Emulator, prefix: &str) -> (Stack, String) {
    let s = Stack::from_example(emu, "events", prefix);
    let text = s.read_file();
    let cut = text
        .find(crate::streams::STREAMS_SECTION)
        .expect("the example's stream functions");
    s.write_file(&text[..cut]);
    let queue = format!("{}-jobs", s.name);
    s.edit("queue = \"jobs\"", &format!("queue = \"{queue}\""));
    s.edit(
        "topic = \"alerts\"",
        &format!("topic = \"{}-alerts\"", s.name),
    );
    s.edit(
        "bucket = \"photos\"",
        &format!("bucket = \"{}-photos\"", s.name),
    );
    (s, queue)
}

/// The test's bucket, with another owner's entry already in its notification configuration (an
/// SQS queue's); returns that entry as read, to compare byte for byte later.
async fn bucket_with_foreign_entry(emu: &Emulator, s: &Stack) -> (String, String, String) {
    let bucket = format!("{}-photos", s.name);
    let s3 = emu.s3().await;
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let queue = format!("{}-s3q", s.name);
    let url = create_queue(emu, &queue, 30).await;
    let arn = format!("arn:aws:sqs:{REGION}:000000000000:{queue}");
    let foreign = aws_sdk_s3::types::QueueConfiguration::builder()
        .id("someone-else")
        .queue_arn(&arn)
        .events(aws_sdk_s3::types::Event::from("s3:ObjectRemoved:*"))
        .build()
        .unwrap();
    s3.put_bucket_notification_configuration()
        .bucket(&bucket)
        .notification_configuration(
            aws_sdk_s3::types::NotificationConfiguration::builder()
                .queue_configurations(foreign)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let entry = foreign_entry(emu, &bucket).await;
    (bucket, entry, url)
}

/// The bucket's non-stackctl entries, as the SDK reads them.
async fn foreign_entry(emu: &Emulator, bucket: &str) -> String {
    let c = emu
        .s3()
        .await
        .get_bucket_notification_configuration()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    format!("{:?}", c.queue_configurations())
}

async fn create_topic(emu: &Emulator, s: &Stack) -> String {
    emu.sns()
        .await
        .create_topic()
        .name(format!("{}-alerts", s.name))
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_string()
}

/// The subscriptions of a topic: (endpoint, subscription ARN).
async fn subscriptions(emu: &Emulator, topic: &str) -> Vec<(String, String)> {
    emu.sns()
        .await
        .list_subscriptions_by_topic()
        .topic_arn(topic)
        .send()
        .await
        .unwrap()
        .subscriptions()
        .iter()
        .map(|s| {
            (
                s.endpoint().unwrap().to_string(),
                s.subscription_arn().unwrap().to_string(),
            )
        })
        .collect()
}

async fn create_queue(emu: &Emulator, name: &str, visibility_s: u32) -> String {
    emu.sqs()
        .await
        .create_queue()
        .queue_name(name)
        .attributes(
            QueueAttributeName::VisibilityTimeout,
            visibility_s.to_string(),
        )
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string()
}

/// The function's mappings, read with the SDK: (UUID, source ARN, batch size).
async fn mappings(emu: &Emulator, function: &str) -> Vec<(String, String, i32)> {
    event_source_mappings(emu, function)
        .await
        .iter()
        .map(|m| {
            (
                m.uuid().unwrap().to_string(),
                m.event_source_arn().unwrap().to_string(),
                m.batch_size().unwrap(),
            )
        })
        .collect()
}

async fn role_policy(emu: &Emulator, role: &str) -> serde_json::Value {
    let doc = emu
        .iam()
        .await
        .get_role_policy()
        .role_name(role)
        .policy_name("stackctl-logs")
        .send()
        .await
        .unwrap()
        .policy_document()
        .to_string();
    let doc = percent_encoding::percent_decode_str(&doc).decode_utf8_lossy();
    serde_json::from_str(&doc).unwrap()
}

fn reads(run: &Run) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for c in &run.calls {
        *counts
            .entry(format!("{}:{}", c.service, c.operation))
            .or_default() += 1;
    }
    counts
}

on_both!(
    every_source_type_from_missing_sources_to_destroy,
    |emu: Emulator| async move {
        let (s, queue) = events_stack(&emu, "evsqs");
        let function = s.function("worker");

        // Referenced, never created: a missing queue and a too-short visibility timeout are
        // refused at plan time, before any write.
        let plan = s.run(&["plan"]);
        assert_eq!(plan.code(), 1, "{}", plan.all());
        assert!(
            plan.stderr().contains(&format!(
                "queue {queue} (an sqs event of {function}) does not exist"
            )),
            "{}",
            plan.all()
        );
        assert!(
            plan.stderr()
                .contains(&format!("{}-alerts (an sns event) does not exist", s.name)),
            "{}",
            plan.all()
        );
        let url = create_queue(&emu, &queue, 5).await;
        let topic = create_topic(&emu, &s).await;
        let (bucket, foreign_s3, s3q) = bucket_with_foreign_entry(&emu, &s).await;
        let plan = s.run(&["plan"]);
        assert_eq!(plan.code(), 1, "{}", plan.all());
        assert!(
            plan.stderr().contains(&format!(
                "has a visibility timeout of 5 s, below the 10 s timeout of {function}"
            )) && plan.stderr().contains("VisibilityTimeout=60"),
            "{}",
            plan.all()
        );
        assert!(plan.writes().is_empty(), "{:?}", plan.writes());
        emu.sqs()
            .await
            .set_queue_attributes()
            .queue_url(&url)
            .attributes(QueueAttributeName::VisibilityTimeout, "60")
            .send()
            .await
            .unwrap();

        s.apply();
        let queue_arn = format!(
            "arn:aws:sqs:{REGION}:{}:{queue}",
            account_of(&emu, &function).await
        );
        let found = mappings(&emu, &function).await;
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].1.as_str(), found[0].2), (queue_arn.as_str(), 5));
        let lambda = emu.lambda().await;
        let config = lambda
            .get_function_configuration()
            .function_name(&function)
            .send()
            .await
            .unwrap();
        assert_eq!(
            config
                .tracing_config()
                .and_then(|t| t.mode())
                .map(|m| m.as_str()),
            Some("Active")
        );
        let policy = role_policy(&emu, &format!("{function}-exec")).await;
        let statements = policy["Statement"].as_array().unwrap();
        assert!(
            statements.iter().any(|st| st["Resource"] == queue_arn
                && st["Action"].to_string().contains("sqs:ReceiveMessage")),
            "{policy}"
        );
        assert!(
            statements
                .iter()
                .any(|st| st["Resource"] == "arn:aws:s3:::photos/uploads/*"),
            "{policy}"
        );

        // The schedule: rule, target with the constant input, invoke permission for EventBridge.
        let rule = format!("{}-schedule-1", s.function("nightly"));
        let eb = emu.eventbridge().await;
        let described = eb.describe_rule().name(&rule).send().await.unwrap();
        assert_eq!(described.schedule_expression(), Some("cron(0 3 * * ? *)"));
        let targets = eb.list_targets_by_rule().rule(&rule).send().await.unwrap();
        let target = &targets.targets()[0];
        assert_eq!(
            (
                target.id(),
                target
                    .arn()
                    .ends_with(&format!(":function:{}", s.function("nightly"))),
                target.input()
            ),
            ("stackctl", true, Some(r#"{"job": "nightly"}"#))
        );
        let policy = lambda
            .get_policy()
            .function_name(s.function("nightly"))
            .send()
            .await
            .unwrap();
        let policy = policy.policy().unwrap();
        assert!(
            policy.contains("events.amazonaws.com") && policy.contains(&format!("rule/{rule}")),
            "{policy}"
        );

        // The bucket: our entry beside the other owner's, which is unchanged.
        let c = emu
            .s3()
            .await
            .get_bucket_notification_configuration()
            .bucket(&bucket)
            .send()
            .await
            .unwrap();
        let ours = &c.lambda_function_configurations()[0];
        assert_eq!(
            ours.id(),
            Some(format!("stackctl-{}-s3-1", s.function("thumbs")).as_str())
        );
        assert_eq!(foreign_entry(&emu, &bucket).await, foreign_s3);

        // The subscription: protocol lambda to the function, with its filter policy, and the
        // invoke permission for SNS.
        let subs = subscriptions(&emu, &topic).await;
        assert_eq!(subs.len(), 1, "{subs:?}");
        assert!(
            subs[0]
                .0
                .ends_with(&format!(":function:{}", s.function("notify")))
        );
        let attrs = emu
            .sns()
            .await
            .get_subscription_attributes()
            .subscription_arn(&subs[0].1)
            .send()
            .await
            .unwrap();
        let filter: serde_json::Value =
            serde_json::from_str(&attrs.attributes().unwrap()["FilterPolicy"]).unwrap();
        assert_eq!(filter, serde_json::json!({"severity": ["high"]}));
        let policy = lambda
            .get_policy()
            .function_name(s.function("notify"))
            .send()
            .await
            .unwrap();
        assert!(
            policy.policy().unwrap().contains("sns.amazonaws.com"),
            "{policy:?}"
        );

        // No-op plan: no writes. Per function with events: ListEventSourceMappings, ListRules and
        // a second GetPolicy (the topics it grants); per mapping ListTags; per queue GetQueueUrl +
        // GetQueueAttributes; per rule ListTagsForResource + ListTargetsByRule; per topic
        // ListSubscriptionsByTopic, per subscription GetSubscriptionAttributes.
        let noop = s.run(&["plan", "--detailed-exitcode"]);
        assert_eq!(noop.code(), 0, "{}", noop.all());
        assert!(noop.writes().is_empty(), "{:?}", noop.writes());
        let counts = reads(&noop);
        for (op, n) in [
            ("Lambda:ListEventSourceMappings", 4),
            ("Lambda:GetPolicy", 4 + 4),
            ("S3:GetBucketNotificationConfiguration", 1),
            ("Lambda:ListTags", 1),
            ("SQS:GetQueueUrl", 1),
            ("SQS:GetQueueAttributes", 1),
            ("SNS:ListSubscriptionsByTopic", 1),
            ("SNS:GetSubscriptionAttributes", 1),
            ("EventBridge:ListRules", 4),
            ("EventBridge:ListTagsForResource", 1),
            ("EventBridge:ListTargetsByRule", 1),
        ] {
            assert_eq!(counts.get(op), Some(&n), "{op}: {counts:#?}");
        }

        // `outputs` lists the mapping, as deployed.
        let outputs: serde_json::Value =
            serde_json::from_str(&s.ok(&["outputs", "--json"]).stdout()).unwrap();
        assert_eq!(outputs["event_sources"][0]["type"], "sqs", "{outputs}");
        assert_eq!(
            outputs["event_sources"][0]["source_arn"],
            queue_arn.as_str()
        );
        assert_eq!(outputs["event_sources"][0]["uuid"], found[0].0.as_str());

        if emu.kind == Kind::MiniStack {
            let body = format!("hello from {}", s.name);
            emu.sqs()
                .await
                .send_message()
                .queue_url(&url)
                .message_body(&body)
                .send()
                .await
                .unwrap();
            let needle = format!("worker got: {body}");
            let deadline = Instant::now() + Duration::from_secs(30);
            let out = loop {
                let out = s.ok(&["logs", "worker"]).stdout();
                if out.contains(&needle) || Instant::now() > deadline {
                    break out;
                }
                std::thread::sleep(Duration::from_millis(500));
            };
            assert!(out.contains(&needle), "no {needle:?} in:\n{out}");
            // SNS: only the message the filter policy lets through reaches the function.
            let sns = emu.sns().await;
            for (message, severity) in [("disk low", "low"), ("disk full", "high")] {
                sns.publish()
                    .topic_arn(&topic)
                    .message(message)
                    .message_attributes(
                        "severity",
                        aws_sdk_sns::types::MessageAttributeValue::builder()
                            .data_type("String")
                            .string_value(severity)
                            .build()
                            .unwrap(),
                    )
                    .send()
                    .await
                    .unwrap();
            }
            let deadline = Instant::now() + Duration::from_secs(30);
            let out = loop {
                let out = s.ok(&["logs", "notify"]).stdout();
                if out.contains("notify got: disk full") || Instant::now() > deadline {
                    break out;
                }
                std::thread::sleep(Duration::from_millis(500));
            };
            assert!(out.contains("notify got: disk full"), "{out}");
            // S3: an object under uploads/ ending .jpg reaches the function.
            emu.s3()
                .await
                .put_object()
                .bucket(&bucket)
                .key("uploads/cat.jpg")
                .body(aws_sdk_s3::primitives::ByteStream::from_static(b"jpg"))
                .send()
                .await
                .unwrap();
            let deadline = Instant::now() + Duration::from_secs(30);
            let thumbs = loop {
                let out = s.ok(&["logs", "thumbs"]).stdout();
                if out.contains("thumbs got: uploads/cat.jpg") || Instant::now() > deadline {
                    break out;
                }
                std::thread::sleep(Duration::from_millis(500));
            };
            assert!(thumbs.contains("thumbs got: uploads/cat.jpg"), "{thumbs}");
            assert!(
                !out.contains("disk low"),
                "the filter policy let a low message through:\n{out}"
            );
            let attrs = emu
                .sqs()
                .await
                .get_queue_attributes()
                .queue_url(&url)
                .attribute_names(QueueAttributeName::All)
                .send()
                .await
                .unwrap();
            let left = attrs.attributes().unwrap();
            assert_eq!(
                left.get(&QueueAttributeName::ApproximateNumberOfMessages)
                    .map(String::as_str),
                Some("0"),
                "{left:?}"
            );
            assert_eq!(
                left.get(&QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
                    .map(String::as_str),
                Some("0"),
                "the message was received but not deleted: {left:?}"
            );
        }

        if emu.kind == Kind::MiniStack {
            // `stackctl invoke`: the response on stdout, the log tail on stderr with --log,
            // exit 1 on a function error (LocalStack runs no functions here).
            let run = s.run(&[
                "invoke",
                "worker",
                "--payload",
                r#"{"Records": [{"messageId": "m1", "body": "invoked directly"}]}"#,
                "--log",
            ]);
            assert_eq!(run.code(), 0, "{}", run.all());
            assert_eq!(
                run.stdout().trim(),
                r#"{"batchItemFailures": []}"#,
                "{}",
                run.all()
            );
            assert!(
                run.stderr().contains("worker got: invoked directly"),
                "{}",
                run.all()
            );
            let failed = s.run(&["invoke", "worker", "--payload", r#"{"Records": [{}]}"#]);
            assert_eq!(failed.code(), 1, "{}", failed.all());
            assert!(failed.stdout().contains("errorMessage"), "{}", failed.all());
            assert!(
                failed
                    .stderr()
                    .contains(&format!("{function} failed (Unhandled)")),
                "{}",
                failed.all()
            );
        }

        // Another owner's mapping on the function (untagged, from another queue) is not the
        // stack's: plans ignore it, and destroy leaves it (checked below).
        let other = format!("{}-other", s.name);
        let other_url = create_queue(&emu, &other, 60).await;
        let other_arn = queue_arn.replace(&queue, &other);
        let foreign = lambda
            .create_event_source_mapping()
            .function_name(&function)
            .event_source_arn(&other_arn)
            .batch_size(3)
            .send()
            .await
            .unwrap()
            .uuid()
            .unwrap()
            .to_string();
        assert_eq!(s.plan_steps(), Vec::<String>::new());

        // Edits: exactly the mapping (batch size) and the role (a statement) change.
        s.edit("batch_size = 5", "batch_size = 7");
        s.edit("photos/uploads/*", "photos/thumbs/*");
        s.edit("cron(0 3 * * ? *)", "rate(5 minutes)");
        s.edit(
            "severity = [\"high\"]",
            "severity = [\"high\", \"critical\"]",
        );
        s.edit("suffix = \".jpg\"", "suffix = \".png\"");
        let name = format!("{function}/{queue_arn}");
        assert_eq!(
            s.plan_steps(),
            vec![
                format!("update event_source_mapping {name}"),
                format!("update role {function}-exec"),
                format!(
                    "update s3_notification {bucket}/stackctl-{}-s3-1",
                    s.function("thumbs")
                ),
                format!("update schedule_rule {rule}"),
                format!("update sns_subscription {}/{topic}", s.function("notify")),
            ]
        );
        s.apply();
        let found: Vec<_> = mappings(&emu, &function)
            .await
            .into_iter()
            .filter(|m| m.1 == queue_arn)
            .collect();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].2, 7);
        let described = eb.describe_rule().name(&rule).send().await.unwrap();
        assert_eq!(described.schedule_expression(), Some("rate(5 minutes)"));
        assert_eq!(foreign_entry(&emu, &bucket).await, foreign_s3);
        assert_eq!(s.plan_steps(), Vec::<String>::new());

        // Events dropped from the file: the function's tag still says it has mappings, so the
        // plan finds the orphan and deletes it (and the role loses the queue's permissions); the
        // foreign mapping stays.
        let text = s.read_file();
        let cut = text.find("[[functions.worker.events]]").unwrap();
        let resume = text.find("# A function S3 invokes").unwrap();
        s.write_file(&format!("{}{}", &text[..cut], &text[resume..]));
        assert_eq!(
            s.plan_steps(),
            vec![
                format!("delete event_source_mapping {name}"),
                format!("update role {function}-exec"),
            ]
        );
        s.apply();
        let left: Vec<String> = mappings(&emu, &function)
            .await
            .into_iter()
            .map(|m| m.0)
            .collect();
        assert_eq!(left, std::slice::from_ref(&foreign));
        assert_eq!(s.plan_steps(), Vec::<String>::new());

        // Destroy removes the mapping, never the queue.
        s.write_file(&text);
        s.apply();
        assert_eq!(mappings(&emu, &function).await.len(), 2);
        s.destroy();
        let left = lambda
            .list_event_source_mappings()
            .event_source_arn(&queue_arn)
            .send()
            .await
            .unwrap();
        assert!(left.event_source_mappings().is_empty(), "{left:?}");
        emu.sqs()
            .await
            .get_queue_url()
            .queue_name(&queue)
            .send()
            .await
            .expect("destroy left the referenced queue alone");
        assert!(subscriptions(&emu, &topic).await.is_empty());
        let c = emu
            .s3()
            .await
            .get_bucket_notification_configuration()
            .bucket(&bucket)
            .send()
            .await
            .expect("destroy left the referenced bucket alone");
        assert!(c.lambda_function_configurations().is_empty(), "{c:?}");
        assert_eq!(foreign_entry(&emu, &bucket).await, foreign_s3);
        emu.s3()
            .await
            .delete_object()
            .bucket(&bucket)
            .key("uploads/cat.jpg")
            .send()
            .await
            .ok();
        emu.s3()
            .await
            .delete_bucket()
            .bucket(&bucket)
            .send()
            .await
            .unwrap();
        emu.sqs()
            .await
            .delete_queue()
            .queue_url(&s3q)
            .send()
            .await
            .unwrap();
        emu.sns()
            .await
            .get_topic_attributes()
            .topic_arn(&topic)
            .send()
            .await
            .expect("destroy left the referenced topic alone");
        emu.sns()
            .await
            .delete_topic()
            .topic_arn(&topic)
            .send()
            .await
            .unwrap();
        let rules = eb.list_rules().name_prefix(&rule).send().await.unwrap();
        assert!(rules.rules().is_empty(), "{rules:?}");
        let kept = lambda
            .get_event_source_mapping()
            .uuid(&foreign)
            .send()
            .await;
        assert!(
            kept.is_ok(),
            "destroy deleted another owner's mapping: {kept:?}"
        );
        lambda
            .delete_event_source_mapping()
            .uuid(&foreign)
            .send()
            .await
            .unwrap();
        for u in [&url, &other_url] {
            emu.sqs()
                .await
                .delete_queue()
                .queue_url(u)
                .send()
                .await
                .unwrap();
        }
    }
);

/// A lost CreateEventSourceMapping response and a role whose new permissions Lambda does not
/// see yet ("does not have permissions to call ReceiveMessage on SQS") converge on one mapping.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_mapping_response_and_late_permissions_make_one_mapping() {
    let emu = Emulator::get(Kind::LocalStack);
    let proxy = Proxy::start(&emu);
    proxy.inject(
        "CreateEventSourceMapping",
        Fault::PollerPermissionNotReady,
        2,
    );
    proxy.inject("CreateEventSourceMapping", Fault::LostResponse, 1);
    proxy.inject("Subscribe", Fault::LostResponse, 1);
    let (s, queue) = events_stack(&proxy.emulator(), "evflt");
    let url = create_queue(&emu, &queue, 60).await;
    let topic = create_topic(&emu, &s).await;
    let (bucket, _, s3q) = bucket_with_foreign_entry(&emu, &s).await;
    let applied = s.run(&["apply", "--yes", "--color", "never"]);
    assert_eq!(
        applied.code(),
        0,
        "{:?}\n{}",
        proxy.injected(),
        applied.all()
    );
    let injected = proxy.injected();
    assert!(
        injected.get("poller-permission-400") == Some(&2),
        "{injected:?}"
    );
    assert_eq!(injected.get("lost-response"), Some(&2), "{injected:?}");
    let subs = subscriptions(&emu, &topic).await;
    assert_eq!(
        subs.len(),
        1,
        "a lost Subscribe response made a second subscription: {subs:?}"
    );
    let function = s.function("worker");
    let found = mappings(&emu, &function).await;
    assert_eq!(
        found.len(),
        1,
        "a lost response made a second mapping: {found:?}"
    );
    let noop = s.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(noop.code(), 0, "{}", noop.all());
    proxy.report("lost-mapping-response");
    s.destroy();
    emu.s3()
        .await
        .delete_bucket()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    emu.sqs()
        .await
        .delete_queue()
        .queue_url(&s3q)
        .send()
        .await
        .unwrap();
    emu.sns()
        .await
        .delete_topic()
        .topic_arn(&topic)
        .send()
        .await
        .unwrap();
    emu.sqs()
        .await
        .delete_queue()
        .queue_url(&url)
        .send()
        .await
        .unwrap();
}

on_both!(
    stage_tracing_follows_the_file_only_when_it_sets_it,
    |emu: Emulator| async move {
        let s = Stack::from_example(&emu, "tutorial", "evxray");
        s.edit("logging = \"INFO\"\n", "");
        s.apply();
        let apis = tagged_apis(&emu, &s.name).await;
        let api = apis[0].clone();
        let gw = emu.apigw().await;
        let traced = || async {
            gw.get_stage()
                .rest_api_id(&api)
                .stage_name("prod")
                .send()
                .await
                .unwrap()
                .tracing_enabled()
        };
        assert!(!traced().await);

        // Without `[api] tracing` the stage's tracing is not the file's: turned on by hand, it
        // stays on and the plan does not mention it.
        gw.update_stage()
            .rest_api_id(&api)
            .stage_name("prod")
            .patch_operations(
                aws_sdk_apigateway::types::PatchOperation::builder()
                    .op(aws_sdk_apigateway::types::Op::Replace)
                    .path("/tracingEnabled")
                    .value("true")
                    .build(),
            )
            .send()
            .await
            .unwrap();
        assert!(traced().await);
        let noop = s.run(&["plan", "--detailed-exitcode"]);
        assert_eq!(noop.code(), 0, "{}", noop.all());
        assert!(noop.writes().is_empty(), "{:?}", noop.writes());

        // Set, the file is the truth: false turns it off, true on, each one UpdateStage.
        for (value, before) in [("false", "true"), ("true", "false")] {
            let text = s.read_file();
            let text = match text.find("tracing = ") {
                Some(_) => text.replace(
                    &format!("tracing = {before}"),
                    &format!("tracing = {value}"),
                ),
                None => text.replace(
                    "stage = \"prod\"\n",
                    &format!("stage = \"prod\"\ntracing = {value}\n"),
                ),
            };
            s.write_file(&text);
            let plan = s.ok(&["plan", "--color", "never"]);
            assert!(
                plan.stdout()
                    .contains(&format!("tracing   {before} → {value}")),
                "{}",
                plan.all()
            );
            assert_eq!(s.plan_steps(), ["update stage prod"]);
            let applied = s.apply();
            assert_eq!(
                applied.writes(),
                ["API Gateway:UpdateStage"],
                "{}",
                applied.all()
            );
            assert_eq!(traced().await, value == "true");
        }
        let noop = s.run(&["plan", "--detailed-exitcode"]);
        assert_eq!(noop.code(), 0, "{}", noop.all());
        assert!(noop.writes().is_empty(), "{:?}", noop.writes());
        s.destroy();
    }
);
