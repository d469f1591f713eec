//! Stream event sources (issue 11): the examples/events functions a DynamoDB table's stream and a
//! Kinesis data stream invoke, beside one on a `rate(1 minute)` schedule. On MiniStack, from
//! missing sources to destroy, checked with the SDK: the plan refuses a missing table, a missing
//! stream and a table without a stream; apply makes one mapping per source with its starting
//! position; an item and a record reach their functions and the schedule fires, each line shown by
//! `stackctl logs`; a no-op plan writes nothing; a batch size edit is one update, a starting
//! position edit one replace; destroy removes the mappings and leaves the table and the stream.
//! On LocalStack 4.13 (no working DynamoDB or Kinesis) the plan fails naming the call. Fault: a
//! lost CreateEventSourceMapping response for a stream mapping makes no second mapping.

use crate::support::*;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Where the example's stream functions start (events.rs cuts them off).
pub const STREAMS_SECTION: &str = "# Functions Lambda's stream pollers invoke.";

/// The example's header, its scheduled function (`rate(1 minute)` here, so it fires during the
/// test) and its stream functions, with the table and the stream renamed to ones only this test
/// uses (not created yet). Returns the stack, the table and the stream names.
fn streams_stack(emu: &Emulator, prefix: &str) -> (Stack, String, String) {
    let s = Stack::from_example(emu, "events", prefix);
    let text = s.read_file();
    let header = &text[..text.find("[functions.worker]").unwrap()];
    let nightly =
        &text[text.find("# A function on a clock").unwrap()..text.find(STREAMS_SECTION).unwrap()];
    let streams = &text[text.find(STREAMS_SECTION).unwrap()..];
    s.write_file(&format!("{header}{nightly}{streams}"));
    s.edit("cron(0 3 * * ? *)", "rate(1 minute)");
    let table = format!("{}-orders", s.name);
    let stream = format!("{}-clicks", s.name);
    s.edit("table = \"orders\"", &format!("table = \"{table}\""));
    s.edit("stream = \"clicks\"", &format!("stream = \"{stream}\""));
    (s, table, stream)
}

/// Creates Kinesis stream `name` (one shard); the client, for what the test does with it next.
async fn create_stream(emu: &Emulator, name: &str) -> aws_sdk_kinesis::Client {
    let kinesis = emu.kinesis().await;
    kinesis
        .create_stream()
        .stream_name(name)
        .shard_count(1)
        .send()
        .await
        .unwrap();
    kinesis
}

/// The function's mappings, read with the SDK: (source ARN, starting position, batch size).
async fn mappings(emu: &Emulator, function: &str) -> Vec<(String, String, i32)> {
    event_source_mappings(emu, function)
        .await
        .iter()
        .map(|m| {
            (
                m.event_source_arn().unwrap().to_string(),
                m.starting_position()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_default(),
                m.batch_size().unwrap(),
            )
        })
        .collect()
}

