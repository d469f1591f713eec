//! One retry helper for the waits AWS imposes beyond the SDK's own retries: IAM propagation,
//! functions still updating. Exponential backoff with jitter, bounded in total time.

use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

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

    #[tokio::test(start_paused = true)]
    async fn gives_up_when_the_budget_is_spent() {
        let start = tokio::time::Instant::now();
        let r: Result<(), &str> =
            retry(Duration::from_secs(5), |_| true, || async { Err("busy") }).await;
        assert_eq!(r, Err("busy"));
        assert!(start.elapsed() < Duration::from_secs(8));
    }
}
