//! Retry policy beyond the SDK's defaults: a classifier that honours the server's requested delay
//! on throttling and refuses to retry hard quotas, and one helper for the waits AWS imposes on top
//! (IAM propagation, functions still updating): exponential backoff with jitter, bounded in time.

use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority,
};
use aws_smithy_types::retry::ErrorKind;
use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

/// The longest server-requested delay honoured per attempt; the SDK's attempt limit bounds the rest.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// Runs after the SDK's own classifiers and refines their verdict:
/// - a refused connection (nothing listens on the endpoint) fails at once instead of 8 attempts;
/// - `LimitExceededException` is a hard quota on API Gateway, Logs and others: retrying cannot
///   help, so it fails at once (the SDK would otherwise treat it as throttling);
/// - a 429 carrying `retryAfterSeconds` (API Gateway and Lambda put it in the JSON body, the SDK
///   reads neither body nor `Retry-After` header) waits as long as the server asked;
/// - with `paced`, a 429 is not retried by the SDK at all: the caller's [`super::Pacer`] retries
///   it, so that every attempt is paced and the pacer learns the account is busy.
#[derive(Debug, Default)]
pub struct ServerDirected {
    pub paced: bool,
}

impl ClassifyRetry for ServerDirected {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let Some(response) = ctx.response() else {
            // Nothing listening on the endpoint: another attempt finds nobody either.
            let refused = ctx
                .output_or_error()
                .and_then(|r| r.err())
                .and_then(|e| e.as_connector_error())
                .is_some_and(|c| super::errors::is_refused(c));
            return if refused {
                RetryAction::RetryForbidden
            } else {
                RetryAction::NoActionIndicated
            };
        };
        let headers = response.headers();
        let body = response.body().bytes().unwrap_or_default();
        let status = response.status().as_u16();
        if self.paced && status == 429 {
            return RetryAction::RetryForbidden;
        }
        match decide(
            status,
            headers.get("x-amzn-errortype"),
            headers.get("retry-after"),
            body,
        ) {
            Decision::Forbid => RetryAction::RetryForbidden,
            Decision::After(d) => {
                RetryAction::retryable_error_with_explicit_delay(ErrorKind::ThrottlingError, d)
            }
            Decision::Default => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "stackctl server-directed retry"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

/// For calls sent with SDK retries off (creates that are not idempotent): whether the failure of
/// attempt `attempt` (from 1) is worth another attempt, and after how long. Throttling waits as
/// long as the server asked; 5xx, lost connections and timeouts back off exponentially with
/// jitter; client errors and hard quotas are final.
pub fn after_failure<E>(err: &SdkError<E, HttpResponse>, attempt: u32) -> Option<Duration> {
    let response = match err {
        SdkError::ServiceError(e) => Some(e.raw()),
        SdkError::ResponseError(e) => Some(e.raw()),
        SdkError::DispatchFailure(e)
            if e.as_connector_error()
                .is_some_and(|c| super::errors::is_refused(c)) =>
        {
            return None;
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => None,
        _ => return None,
    };
    let backoff = || {
        let base = Duration::from_millis(500) * 2u32.pow(attempt.saturating_sub(1).min(5));
        base.min(Duration::from_secs(10))
            .mul_f64(1.0 + fastrand::f64() * 0.5)
    };
    let Some(r) = response else {
        return Some(backoff());
    };
    let status = r.status().as_u16();
    match decide(
        status,
        r.headers().get("x-amzn-errortype"),
        r.headers().get("retry-after"),
        r.body().bytes().unwrap_or_default(),
    ) {
        Decision::Forbid => None,
        Decision::After(d) => Some(d),
        Decision::Default if status == 429 || status >= 500 => Some(backoff()),
        Decision::Default => None,
    }
}

/// How long to wait before sending a throttled call again.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Throttled {
    pub delay: Duration,
    /// The server said when (`retryAfterSeconds` or `Retry-After`): after `delay` its quota has
    /// room for the call, so the client's own per-operation pacing must not add to it.
    pub directed: bool,
}

/// Whether a failed call was throttled (HTTP 429, not a hard quota), and how long to wait before
/// sending it again: what the server asked (capped at 30 s), else 1 to 1.5 s.
pub fn throttled<E>(err: &SdkError<E, HttpResponse>) -> Option<Throttled> {
    let r = match err {
        SdkError::ServiceError(e) => e.raw(),
        SdkError::ResponseError(e) => e.raw(),
        _ => return None,
    };
    if r.status().as_u16() != 429 {
        return None;
    }
    match decide(
        429,
        r.headers().get("x-amzn-errortype"),
        r.headers().get("retry-after"),
        r.body().bytes().unwrap_or_default(),
    ) {
        Decision::Forbid => None,
        Decision::After(delay) => Some(Throttled {
            delay,
            directed: true,
        }),
        Decision::Default => Some(Throttled {
            delay: Duration::from_secs(1).mul_f64(1.0 + fastrand::f64() * 0.5),
            directed: false,
        }),
    }
}

#[derive(Debug, PartialEq)]
enum Decision {
    Forbid,
    After(Duration),
    Default,
}

/// The pure part of [`ServerDirected`]: status, error-type header, Retry-After header, body.
fn decide(
    status: u16,
    error_type: Option<&str>,
    retry_after: Option<&str>,
    body: &[u8],
) -> Decision {
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let body_code = json.as_ref().and_then(|j| {
        j.get("__type")
            .or_else(|| j.get("code"))
            .and_then(|v| v.as_str())
            .map(|s| s.rsplit('#').next().unwrap_or(s).to_string())
    });
    let code = error_type
        .map(|t| t.split(':').next().unwrap_or(t).to_string())
        .or(body_code);
    if code.as_deref() == Some("LimitExceededException") {
        return Decision::Forbid;
    }
    if status != 429 {
        return Decision::Default;
    }
    let seconds = |v: &serde_json::Value| match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    let after = retry_after
        .and_then(|h| h.trim().parse::<f64>().ok())
        .or_else(|| json.as_ref()?.get("retryAfterSeconds").and_then(seconds));
    match after {
        Some(s) if s.is_finite() && s >= 0.0 => {
            Decision::After(Duration::from_secs_f64(s).min(MAX_RETRY_AFTER))
        }
        _ => Decision::Default,
    }
}

pub async fn retry<T, E, F, Fut>(
    budget: Duration,
    mut retryable: impl FnMut(&E) -> bool,
    mut call: F,
) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let start = Instant::now();
    let mut delay = Duration::from_millis(500);
    loop {
        match call().await {
            Ok(v) => return Ok(v),
            Err(e) if retryable(&e) && start.elapsed() + delay < budget => {
                let jitter = delay.mul_f64(fastrand::f64() * 0.5);
                tokio::time::sleep(delay + jitter).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[tokio::test(start_paused = true)]
    async fn retries_until_success_and_stops_on_other_errors() {
        let n = Cell::new(0);
        let r: Result<u32, &str> = retry(
            Duration::from_secs(60),
            |e| *e == "busy",
            || {
                n.set(n.get() + 1);
                let v = n.get();
                async move { if v < 3 { Err("busy") } else { Ok(v) } }
            },
        )
        .await;
        assert_eq!(r, Ok(3));

        let r: Result<u32, &str> = retry(
            Duration::from_secs(60),
            |e| *e == "busy",
            || async { Err("fatal") },
        )
        .await;
        assert_eq!(r, Err("fatal"));
    }

    #[test]
    fn server_directed_delays_and_hard_limits() {
        let body = br#"{"message":"Too Many Requests","retryAfterSeconds":"2"}"#;
        assert_eq!(
            decide(429, Some("TooManyRequestsException"), None, body),
            Decision::After(Duration::from_secs(2))
        );
        assert_eq!(
            decide(429, None, Some("3"), b""),
            Decision::After(Duration::from_secs(3))
        );
        assert_eq!(
            decide(429, None, None, br#"{"retryAfterSeconds": 900}"#),
            Decision::After(MAX_RETRY_AFTER)
        );
        assert_eq!(
            decide(429, Some("LimitExceededException:http://x"), None, b"{}"),
            Decision::Forbid
        );
        assert_eq!(
            decide(
                400,
                None,
                None,
                br#"{"__type":"com.amazon#LimitExceededException"}"#
            ),
            Decision::Forbid
        );
        assert_eq!(decide(429, None, None, b"{}"), Decision::Default);
        assert_eq!(decide(500, None, None, b"oops"), Decision::Default);
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_when_the_budget_is_spent() {
        let start = tokio::time::Instant::now();
        let r: Result<(), &str> =
            retry(Duration::from_secs(5), |_| true, || async { Err("busy") }).await;
        assert_eq!(r, Err("busy"));
        assert!(start.elapsed() < Duration::from_secs(8));
    }
}
