//! Following: back-fill with FilterLogEvents, then stream with Live Tail; poll adaptively when Live
//! Tail is unavailable. Groups that do not exist yet are waited for; every switch between paths
//! re-reads a short overlap so nothing falls in the gap, and `Seen` drops what was printed.

use super::live::{LiveTail, StartError, Update};
use super::poll::{Seen, content_key, fetch};
use super::{Event, Lines, Notice, Report, Sink, Source, SourceKind, now_ms};
use crate::aws::{Aws, Service::Logs};
use anyhow::Result;
use futures::future::try_join_all;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How far a re-read looks back before the last moment everything was known to be printed:
/// CloudWatch Logs may ingest an event a little after its timestamp.
const LAG_MS: i64 = 30_000;
/// How often a Live Tail session looks for groups that did not exist when it started.
const NEW_GROUP_CHECK: Duration = Duration::from_secs(2);
/// While a session streams, FilterLogEvents still sweeps this often: it catches what Live Tail
/// misses, and proves Live Tail delivers here (an emulator may accept the session and never
/// stream the function's lines).
const CROSS_CHECK: Duration = Duration::from_secs(2);
/// A line the sweep printed that Live Tail has not delivered this long after means Live Tail
/// does not deliver here; its normal delay is about a second.
const LIVE_MISS: Duration = Duration::from_secs(5);
/// Sessions that fail this soon, this many times in a row, mean Live Tail is not usable here.
const QUICK_FAILURE: Duration = Duration::from_secs(10);
const QUICK_FAILURES_MAX: u32 = 3;

pub struct Tail<'a, 's> {
    aws: &'a Aws,
    sources: Vec<Source>,
    filter: Option<String>,
    lines: Lines,
    sink: &'a mut Sink<'s>,
    seen: Seen,
    /// Which sources' log groups exist, as last seen.
    present: Vec<bool>,
    /// Nothing before this is shown (`--since`).
    start: i64,
    /// Everything up to about here has been printed: re-reads start `LAG_MS` before it.
    synced: i64,
    told_missing: Vec<bool>,
    /// How many events each source has printed.
    printed: Vec<usize>,
}

impl<'a, 's> Tail<'a, 's> {
    pub fn new(
        aws: &'a Aws,
        sources: Vec<Source>,
        filter: Option<String>,
        sink: &'a mut Sink<'s>,
        start: i64,
    ) -> Tail<'a, 's> {
        let n = sources.len();
        Tail {
            aws,
            lines: Lines::new(&sources),
            sources,
            filter,
            sink,
            seen: Seen::default(),
            present: vec![false; n],
            start,
            synced: start,
            told_missing: vec![false; n],
            printed: vec![0; n],
        }
    }

    /// Prints what is there now and stops; says which sources are not deployed or never ran.
    /// Fails when none of the sources' log groups exists (nothing is deployed).
    pub async fn once(&mut self) -> Result<()> {
        let all: Vec<usize> = (0..self.sources.len()).collect();
        self.poll(&all).await?;
        if self.present.iter().all(|p| !p) {
            let groups: Vec<&str> = self.sources.iter().map(|s| s.group.as_str()).collect();
            crate::bail_hint!(
                "not deployed: no log group exists ({})", groups.join(", ");
                hint = "stackctl creates a function's group when it deploys the function: run `stackctl apply`"
            );
        }
        for i in 0..self.sources.len() {
            let s = &self.sources[i];
            let notice = if !self.present[i] {
                Notice::Missing {
                    label: s.label.clone(),
                    why: s.missing(),
                    waiting: false,
                }
            } else if self.printed[i] == 0
                && s.kind == SourceKind::Function
                && !has_streams(self.aws, &s.group).await?
            {
                Notice::NeverRan {
                    label: s.label.clone(),
                    group: s.group.clone(),
                    emulator: self.aws.endpoint.is_some(),
                }
            } else {
                continue;
            };
            self.notice(notice)?;
        }
        Ok(())
    }

