//! `stackctl logs`: the stack's function logs (and, with `--api`, the stage's execution logs),
//! printed once or followed. Live Tail streams when it can; FilterLogEvents back-fills and polls.

mod follow;
mod live;
mod poll;
mod print;

use crate::aws::Aws;
use crate::config::StackConfig;
use anyhow::{Result, bail};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use print::{Line, Lines};

/// What `stackctl logs` was asked for.
#[derive(Debug, Clone)]
pub struct Options {
    pub follow: bool,
    pub since: Duration,
    pub filter: Option<String>,
}

/// What `stackctl logs` reports as it runs, for the command layer's printer: the lines (the
/// command's result) and notices about the sources (on stderr).
#[derive(Debug, Clone)]
pub enum Report {
    /// New lines, in time order.
    Lines(Vec<Line>),
    Notice(Notice),
}

/// Something about the sources worth telling, besides their lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Following has started.
    Following { labels: Vec<String> },
    /// A source's log group does not exist ([`Source::missing`] says what that means);
    /// `waiting`: following goes on and will pick it up.
    Missing {
        label: String,
        why: String,
        waiting: bool,
    },
    /// A function's log group has no log streams: nothing has invoked it.
    NeverRan {
        label: String,
        group: String,
        /// Talking to an emulator (LocalStack without Docker runs no functions).
        emulator: bool,
    },
    /// Live Tail delivers a sample: more than 500 events a second.
    Sampling,
    /// Following polls FilterLogEvents instead of streaming with Live Tail, and why: only -v
    /// shows it, since the lines are the same.
    Polling { why: String },
}

impl Notice {
    /// Only -v shows it: how stackctl works around something, not something about the stack.
    pub fn is_detail(&self) -> bool {
        matches!(self, Notice::Polling { .. })
    }
}

impl std::fmt::Display for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Notice::Following { labels } => {
                write!(f, "Following {} (Ctrl-C to stop) ...", labels.join(", "))
            }
            Notice::Missing {
                label,
                why,
                waiting,
            } => write!(
                f,
                "{label}: {why}{}",
                if *waiting { "; waiting for it" } else { "" }
            ),
            Notice::NeverRan {
                label,
                group,
                emulator,
            } => write!(
                f,
                "{label}: has never run: its log group {group} has no log streams{}",
                if *emulator {
                    " (nothing has invoked it yet; on an emulator, note that LocalStack without Docker runs no functions: MiniStack does, `stackctl --local`)"
                } else {
                    " (nothing has invoked it yet; `stackctl test` calls every route)"
                }
            ),
            Notice::Sampling => f.write_str(
                "Live Tail is sampling: more than 500 events a second, some lines are not shown",
            ),
            Notice::Polling { why } => f.write_str(why),
        }
    }
}

/// Where [`run`] sends its reports. An error (stdout closed) ends the run.
pub type Sink<'a> = dyn FnMut(Report) -> std::io::Result<()> + 'a;

/// One log group and the label its lines carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub label: String,
    pub group: String,
    pub kind: SourceKind,
}

/// Whose log group a source is: that decides what its absence means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// A function's group, which stackctl creates before the function: absent means not deployed.
    Function,
    /// A stage's execution logs, which API Gateway creates on the first logged request.
    Api,
}

impl Source {
    /// What it means that the log group does not exist.
    pub fn missing(&self) -> String {
        match self.kind {
            SourceKind::Function => format!(
                "not deployed: there is no log group {} (stackctl creates it with the function; run `stackctl apply`)",
                self.group
            ),
            SourceKind::Api => format!(
                "no execution logs yet: API Gateway creates {} when the stage first logs a request",
                self.group
            ),
        }
    }
}

