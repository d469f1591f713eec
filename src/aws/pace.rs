//! Client-side pacing of API Gateway calls to its fixed control-plane quotas, adapting to what the
//! account actually gives this process.
//!
//! Token buckets, one for the account-wide rate and one per limited operation, start at the
//! documented quotas. The quotas are per account and region, shared by every process: when API
//! Gateway answers 429 (another deployer is using part of the budget), the rates drop
//! multiplicatively and the burst shrinks to one second's worth; every success raises them again
//! additively, back up to the quota (AIMD, as TCP and the SDK's adaptive retry mode do). Throttled
//! calls are retried for as long as [`THROTTLE_BUDGET`] allows, each retry paced like a new call,
//! rather than a small fixed number of attempts.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;
// tokio's clock, so that tests can run the pacer in paused (virtual) time.
use tokio::time::Instant;

/// How long one call keeps retrying while API Gateway throttles it. Terraform's AWS provider
/// retries throttling for minutes; a paced client sharing the account quota with two or three
/// others needs seconds to tens of seconds.
pub const THROTTLE_BUDGET: Duration = Duration::from_secs(300);
/// The rate a throttled process never goes below, in requests per second (or half the quota's
/// own rate, for the slow ones: `DeleteRestApi`'s 1 per 30 s never waits more than a minute).
const MIN_RATE: f64 = 0.25;
/// Multiplicative decrease on a 429.
const DECREASE: f64 = 0.6;
/// Additive increase per successful call, in requests per second.
const INCREASE: f64 = 0.05;
/// 429s that arrive within this window of a decrease answer the same congestion: one decrease.
const DECREASE_WINDOW: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    capacity: f64,
    per_second: f64,
    last: Instant,
}

impl Bucket {
    fn new(capacity: f64, per_second: f64, now: Instant) -> Self {
        Bucket {
            tokens: capacity,
            capacity,
            per_second,
            last: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.capacity);
        self.last = now;
    }

    /// Takes a token now, or says how long until one is there.
    fn take(&mut self, now: Instant) -> Result<(), Duration> {
        self.refill(now);
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

/// One rate: the documented quota (burst, requests/s) and the bucket adapted to the account.
#[derive(Debug)]
struct Limit {
    quota_burst: f64,
    quota_rate: f64,
    bucket: Bucket,
    throttled: bool,
    last_decrease: Option<Instant>,
}

impl Limit {
    fn new(burst: f64, rate: f64, now: Instant) -> Self {
        Limit {
            quota_burst: burst,
            quota_rate: rate,
            bucket: Bucket::new(burst, rate, now),
            throttled: false,
            last_decrease: None,
        }
    }

    /// A 429: slow down once per congestion window, and stop bursting for good: the burst was
    /// sized for an account this process had to itself.
    fn decrease(&mut self, now: Instant) {
        self.bucket.refill(now);
        self.throttled = true;
        self.bucket.capacity = 1.0;
        self.bucket.tokens = self.bucket.tokens.min(0.0);
        if self
            .last_decrease
            .is_some_and(|t| now.saturating_duration_since(t) < DECREASE_WINDOW)
        {
            return;
        }
        self.last_decrease = Some(now);
        let floor = MIN_RATE.min(self.quota_rate / 2.0);
        self.bucket.per_second = (self.bucket.per_second * DECREASE).max(floor);
    }

    fn increase(&mut self, now: Instant) {
        self.bucket.refill(now);
        let step = INCREASE.min(self.quota_rate / 10.0);
        self.bucket.per_second = (self.bucket.per_second + step).min(self.quota_rate);
        if !self.throttled {
            self.bucket.capacity = self.quota_burst;
        }
    }
}

/// What the pacer has seen so far, for the progress display.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PaceStats {
    /// Calls API Gateway answered with 429 (each was retried).
    pub throttled: u64,
    /// The account-wide rate this process currently allows itself, in requests per second.
    pub rate_per_s: f64,
}

pub struct Pacer {
    limits: Mutex<HashMap<&'static str, Limit>>,
    quotas: HashMap<&'static str, (f64, f64)>,
    /// Operations with a quota of their own that does not count toward the service-wide one.
    separate: &'static [&'static str],
    throttled: Mutex<u64>,
}

const ALL: &str = "*";

impl Pacer {
    /// API Gateway's documented quotas (shared/aws-facts.md; "Amazon API Gateway quotas",
    /// control-plane section): burst and requests per second, with the account-wide rate kept a
    /// little under 10/s to leave room for other clients.
    pub fn api_gateway() -> Self {
        let quotas = HashMap::from([
            (ALL, (40.0, 8.0)),
            ("CreateDeployment", (1.0, 1.0 / 5.0)),
            ("CreateRestApi", (1.0, 1.0 / 3.0)),
            ("DeleteRestApi", (1.0, 1.0 / 30.0)),
            ("ImportRestApi", (1.0, 1.0 / 3.0)),
            ("PutRestApi", (1.0, 1.0)),
            ("CreateResource", (5.0, 5.0)),
            ("DeleteResource", (5.0, 5.0)),
            ("GetResources", (5.0, 2.5)),
            ("UpdateAccount", (1.0, 1.0 / 20.0)),
        ]);
        Pacer {
            limits: Mutex::new(HashMap::new()),
            quotas,
            separate: &[],
            throttled: Mutex::new(0),
        }
    }

