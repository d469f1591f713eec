//! Unit tests of config/events.rs: located refusals, names, defaults.

use super::*;

/// The error text for a function table with `extra` appended (line 7 on).
fn refused(extra: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/index.py"), "").unwrap();
    let text = format!(
        "[stack]\nname = \"demo\"\n[functions.worker]\nruntime = \"python3.12\"\nhandler = \"index.handler\"\nsource = \"src\"\n{extra}"
    );
    let e =
        crate::config::StackConfig::parse(&dir.path().join("stack.toml"), &text).expect_err(extra);
    e.to_string()
}

#[test]
fn bad_events_and_statements_are_refused_offline_where_written() {
    for (extra, message, at) in [
        (
            "[[functions.worker.events]]\ntype = \"sqs\"\nqueue = \"jobs\"\nbatch_size = 20\n",
            "batch_size = 20 needs a batching window",
            "stack.toml:10:14",
        ),
        (
            "[[functions.worker.events]]\ntype = \"sqs\"\nqueue = \"jobs.fifo\"\nbatch_size = 11\nmax_batching_window_s = 1\n",
            "batch_size = 11 is out of range",
            "stack.toml:10:14",
        ),
        (
            "[[functions.worker.events]]\ntype = \"sqs\"\nqueue = \"a b\"\n",
            "invalid queue \"a b\"",
            "stack.toml:9:9",
        ),
        (
            "[[functions.worker.events]]\ntype = \"sqs\"\nqueue = \"jobs\"\n[[functions.worker.events]]\ntype = \"sqs\"\nqueue = \"jobs\"\n",
            "queue jobs is listed twice",
            "stack.toml:12:9",
        ),
        (
            "[[functions.worker.events]]\ntype = \"sqs\"\nqueue = \"jobs\"\nbatchsize = 5\n",
            "unknown key `batchsize`",
            "stack.toml:10:1",
        ),
        (
            "[[functions.worker.events]]\ntype = \"schedule\"\nexpression = \"rate(1 minutes)\"\n",
            "EventBridge wants rate(1 minute)",
            "stack.toml:9:14",
        ),
        (
            "[[functions.worker.events]]\ntype = \"schedule\"\nexpression = \"cron(0 3 * * *)\"\n",
            "this one has 5",
            "stack.toml:9:14",
        ),
        (
            "[[functions.worker.events]]\ntype = \"schedule\"\nexpression = \"cron(0 3 * * MON *)\"\n",
            "exactly one of day-of-month",
            "stack.toml:9:14",
        ),
        (
            "[[functions.worker.events]]\ntype = \"schedule\"\nexpression = \"rate(5 minutes)\"\ninput = \"{job}\"\n",
            "input is not JSON",
            "stack.toml:10:9",
        ),
        (
            "[[functions.worker.events]]\ntype = \"schedule\"\nexpression = \"rate(5 minutes)\"\nqueue = \"jobs\"\n",
            "`queue` does not apply to type = \"schedule\"",
            "stack.toml:7:1",
        ),
        (
            "[[functions.worker.events]]\ntype = \"sns\"\ntopic = \"alerts\"\nfilter_policy = \"high\"\n",
            "filter_policy must be a table",
            "stack.toml:10:17",
        ),
        (
            "[[functions.worker.events]]\ntype = \"sns\"\ntopic = \"arn:aws:sqs:us-east-1:123456789012:alerts\"\n",
            "invalid topic",
            "stack.toml:9:9",
        ),
        (
            "[[functions.worker.events]]\ntype = \"sns\"\ntopic = \"alerts\"\nbatch_size = 5\n",
            "`batch_size` does not apply to type = \"sns\"",
            "stack.toml:7:1",
        ),
        (
            "[[functions.worker.events]]\ntype = \"s3\"\n",
            "an s3 event needs `bucket`",
            "stack.toml:7:1",
        ),
        (
            "[[functions.worker.events]]\ntype = \"s3\"\nbucket = \"Photos\"\n",
            "invalid bucket name \"Photos\"",
            "stack.toml:9:10",
        ),
        (
            "[[functions.worker.events]]\ntype = \"dynamodb\"\n",
            "a dynamodb event needs `table`",
            "stack.toml:7:1",
        ),
        (
            "[[functions.worker.events]]\ntype = \"dynamodb\"\ntable = \"orders\"\n",
            "a dynamodb event needs `starting_position`",
            "stack.toml:7:1",
        ),
        (
            "[[functions.worker.events]]\ntype = \"kinesis\"\nstream = \"clicks\"\nstarting_position = \"AT_TIMESTAMP\"\n",
            "unknown starting_position \"AT_TIMESTAMP\"",
            "stack.toml:10:21",
        ),
        (
            "[[functions.worker.events]]\ntype = \"kinesis\"\nstream = \"clicks\"\nstarting_position = \"LATEST\"\nbatch_size = 10001\n",
            "batch_size = 10001 is out of range",
            "stack.toml:11:14",
        ),
        (
            "[[functions.worker.events]]\ntype = \"dynamodb\"\ntable = \"orders\"\nstarting_position = \"LATEST\"\nmax_batching_window_s = 301\n",
            "max_batching_window_s = 301 is out of range",
            "stack.toml:11:25",
        ),
        (
            "[[functions.worker.events]]\ntype = \"dynamodb\"\ntable = \"a b\"\nstarting_position = \"LATEST\"\n",
            "invalid table \"a b\"",
            "stack.toml:9:9",
        ),
        (
            "[[functions.worker.events]]\ntype = \"kinesis\"\nstream = \"arn:aws:kinesis:us-east-1:123456789012:table/clicks\"\nstarting_position = \"LATEST\"\n",
            "invalid stream",
            "stack.toml:9:10",
        ),
        (
            "[[functions.worker.events]]\ntype = \"kinesis\"\nstream = \"clicks\"\nstarting_position = \"LATEST\"\n[[functions.worker.events]]\ntype = \"kinesis\"\nstream = \"arn:aws:kinesis:us-east-1:123456789012:stream/clicks\"\nstarting_position = \"LATEST\"\n",
            "stream clicks is listed twice",
            "stack.toml:13:10",
        ),
        (
            "[[functions.worker.events]]\ntype = \"dynamodb\"\ntable = \"orders\"\nstarting_position = \"LATEST\"\nqueue = \"jobs\"\n",
            "`queue` does not apply to type = \"dynamodb\"",
            "stack.toml:7:1",
        ),
        (
            "[[functions.worker.events]]\ntype = \"sqs\"\nqueue = \"jobs\"\nstarting_position = \"LATEST\"\n",
            "`starting_position` does not apply to type = \"sqs\"",
            "stack.toml:7:1",
        ),
        (
            "[[functions.worker.events]]\ntype = \"kinesis\"\nstream = \"clicks\"\nstarting_position = \"LATEST\"\ntable = \"orders\"\n",
            "`table` does not apply to type = \"kinesis\"",
            "stack.toml:7:1",
        ),
        (
            "[[functions.worker.events]]\ntype = \"kafka\"\n",
            "unknown event type \"kafka\"",
            "stack.toml:8:8",
        ),
        (
            "[[functions.worker.statements]]\nactions = [\"s3:GetObject\"]\nresources = [\"*\"]\n",
            "resource \"*\" grants the action on everything",
            "stack.toml:9:14",
        ),
        (
            "[[functions.worker.statements]]\nactions = [\"GetObject\"]\nresources = [\"arn:aws:s3:::b/*\"]\n",
            "invalid IAM action \"GetObject\"",
            "stack.toml:8:12",
        ),
        (
            "role = \"arn:aws:iam::123456789012:role/mine\"\n[[functions.worker.statements]]\nactions = [\"s3:GetObject\"]\nresources = [\"arn:aws:s3:::b/*\"]\n",
            "this function names its own role",
            "stack.toml:8:1",
        ),
    ] {
        let e = refused(extra);
        assert!(e.contains(message), "{extra}: {e}");
        assert!(e.contains(at), "{extra}: expected at {at}: {e}");
    }
}

