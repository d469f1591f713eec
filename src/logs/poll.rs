//! FilterLogEvents: back-fill, the polling fallback, and remembering what was already printed.

use super::Event;
use crate::aws::{Absent, Aws, Service::Logs};
use anyhow::Result;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

/// Every event of `group` from `start` (ms) on, across all of its streams, so new streams and
/// rolled-over streams are covered. `None` when the group does not exist (yet).
pub async fn fetch(
    aws: &Aws,
    source: usize,
    group: &str,
    start: i64,
    filter: Option<&str>,
) -> Result<Option<Vec<Event>>> {
    let Some(pages) = aws
        .call(Logs, "FilterLogEvents", group, || {
            aws.logs
                .filter_log_events()
                .log_group_name(group)
                .start_time(start)
                .set_filter_pattern(filter.map(str::to_string))
                .into_paginator()
                .send()
                .try_collect()
        })
        .await
        .found()?
    else {
        return Ok(None);
    };
    Ok(Some(
        pages
            .into_iter()
            .flat_map(|page| page.events.unwrap_or_default())
            .map(|e| Event {
                source,
                timestamp: e.timestamp.unwrap_or_default(),
                stream: e.log_stream_name.unwrap_or_default(),
                message: e.message.unwrap_or_default(),
                id: e.event_id,
                live: false,
            })
            .collect(),
    ))
}

/// How long printed events are remembered: well past the window a poll looks back over.
const REMEMBER_MS: i64 = 10 * 60 * 1000;
const PRUNE_ABOVE: usize = 50_000;

/// What has been printed. Polled events carry ids; Live Tail events do not, so an event that
/// both paths deliver (around a session's start or end) is recognised by its content.
#[derive(Debug, Default)]
pub struct Seen {
    ids: HashMap<String, i64>,
    polled: HashMap<u64, i64>,
    live: HashMap<u64, i64>,
    newest: i64,
}

impl Seen {
    /// True the first time an event is offered; records it.
    pub fn first(&mut self, e: &Event) -> bool {
        let content = content_key(e);
        let fresh = if e.live {
            // Within one Live Tail session every event is new, even two identical lines.
            let fresh = !self.polled.contains_key(&content);
            if fresh {
                self.live.insert(content, e.timestamp);
            }
            fresh
        } else {
            // Without an id (some emulators), the content is the best identity there is.
            let id = e.id.clone().unwrap_or_else(|| content.to_string());
            let fresh = !self.ids.contains_key(&id) && !self.live.contains_key(&content);
            if fresh {
                self.ids.insert(id, e.timestamp);
                self.polled.insert(content, e.timestamp);
            }
            fresh
        };
        self.newest = self.newest.max(e.timestamp);
        if self.ids.len() + self.polled.len() + self.live.len() > PRUNE_ABOVE {
            let cutoff = self.newest - REMEMBER_MS;
            self.ids.retain(|_, t| *t >= cutoff);
            self.polled.retain(|_, t| *t >= cutoff);
            self.live.retain(|_, t| *t >= cutoff);
        }
        fresh
    }
}

/// An event's identity by content: what Live Tail and FilterLogEvents both know of it.
pub fn content_key(e: &Event) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (e.source, &e.stream, e.timestamp, &e.message).hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: Option<&str>, ts: i64, message: &str) -> Event {
        Event {
            source: 0,
            timestamp: ts,
            stream: "s".into(),
            message: message.into(),
            id: id.map(str::to_string),
            live: id.is_none(),
        }
    }

    #[test]
    fn polled_events_are_deduplicated_by_id() {
        let mut seen = Seen::default();
        assert!(seen.first(&event(Some("1"), 10, "a")));
        assert!(!seen.first(&event(Some("1"), 10, "a")));
        // Same text at the same millisecond, but a distinct event: printed.
        assert!(seen.first(&event(Some("2"), 10, "a")));
    }

    #[test]
    fn live_and_polled_copies_of_one_event_print_once() {
        let mut seen = Seen::default();
        assert!(seen.first(&event(None, 10, "a")));
        assert!(!seen.first(&event(Some("1"), 10, "a")));
        assert!(seen.first(&event(Some("2"), 11, "b")));
        assert!(!seen.first(&event(None, 11, "b")));
        // Two identical lines in one Live Tail update are two events.
        assert!(seen.first(&event(None, 12, "c")));
        assert!(seen.first(&event(None, 12, "c")));
    }

    #[test]
    fn polled_events_without_ids_are_deduplicated_by_content() {
        let mut seen = Seen::default();
        let mut e = event(None, 10, "a");
        e.live = false;
        assert!(seen.first(&e));
        assert!(!seen.first(&e));
    }

    #[test]
    fn memory_is_bounded() {
        let mut seen = Seen::default();
        for i in 0..(PRUNE_ABOVE as i64 + 10) {
            seen.first(&event(Some(&i.to_string()), i * 1000, "x"));
        }
        assert!(seen.ids.len() + seen.polled.len() <= PRUNE_ABOVE);
    }
}
