//! `type = "schedule"` and `type = "sns"` events: their typed form and offline checks.

use super::Diagnostic;
use super::events::RawEvent;
use toml::Spanned;

/// `type = "s3"`: an entry of an existing bucket's notification configuration invoking the
/// function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Event {
    pub bucket: String,
    /// S3 event types, e.g. `s3:ObjectCreated:*`; default `["s3:ObjectCreated:*"]`.
    pub events: Vec<String>,
    pub prefix: Option<String>,
    pub suffix: Option<String>,
}

/// The S3 bucket name rule (general purpose buckets): 3–63 lowercase letters, digits, `.` and
/// `-`, starting and ending with a letter or digit.
pub fn is_bucket_name(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
}

pub(super) fn s3(
    ev: &RawEvent,
    e: &Spanned<RawEvent>,
    out: &mut Vec<Diagnostic>,
) -> Option<S3Event> {
    let Some(bucket) = &ev.bucket else {
        out.push(
            Diagnostic::new("an s3 event needs `bucket`", e.span())
                .hint("bucket = \"photos\" (an existing bucket's name)"),
        );
        return None;
    };
    if !is_bucket_name(bucket.get_ref()) {
        out.push(
            Diagnostic::new(
                format!("invalid bucket name {:?}", bucket.get_ref()),
                bucket.span(),
            )
            .hint("a bucket name is 3-63 lowercase letters, digits, '.' or '-'"),
        );
    }
    let events = match &ev.events {
        None => vec!["s3:ObjectCreated:*".to_string()],
        Some(list) if list.get_ref().is_empty() => {
            out.push(
                Diagnostic::new("`events` is empty", list.span())
                    .hint("omit it for [\"s3:ObjectCreated:*\"], or list S3 event types"),
            );
            Vec::new()
        }
        Some(list) => {
            for t in list.get_ref() {
                if !t.get_ref().starts_with("s3:") {
                    out.push(
                        Diagnostic::new(format!("invalid S3 event type {:?}", t.get_ref()), t.span())
                            .hint("S3 event types look like \"s3:ObjectCreated:*\" or \"s3:ObjectRemoved:Delete\""),
                    );
                }
            }
            let mut v: Vec<String> = list.get_ref().iter().map(|t| t.get_ref().clone()).collect();
            v.sort();
            v.dedup();
            v
        }
    };
    Some(S3Event {
        bucket: bucket.get_ref().clone(),
        events,
        prefix: ev.prefix.as_ref().map(|p| p.get_ref().clone()),
        suffix: ev.suffix.as_ref().map(|p| p.get_ref().clone()),
    })
}

/// Whether two S3 event types can match the same event: equal, or one is the other's wildcard
/// (`s3:ObjectCreated:*` covers `s3:ObjectCreated:Put`).
fn types_overlap(a: &str, b: &str) -> bool {
    let covers = |w: &str, t: &str| w.strip_suffix('*').is_some_and(|p| t.starts_with(p));
    a == b || covers(a, b) || covers(b, a)
}

/// S3 refuses two entries of one bucket that could match the same object for the same event type
/// ("Configurations overlap"): their event types overlap, and neither prefix nor suffix tells
/// them apart (a missing filter matches everything; one prefix extending the other overlaps, as
/// does one suffix ending the other). Checked offline across the file's functions, each
/// refusal pointing at the later entry.
pub fn s3_overlaps(
    functions: &std::collections::BTreeMap<String, Spanned<super::raw::RawFunction>>,
    out: &mut Vec<Diagnostic>,
) {
    let mut seen: Vec<(String, S3Event)> = Vec::new();
    for (key, f) in functions {
        for e in &f.get_ref().events {
            let ev = e.get_ref();
            if ev.kind.as_ref().map(|k| k.get_ref().as_str()) != Some("s3") {
                continue;
            }
            let mut ignore = Vec::new();
            let Some(this) = s3(ev, e, &mut ignore) else {
                continue;
            };
            let opt_overlap = |a: &Option<String>, b: &Option<String>, by_prefix: bool| match (a, b)
            {
                (Some(a), Some(b)) if by_prefix => {
                    a.starts_with(b.as_str()) || b.starts_with(a.as_str())
                }
                (Some(a), Some(b)) => a.ends_with(b.as_str()) || b.ends_with(a.as_str()),
                _ => true,
            };
            if let Some((other, _)) = seen.iter().find(|(_, o)| {
                o.bucket == this.bucket
                    && o.events
                        .iter()
                        .any(|a| this.events.iter().any(|b| types_overlap(a, b)))
                    && opt_overlap(&o.prefix, &this.prefix, true)
                    && opt_overlap(&o.suffix, &this.suffix, false)
            }) {
                out.push(
                    Diagnostic::new(
                        format!(
                            "this s3 event overlaps one of function {other} on bucket {}: S3 refuses two entries that can match the same object and event type",
                            this.bucket
                        ),
                        e.span(),
                    )
                    .hint("give them prefixes or suffixes that cannot both match, or different event types"),
                );
            }
            seen.push((key.clone(), this));
        }
    }
}

/// `type = "schedule"`: an EventBridge rule that invokes the function on a schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleEvent {
    /// `rate(N unit)` or `cron(6 fields)`, as EventBridge takes it.
    pub expression: String,
    /// A constant JSON event sent instead of EventBridge's own (the target's `Input`).
    pub input: Option<String>,
}