#[test]
fn overlapping_s3_filters_on_one_bucket_are_refused_and_disjoint_ones_pass() {
    let entry = |prefix: &str, suffix: &str| {
        format!(
            "[[functions.worker.events]]\ntype = \"s3\"\nbucket = \"photos\"\nprefix = \"{prefix}\"\nsuffix = \"{suffix}\"\n"
        )
    };
    let e = refused(&format!(
        "{}{}",
        entry("uploads/", ".jpg"),
        entry("uploads/2026/", ".jpg")
    ));
    assert!(
        e.contains("overlaps one of function worker on bucket photos"),
        "{e}"
    );
    assert!(e.contains("stack.toml:12:1"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/index.py"), "").unwrap();
    let text = format!(
        "[stack]\nname = \"demo\"\n[functions.worker]\nruntime = \"python3.12\"\nhandler = \"index.handler\"\nsource = \"src\"\n{}{}",
        entry("uploads/", ".jpg"),
        entry("uploads/", ".png")
    );
    crate::config::StackConfig::parse(&dir.path().join("stack.toml"), &text)
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_wildcard_resource_is_accepted_when_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/index.py"), "").unwrap();
    let text = "[stack]\nname = \"demo\"\n[functions.worker]\nruntime = \"python3.12\"\nhandler = \"index.handler\"\nsource = \"src\"\n[[functions.worker.statements]]\nactions = [\"xray:GetSamplingRules\"]\nresources = [\"*\"]\nallow_wildcard = true\n";
    let c = crate::config::StackConfig::parse(&dir.path().join("stack.toml"), text).unwrap();
    assert_eq!(c.functions["worker"].statements[0].resources, ["*"]);
}

#[test]
fn stream_events_take_the_mapping_keys_with_lambda_defaults() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/index.py"), "").unwrap();
    let text = "[stack]\nname = \"demo\"\n[functions.worker]\nruntime = \"python3.12\"\nhandler = \"index.handler\"\nsource = \"src\"\n[[functions.worker.events]]\ntype = \"dynamodb\"\ntable = \"arn:aws:dynamodb:us-east-1:123456789012:table/orders\"\nstarting_position = \"TRIM_HORIZON\"\n[[functions.worker.events]]\ntype = \"kinesis\"\nstream = \"clicks\"\nstarting_position = \"LATEST\"\nbatch_size = 10000\nmax_batching_window_s = 300\nreport_batch_item_failures = true\nenabled = false\n";
    let c = crate::config::StackConfig::parse(&dir.path().join("stack.toml"), text)
        .unwrap_or_else(|e| panic!("{e}"));
    let events = &c.functions["worker"].events;
    assert_eq!(
        events[0],
        EventConfig::Stream(StreamEvent {
            source: StreamSource::DynamoDb {
                table: "arn:aws:dynamodb:us-east-1:123456789012:table/orders".into()
            },
            starting_position: "TRIM_HORIZON".into(),
            batch_size: 100,
            max_batching_window_s: 0,
            report_batch_item_failures: false,
            enabled: true,
        })
    );
    assert_eq!(
        events[1],
        EventConfig::Stream(StreamEvent {
            source: StreamSource::Kinesis {
                stream: "clicks".into()
            },
            starting_position: "LATEST".into(),
            batch_size: 10000,
            max_batching_window_s: 300,
            report_batch_item_failures: true,
            enabled: false,
        })
    );
}

#[test]
fn queue_names_and_arns() {
    assert!(is_queue_name("jobs"));
    assert!(is_queue_name("jobs-1_x.fifo"));
    assert!(!is_queue_name(".fifo"));
    assert!(!is_queue_name("a b"));
    assert!(!is_queue_name(&"a".repeat(81)));
    assert!(is_queue_arn("arn:aws:sqs:us-east-1:000000000000:jobs"));
    assert!(!is_queue_arn("arn:aws:sns:us-east-1:000000000000:jobs"));
    assert!(!is_queue_arn("arn:aws:sqs:us-east-1:0000:jobs"));
}
