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

pub fn error(e: &anyhow::Error) {
    let text = format!("{e:#}");
    // Config errors render their own "error:" header with the source location.
    if text.starts_with("error:") {
        eprintln!("{}", colour_error_header(&text));
    } else {
        eprintln!("{} {}", style("error:").red().bold(), text);
    }
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

fn action_style(action: Action) -> Style {
    match action {
        Action::Create => Style::new().green(),
        Action::Update => Style::new().yellow(),
        Action::Replace => Style::new().magenta(),
        Action::Delete => Style::new().red(),
    }
}

fn value(v: &Option<String>, sensitive: bool) -> String {
    match (v, sensitive) {
        (None, _) => "(none)".into(),
        (Some(_), true) => "(sensitive)".into(),
        (Some(v), false) => v.clone(),
    }
}

fn change_line(action: Action, c: &AttrChange, width: usize) -> String {
    let name = format!("{:width$}", c.attribute);
    match action {
        Action::Create => format!("      {name} = {}", value(&c.after, c.sensitive)),
        Action::Delete => format!("      {name} = {}", value(&c.before, c.sensitive)),
        _ => format!(
            "      {name}   {} → {}",
            value(&c.before, c.sensitive),
            value(&c.after, c.sensitive)
        ),
    }
}

fn step_header(step: &Step) -> String {
    let s = action_style(step.action);
    let wide = if step.account_wide {
        format!(" {}", style("(account-wide)").cyan())
    } else {
        String::new()
    };
    format!(
        "  {} {} {}{}",
        s.apply_to(format!("{:>3}", step.action.symbol())),
        step.kind.as_str(),
        style(&step.name).bold(),
        wide
    )
}

/// The plan as text: one block per step, changed attributes before → after, and a summary line.
/// `, profile dev, endpoint http://…`: where the plan was read, when it is not the default.
fn place(plan: &Plan) -> String {
    let mut out = String::new();
    if let Some(p) = &plan.profile {
        out.push_str(&format!(", profile {p}"));
    }
    if let Some(e) = &plan.endpoint {
        out.push_str(&format!(", endpoint {e}"));
    }
    out
}

pub fn plan_text(plan: &Plan) -> String {
    let mut out = String::new();
    if plan.is_empty() {
        out.push_str(&format!(
            "No changes. Stack {} ({}, account {}{}) matches {}.\n",
            plan.stack,
            plan.region,
            plan.account,
            place(plan),
            plan.file
        ));
        return out;
    }
    out.push_str(&format!(
        "Stack {} in {} (account {}{}): {} step{}, in order.\n\n",
        style(&plan.stack).bold(),
        plan.region,
        plan.account,
        place(plan),
        plan.steps.len(),
        if plan.steps.len() == 1 { "" } else { "s" }
    ));
    for step in &plan.steps {
        out.push_str(&step_header(step));
        out.push('\n');
        // What a delete removes is named by its header; its old attributes are noise.
        let changes: &[AttrChange] = if step.action == Action::Delete {
            &[]
        } else {
            &step.changes
        };
        let width = changes.iter().map(|c| c.attribute.len()).max().unwrap_or(0);
        for c in changes {
            out.push_str(&change_line(step.action, c, width));
            out.push('\n');
        }
    }
    out.push('\n');
    out.push_str(&summary_line(plan));
    out.push('\n');
    if plan.steps.iter().any(|s| s.account_wide) {
        out.push_str(&format!(
            "{} steps marked account-wide change a setting every API in this account and region shares; destroy never undoes them.\n",
            style("Note:").cyan()
        ));
    }
    out
}

pub fn summary_line(plan: &Plan) -> String {
    let s = &plan.summary;
    format!(
        "Plan: {} to create, {} to update, {} to replace, {} to delete.",
        style(s.create).green(),
        style(s.update).yellow(),
        style(s.replace).magenta(),
        style(s.delete).red()
    )
}

/// What an apply did, once it succeeded.
pub fn applied_line(plan: &Plan) -> String {
    let s = &plan.summary;
    format!(
        "Apply complete: {} created, {} updated, {} replaced, {} deleted.",
        s.create, s.update, s.replace, s.delete
    )
}

/// The plan as one JSON object (documented in the README): secrets masked.
pub fn plan_json(plan: &Plan) -> serde_json::Value {
    let steps: Vec<serde_json::Value> = plan
        .steps
        .iter()
        .map(|s| {
            json!({
                "id": s.id,
                "action": s.action,
                "type": s.kind,
                "name": s.name,
                "account_wide": s.account_wide,
                "depends_on": s.depends_on,
                "changes": s.changes.iter().map(|c| json!({
                    "attribute": c.attribute,
                    "before": c.before.as_ref().map(|v| if c.sensitive { "(sensitive)" } else { v.as_str() }),
                    "after": c.after.as_ref().map(|v| if c.sensitive { "(sensitive)" } else { v.as_str() }),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "stack": plan.stack,
        "region": plan.region,
        "account": plan.account,
        "changes": !plan.is_empty(),
        "steps": steps,
        "summary": plan.summary,
        "conflicts": plan.conflicts,
    })
}

pub fn conflicts(list: &[Conflict]) -> String {
    let mut out = String::new();
    for c in list {
        out.push_str(&format!(
            "{} {}\n  = hint: {}\n",
            style("error:").red().bold(),
            c.message,
            c.hint
        ));
    }
    out
}

/// Apply progress: a spinner per running step on a terminal, one plain line per event otherwise.
pub struct Progress {
    multi: Option<MultiProgress>,
    bars: BTreeMap<usize, ProgressBar>,
}

impl Progress {
    pub fn new() -> Self {
        let multi = (!quiet() && std::io::stderr().is_terminal()).then(MultiProgress::new);
        Progress {
            multi,
            bars: BTreeMap::new(),
        }
    }

    fn println(&self, line: String) {
        match &self.multi {
            Some(m) => {
                let _ = m.println(line);
            }
            None => info(line),
        }
    }

    pub fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Started(step) => {
                if let Some(m) = &self.multi {
                    let bar = m.add(ProgressBar::new_spinner());
                    bar.set_style(
                        ProgressStyle::with_template("  {spinner} {msg} {elapsed:.dim}")
                            .expect("valid template"),
                    );
                    bar.set_message(format!("{} {}", verb(step.action, true), target(step)));
                    bar.enable_steady_tick(Duration::from_millis(100));
                    self.bars.insert(step.id, bar);
                }
            }
            Event::Done(step, took) => {
                self.finish(step.id);
                self.println(format!(
                    "  {} {} {} {}",
                    style("✓").green(),
                    verb(step.action, false),
                    target(step),
                    style(format!("({:.1}s)", took.as_secs_f64())).dim()
                ));
            }
            Event::Failed(step, e) => {
                self.finish(step.id);
                self.println(format!(
                    "  {} {} {} failed:\n      {}",
                    style("✗").red(),
                    verb(step.action, true),
                    target(step),
                    format!("{e:#}").replace('\n', "\n      ")
                ));
            }
            Event::Throttled(stats) => {
                self.println(format!(
                    "  {} API Gateway is throttling this account ({} requests answered 429 so far, \
                     other deployers share its quota): pacing at {:.1} requests/s and retrying",
                    style("…").yellow(),
                    stats.throttled,
                    stats.rate_per_s
                ));
            }
            Event::Skipped(step) => {
                self.println(format!(
                    "  {} skipped {} {} (a step it depends on did not succeed)",
                    style("-").dim(),
                    step.kind.as_str(),
                    step.name
                ));
            }
        }
    }

    fn finish(&mut self, id: usize) {
        if let Some(bar) = self.bars.remove(&id) {
            bar.finish_and_clear();
        }
    }
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

fn target(step: &Step) -> String {
    format!("{} {}", step.kind.as_str(), step.name)
}

fn verb(action: Action, ongoing: bool) -> &'static str {
    match (action, ongoing) {
        (Action::Create, true) => "creating",
        (Action::Create, false) => "created",
        (Action::Update, true) => "updating",
        (Action::Update, false) => "updated",
        (Action::Replace, true) => "replacing",
        (Action::Replace, false) => "replaced",
        (Action::Delete, true) => "deleting",
        (Action::Delete, false) => "deleted",
    }
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
