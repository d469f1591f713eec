//! The events Lambda polls through an event source mapping: `type = "sqs"` (an existing queue),
//! `type = "dynamodb"` (an existing table's stream) and `type = "kinesis"` (an existing data
//! stream). Their typed form and offline checks.

use super::Diagnostic;
use super::diag::out_of_range;
use super::events::RawEvent;
use toml::Spanned;

/// The stream a mapping reads: a DynamoDB table's (its stream ARN is looked up at plan time) or a
/// Kinesis data stream, each as written in the file (a name or an ARN).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamSource {
    /// `table = "orders"`: the table's latest stream (DynamoDB `DescribeTable` `LatestStreamArn`).
    DynamoDb { table: String },
    /// `stream = "clicks"`.
    Kinesis { stream: String },
}

/// `type = "dynamodb"` / `type = "kinesis"`: the settings of the stream's event source mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamEvent {
    pub source: StreamSource,
    /// `LATEST` | `TRIM_HORIZON` (Lambda `StartingPosition`; required for streams). Cannot be
    /// updated: a change replaces the mapping.
    pub starting_position: String,
    /// Records per invocation: 1–10,000, default 100 (Lambda `BatchSize` for Kinesis and
    /// DynamoDB Streams).
    pub batch_size: i32,
    /// Seconds Lambda gathers records before invoking: 0–300, default 0
    /// (`MaximumBatchingWindowInSeconds`).
    pub max_batching_window_s: i32,
    /// `FunctionResponseTypes = ["ReportBatchItemFailures"]`; default false.
    pub report_batch_item_failures: bool,
    /// Default true.
    pub enabled: bool,
}

impl StreamEvent {
    /// The key of this source in `Env::stream_arns`: `dynamodb:<table>` or `kinesis:<stream>`, as
    /// written.
    pub fn key(&self) -> String {
        match &self.source {
            StreamSource::DynamoDb { table } => format!("dynamodb:{table}"),
            StreamSource::Kinesis { stream } => format!("kinesis:{stream}"),
        }
    }

    /// The table or stream as written.
    pub fn written(&self) -> &str {
        match &self.source {
            StreamSource::DynamoDb { table } => table,
            StreamSource::Kinesis { stream } => stream,
        }
    }
}

/// Lambda's starting positions for streams this version takes (`AT_TIMESTAMP`, Kinesis only,
/// needs a timestamp the file has no key for).
pub const STARTING_POSITIONS: [&str; 2] = ["LATEST", "TRIM_HORIZON"];

/// The DynamoDB table name rule: 3–255 letters, digits, `_`, `-` and `.` (DynamoDB CreateTable
/// `TableName`).
pub fn is_table_name(name: &str) -> bool {
    (3..=255).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// The Kinesis stream name rule: 1–128 letters, digits, `_`, `-` and `.` (Kinesis CreateStream
/// `StreamName`).
pub fn is_stream_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// `arn:PARTITION:SERVICE:REGION:ACCOUNT:<kind>/NAME` with NAME passing `valid`.
fn is_arn_of(arn: &str, service: &str, kind: &str, valid: fn(&str) -> bool) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == service
        && !parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].chars().all(|c| c.is_ascii_digit())
        && parts[5]
            .strip_prefix(kind)
            .and_then(|r| r.strip_prefix('/'))
            .is_some_and(valid)
}

