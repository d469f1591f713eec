//! Client-side pacing of API Gateway calls to its fixed control-plane quotas, so a normal apply
//! never sees a 429: token buckets, one for the account-wide rate and one per limited operation.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    capacity: f64,
    per_second: f64,
    last: Instant,
}

impl Bucket {
    fn new(capacity: f64, per_second: f64) -> Self {
        Bucket {
            tokens: capacity,
            capacity,
            per_second,
            last: Instant::now(),
        }
    }

    /// Takes a token now, or says how long until one is there.
    fn take(&mut self, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.capacity);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - self.tokens) / self.per_second,
            ))
        }
    }
}

pub struct Pacer {
    limits: HashMap<&'static str, (f64, f64)>,
    buckets: Mutex<HashMap<&'static str, Bucket>>,
}

const ALL: &str = "*";

impl Pacer {
    /// API Gateway's documented quotas (see shared/aws-facts.md), with the account-wide rate kept
    /// a little under 10/s to leave room for other clients.
    pub fn api_gateway() -> Self {
        let limits = HashMap::from([
            (ALL, (40.0, 8.0)),
            ("CreateDeployment", (1.0, 1.0 / 5.0)),
            ("CreateRestApi", (1.0, 1.0 / 3.0)),
            ("DeleteRestApi", (1.0, 1.0 / 30.0)),
            ("PutRestApi", (1.0, 1.0)),
            ("CreateResource", (5.0, 5.0)),
            ("DeleteResource", (5.0, 5.0)),
            ("GetResources", (5.0, 2.5)),
            ("UpdateAccount", (1.0, 1.0 / 20.0)),
        ]);
        Pacer {
            limits,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Waits until `operation` may be sent.
    pub async fn wait(&self, operation: &'static str) {
        if self.limits.contains_key(operation) {
            self.wait_for(operation).await;
        }
        self.wait_for(ALL).await;
    }

    async fn wait_for(&self, key: &'static str) {
        loop {
            let wait = {
                let mut buckets = self.buckets.lock().expect("pacer lock");
                let (capacity, rate) = self.limits[key];
                let bucket = buckets
                    .entry(key)
                    .or_insert_with(|| Bucket::new(capacity, rate));
                match bucket.take(Instant::now()) {
                    Ok(()) => return,
                    Err(wait) => wait,
                }
            };
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_burst_then_spaces_calls() {
        let start = Instant::now();
        let mut b = Bucket::new(2.0, 1.0 / 5.0);
        b.last = start;
        assert!(b.take(start).is_ok());
        assert!(b.take(start).is_ok());
        let wait = b.take(start).unwrap_err();
        assert!((wait.as_secs_f64() - 5.0).abs() < 0.01, "{wait:?}");
        assert!(b.take(start + Duration::from_secs(5)).is_ok());
    }
}