/// One log event, from either FilterLogEvents (which has ids) or Live Tail (which has none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Index into the sources.
    pub source: usize,
    pub timestamp: i64,
    pub stream: String,
    pub message: String,
    /// FilterLogEvents' event id (emulators may leave it out).
    pub id: Option<String>,
    /// Delivered by Live Tail rather than FilterLogEvents.
    pub live: bool,
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The log groups to read: the chosen functions' groups, then the stage's execution logs.
/// `api_id` is needed only with `api`.
pub fn sources(
    config: &StackConfig,
    functions: &[String],
    api: bool,
    api_id: Option<&str>,
) -> Result<Vec<Source>> {
    let all: Vec<(String, String)> = config
        .functions
        .keys()
        .map(|k| (k.clone(), config.function_name(k)))
        .collect();
    let mut chosen: Vec<String> = Vec::new();
    for wanted in functions {
        let Some((_, name)) = all.iter().find(|(k, n)| k == wanted || n == wanted) else {
            let known: Vec<&str> = all.iter().map(|(k, _)| k.as_str()).collect();
            crate::bail_hint!("stack {} has no function {wanted}", config.name; hint = "name one of: {}", known.join(", "));
        };
        if !chosen.contains(name) {
            chosen.push(name.clone());
        }
    }
    if functions.is_empty() {
        chosen = all.into_iter().map(|(_, n)| n).collect();
    }
    let mut out: Vec<Source> = chosen
        .into_iter()
        .map(|name| Source {
            group: crate::names::log_group_name(&name),
            label: name,
            kind: SourceKind::Function,
        })
        .collect();
    if api {
        let Some(api) = &config.api else {
            bail!(
                "--api: {} has no [api] table, so there are no execution logs",
                config.path.display()
            );
        };
        if api.logging == crate::config::LogLevel::Off {
            crate::bail_hint!("--api: execution logging is off for stage {} (logging = \"OFF\" under [api], the default), \
                 so API Gateway writes no execution logs", api.stage; hint = "set logging = \"INFO\" (or \"ERROR\") under [api] \
                 in {} and run `stackctl apply`", config.path.display()
            );
        }
        let Some(id) = api_id else {
            crate::bail_hint!("--api: the API {} is not deployed yet", api.name; hint = "run `stackctl apply` first");
        };
        out.push(Source {
            label: format!("api/{}", api.stage),
            group: format!("API-Gateway-Execution-Logs_{id}/{}", api.stage),
            kind: SourceKind::Api,
        });
    }
    if out.is_empty() {
        bail!(
            "{} declares no functions and no API: there are no logs to show",
            config.path.display()
        );
    }
    Ok(out)
}

/// Reports the events of the last `since`, then, with `follow`, new ones until Ctrl-C, to `sink`.
pub async fn run(
    aws: &Aws,
    sources: Vec<Source>,
    opts: &Options,
    sink: &mut Sink<'_>,
) -> Result<()> {
    let mut tail = follow::Tail::new(
        aws,
        sources,
        opts.filter.clone(),
        sink,
        now_ms() - opts.since.as_millis() as i64,
    );
    let outcome = if opts.follow {
        // Ctrl-C is the normal way to stop following: it ends the command, successfully.
        tokio::select! {
            r = follow::follow(&mut tail) => r,
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    } else {
        tail.once().await
    };
    match outcome {
        // A closed pipe (`stackctl logs | head`) means the reader has what it wanted.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            Ok(())
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn config() -> StackConfig {
        StackConfig::parse(
            Path::new("stack.toml"),
            "[stack]\nname = \"s\"\n[functions.a]\nruntime = \"python3.12\"\nhandler = \"i.h\"\nsource = \".\"\n\
             [functions.b]\nruntime = \"python3.12\"\nhandler = \"i.h\"\nsource = \".\"\n\
             [api]\nstage = \"prod\"\nlogging = \"INFO\"\n[[api.routes]]\npath = \"/x\"\nmethods = [\"POST\"]\nfunction = \"a\"\n",
        )
        .unwrap()
    }

    #[test]
    fn all_functions_by_default_then_api() {
        let s = sources(&config(), &[], true, Some("abc123")).unwrap();
        let groups: Vec<&str> = s.iter().map(|s| s.group.as_str()).collect();
        assert_eq!(
            groups,
            [
                "/aws/lambda/s-a",
                "/aws/lambda/s-b",
                "API-Gateway-Execution-Logs_abc123/prod"
            ]
        );
        assert_eq!(s[2].label, "api/prod");
    }

    #[test]
    fn functions_by_key_or_name() {
        let s = sources(&config(), &["b".into(), "s-b".into()], false, None).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].label, "s-b");
        let e = crate::render::error_text(
            &sources(&config(), &["zzz".into()], false, None).unwrap_err(),
            false,
        );
        assert!(e.contains("name one of: a, b"), "{e}");
    }

    #[test]
    fn api_logs_need_logging_on() {
        let mut c = config();
        c.api.as_mut().unwrap().logging = crate::config::LogLevel::Off;
        let e =
            crate::render::error_text(&sources(&c, &[], true, Some("abc123")).unwrap_err(), false);
        assert!(e.contains("execution logging is off"), "{e}");
        assert!(e.contains("logging = \"INFO\""), "{e}");
    }

    #[test]
    fn notices_read_as_before_and_only_polling_is_a_detail() {
        let missing = Notice::Missing {
            label: "s-a".into(),
            why: "not deployed".into(),
            waiting: true,
        };
        assert_eq!(missing.to_string(), "s-a: not deployed; waiting for it");
        assert!(!missing.is_detail());
        let following = Notice::Following {
            labels: vec!["s-a".into(), "api/prod".into()],
        };
        assert_eq!(
            following.to_string(),
            "Following s-a, api/prod (Ctrl-C to stop) ..."
        );
        let polling = Notice::Polling { why: "no".into() };
        assert!(polling.is_detail());
    }

    #[test]
    fn api_needs_a_deployed_api() {
        let e = crate::render::error_text(&sources(&config(), &[], true, None).unwrap_err(), false);
        assert!(e.contains("stackctl apply"), "{e}");
    }
}
