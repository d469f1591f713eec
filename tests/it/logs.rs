//! `stackctl logs` on MiniStack (the emulator that runs functions and writes their output to
//! CloudWatch Logs): printed lines show up, `--api` merges execution logs in time order,
//! `--follow` streams new lines and ends cleanly on SIGINT, and how fast it does so.

use crate::smoke::{api_and_url, post_name};
use crate::support::*;
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Runs `stackctl logs ARGS` until its output contains `needle` (the write can trail the
/// invoke slightly), returning that output.
fn logs_until(s: &Stack, args: &[&str], needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let run = s.ok(args);
        if run.stdout().contains(needle) || Instant::now() > deadline {
            return run.stdout();
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_show_what_the_functions_printed_and_merge_api_logs_in_time_order() {
    let emu = Emulator::get(Kind::MiniStack);
    let s = Stack::from_example(&emu, "tutorial", "logs");
    s.apply();
    let (api_id, url) = api_and_url(&s);
    let (status, body) = post_name(&url, "Grace").await;
    assert_eq!(status, 200, "{body}");
    let head = http_head(&url).await;
    assert_eq!(head, 200);

    let hello = s.function("hello");
    let out = logs_until(&s, &["logs"], "head: HEAD /hello");
    let line = out
        .lines()
        .find(|l| l.contains("hello: greeting Grace (POST /hello)"))
        .unwrap_or_else(|| panic!("no greeting line in:\n{out}"));
    // time, source, message
    let fields: Vec<&str> = line.splitn(3, "  ").collect();
    assert!(
        fields[0].ends_with('Z') && fields[0].contains('T'),
        "{line}"
    );
    assert_eq!(fields[1].trim(), hello, "{line}");
    assert!(out.contains("head: HEAD /hello"), "{out}");

    // One function only, by its key in the file.
    let only = s.ok(&["logs", "head"]).stdout();
    assert!(only.contains("head: HEAD /hello"), "{only}");
    assert!(!only.contains("greeting Grace"), "{only}");

    // --filter narrows (MiniStack matches the pattern as a substring).
    let filtered = s.ok(&["logs", "--filter", "greeting"]).stdout();
    assert!(filtered.contains("greeting Grace"), "{filtered}");
    assert!(!filtered.contains("head: HEAD"), "{filtered}");

    // No emulator writes execution logs: write some around the function's line, then check
    // that --api shows them interleaved in time order.
    let json = s.ok(&["logs", "--json", "hello"]).stdout();
    let greeting: Value = json
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["message"].as_str().unwrap().contains("greeting Grace"))
        .unwrap();
    let t = greeting["timestamp"].as_i64().unwrap();
    // stackctl created the stage's execution-log group before enabling logging.
    let group = format!("API-Gateway-Execution-Logs_{api_id}/prod");
    let logs = emu.logs().await;
    logs.create_log_stream()
        .log_group_name(&group)
        .log_stream_name("exec")
        .send()
        .await
        .unwrap();
    let event = |ts: i64, m: &str| {
        InputLogEvent::builder()
            .timestamp(ts)
            .message(m)
            .build()
            .unwrap()
    };
    logs.put_log_events()
        .log_group_name(&group)
        .log_stream_name("exec")
        .log_events(event(t - 5, "api-before: Starting execution for request"))
        .log_events(event(t + 5, "api-after: Method completed with status: 200"))
        .send()
        .await
        .unwrap();
    let merged = s.ok(&["logs", "--api", "--json"]).stdout();
    let events: Vec<Value> = merged
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let stamps: Vec<i64> = events
        .iter()
        .map(|e| e["timestamp"].as_i64().unwrap())
        .collect();
    assert!(stamps.windows(2).all(|w| w[0] <= w[1]), "{merged}");
    let position = |needle: &str| {
        events
            .iter()
            .position(|e| e["message"].as_str().unwrap().contains(needle))
            .unwrap_or_else(|| panic!("no {needle:?} in:\n{merged}"))
    };
    let (before, line, after) = (
        position("api-before"),
        position("greeting Grace"),
        position("api-after"),
    );
    assert!(before < line && line < after, "{merged}");
    assert_eq!(events[before]["source"], "api/prod");
    assert_eq!(events[line]["source"], hello.as_str());

    // Text output labels the API's lines api/<stage>.
    let text = s.ok(&["logs", "--api"]).stdout();
    assert!(
        text.lines().any(|l| l.contains("  api/prod ")
            && l.ends_with("api-after: Method completed with status: 200")),
        "{text}"
    );

    s.destroy();
}

async fn http_head(url: &str) -> u16 {
    crate::smoke::http()
        .head(url)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// `stackctl logs --follow` as a child process whose stdout lines arrive, time-stamped, on a
/// channel.
struct Follow {
    child: Child,
    lines: mpsc::Receiver<(Instant, String)>,
    seen: Vec<String>,
}

impl Follow {
    fn start(s: &Stack, extra: &[&str]) -> Follow {
        let mut child = stackctl_command(&s.emu)
            .arg("-f")
            .arg(s.file())
            .args(["logs", "--follow", "--since", "1s"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send((Instant::now(), line)).is_err() {
                    break;
                }
            }
        });
        Follow {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// When the first line containing `needle` arrived, waiting at most `limit`.
    fn wait_for(&mut self, needle: &str, limit: Duration) -> Option<Instant> {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            let (at, line) = self.lines.recv_timeout(left).ok()?;
            let hit = line.contains(needle);
            self.seen.push(line);
            if hit {
                return Some(at);
            }
        }
    }

    /// Sends SIGINT (what Ctrl-C sends) and returns the exit code and stderr.
    fn interrupt(mut self) -> (Option<i32>, String) {
        let status = std::process::Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        let code = loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                break st.code();
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut stderr = String::new();
        use std::io::Read;
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        (code, stderr)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_shows_a_new_line_quickly_and_ends_cleanly_on_sigint() {
    let emu = Emulator::get(Kind::MiniStack);
    let s = Stack::from_example(&emu, "tutorial", "follow");
    s.apply();
    let (api_id, url) = api_and_url(&s);
    // --api: the execution-log group does not exist (removed here, as on a stack whose group was
    // never made), so it is waited for.
    emu.logs()
        .await
        .delete_log_group()
        .log_group_name(format!("API-Gateway-Execution-Logs_{api_id}/prod"))
        .send()
        .await
        .unwrap();
    let mut follow = Follow::start(&s, &["--api"]);
    // Let it finish its back-fill and start waiting.
    std::thread::sleep(Duration::from_secs(2));

    let sent = Instant::now();
    let (status, _) = post_name(&url, "Follower").await;
    assert_eq!(status, 200);
    let shown = follow.wait_for("greeting Follower", Duration::from_secs(10));
    let shown = shown.unwrap_or_else(|| {
        panic!(
            "the new line did not show within 10 s; stdout so far:\n{}",
            follow.seen.join("\n")
        )
    });
    eprintln!("invoke to screen: {} ms", (shown - sent).as_millis());

    // The group appears (as API Gateway would create it) and its first line is shown.
    let group = format!("API-Gateway-Execution-Logs_{api_id}/prod");
    let logs = emu.logs().await;
    logs.create_log_group()
        .log_group_name(&group)
        .send()
        .await
        .unwrap();
    logs.create_log_stream()
        .log_group_name(&group)
        .log_stream_name("exec")
        .send()
        .await
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    logs.put_log_events()
        .log_group_name(&group)
        .log_stream_name("exec")
        .log_events(
            InputLogEvent::builder()
                .timestamp(now)
                .message("late group: Method completed with status: 200")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert!(
        follow
            .wait_for("late group: Method completed", Duration::from_secs(10))
            .is_some(),
        "a log group created after --follow started was not picked up:\n{}",
        follow.seen.join("\n")
    );

    // Give any duplicate time to show: there must be none.
    follow.wait_for("never printed", Duration::from_secs(3));
    for needle in ["greeting Follower", "late group"] {
        let copies = follow.seen.iter().filter(|l| l.contains(needle)).count();
        assert_eq!(
            copies,
            1,
            "{needle:?} printed {copies} times:\n{}",
            follow.seen.join("\n")
        );
    }

    let (code, stderr) = follow.interrupt();
    assert_eq!(
        code,
        Some(0),
        "SIGINT must end --follow with exit 0; stderr:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
    s.destroy();
}

/// The measurement the issue asks for: invoke-to-screen latency of `logs --follow` over 20
/// invokes, printed (run with `--nocapture` to see it). The bound asserted is deliberately
/// generous; the target (p50 ≤ 1 s on the polling path) is reported, not enforced, on shared CI
/// machines.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_latency_over_20_invokes() {
    let emu = Emulator::get(Kind::MiniStack);
    measure_follow_latency(
        &emu,
        "latency",
        "whichever path works (Live Tail on MiniStack)",
    )
    .await;
}

/// The same with Live Tail refused (a hard-quota answer, never retried): every line comes from
/// FilterLogEvents polling.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_latency_polling_over_20_invokes() {
    let emu = Emulator::get(Kind::MiniStack);
    let proxy = crate::proxy::Proxy::start(&emu);
    proxy.inject(
        "StartLiveTail",
        crate::proxy::Fault::LimitExceeded,
        u32::MAX,
    );
    let stderr = measure_follow_latency(&proxy.emulator(), "latpoll", "polling only").await;
    assert!(
        proxy.seen("StartLiveTail") >= 1,
        "Live Tail was never tried"
    );
    assert!(
        stderr.contains("polling FilterLogEvents instead"),
        "not on the polling path: {stderr}"
    );
}

/// Follows (with -v, whose stderr tells which path delivered), invokes 20 times at irregular
/// gaps, prints p50 / max / all latencies; returns follow's stderr.
async fn measure_follow_latency(emu: &Emulator, prefix: &str, label: &str) -> String {
    const INVOKES: usize = 20;
    let s = Stack::from_example(emu, "tutorial", prefix);
    s.apply();
    let (_, url) = api_and_url(&s);
    let mut follow = Follow::start(&s, &["-v"]);
    std::thread::sleep(Duration::from_secs(2));

    let mut millis = Vec::new();
    for i in 0..INVOKES {
        let name = format!("lat{i}");
        let sent = Instant::now();
        let (status, _) = post_name(&url, &name).await;
        assert_eq!(status, 200);
        let shown = follow
            .wait_for(&format!("greeting {name} "), Duration::from_secs(15))
            .unwrap_or_else(|| panic!("invoke {i} never showed:\n{}", follow.seen.join("\n")));
        millis.push((shown - sent).as_millis() as u64);
        // Irregular gaps, so the invokes do not fall into step with the polling interval.
        std::thread::sleep(Duration::from_millis(300 + fastrand::u64(0..1200)));
    }
    let (code, stderr) = follow.interrupt();
    assert_eq!(code, Some(0), "{stderr}");

    let mut sorted = millis.clone();
    sorted.sort_unstable();
    let p50 = sorted[INVOKES / 2 - 1];
    let max = *sorted.last().unwrap();
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("Following ") && l.ends_with("(Ctrl-C to stop) ...")),
        "no banner on stderr: {stderr}"
    );
    let path: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("Live Tail") || l.contains("polling") || l.starts_with("Following"))
        .collect();
    eprintln!(
        "logs --follow invoke-to-screen over {INVOKES} invokes on MiniStack, {label}: p50 {p50} ms, max {max} ms (all: {millis:?}); {}",
        path.join("; ")
    );
    assert!(p50 <= 5_000, "p50 {p50} ms: {millis:?}");
    s.destroy();
    stderr
}