    /// Lambda's control-plane quotas ("Lambda quotas", API requests section; fixed, per account
    /// and Region): 15 requests per second for every control-plane call except `GetFunction`
    /// (100/s) and `GetPolicy` (15/s), which have their own, and except invocations (data
    /// plane). With a burst of one second's worth, a small stack is not slowed at all; a large
    /// one (an invoke permission per route, a function per handler) stays under the quota
    /// instead of meeting `TooManyRequestsException` mid-apply. Throttled Lambda calls are still
    /// retried by the SDK (the server's delay honoured, see `retry::ServerDirected`).
    pub fn lambda() -> Self {
        let quotas = HashMap::from([
            (ALL, (15.0, 15.0)),
            ("GetFunction", (100.0, 100.0)),
            ("GetPolicy", (15.0, 15.0)),
        ]);
        Pacer {
            limits: Mutex::new(HashMap::new()),
            quotas,
            separate: &["GetFunction", "GetPolicy", "Invoke"],
            throttled: Mutex::new(0),
        }
    }

    /// Waits until `operation` may be sent, without retrying anything: for services whose
    /// throttling the SDK retries.
    pub async fn admit(&self, operation: &'static str) {
        self.wait(operation).await;
    }

    /// Sends one API Gateway call named `operation` (as in the API reference, e.g. `PutMethod`)
    /// once the quotas allow it. A 429 (`TooManyRequestsException`) slows the pacer down and the
    /// call is sent again, paced like a new one, after the delay API Gateway asked for, until
    /// [`THROTTLE_BUDGET`] is spent; any other outcome is returned as it is. `send` builds and
    /// sends the request each time it is called.
    pub async fn send<T, E, F, Fut>(
        &self,
        operation: &'static str,
        mut send: F,
    ) -> Result<T, SdkError<E, HttpResponse>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    {
        let start = Instant::now();
        // After a 429 that said when to come back, the per-operation bucket is not waited for
        // again: for the slow quotas (CreateDeployment's 1 per 5 s) the two waits would add up,
        // and the server knows the account's budget, this process only its own share.
        let mut directed = false;
        loop {
            if directed {
                self.wait_for(ALL).await;
            } else {
                self.wait(operation).await;
            }
            match send().await {
                Ok(v) => {
                    self.succeeded(operation, Instant::now());
                    return Ok(v);
                }
                Err(e) => {
                    let Some(throttled) = super::retry::throttled(&e) else {
                        return Err(e);
                    };
                    self.throttled_at(operation, Instant::now());
                    if start.elapsed() + throttled.delay > THROTTLE_BUDGET {
                        return Err(e);
                    }
                    directed = throttled.directed;
                    tokio::time::sleep(throttled.delay).await;
                }
            }
        }
    }

    /// What the pacer has seen so far.
    pub fn stats(&self) -> PaceStats {
        let rate_per_s = self
            .limits
            .lock()
            .expect("pacer lock")
            .get(ALL)
            .map_or(self.quotas[ALL].1, |l| l.bucket.per_second);
        PaceStats {
            throttled: *self.throttled.lock().expect("pacer lock"),
            rate_per_s,
        }
    }

    /// Waits until `operation` may be sent.
    async fn wait(&self, operation: &'static str) {
        if self.quotas.contains_key(operation) {
            self.wait_for(operation).await;
        }
        if !self.separate.contains(&operation) {
            self.wait_for(ALL).await;
        }
    }

    async fn wait_for(&self, key: &'static str) {
        loop {
            let wait = match self.with_limit(key, Instant::now(), |l, now| l.bucket.take(now)) {
                Some(Ok(())) | None => return,
                Some(Err(wait)) => wait,
            };
            tokio::time::sleep(wait).await;
        }
    }

    fn with_limit<R>(
        &self,
        key: &'static str,
        now: Instant,
        f: impl FnOnce(&mut Limit, Instant) -> R,
    ) -> Option<R> {
        let &(burst, rate) = self.quotas.get(key)?;
        let mut limits = self.limits.lock().expect("pacer lock");
        let limit = limits
            .entry(key)
            .or_insert_with(|| Limit::new(burst, rate, now));
        Some(f(limit, now))
    }

    fn throttled_at(&self, operation: &'static str, now: Instant) {
        *self.throttled.lock().expect("pacer lock") += 1;
        self.with_limit(operation, now, Limit::decrease);
        self.with_limit(ALL, now, Limit::decrease);
    }

    fn succeeded(&self, operation: &'static str, now: Instant) {
        self.with_limit(operation, now, Limit::increase);
        self.with_limit(ALL, now, Limit::increase);
    }
}

#[cfg(test)]
#[path = "pace_tests.rs"]
mod tests;