/// Polls `stackctl logs <function>` until `needle` shows, up to `deadline`.
fn wait_for_log(s: &Stack, function: &str, needle: &str, deadline: Instant) -> String {
    loop {
        let out = s.ok(&["logs", function]).stdout();
        if out.contains(needle) || Instant::now() > deadline {
            return out;
        }
        std::thread::sleep(Duration::from_millis(1000));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_and_kinesis_streams_from_missing_sources_to_destroy_on_ministack() {
    let emu = Emulator::get(Kind::MiniStack);
    let (s, table, stream) = streams_stack(&emu, "evstr");
    let (changes, clicks) = (s.function("changes"), s.function("clicks"));

    // Referenced, never created: a missing table and stream are refused before any write.
    let plan = s.run(&["plan"]);
    assert_eq!(plan.code(), 1, "{}", plan.all());
    for message in [
        format!("table {table} (a dynamodb event of {changes}) does not exist"),
        format!("Kinesis stream {stream} (a kinesis event of {clicks}) does not exist"),
        format!("aws kinesis create-stream --stream-name {stream}"),
    ] {
        assert!(
            plan.stderr().contains(&message),
            "{message}:\n{}",
            plan.all()
        );
    }
    assert!(plan.writes().is_empty(), "{:?}", plan.writes());

    // A table without a stream: refused with the command that enables one.
    let ddb = emu.dynamodb().await;
    use aws_sdk_dynamodb::types::*;
    ddb.create_table()
        .table_name(&table)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    let kinesis = create_stream(&emu, &stream).await;
    let plan = s.run(&["plan"]);
    assert_eq!(plan.code(), 1, "{}", plan.all());
    assert!(
        plan.stderr()
            .contains(&format!("table {table} (a dynamodb event of {changes}) has no stream"))
            && plan.stderr().contains(&format!(
                "aws dynamodb update-table --table-name {table} --stream-specification StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES"
            )),
        "{}",
        plan.all()
    );
    assert!(!plan.stderr().contains("Kinesis stream"), "{}", plan.all());
    assert!(plan.writes().is_empty(), "{:?}", plan.writes());
    ddb.update_table()
        .table_name(&table)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let table_stream = ddb
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .unwrap()
        .table()
        .unwrap()
        .latest_stream_arn()
        .unwrap()
        .to_string();
    let stream_arn = kinesis
        .describe_stream_summary()
        .stream_name(&stream)
        .send()
        .await
        .unwrap()
        .stream_description_summary()
        .unwrap()
        .stream_arn()
        .to_string();

    s.apply();
    // The schedule's rule exists from here: rate(1 minute) first fires 60-70 s later, while the
    // rest of the test runs.
    let fires_by = Instant::now() + Duration::from_secs(150);
    assert_eq!(
        mappings(&emu, &changes).await,
        [(table_stream.clone(), "LATEST".to_string(), 100)]
    );
    assert_eq!(
        mappings(&emu, &clicks).await,
        [(stream_arn.clone(), "TRIM_HORIZON".to_string(), 50)]
    );
    for (function, arn, action) in [
        (&changes, &table_stream, "dynamodb:GetRecords"),
        (&clicks, &stream_arn, "kinesis:GetRecords"),
    ] {
        let policy = execution_policy(&emu, function).await;
        let statements = policy["Statement"].as_array().unwrap();
        assert!(
            statements
                .iter()
                .any(|st| st["Resource"] == arn.as_str()
                    && st["Action"].to_string().contains(action)),
            "{policy}"
        );
    }

    // An item and a record reach their functions.
    ddb.put_item()
        .table_name(&table)
        .item("id", AttributeValue::S("order-1".into()))
        .send()
        .await
        .unwrap();
    kinesis
        .put_record()
        .stream_name(&stream)
        .partition_key("k")
        .data(aws_sdk_kinesis::primitives::Blob::new(format!(
            "click from {}",
            s.name
        )))
        .send()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let out = wait_for_log(&s, "changes", "changes got: INSERT order-1", deadline);
    assert!(out.contains("changes got: INSERT order-1"), "{out}");
    let needle = format!("clicks got: click from {}", s.name);
    let out = wait_for_log(&s, "clicks", &needle, deadline);
    assert!(out.contains(&needle), "{out}");

    // No-op plan: no writes; per stream source one DescribeTable or DescribeStreamSummary, per
    // function with events one ListEventSourceMappings (and ListRules), per mapping one ListTags.
    let noop = s.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(noop.code(), 0, "{}", noop.all());
    assert!(noop.writes().is_empty(), "{:?}", noop.writes());
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for c in &noop.calls {
        *counts
            .entry(format!("{}:{}", c.service, c.operation))
            .or_default() += 1;
    }
    for (op, n) in [
        ("DynamoDB:DescribeTable", 1),
        ("Kinesis:DescribeStreamSummary", 1),
        ("Lambda:ListEventSourceMappings", 3),
        ("Lambda:ListTags", 2),
    ] {
        assert_eq!(counts.get(op), Some(&n), "{op}: {counts:#?}");
    }

    // A batch size edit is exactly one update; a starting position edit replaces the mapping.
    s.edit("batch_size = 100", "batch_size = 10");
    let changes_mapping = format!("{changes}/{table_stream}");
    assert_eq!(
        s.plan_steps(),
        [format!("update event_source_mapping {changes_mapping}")]
    );
    s.apply();
    assert_eq!(
        mappings(&emu, &changes).await,
        [(table_stream.clone(), "LATEST".to_string(), 10)]
    );
    s.edit(
        "starting_position = \"LATEST\"",
        "starting_position = \"TRIM_HORIZON\"",
    );
    assert_eq!(
        s.plan_steps(),
        [format!("replace event_source_mapping {changes_mapping}")]
    );
    s.apply();
    assert_eq!(
        mappings(&emu, &changes).await,
        [(table_stream.clone(), "TRIM_HORIZON".to_string(), 10)]
    );
    assert_eq!(s.plan_steps(), Vec::<String>::new());

    // The schedule fired on its own (the rule was made at the first apply).
    let out = wait_for_log(
        &s,
        "nightly",
        "nightly got: {\"job\": \"nightly\"}",
        fires_by,
    );
    assert!(out.contains("nightly got: {\"job\": \"nightly\"}"), "{out}");

    // Destroy removes the mappings, never the table or the stream.
    s.destroy();
    let lambda = emu.lambda().await;
    for arn in [&table_stream, &stream_arn] {
        let left = lambda
            .list_event_source_mappings()
            .event_source_arn(arn)
            .send()
            .await
            .unwrap();
        assert!(left.event_source_mappings().is_empty(), "{left:?}");
    }
    ddb.describe_table()
        .table_name(&table)
        .send()
        .await
        .expect("destroy left the referenced table alone");
    kinesis
        .describe_stream_summary()
        .stream_name(&stream)
        .send()
        .await
        .expect("destroy left the referenced stream alone");
    ddb.delete_table().table_name(&table).send().await.unwrap();
    kinesis
        .delete_stream()
        .stream_name(&stream)
        .send()
        .await
        .unwrap();
}

/// LocalStack 4.13 on this Python answers every DynamoDB and Kinesis call with InternalError
/// ("unsupported operand type(s) for |"): the plan fails naming the call and writes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_sources_on_localstack_fail_the_plan_naming_the_call() {
    let emu = Emulator::get(Kind::LocalStack);
    let (s, table, stream) = streams_stack(&emu, "evstl");
    let plan = s.run(&["plan"]);
    assert_eq!(plan.code(), 1, "{}", plan.all());
    let named = plan
        .stderr()
        .contains(&format!("dynamodb:DescribeTable {table} failed"))
        || plan
            .stderr()
            .contains(&format!("kinesis:DescribeStreamSummary {stream} failed"));
    assert!(
        named && plan.stderr().contains("InternalError"),
        "{}",
        plan.all()
    );
    assert!(plan.writes().is_empty(), "{:?}", plan.writes());
}

/// A lost CreateEventSourceMapping response for a stream mapping makes no second mapping. On
/// MiniStack, which accepts a second mapping for the same function and source (AWS answers
/// ResourceConflictException), a create sent twice would show as two.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_stream_mapping_response_makes_one_mapping_on_ministack() {
    let emu = Emulator::get(Kind::MiniStack);
    let proxy = crate::proxy::Proxy::start(&emu);
    proxy.inject(
        "CreateEventSourceMapping",
        crate::proxy::Fault::LostResponse,
        2,
    );
    let (s, table, stream) = streams_stack(&proxy.emulator(), "evslr");
    let text = s.read_file();
    let cut = text.find("# A function on a clock").unwrap();
    let resume = text.find(STREAMS_SECTION).unwrap();
    s.write_file(&format!("{}{}", &text[..cut], &text[resume..]));
    let kinesis = create_stream(&emu, &stream).await;
    // Only the Kinesis function: the table's would need one too.
    let text = s.read_file();
    let cut = text.find("[functions.changes]").unwrap();
    let resume = text.find("[functions.clicks]").unwrap();
    s.write_file(&format!("{}{}", &text[..cut], &text[resume..]));
    assert!(!s.read_file().contains(&table));
    let applied = s.run(&["apply", "--yes", "--color", "never"]);
    assert_eq!(
        applied.code(),
        0,
        "{:?}\n{}",
        proxy.injected(),
        applied.all()
    );
    assert_eq!(
        proxy.injected().get("lost-response"),
        Some(&1),
        "{:?}",
        proxy.injected()
    );
    let found = mappings(&emu, &s.function("clicks")).await;
    assert_eq!(
        found.len(),
        1,
        "a lost response made a second mapping: {found:?}"
    );
    let noop = s.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(noop.code(), 0, "{}", noop.all());
    proxy.report("lost-stream-mapping-response");
    s.destroy();
    kinesis
        .delete_stream()
        .stream_name(&stream)
        .send()
        .await
        .unwrap();
}
