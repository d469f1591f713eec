//! The one way stackctl sends an AWS call: [`Aws::call`] paces it (API Gateway's quotas, see
//! [`super::Pacer`]), names it (`apigateway:PutMethod GET /hello`) and turns a failure into an
//! [`AwsError`] that says what to do. [`Absent`] is the one place "not found" is read as an
//! answer: gone (a delete is done) or nothing there (a read found nothing).

use super::{Aws, AwsError, describe};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::fmt;
use std::future::Future;

/// The AWS service a call goes to, by the prefix IAM policies use for it (`apigateway:`, `iam:`…).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Service {
    /// Amazon API Gateway (REST APIs, v1): every call is paced to the control-plane quotas.
    ApiGateway,
    Iam,
    Lambda,
    /// CloudWatch Logs.
    Logs,
    Sts,
    /// Amazon SQS (read only: queues are referenced, never owned).
    Sqs,
    /// Amazon EventBridge (schedule rules).
    Events,
    /// Amazon SNS (subscriptions to referenced topics).
    Sns,
    /// Amazon S3 (bucket notification configurations).
    S3,
    /// Amazon DynamoDB (read only: a referenced table's stream).
    DynamoDb,
    /// Amazon Kinesis Data Streams (read only: referenced streams).
    Kinesis,
}

impl Service {
    /// The service prefix of IAM actions and of our call names.
    pub fn prefix(self) -> &'static str {
        match self {
            Service::ApiGateway => "apigateway",
            Service::Iam => "iam",
            Service::Lambda => "lambda",
            Service::Logs => "logs",
            Service::Sts => "sts",
            Service::Sqs => "sqs",
            Service::Events => "events",
            Service::Sns => "sns",
            Service::S3 => "s3",
            Service::DynamoDb => "dynamodb",
            Service::Kinesis => "kinesis",
        }
    }
}

/// `apigateway:PutMethod GET /hello`: the service, the operation as in the API reference, and the
/// resource it acts on (may be empty).
pub fn call_name(service: Service, op: &str, target: impl fmt::Display) -> String {
    let target = target.to_string();
    if target.is_empty() {
        format!("{}:{op}", service.prefix())
    } else {
        format!("{}:{op} {target}", service.prefix())
    }
}

impl Aws {
    /// Sends `op` (the operation's name in the API reference, e.g. `PutMethod`) on `target` (what
    /// it acts on, for messages). API Gateway calls wait for the pacer and are retried while
    /// throttled; Lambda calls wait for their own pacer (its quotas), and like other services'
    /// are retried by the SDK. `send` builds and sends the request,
    /// and may be called more than once. A failure is an [`AwsError`] naming the call.
    pub async fn call<T, E, F, Fut>(
        &self,
        service: Service,
        op: &'static str,
        target: impl fmt::Display,
        mut send: F,
    ) -> Result<T, AwsError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let result = match service {
            Service::ApiGateway => self.pacer.send(op, send).await,
            Service::Lambda => {
                self.lambda_pacer.admit(op).await;
                send().await
            }
            _ => send().await,
        };
        result.map_err(|e| describe(call_name(service, op, target), &e))
    }

    /// [`Aws::call`] for a create that must not be sent twice by the SDK (`send` turns the SDK's
    /// retries off): also returns whether a failure is worth sending again, judged from the SDK's
    /// own error by [`super::retry::retry_wait`] (the [`AwsError`] no longer carries the status or
    /// the server's Retry-After). Feed it to [`super::retry::Backoff::after`].
    pub async fn call_once<T, E, F, Fut>(
        &self,
        service: Service,
        op: &'static str,
        target: impl fmt::Display,
        mut send: F,
    ) -> (Result<T, AwsError>, Option<Option<std::time::Duration>>)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let verdict = std::cell::Cell::new(None);
        let result = self
            .call(service, op, target, || {
                let sent = send();
                let verdict = &verdict;
                async move {
                    let sent = sent.await;
                    if let Err(e) = &sent {
                        verdict.set(super::retry::retry_wait(e));
                    }
                    sent
                }
            })
            .await;
        (result, verdict.get())
    }

    /// [`Aws::call`] for a read: each attempt waits until fewer than `--parallelism` reads of
    /// `service` are in flight. The wait for a pacer comes first and holds no place: reads queued
    /// behind Lambda's `GetPolicy` quota (15/s) must not keep other reads from being sent.
    pub async fn read_call<T, E, F, Fut>(
        &self,
        service: Service,
        op: &'static str,
        target: impl fmt::Display,
        mut send: F,
    ) -> Result<T, AwsError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        self.call(service, op, target, || {
            let sent = send();
            async move { self.read(service, sent).await }
        })
        .await
    }
}

/// Reading "not found" as an answer rather than a failure.
pub trait Absent<T> {
    /// `Ok(None)` when the resource does not exist (a read that found nothing).
    fn found(self) -> Result<Option<T>, AwsError>;
    /// `Ok(())` when the resource does not exist: deleting what is already gone is done.
    fn gone_ok(self) -> Result<(), AwsError>;
}

impl<T> Absent<T> for Result<T, AwsError> {
    fn found(self) -> Result<Option<T>, AwsError> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn gone_ok(self) -> Result<(), AwsError> {
        self.found().map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(code: Option<&str>) -> AwsError {
        AwsError {
            call: "lambda:GetFunction f".into(),
            code: code.map(str::to_string),
            message: "m".into(),
            hint: None,
        }
    }

    #[test]
    fn not_found_is_an_answer_and_other_errors_stay_errors() {
        for code in [
            "ResourceNotFoundException",
            "NoSuchEntity",
            "NotFoundException",
        ] {
            assert_eq!(Err::<u8, _>(err(Some(code))).found().unwrap(), None);
            assert!(Err::<u8, _>(err(Some(code))).gone_ok().is_ok());
        }
        assert!(Err::<u8, _>(err(Some("AccessDenied"))).found().is_err());
        assert!(Err::<u8, _>(err(None)).gone_ok().is_err());
        assert_eq!(Ok::<u8, AwsError>(3).found().unwrap(), Some(3));
    }

    #[test]
    fn call_names_read_like_iam_actions() {
        assert_eq!(
            call_name(Service::ApiGateway, "PutMethod", "GET /hello"),
            "apigateway:PutMethod GET /hello"
        );
        assert_eq!(
            call_name(Service::Sts, "GetCallerIdentity", ""),
            "sts:GetCallerIdentity"
        );
    }
}
