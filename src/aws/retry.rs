//! Retry policy beyond the SDK's defaults: a classifier that honours the server's requested delay
//! on throttling and refuses to retry hard quotas, and the one [`Backoff`] every hand-driven retry
//! waits with (creates sent without SDK retries, and the waits AWS imposes on top: IAM
//! propagation, functions still updating): exponential with jitter, bounded in attempts or time.

use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority,
};
use aws_smithy_types::retry::ErrorKind;
use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};
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

/// The first wait of a [`Backoff`], and the longest: waits double from the first up to it.
const FIRST_WAIT: Duration = Duration::from_millis(500);
const LONGEST_WAIT: Duration = Duration::from_secs(10);

/// The one backoff stackctl retries with (backon's exponential backoff): waits of 500 ms, 1 s,
/// 2 s, … up to 10 s each, each one lengthened at random by up to its own length (jitter, so that
/// concurrent applies do not retry in step), bounded either by a number of attempts or by time.
/// Throttling is not its job: [`super::Pacer`] paces and retries 429s against the quota table.
pub struct Backoff {
    waits: ExponentialBackoff,
    /// With [`Backoff::within`]: no wait may end after this.
    deadline: Option<Instant>,
}

impl Backoff {
    fn builder() -> ExponentialBuilder {
        ExponentialBuilder::new()
            .with_min_delay(FIRST_WAIT)
            .with_max_delay(LONGEST_WAIT)
            .with_factor(2.0)
            .with_jitter()
    }

    /// At most `attempts` attempts in all, so at most `attempts - 1` waits.
    pub fn attempts(attempts: u32) -> Backoff {
        Backoff {
            waits: Backoff::builder()
                .with_max_times(attempts.saturating_sub(1) as usize)
                .build(),
            deadline: None,
        }
    }

    /// Attempts for `budget` from now: a wait that would end after it is not started.
    pub fn within(budget: Duration) -> Backoff {
        Backoff {
            waits: Backoff::builder().without_max_times().build(),
            deadline: Some(Instant::now() + budget),
        }
    }

    /// The wait before the next attempt; `None` when the attempts or the time are spent.
    pub fn next_wait(&mut self) -> Option<Duration> {
        let wait = self.waits.next()?;
        match self.deadline {
            Some(end) if Instant::now() + wait >= end => None,
            _ => Some(wait),
        }
    }

    /// For calls sent with SDK retries off (creates that are not idempotent): how long to wait
    /// before sending a failed call again, or `None` when its failure is final or the backoff is
    /// spent. Throttling waits as long as the server asked (counting as an attempt); 5xx, lost
    /// connections and timeouts take the next wait; client errors, hard quotas
    /// (`LimitExceededException`) and a refused connection are final.
    pub fn after_failure<E>(&mut self, err: &SdkError<E, HttpResponse>) -> Option<Duration> {
        self.after(retry_wait(err))
    }

    /// [`Backoff::after_failure`] with the failure already classified by [`retry_wait`] (for a
    /// call whose SDK error is only seen inside the call wrapper).
    pub fn after(&mut self, verdict: Option<Option<Duration>>) -> Option<Duration> {
        let wait = verdict?;
        let next = self.next_wait()?;
        Some(wait.unwrap_or(next))
    }
}

/// Whether a call sent with SDK retries off is worth sending again: `None` if not; `Some(None)`
/// after the backoff's next wait; `Some(Some(d))` after `d`, as the server asked.
pub fn retry_wait<E>(err: &SdkError<E, HttpResponse>) -> Option<Option<Duration>> {
    let response = match err {
        SdkError::ServiceError(e) => e.raw(),
        SdkError::ResponseError(e) => e.raw(),
        SdkError::DispatchFailure(e)
            if e.as_connector_error()
                .is_some_and(|c| super::errors::is_refused(c)) =>
        {
            return None;
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => return Some(None),
        _ => return None,
    };
    let status = response.status().as_u16();
    match decide(
        status,
        response.headers().get("x-amzn-errortype"),
        response.headers().get("retry-after"),
        response.body().bytes().unwrap_or_default(),
    ) {
        Decision::Forbid => None,
        Decision::After(d) => Some(Some(d)),
        Decision::Default if status == 429 || status >= 500 => Some(None),
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

/// Sends `call` until it succeeds, fails in a way `retryable` does not accept, or `budget` is
/// spent, waiting with a [`Backoff::within`] between attempts. For the waits AWS imposes after a
/// change (a new role not yet assumable, a function still updating).
pub async fn retry<T, E, F, Fut>(
    budget: Duration,
    mut retryable: impl FnMut(&E) -> bool,
    mut call: F,
) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut backoff = Backoff::within(budget);
    loop {
        match call().await {
            Ok(v) => return Ok(v),
            Err(e) if retryable(&e) => match backoff.next_wait() {
                Some(wait) => tokio::time::sleep(wait).await,
                None => return Err(e),
            },
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
#[path = "retry_tests.rs"]
mod tests;