    /// One FilterLogEvents sweep of `which` sources, from just before the last sync; prints what
    /// is new and returns the content keys and timestamps of what it printed.
    async fn poll(&mut self, which: &[usize]) -> Result<Vec<(u64, i64)>> {
        let from = self.start.max(self.synced - LAG_MS);
        let began = now_ms();
        let filter = self.filter.as_deref();
        let results = try_join_all(
            which
                .iter()
                .map(|&i| fetch(self.aws, i, &self.sources[i].group, from, filter)),
        )
        .await?;
        let mut fresh = Vec::new();
        for (&i, result) in which.iter().zip(results) {
            self.present[i] = result.is_some();
            fresh.extend(result.unwrap_or_default());
        }
        if which.len() == self.sources.len() {
            self.synced = began;
        }
        self.emit(fresh)
    }

    fn emit(&mut self, events: Vec<Event>) -> Result<Vec<(u64, i64)>> {
        let fresh: Vec<Event> = events.into_iter().filter(|e| self.seen.first(e)).collect();
        for e in &fresh {
            self.printed[e.source] += 1;
        }
        let keys = fresh
            .iter()
            .map(|e| (content_key(e), e.timestamp))
            .collect();
        if !fresh.is_empty() {
            (self.sink)(Report::Lines(self.lines.lines(fresh)))?;
        }
        Ok(keys)
    }

    fn notice(&mut self, notice: Notice) -> std::io::Result<()> {
        (self.sink)(Report::Notice(notice))
    }

    fn present(&self) -> Vec<usize> {
        (0..self.sources.len())
            .filter(|&i| self.present[i])
            .collect()
    }

    fn missing(&self) -> Vec<usize> {
        (0..self.sources.len())
            .filter(|&i| !self.present[i])
            .collect()
    }

    fn tell_missing(&mut self) -> std::io::Result<()> {
        for i in self.missing() {
            if !self.told_missing[i] {
                self.told_missing[i] = true;
                let s = &self.sources[i];
                let notice = Notice::Missing {
                    label: s.label.clone(),
                    why: s.missing(),
                    waiting: true,
                };
                self.notice(notice)?;
            }
        }
        Ok(())
    }
}

/// Whether a log group has any log stream: none means its function has never run.
async fn has_streams(aws: &Aws, group: &str) -> Result<bool> {
    let out = aws
        .read_call(Logs, "DescribeLogStreams", group, || {
            aws.logs
                .describe_log_streams()
                .log_group_name(group)
                .limit(1)
                .send()
        })
        .await?;
    Ok(!out.log_streams().is_empty())
}

/// How a Live Tail session ended.
enum Ended {
    /// Closed, timed out or dropped: start another after a re-read.
    Closed,
    Dropped(String),
    /// A group that was missing exists now: restart the session to include it.
    NewGroup,
    /// Live Tail cannot be used: poll from now on.
    Unavailable(String),
}

/// Follows until an error; the caller ends it on Ctrl-C.
pub async fn follow(tail: &mut Tail<'_, '_>) -> Result<()> {
    let labels = tail.sources.iter().map(|s| s.label.clone()).collect();
    tail.notice(Notice::Following { labels })?;
    let all: Vec<usize> = (0..tail.sources.len()).collect();
    tail.poll(&all).await?;
    tail.tell_missing()?;
    let mut live = LiveTail::new(tail.aws, &tail.sources).await;
    if live.is_none() {
        tail.notice(Notice::Polling {
            why: "Live Tail needs the account id and it could not be read; polling instead".into(),
        })?;
    }
    let mut quick_failures = 0;
    let mut delay = Poll::new(tail.sources.len());
    loop {
        if let Some(lt) = &live
            && !tail.present().is_empty()
        {
            let began = Instant::now();
            match session(tail, lt).await? {
                Ended::Closed | Ended::NewGroup => quick_failures = 0,
                Ended::Dropped(why) => {
                    quick_failures = if began.elapsed() < QUICK_FAILURE {
                        quick_failures + 1
                    } else {
                        0
                    };
                    if quick_failures >= QUICK_FAILURES_MAX {
                        tail.notice(Notice::Polling {
                            why: format!(
                                "Live Tail keeps failing ({why}); polling FilterLogEvents instead"
                            ),
                        })?;
                        live = None;
                    }
                }
                Ended::Unavailable(why) => {
                    tail.notice(Notice::Polling {
                        why: format!(
                            "Live Tail is unavailable here, polling FilterLogEvents instead: {why}"
                        ),
                    })?;
                    live = None;
                }
            }
            // Whatever arrived while no session was streaming.
            tail.poll(&all).await?;
            tail.tell_missing()?;
            continue;
        }
        tokio::time::sleep(delay.interval).await;
        let new = tail.poll(&all).await?;
        delay.after(!new.is_empty());
        tail.tell_missing()?;
    }
}

