//! Everything stackctl shows a person or a program: plans as text and JSON, apply progress,
//! outputs. Colour only where it helps and only when allowed (NO_COLOR, --color, a terminal).
//! [`Printer`] is the only writer to stdout and stderr; the rest of this module makes text.

use crate::apply::{Event, Outcome};
use crate::diff::{Action, AttrChange};
use crate::engine::Outputs;
use crate::live::Conflict;
use crate::plan::{Plan, Step};
use console::{Style, style};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use serde_json::json;
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::time::Duration;

mod plan;
mod printer;
mod progress;
pub use plan::{PlanView, applied_line, conflicts, plan_json, plan_text, summary_line};
pub use printer::Printer;
pub use progress::Progress;
use progress::target;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// An error as stackctl words it: `error: <what failed>: <why>`, then `= hint: <what to do>`
/// from the typed error that carries one, and for a bug a note saying so. A stack file's errors
/// bring their own headers, with the source location.
pub fn error_text(e: &anyhow::Error, colour: bool) -> String {
    let header = |s: &str| {
        if colour {
            style(s).for_stderr().red().bold().to_string()
        } else {
            s.to_string()
        }
    };
    if let Some(config) = e.downcast_ref::<crate::config::ConfigError>() {
        return config.render(colour && console::colors_enabled_stderr());
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

pub fn outcome(plan: &Plan, outcome: &Outcome) -> String {
    let mut out = String::new();
    if outcome.interrupted {
        out.push_str(&format!(
            "{} interrupted: no new steps were started; the ones in flight finished.\n",
            style("Apply").for_stderr().yellow().bold()
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

/// `stackctl outputs` as text: the API id and stage, each route's URL, the functions' ARNs and
/// the event sources, one per line (`--json` prints the same value serialised).
impl std::fmt::Display for Outputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&outputs_text(self))
    }
}

fn outputs_text(o: &Outputs) -> String {
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
