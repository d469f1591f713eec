//! How log events look: `time  source  message`, one colour per source (when colour is on),
//! or (`--json`, chosen by the printer) one JSON object per line for piping.

use super::{Event, Source};
use console::Style;
use serde::Serialize;

/// Colours that stay readable on dark and light terminals; sources take them in turn.
const PALETTE: [fn(Style) -> Style; 5] = [
    Style::cyan,
    Style::magenta,
    Style::yellow,
    Style::green,
    Style::blue,
];

/// Turns events into [`Line`]s: knows each source's label, group and colour, and pads labels
/// to one width so messages line up.
pub struct Lines {
    labels: Vec<String>,
    groups: Vec<String>,
    width: usize,
}

/// One log line as `stackctl logs` shows it: as text `time  source  message` (the source in its
/// colour when colour is on), or with `--json` as one object with these fields.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    /// RFC 3339 UTC with milliseconds.
    pub time: String,
    /// Milliseconds since the epoch.
    pub timestamp: i64,
    pub source: String,
    pub log_group: String,
    pub log_stream: String,
    /// Without its trailing newline.
    pub message: String,
    /// FilterLogEvents' id; null for lines Live Tail delivered.
    pub event_id: Option<String>,
    #[serde(skip)]
    colour: usize,
    #[serde(skip)]
    width: usize,
}

impl std::fmt::Display for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let style = PALETTE[self.colour % PALETTE.len()](Style::new());
        write!(
            f,
            "{}  {}  {}",
            console::style(&self.time).dim(),
            style.apply_to(format!("{:width$}", self.source, width = self.width)),
            self.message
        )
    }
}

impl Lines {
    pub fn new(sources: &[Source]) -> Lines {
        Lines {
            labels: sources.iter().map(|s| s.label.clone()).collect(),
            groups: sources.iter().map(|s| s.group.clone()).collect(),
            width: sources.iter().map(|s| s.label.len()).max().unwrap_or(0),
        }
    }

    /// One event as its line.
    pub fn line(&self, e: &Event) -> Line {
        Line {
            time: time_text(e.timestamp),
            timestamp: e.timestamp,
            source: self.labels[e.source].clone(),
            log_group: self.groups[e.source].clone(),
            log_stream: e.stream.clone(),
            message: e.message.trim_end_matches(['\n', '\r']).to_string(),
            event_id: e.id.clone(),
            colour: e.source,
            width: self.width,
        }
    }

    /// A batch of events as lines, in time order.
    pub fn lines(&self, mut events: Vec<Event>) -> Vec<Line> {
        events.sort_by_key(|e| e.timestamp);
        events.iter().map(|e| self.line(e)).collect()
    }
}

/// Milliseconds since the epoch as RFC 3339 UTC with exactly three fractional digits, e.g.
/// `2026-11-21T05:30:01.120Z`, so that lines stay aligned (trailing zeros are kept).
fn time_text(ms: i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64);
    humantime::format_rfc3339_millis(t).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::SourceKind;

    fn lines() -> Lines {
        let sources = [
            Source {
                label: "s-hello".into(),
                group: "/aws/lambda/s-hello".into(),
                kind: SourceKind::Function,
            },
            Source {
                label: "api/prod".into(),
                group: "API-Gateway-Execution-Logs_x/prod".into(),
                kind: SourceKind::Api,
            },
        ];
        Lines::new(&sources)
    }

    fn event(source: usize) -> Event {
        Event {
            source,
            timestamp: 1_763_703_001_123,
            stream: "2025/11/21/[$LATEST]abc".into(),
            message: "hello: greeting world\n".into(),
            id: Some("1".into()),
            live: false,
        }
    }

    #[test]
    fn text_line_has_time_padded_source_and_message() {
        console::set_colors_enabled(false);
        assert_eq!(
            lines().line(&event(1)).to_string(),
            "2025-11-21T05:30:01.123Z  api/prod  hello: greeting world"
        );
    }

    #[test]
    fn json_line_is_one_object() {
        let v: serde_json::Value = serde_json::to_value(lines().line(&event(0))).unwrap();
        assert_eq!(v["source"], "s-hello");
        assert_eq!(v["log_group"], "/aws/lambda/s-hello");
        assert_eq!(v["message"], "hello: greeting world");
        assert_eq!(v["timestamp"], 1_763_703_001_123i64);
        assert_eq!(v["time"], "2025-11-21T05:30:01.123Z");
    }

    #[test]
    fn times_have_three_fractional_digits() {
        assert_eq!(time_text(1_763_703_001_500), "2025-11-21T05:30:01.500Z");
        assert_eq!(time_text(1_763_703_001_000), "2025-11-21T05:30:01.000Z");
        assert_eq!(time_text(1_763_703_001_480), "2025-11-21T05:30:01.480Z");
        let mut e = event(0);
        e.timestamp = 1_763_703_001_000;
        let v: serde_json::Value = serde_json::to_value(lines().line(&e)).unwrap();
        assert_eq!(v["time"], "2025-11-21T05:30:01.000Z");
    }
}