/// One Live Tail session over the groups that exist, while polling for the ones that do not.
async fn session(tail: &mut Tail<'_, '_>, lt: &LiveTail) -> Result<Ended> {
    let mut s = match lt.start(&tail.present(), tail.filter.as_deref()).await {
        Ok(s) => s,
        Err(StartError::Missing) => return Ok(Ended::Closed),
        Err(StartError::Unavailable(why)) => return Ok(Ended::Unavailable(why)),
    };
    // The stream shows events from its start on: re-read what came since the last sweep.
    let started = now_ms();
    let present = tail.present();
    tail.poll(&present).await?;
    let mut check = tokio::time::interval(NEW_GROUP_CHECK);
    check.tick().await;
    let mut cross = tokio::time::interval(CROSS_CHECK);
    cross.tick().await;
    let mut told_sampled = false;
    // Lines the sweep printed, waiting for Live Tail's copy.
    let mut pending: HashMap<u64, Instant> = HashMap::new();
    loop {
        tokio::select! {
            update = s.next() => match update {
                Ok(Some(Update::Events(events))) => {
                    tail.synced = now_ms();
                    for e in &events {
                        pending.remove(&content_key(e));
                    }
                    tail.emit(events)?;
                }
                Ok(Some(Update::Sampled(events))) => {
                    tail.synced = now_ms();
                    if !told_sampled {
                        told_sampled = true;
                        tail.notice(Notice::Sampling)?;
                    }
                    // Sampling drops lines on purpose: they prove nothing about delivery.
                    pending.clear();
                    tail.emit(events)?;
                }
                Ok(Some(Update::Nothing)) => tail.synced = now_ms(),
                Ok(None) => return Ok(Ended::Closed),
                Err(why) => return Ok(Ended::Dropped(why)),
            },
            _ = cross.tick() => {
                let present = tail.present();
                let now = Instant::now();
                for (key, timestamp) in tail.poll(&present).await? {
                    // Only lines from the session's start on are Live Tail's to deliver.
                    if timestamp >= started {
                        pending.insert(key, now);
                    }
                }
                if !told_sampled && pending.values().any(|t| t.elapsed() > LIVE_MISS) {
                    return Ok(Ended::Unavailable(
                        "the session did not stream lines that FilterLogEvents found".into(),
                    ));
                }
            }
            _ = check.tick(), if !tail.missing().is_empty() => {
                let missing = tail.missing();
                tail.poll(&missing).await?;
                if missing.iter().any(|&i| tail.present[i]) {
                    return Ok(Ended::NewGroup);
                }
            }
        }
    }
}

/// The polling interval: quick right after new lines (more tend to follow), slower while idle
/// but at most 1 s for up to 4 sources (so a line shows within about a second, as SAM and
/// Serverless poll), and never so quick that the sources together exceed FilterLogEvents'
/// per-account quota (5 requests/s): each source is polled at most every 250 ms × sources.
struct Poll {
    interval: Duration,
    min: Duration,
    max: Duration,
}

impl Poll {
    fn new(sources: usize) -> Poll {
        let min = Duration::from_millis(250 * sources.max(2) as u64);
        let max = Duration::from_secs(1).max(min);
        Poll {
            interval: min,
            min,
            max,
        }
    }

    fn after(&mut self, activity: bool) {
        self.interval = if activity {
            self.min
        } else {
            (self.interval * 3 / 2).min(self.max)
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polling_speeds_up_on_activity_and_backs_off_when_idle() {
        let mut p = Poll::new(2);
        assert_eq!(p.interval, Duration::from_millis(500));
        for _ in 0..10 {
            p.after(false);
        }
        assert_eq!(p.interval, Duration::from_secs(1));
        p.after(true);
        assert_eq!(p.interval, Duration::from_millis(500));
    }

    #[test]
    fn more_sources_poll_less_often() {
        let p = Poll::new(8);
        assert_eq!(p.min, Duration::from_secs(2));
        assert_eq!(p.max, Duration::from_secs(2));
    }
}