/// Checks a `dynamodb` or `kinesis` event (`kind` says which): the table or stream, the required
/// starting position, each value's range; `seen` holds the sources already listed for this
/// function (Lambda allows one mapping per function and source).
pub(super) fn stream(
    kind: &str,
    ev: &RawEvent,
    e: &Spanned<RawEvent>,
    seen: &mut Vec<String>,
    out: &mut Vec<Diagnostic>,
) -> Option<StreamEvent> {
    let (key, field, valid, example): (_, _, fn(&str) -> bool, _) = if kind == "dynamodb" {
        (
            "table",
            &ev.table,
            is_table_name as fn(&str) -> bool,
            "table = \"orders\" (an existing table with a stream: name or ARN)",
        )
    } else {
        (
            "stream",
            &ev.stream,
            is_stream_name as fn(&str) -> bool,
            "stream = \"clicks\" (an existing Kinesis data stream: name or ARN)",
        )
    };
    let Some(source) = field else {
        out.push(Diagnostic::new(format!("a {kind} event needs `{key}`"), e.span()).hint(example));
        return None;
    };
    let s = source.get_ref();
    let arn_ok = if kind == "dynamodb" {
        is_arn_of(s, "dynamodb", "table", is_table_name)
    } else {
        is_arn_of(s, "kinesis", "stream", is_stream_name)
    };
    if !(valid(s) || arn_ok) {
        out.push(
            Diagnostic::new(format!("invalid {key} {s:?}"), source.span()).hint(if kind == "dynamodb" {
                "a table name (3-255 letters, digits, '_', '-', '.') or ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME)"
            } else {
                "a stream name (1-128 letters, digits, '_', '-', '.') or ARN (arn:aws:kinesis:REGION:ACCOUNT:stream/NAME)"
            }),
        );
    }
    let name = s.rsplit('/').next().unwrap_or(s).to_string();
    if seen.contains(&format!("{kind}:{name}")) {
        out.push(
            Diagnostic::new(
                format!("{key} {name} is listed twice for this function"),
                source.span(),
            )
            .hint("Lambda allows one mapping per function and stream: keep one entry"),
        );
    }
    seen.push(format!("{kind}:{name}"));
    let starting_position = match &ev.starting_position {
        None => {
            out.push(
                Diagnostic::new(format!("a {kind} event needs `starting_position`"), e.span())
                    .hint("starting_position = \"LATEST\" (new records only) or \"TRIM_HORIZON\" (every record the stream still holds)"),
            );
            return None;
        }
        Some(p) if STARTING_POSITIONS.contains(&p.get_ref().as_str()) => p.get_ref().clone(),
        Some(p) => {
            out.push(
                Diagnostic::new(
                    format!("unknown starting_position {:?}", p.get_ref()),
                    p.span(),
                )
                .hint("use \"LATEST\" or \"TRIM_HORIZON\""),
            );
            return None;
        }
    };
    let batch_size = ev.batch_size.as_ref().map_or(100, |b| *b.get_ref());
    if let Some(b) = &ev.batch_size {
        out.extend(out_of_range(
            "batch_size",
            b,
            1..=10_000,
            format!("Lambda accepts 1 to 10000 for a {kind} stream"),
        ));
    }
    let window = batching_window_s(ev, out);
    Some(StreamEvent {
        source: if kind == "dynamodb" {
            StreamSource::DynamoDb { table: s.clone() }
        } else {
            StreamSource::Kinesis { stream: s.clone() }
        },
        starting_position,
        batch_size: batch_size as i32,
        max_batching_window_s: window as i32,
        report_batch_item_failures: ev
            .report_batch_item_failures
            .as_ref()
            .is_some_and(|r| *r.get_ref()),
        enabled: ev.enabled.as_ref().is_none_or(|r| *r.get_ref()),
    })
}

/// `type = "sqs"`: a Lambda event source mapping polling an existing queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqsEvent {
    /// The queue's name or ARN, as written.
    pub queue: String,
    /// Records per invocation: 1–10,000 (a FIFO queue: 1–10); default 10 (Lambda
    /// CreateEventSourceMapping `BatchSize`).
    pub batch_size: i32,
    /// Seconds Lambda gathers records before invoking: 0–300, default 0; at least 1 when
    /// `batch_size` > 10 (Lambda `MaximumBatchingWindowInSeconds`).
    pub max_batching_window_s: i32,
    /// `FunctionResponseTypes = ["ReportBatchItemFailures"]`; default false.
    pub report_batch_item_failures: bool,
    /// Default true.
    pub enabled: bool,
}

