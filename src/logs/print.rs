//! How log events look: `time  source  message`, one colour per source (when colour is on),
//! or one JSON object per line for piping.

use super::{Event, Source};
use console::Style;
use serde_json::json;
use std::io::Write;

/// Colours that stay readable on dark and light terminals; sources take them in turn.
const PALETTE: [fn(Style) -> Style; 5] = [
    Style::cyan,
    Style::magenta,
    Style::yellow,
    Style::green,
    Style::blue,
];

pub struct Printer {
    json: bool,
    labels: Vec<String>,
    groups: Vec<String>,
    width: usize,
}

impl Printer {
    pub fn new(sources: &[Source], json: bool) -> Printer {
        Printer {
            json,
            labels: sources.iter().map(|s| s.label.clone()).collect(),
            groups: sources.iter().map(|s| s.group.clone()).collect(),
            width: sources.iter().map(|s| s.label.len()).max().unwrap_or(0),
        }
    }

    /// One event as the line to print (without the newline).
    pub fn line(&self, e: &Event) -> String {
        let time = time_text(e.timestamp);
        let message = e.message.trim_end_matches(['\n', '\r']);
        if self.json {
            return json!({
                "time": time,
                "timestamp": e.timestamp,
                "source": self.labels[e.source],
                "log_group": self.groups[e.source],
                "log_stream": e.stream,
                "message": message,
                "event_id": e.id,
            })
            .to_string();
        }
        let style = PALETTE[e.source % PALETTE.len()](Style::new());
        format!(
            "{}  {}  {}",
            console::style(time).dim(),
            style.apply_to(format!(
                "{:width$}",
                self.labels[e.source],
                width = self.width
            )),
            message
        )
    }

    /// Prints a batch in time order and flushes, so a followed line shows at once.
    pub fn print(&self, mut events: Vec<Event>) -> std::io::Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        events.sort_by_key(|e| e.timestamp);
        let mut out = std::io::stdout().lock();
        for e in &events {
            writeln!(out, "{}", self.line(e))?;
        }
        out.flush()
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

    fn printer(json: bool) -> Printer {
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
        Printer::new(&sources, json)
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
            printer(false).line(&event(1)),
            "2025-11-21T05:30:01.123Z  api/prod  hello: greeting world"
        );
    }

    #[test]
    fn json_line_is_one_object() {
        let v: serde_json::Value = serde_json::from_str(&printer(true).line(&event(0))).unwrap();
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
        let v: serde_json::Value = serde_json::from_str(&printer(true).line(&e)).unwrap();
        assert_eq!(v["time"], "2025-11-21T05:30:01.000Z");
    }
}
