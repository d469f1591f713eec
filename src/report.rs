//! Events that library code reports while it works (a dependency install, MiniStack starting)
//! and that no return value can carry, since they happen deep inside a plan or a connect. Library
//! code calls [`emit`]; the command layer decides, once, who shows them ([`set_sink`]: the
//! printer). Without a sink (a library user, a test) events are dropped.

use std::fmt;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

/// Something worth telling the person at the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A function's dependencies are being installed into the build cache (minutes, at times).
    Installing {
        function: String,
        /// `requirements.txt` or `package.json`.
        manifest: String,
        runtime: String,
        architecture: String,
    },
    /// The install above finished.
    Installed { function: String, took: Duration },
    /// `--local` installs MiniStack into a venv of its own (once; about 10 s).
    InstallingMinistack { version: String, venv: PathBuf },
    /// `--local` started MiniStack, which keeps running for the next commands.
    StartedMinistack {
        version: String,
        endpoint: String,
        pid: u32,
        log: PathBuf,
    },
}

/// Where an event stands in an activity that takes a while (a spinner's worth): installs of
/// several functions can run at once, so each is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity<'a> {
    Starts(&'a str),
    Ends(&'a str),
}

impl Event {
    /// The activity this event starts or ends, if any.
    pub fn activity(&self) -> Option<Activity<'_>> {
        match self {
            Event::Installing { function, .. } => Some(Activity::Starts(function)),
            Event::Installed { function, .. } => Some(Activity::Ends(function)),
            _ => None,
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Installing {
                function,
                manifest,
                runtime,
                architecture,
            } => write!(
                f,
                "Installing the dependencies of function {function} ({manifest}, {runtime} {architecture})…"
            ),
            Event::Installed { function, took } => write!(
                f,
                "Installed the dependencies of function {function} in {:.1} s.",
                took.as_secs_f64()
            ),
            Event::InstallingMinistack { version, venv } => write!(
                f,
                "--local: installing MiniStack {version} into {} (once; about 10 s) ...",
                venv.display()
            ),
            Event::StartedMinistack {
                version,
                endpoint,
                pid,
                log,
            } => write!(
                f,
                "Started MiniStack {version} on {endpoint} (pid {pid}, log {}). It keeps running for \
                 the next commands; stop it with `kill {pid}`.",
                log.display()
            ),
        }
    }
}

type Sink = Box<dyn Fn(&Event) + Send + Sync>;
static SINK: OnceLock<Sink> = OnceLock::new();

/// Sets who shows events, once per process (later calls are ignored).
pub fn set_sink(sink: impl Fn(&Event) + Send + Sync + 'static) {
    let _ = SINK.set(Box::new(sink));
}

/// Reports an event to the sink, if one is set.
pub fn emit(event: Event) {
    if let Some(sink) = SINK.get() {
        sink(&event);
    }
}