/// The SQS queue name rule: 1–80 characters, alphanumerics, `-` and `_`, a FIFO queue ending in
/// `.fifo` (SQS CreateQueue `QueueName`).
pub fn is_queue_name(name: &str) -> bool {
    let base = name.strip_suffix(".fifo").unwrap_or(name);
    !base.is_empty()
        && name.len() <= 80
        && base
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `arn:PARTITION:sqs:REGION:ACCOUNT:NAME`, with NAME a valid queue name.
pub fn is_queue_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.split(':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "sqs"
        && !parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].chars().all(|c| c.is_ascii_digit())
        && is_queue_name(parts[5])
}

/// Checks an `sqs` event: the queue, each value's range; `queues` holds the queues already listed
/// for this function (Lambda allows one mapping per function and queue).
pub(super) fn sqs(
    ev: &RawEvent,
    e: &Spanned<RawEvent>,
    queues: &mut Vec<String>,
    out: &mut Vec<Diagnostic>,
) -> Option<SqsEvent> {
    let Some(queue) = &ev.queue else {
        out.push(
            Diagnostic::new("an sqs event needs `queue`", e.span())
                .hint("queue = \"jobs\" (an existing queue's name or ARN)"),
        );
        return None;
    };
    let q = queue.get_ref();
    if !(is_queue_name(q) || is_queue_arn(q)) {
        out.push(
            Diagnostic::new(format!("invalid queue {q:?}"), queue.span()).hint(
                "a queue name (1-80 letters, digits, '-', '_', '.fifo' for FIFO) or ARN (arn:aws:sqs:REGION:ACCOUNT:NAME)",
            ),
        );
    }
    let name = q.rsplit(':').next().unwrap_or(q).to_string();
    if queues.contains(&name) {
        out.push(
            Diagnostic::new(
                format!("queue {name} is listed twice for this function"),
                queue.span(),
            )
            .hint("Lambda allows one mapping per function and queue: keep one entry"),
        );
    }
    queues.push(name.clone());
    let fifo = name.ends_with(".fifo");
    let batch_size = ev.batch_size.as_ref().map_or(10, |b| *b.get_ref());
    let max_batch = if fifo { 10 } else { 10_000 };
    if let Some(b) = &ev.batch_size {
        out.extend(out_of_range(
            "batch_size",
            b,
            1..=max_batch,
            format!(
                "Lambda accepts 1 to {max_batch} for {} queue",
                if fifo { "a FIFO" } else { "a standard" }
            ),
        ));
    }
    let window = batching_window_s(ev, out);
    if batch_size > 10 && window < 1 {
        let at = ev.batch_size.as_ref().map_or(e.span(), |b| b.span());
        out.push(
            Diagnostic::new(
                format!("batch_size = {batch_size} needs a batching window"),
                at,
            )
            .hint("Lambda requires max_batching_window_s of at least 1 when batch_size is over 10"),
        );
    }
    Some(SqsEvent {
        queue: q.clone(),
        batch_size: batch_size as i32,
        max_batching_window_s: window as i32,
        report_batch_item_failures: ev
            .report_batch_item_failures
            .as_ref()
            .is_some_and(|r| *r.get_ref()),
        enabled: ev.enabled.as_ref().is_none_or(|r| *r.get_ref()),
    })
}

/// `max_batching_window_s`, 0 when unset; out of Lambda's 0 to 300 seconds is a diagnostic
/// (`MaximumBatchingWindowInSeconds`, CreateEventSourceMapping).
fn batching_window_s(ev: &RawEvent, out: &mut Vec<Diagnostic>) -> i64 {
    if let Some(w) = &ev.max_batching_window_s {
        out.extend(out_of_range(
            "max_batching_window_s",
            w,
            0..=300,
            "Lambda accepts 0 to 300 seconds",
        ));
    }
    ev.max_batching_window_s
        .as_ref()
        .map_or(0, |w| *w.get_ref())
}
