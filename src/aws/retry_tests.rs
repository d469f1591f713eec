//! Tests of the retry policy and the backoff.

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

#[test]
fn backoff_doubles_with_jitter_up_to_its_cap_and_counts_attempts() {
    let waits: Vec<Duration> = std::iter::from_fn({
        let mut b = Backoff::attempts(8);
        move || b.next_wait()
    })
    .collect();
    assert_eq!(waits.len(), 7, "8 attempts have 7 waits between them");
    for (i, w) in waits.iter().enumerate() {
        let base = (FIRST_WAIT * 2u32.pow(i as u32)).min(LONGEST_WAIT);
        assert!(*w >= base && *w <= base * 2, "wait {i}: {w:?} for {base:?}");
    }
    assert_eq!(Backoff::attempts(1).next_wait(), None);
}

#[tokio::test(start_paused = true)]
async fn backoff_within_a_budget_starts_no_wait_that_ends_after_it() {
    let mut b = Backoff::within(Duration::from_secs(5));
    let mut slept = Duration::ZERO;
    while let Some(w) = b.next_wait() {
        tokio::time::sleep(w).await;
        slept += w;
    }
    assert!(slept < Duration::from_secs(5), "{slept:?}");
    assert!(slept >= FIRST_WAIT, "{slept:?}");
}

fn response(status: u16, retry_after: Option<&str>) -> SdkError<std::fmt::Error, HttpResponse> {
    use aws_smithy_runtime_api::http::StatusCode;
    let mut raw = HttpResponse::new(
        StatusCode::try_from(status).unwrap(),
        aws_smithy_types::body::SdkBody::from("{}"),
    );
    if let Some(s) = retry_after {
        raw.headers_mut().insert("retry-after", s.to_string());
    }
    SdkError::service_error(std::fmt::Error, raw)
}

#[test]
fn after_failure_keeps_the_classification() {
    use aws_smithy_runtime_api::client::result::ConnectorError;
    let refused = SdkError::<std::fmt::Error, HttpResponse>::dispatch_failure(ConnectorError::io(
        Box::new(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)),
    ));
    assert_eq!(Backoff::attempts(6).after_failure(&refused), None);
    let lost = SdkError::<std::fmt::Error, HttpResponse>::dispatch_failure(ConnectorError::io(
        Box::new(std::io::Error::from(std::io::ErrorKind::ConnectionReset)),
    ));
    let wait = Backoff::attempts(6).after_failure(&lost).unwrap();
    assert!(wait >= FIRST_WAIT && wait <= 2 * FIRST_WAIT, "{wait:?}");
    assert_eq!(
        Backoff::attempts(6).after_failure(&response(429, Some("3"))),
        Some(Duration::from_secs(3))
    );
    assert!(
        Backoff::attempts(6)
            .after_failure(&response(503, None))
            .is_some()
    );
    assert_eq!(
        Backoff::attempts(6).after_failure(&response(400, None)),
        None
    );
    // The server's own delay counts as an attempt: six attempts, five waits.
    let mut b = Backoff::attempts(6);
    let waits = std::iter::from_fn(|| b.after_failure(&response(429, Some("1")))).count();
    assert_eq!(waits, 5);
}

#[tokio::test(start_paused = true)]
async fn gives_up_when_the_budget_is_spent() {
    let start = tokio::time::Instant::now();
    let r: Result<(), &str> =
        retry(Duration::from_secs(5), |_| true, || async { Err("busy") }).await;
    assert_eq!(r, Err("busy"));
    assert!(start.elapsed() < Duration::from_secs(8));
}
