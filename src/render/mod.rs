//! Everything stackctl shows a person or a program: plans as text and JSON, apply progress,
//! outputs. Colour only where it helps and only when allowed (NO_COLOR, --color, a terminal).

use crate::apply::{Event, Outcome};
use crate::aws::Call;
use crate::diff::{Action, AttrChange};
use crate::engine::Outputs;
use crate::live::Conflict;
use crate::plan::{Plan, Step};
use console::{Style, style};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use serde_json::json;
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

mod plan;
mod progress;
pub use plan::{applied_line, conflicts, plan_json, plan_text, summary_line};
pub use progress::Progress;
use progress::target;

static VERBOSE: AtomicBool = AtomicBool::new(false);
static QUIET: AtomicBool = AtomicBool::new(false);

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Sets output options once, at start-up.
pub fn init(color: ColorChoice, quiet: bool, verbose: bool) {
    let enabled = match color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    };
    console::set_colors_enabled(enabled);
    console::set_colors_enabled_stderr(enabled);
    QUIET.store(quiet, Ordering::Relaxed);
    VERBOSE.store(verbose, Ordering::Relaxed);
}

pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// A line of progress or information, on stderr; silenced by -q.
pub fn info(line: impl std::fmt::Display) {
    if !quiet() {
        eprintln!("{line}");
    }
}

/// A command's result on stdout, as it is (no newline added).
pub fn out(text: impl std::fmt::Display) {
    print!("{text}");
}

/// A command's result on stdout, one line.
pub fn out_line(text: impl std::fmt::Display) {
    println!("{text}");
}

/// A message on stderr that is part of a command's flow (a prompt, refused conflicts), as it is.
pub fn err(text: impl std::fmt::Display) {
    eprint!("{text}");
}

/// A line only `-v` shows, on stderr: how stackctl works around something, not a result.
pub fn detail(line: impl std::fmt::Display) {
    if VERBOSE.load(Ordering::Relaxed) {
        eprintln!("{line}");
    }
}

/// `-v`: one line per AWS call, with its duration.
pub fn verbose_call(call: &Call) {
    let retries = if call.attempts > 1 {
        format!(" ({} attempts)", call.attempts)
    } else {
        String::new()
    };
    let status = if call.ok { "ok" } else { "error" };
    eprintln!(
        "{} {}:{} {} {}ms{}",
        style("aws").dim(),
        call.service.to_lowercase(),
        call.operation,
        status,
        call.millis,
        retries
    );
}

/// Prints a failed command's error to stderr.
pub fn error(e: &anyhow::Error) {
    eprintln!("{}", error_text(e, true));
}

/// An error as stackctl words it: `error: <what failed>: <why>`, then `= hint: <what to do>`
/// from the typed error that carries one, and for a bug a note saying so. A stack file's errors
/// bring their own headers, with the source location.
pub fn error_text(e: &anyhow::Error, colour: bool) -> String {
    let header = |s: &str| {
        if colour {
            style(s).red().bold().to_string()
        } else {
            s.to_string()
        }
    };
    if let Some(config) = e.downcast_ref::<crate::config::ConfigError>() {
        let text = config.to_string();
        return if colour {
            colour_error_header(&text)
        } else {
            text
        };
    }
    let mut text = if colour {
        format!("{} {e:#}", header("error:"))
    } else {
        format!("{e:#}")
    };
    if let Some(hint) = crate::error::hint(e) {
        text.push_str(&format!("\n  = hint: {hint}"));
    }
    if e.chain().any(|c| c.is::<crate::error::Internal>()) {
        text.push_str(
            "\n  = note: this is a bug in stackctl; please report it with the command you ran",
        );
    }
    text
}

fn colour_error_header(text: &str) -> String {
    text.lines()
        .map(|l| match l.strip_prefix("error:") {
            Some(rest) => format!("{}{}", style("error:").red().bold(), rest),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn outcome(plan: &Plan, outcome: &Outcome) -> String {
    let mut out = String::new();
    if outcome.interrupted {
        out.push_str(&format!(
            "{} interrupted: no new steps were started; the ones in flight finished.\n",
            style("Apply").yellow().bold()
        ));
    }
    out.push_str(&format!(
        "{} of {} steps done",
        outcome.done.len(),
        plan.steps.len()
    ));
    if !outcome.failed.is_empty() {
        out.push_str(&format!(", {} failed", outcome.failed.len()));
    }
    if !outcome.skipped.is_empty() {
        out.push_str(&format!(", {} not started", outcome.skipped.len()));
        let names: Vec<String> = outcome
            .skipped
            .iter()
            .map(|&i| target(&plan.steps[i]))
            .collect();
        out.push_str(&format!(":\n  {}", names.join("\n  ")));
    }
    out.push('.');
    if !outcome.ok() {
        out.push_str("\nNothing is lost: run `stackctl plan` to see what remains, and `stackctl apply` to finish.");
    }
    out
}

pub fn outputs_text(o: &Outputs) -> String {
    let mut out = String::new();
    if let Some(id) = &o.api_id {
        out.push_str(&format!("api_id  {id}\n"));
    }
    if let Some(stage) = &o.stage {
        out.push_str(&format!("stage   {stage}\n"));
    }
    if !o.routes.is_empty() {
        out.push_str("routes\n");
        for r in &o.routes {
            out.push_str(&format!(
                "  {:<7} {}\n",
                r.method,
                style(&r.url).underlined()
            ));
        }
    }
    if !o.functions.is_empty() {
        out.push_str("functions\n");
        for (name, arn) in &o.functions {
            out.push_str(&format!("  {name}  {arn}\n"));
        }
    }
    if !o.event_sources.is_empty() {
        out.push_str("event sources\n");
        for e in &o.event_sources {
            out.push_str(&format!(
                "  {}  {}  {}  {}\n",
                e.function, e.source_type, e.source_arn, e.uuid
            ));
        }
    }
    out
}
