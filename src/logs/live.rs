//! StartLiveTail: a streaming session over the groups that exist, pushing events about once a
//! second. Against a custom endpoint the SDK's `streaming-` host prefix is removed, so emulators
//! that implement Live Tail (MiniStack) stream too.

use super::{Event, Source};
use crate::aws::{Aws, code, is_not_found};
use aws_sdk_cloudwatchlogs::operation::start_live_tail::StartLiveTailOutput;
use aws_sdk_cloudwatchlogs::types::StartLiveTailResponseStream;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Removes the endpoint-prefix the SDK adds to the host: a custom endpoint is one host for all.
#[derive(Debug)]
struct NoHostPrefix;

impl Intercept for NoHostPrefix {
    fn name(&self) -> &'static str {
        "stackctl-no-host-prefix"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        if let Some(uri) = strip_prefix(request.uri()) {
            request.set_uri(uri)?;
        }
        Ok(())
    }
}

fn strip_prefix(uri: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once("://")?;
    ["streaming-", "stream-"]
        .iter()
        .find_map(|p| rest.strip_prefix(p))
        .map(|rest| format!("{scheme}://{rest}"))
}

/// A Live Tail client and the ARNs of the groups it may tail.
pub struct LiveTail {
    client: aws_sdk_cloudwatchlogs::Client,
    arns: Vec<String>,
}

/// One message from a session.
pub enum Update {
    Events(Vec<Event>),
    /// AWS sampled the stream (more than 500 events/s): some lines are not shown.
    Sampled(Vec<Event>),
    Nothing,
}

/// How a session could not start.
pub enum StartError {
    /// A group went away between the check and the start.
    Missing,
    /// Live Tail cannot be used here (denied, not implemented, unreachable host): poll instead.
    Unavailable(String),
}

pub struct Session {
    out: StartLiveTailOutput,
    /// The ARNs of all sources, by source index.
    arns: Vec<String>,
}

impl LiveTail {
    /// Live Tail needs group ARNs, hence the account; `None` when it cannot be learnt.
    pub async fn new(aws: &Aws, sources: &[Source]) -> Option<LiveTail> {
        let account = aws.account().await.ok()?;
        let mut config = aws.logs.config().to_builder();
        if aws.endpoint.is_some() {
            config = config.interceptor(NoHostPrefix);
        }
        Some(LiveTail {
            client: aws_sdk_cloudwatchlogs::Client::from_conf(config.build()),
            arns: sources
                .iter()
                .map(|s| {
                    crate::names::log_group_arn(aws.partition(), &aws.region, &account, &s.group)
                })
                .collect(),
        })
    }

    /// Starts a session on the sources whose index is in `present`.
    pub async fn start(
        &self,
        present: &[usize],
        filter: Option<&str>,
    ) -> Result<Session, StartError> {
        let out = self
            .client
            .start_live_tail()
            .set_log_group_identifiers(Some(
                present.iter().map(|&i| self.arns[i].clone()).collect(),
            ))
            .set_log_event_filter_pattern(filter.map(str::to_string))
            .send()
            .await;
        match out {
            Ok(out) => Ok(Session {
                out,
                arns: self.arns.clone(),
            }),
            Err(e) if is_not_found(&e) => Err(StartError::Missing),
            Err(e) => Err(StartError::Unavailable(describe("logs:StartLiveTail", e))),
        }
    }
}

impl Session {
    /// The next update; `Ok(None)` when the session ended (3-hour limit, or the server closed it).
    pub async fn next(&mut self) -> Result<Option<Update>, String> {
        let arns = &self.arns;
        match self.out.response_stream.recv().await {
            Ok(Some(StartLiveTailResponseStream::SessionUpdate(u))) => {
                let events: Vec<Event> = u
                    .session_results()
                    .iter()
                    .filter_map(|e| {
                        let id = e.log_group_identifier()?;
                        let source = arns.iter().position(|a| same_group(a, id))?;
                        Some(Event {
                            source,
                            timestamp: e.timestamp().unwrap_or_default(),
                            stream: e.log_stream_name().unwrap_or_default().to_string(),
                            message: e.message().unwrap_or_default().to_string(),
                            id: None,
                            live: true,
                        })
                    })
                    .collect();
                let sampled = u.session_metadata().is_some_and(|m| m.sampled());
                Ok(Some(if sampled {
                    Update::Sampled(events)
                } else if events.is_empty() {
                    Update::Nothing
                } else {
                    Update::Events(events)
                }))
            }
            Ok(Some(_)) => Ok(Some(Update::Nothing)),
            Ok(None) => Ok(None),
            Err(e) if code(&e) == Some("SessionTimeoutException") => Ok(None),
            Err(e) => Err(describe("logs:StartLiveTail (stream)", e)),
        }
    }
}

/// The error as stackctl words every failed call, on one line: what failed, why, and the hint.
fn describe<E, R>(call: &str, e: SdkError<E, R>) -> String
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata
        + std::error::Error
        + Send
        + Sync
        + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let e = anyhow::Error::new(crate::aws::describe(call.to_string(), &e));
    match crate::error::hint(&e) {
        Some(hint) => format!("{e:#} (hint: {hint})"),
        None => format!("{e:#}"),
    }
}

/// An event names its group by ARN, by `account:name` or by name; group names hold no ':'.
fn same_group(arn: &str, identifier: &str) -> bool {
    fn name(s: &str) -> &str {
        s.trim_end_matches(":*").rsplit(':').next().unwrap_or(s)
    }
    name(arn) == name(identifier)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_the_streaming_prefix_only() {
        assert_eq!(
            strip_prefix("http://streaming-127.0.0.1:4567/").as_deref(),
            Some("http://127.0.0.1:4567/")
        );
        assert_eq!(
            strip_prefix("https://stream-logs.local/x").as_deref(),
            Some("https://logs.local/x")
        );
        assert_eq!(strip_prefix("http://127.0.0.1:4567/"), None);
    }

    #[test]
    fn matches_groups_by_arn_or_name() {
        let arn = "arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/s-a";
        assert!(same_group(arn, arn));
        assert!(same_group(arn, "/aws/lambda/s-a"));
        assert!(same_group(arn, "000000000000:/aws/lambda/s-a"));
        assert!(same_group(arn, &format!("{arn}:*")));
        assert!(!same_group(arn, "/aws/lambda/s-ab"));
    }
}