/// EventBridge's schedule expressions ("Schedule expressions for rules"): `rate(1 minute)` (the
/// unit singular for 1, plural otherwise: minute(s), hour(s), day(s)), or `cron(min hour
/// day-of-month month day-of-week year)` with exactly one of the two day fields `?`.
pub fn check_schedule(expr: &str) -> Result<(), String> {
    if let Some(body) = expr.strip_prefix("rate(").and_then(|r| r.strip_suffix(')')) {
        let (n, unit) = body
            .split_once(' ')
            .ok_or_else(|| "a rate is `rate(N unit)`, e.g. rate(5 minutes)".to_string())?;
        let n: u64 = n
            .parse()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| format!("the rate's value {n:?} is not a positive whole number"))?;
        let (one, many) = match unit.trim_end_matches('s') {
            "minute" => ("minute", "minutes"),
            "hour" => ("hour", "hours"),
            "day" => ("day", "days"),
            _ => {
                return Err(format!(
                    "unknown rate unit {unit:?}: use minutes, hours or days"
                ));
            }
        };
        let want = if n == 1 { one } else { many };
        if unit != want {
            return Err(format!("EventBridge wants rate({n} {want})"));
        }
        return Ok(());
    }
    if let Some(body) = expr.strip_prefix("cron(").and_then(|r| r.strip_suffix(')')) {
        let fields: Vec<&str> = body.split_whitespace().collect();
        if fields.len() != 6 {
            return Err(format!(
                "a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), this one has {}",
                fields.len()
            ));
        }
        if (fields[2] == "?") == (fields[4] == "?") {
            return Err(
                "exactly one of day-of-month (3rd field) and day-of-week (5th field) must be `?`"
                    .into(),
            );
        }
        return Ok(());
    }
    Err("a schedule is rate(...) or cron(...)".into())
}

/// `type = "sns"`: a subscription (protocol `lambda`) of the function to an existing topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnsEvent {
    /// The topic's name or ARN, as written.
    pub topic: String,
    /// The subscription's `FilterPolicy`, as compact JSON with sorted keys.
    pub filter_policy: Option<String>,
}

/// The SNS topic name rule: 1–256 letters, digits, `-` and `_`, a FIFO topic ending in `.fifo`
/// (SNS CreateTopic `Name`).
pub fn is_topic_name(name: &str) -> bool {
    let base = name.strip_suffix(".fifo").unwrap_or(name);
    !base.is_empty()
        && name.len() <= 256
        && base
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The EventBridge rule of a function's `n`th schedule (from 1): `<function>-schedule-<n>`.
pub fn rule_name(function: &str, n: usize) -> String {
    format!("{function}-schedule-{n}")
}

pub(super) fn schedule(
    ev: &RawEvent,
    e: &Spanned<RawEvent>,
    function: &str,
    n: usize,
    out: &mut Vec<Diagnostic>,
) -> Option<ScheduleEvent> {
    let Some(expr) = &ev.expression else {
        out.push(
            Diagnostic::new("a schedule event needs `expression`", e.span())
                .hint("expression = \"rate(5 minutes)\" or \"cron(0 3 * * ? *)\""),
        );
        return None;
    };
    if let Err(why) = check_schedule(expr.get_ref()) {
        out.push(
            Diagnostic::new(
                format!("invalid schedule expression {:?}", expr.get_ref()),
                expr.span(),
            )
            .hint(why),
        );
    }
    if let Some(input) = &ev.input
        && let Err(err) = serde_json::from_str::<serde_json::Value>(input.get_ref())
    {
        out.push(
            Diagnostic::new(format!("input is not JSON: {err}"), input.span())
                .hint("input is the constant event, e.g. input = '{\"job\": \"nightly\"}'"),
        );
    }
    // EventBridge rule names: at most 64 characters (EventBridge quotas).
    let rule = rule_name(function, n);
    if rule.len() > 64 {
        out.push(
            Diagnostic::new(
                format!(
                    "the schedule's rule name {rule} is {} characters; EventBridge allows 64",
                    rule.len()
                ),
                e.span(),
            )
            .hint("shorten the function's key or the stack name"),
        );
    }
    Some(ScheduleEvent {
        expression: expr.get_ref().clone(),
        input: ev.input.as_ref().map(|i| i.get_ref().clone()),
    })
}

pub(super) fn sns(
    ev: &RawEvent,
    e: &Spanned<RawEvent>,
    topics: &mut Vec<String>,
    out: &mut Vec<Diagnostic>,
) -> Option<SnsEvent> {
    let Some(topic) = &ev.topic else {
        out.push(
            Diagnostic::new("an sns event needs `topic`", e.span())
                .hint("topic = \"alerts\" (an existing topic's name or ARN)"),
        );
        return None;
    };
    let t = topic.get_ref();
    let arn_ok = t.starts_with("arn:")
        && t.split(':').nth(2) == Some("sns")
        && t.split(':').count() == 6
        && is_topic_name(t.rsplit(':').next().unwrap_or_default());
    if !(is_topic_name(t) || arn_ok) {
        out.push(
            Diagnostic::new(format!("invalid topic {t:?}"), topic.span()).hint(
                "a topic name (1-256 letters, digits, '-', '_') or ARN (arn:aws:sns:REGION:ACCOUNT:NAME)",
            ),
        );
    }
    let name = t.rsplit(':').next().unwrap_or(t).to_string();
    if topics.contains(&name) {
        out.push(
            Diagnostic::new(
                format!("topic {name} is listed twice for this function"),
                topic.span(),
            )
            .hint("SNS keeps one subscription per topic and function: keep one entry"),
        );
    }
    topics.push(name);
    let filter_policy = match &ev.filter_policy {
        None => None,
        Some(p) if p.get_ref().is_table() => serde_json::to_value(p.get_ref())
            .ok()
            .map(|v| v.to_string()),
        Some(p) => {
            out.push(
                Diagnostic::new("filter_policy must be a table", p.span())
                    .hint("e.g. filter_policy = { severity = [\"high\"] }"),
            );
            None
        }
    };
    Some(SnsEvent {
        topic: t.clone(),
        filter_policy,
    })
}
