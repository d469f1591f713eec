//! The pacer's unit tests, in virtual (paused tokio) time where they wait.
use super::*;

#[test]
fn bucket_allows_burst_then_spaces_calls() {
    let start = Instant::now();
    let mut b = Bucket::new(2.0, 1.0 / 5.0, start);
    assert!(b.take(start).is_ok());
    assert!(b.take(start).is_ok());
    let wait = b.take(start).unwrap_err();
    assert!((wait.as_secs_f64() - 5.0).abs() < 0.01, "{wait:?}");
    assert!(b.take(start + Duration::from_secs(5)).is_ok());
}

#[test]
fn a_429_slows_down_once_per_window_and_successes_recover_to_the_quota() {
    let t0 = Instant::now();
    let mut l = Limit::new(40.0, 8.0, t0);
    l.decrease(t0);
    assert!((l.bucket.per_second - 4.8).abs() < 1e-9);
    assert_eq!(l.bucket.capacity, 1.0, "no more bursts once throttled");
    // Other calls throttled by the same congestion do not compound the decrease.
    l.decrease(t0 + Duration::from_millis(300));
    assert!((l.bucket.per_second - 4.8).abs() < 1e-9);
    l.decrease(t0 + Duration::from_secs(2));
    assert!((l.bucket.per_second - 2.88).abs() < 1e-9);
    for i in 0..1000 {
        l.increase(t0 + Duration::from_secs(3) + Duration::from_millis(i));
    }
    assert_eq!(
        l.bucket.per_second, 8.0,
        "recovers to the quota, never above"
    );
    for i in 0..100 {
        l.decrease(t0 + Duration::from_secs(10 + i));
    }
    assert_eq!(l.bucket.per_second, MIN_RATE);
}

#[test]
fn slow_quotas_adapt_too_and_never_exceed_their_quota() {
    let t0 = Instant::now();
    let mut l = Limit::new(1.0, 1.0 / 30.0, t0);
    l.decrease(t0);
    assert!((l.bucket.per_second - 1.0 / 30.0 * DECREASE).abs() < 1e-9);
    for i in 0..100 {
        l.increase(t0 + Duration::from_secs(i));
    }
    assert_eq!(l.bucket.per_second, 1.0 / 30.0);
    for i in 0..100 {
        l.decrease(t0 + Duration::from_secs(200 + i));
    }
    assert!((l.bucket.per_second - 1.0 / 60.0).abs() < 1e-12);
}

/// API Gateway's 429, asking to come back after `seconds`.
fn throttled_after(seconds: &str) -> SdkError<std::io::Error, HttpResponse> {
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    let body = format!(r#"{{"message":"Too Many Requests","retryAfterSeconds":"{seconds}"}}"#);
    let raw = HttpResponse::new(StatusCode::try_from(429).unwrap(), SdkBody::from(body));
    SdkError::service_error(std::io::Error::other("throttled"), raw)
}

#[tokio::test(start_paused = true)]
async fn throttled_calls_are_retried_paced_and_counted() {
    let pacer = Pacer::api_gateway();
    let mut sent = 0;
    let out: Result<u32, SdkError<std::io::Error, HttpResponse>> = pacer
        .send("PutMethod", || {
            sent += 1;
            let n = sent;
            async move {
                if n < 4 {
                    Err(throttled_after("1"))
                } else {
                    Ok(n)
                }
            }
        })
        .await;
    assert_eq!(out.unwrap(), 4);
    let stats = pacer.stats();
    assert_eq!(stats.throttled, 3);
    assert!(stats.rate_per_s < 8.0, "{stats:?}");
}

#[tokio::test(start_paused = true)]
async fn a_slow_operation_comes_back_when_the_server_says_not_later() {
    let pacer = Pacer::api_gateway();
    let start = tokio::time::Instant::now();
    let mut sent = Vec::new();
    let out: Result<(), SdkError<std::io::Error, HttpResponse>> = pacer
        .send("CreateDeployment", || {
            sent.push(start.elapsed());
            let first = sent.len() == 1;
            async move {
                if first {
                    // Another deployer took the account's CreateDeployment token.
                    Err(throttled_after("2"))
                } else {
                    Ok(())
                }
            }
        })
        .await;
    out.unwrap();
    assert_eq!(sent.len(), 2);
    // 2 s as asked, not 2 s plus the local 1-per-5-s bucket's refill (over 8 s).
    assert!(
        sent[1] >= Duration::from_secs(2) && sent[1] < Duration::from_secs(3),
        "{sent:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn lambda_writes_keep_under_15_per_second_and_reads_keep_their_own_quota() {
    let pacer = Pacer::lambda();
    let start = tokio::time::Instant::now();
    // A small stack's writes go at once (one second's burst)...
    for _ in 0..15 {
        pacer.admit("AddPermission").await;
    }
    assert_eq!(start.elapsed(), Duration::ZERO);
    // ...GetFunction is not held back by the writes' quota...
    for _ in 0..50 {
        pacer.admit("GetFunction").await;
    }
    assert_eq!(start.elapsed(), Duration::ZERO);
    // ...and 45 more writes take the two seconds the quota asks.
    for _ in 0..30 {
        pacer.admit("CreateFunction").await;
    }
    let took = start.elapsed().as_secs_f64();
    assert!((took - 2.0).abs() < 0.01, "{took}");
}
