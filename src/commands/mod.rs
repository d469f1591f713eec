//! One function per command: load, run the pipeline, hand results and library events to the
//! [`Printer`] (the only writer to stdout and stderr), and say which exit status the result
//! deserves.

use crate::apply::{self, Ctx};
use crate::aws::{Aws, ConnectOptions};
use crate::cli::{
    ApplyArgs, Cli, Command, DestroyArgs, Global, LogsArgs, OutputsArgs, PlanArgs, TestArgs,
};
use crate::config::StackConfig;
use crate::engine;
use crate::plan::Plan;
use crate::render::{self, Printer};
use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;

mod change;
mod inspect;
mod setup;
use inspect::{invoke, logs, outputs, smoke_test};
use setup::{import, init};

/// How a successful command ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    /// `plan --detailed-exitcode` found changes.
    Changes,
}

/// Runs the command. `p` shows everything, including the events library code reports
/// ([`crate::report`]) while it runs.
pub async fn run(cli: Cli, p: &Printer) -> Result<Status> {
    let g = &cli.global;
    let sink = p.clone();
    crate::report::set_sink(move |e| sink.report(e));
    match &cli.command {
        Command::Plan(args) => change::plan(g, p, args).await,
        Command::Apply(args) => change::apply(g, p, args).await,
        Command::Destroy(args) => change::destroy(g, p, args).await,
        Command::Outputs(args) => outputs(g, p, args).await,
        Command::Logs(args) => logs(g, p, args).await,
        Command::Invoke(args) => invoke(g, p, args).await,
        Command::Test(args) => smoke_test(g, p, args).await,
        Command::Build(args) => build(g, p, args),
        Command::Validate(_) => validate(g, p),
        Command::Init(args) => init(p, args),
        Command::Import(args) => import(g, p, args).await,
        Command::Completions { shell } => {
            p.out(crate::cli::completions(*shell));
            Ok(Status::Ok)
        }
    }
}

fn load(g: &Global) -> Result<StackConfig> {
    StackConfig::load_env(&g.file, env(g))
}

/// `--env` / `STACKCTL_ENV`; an empty value counts as none.
fn env(g: &Global) -> Option<&str> {
    g.env.as_deref().filter(|e| !e.is_empty())
}

/// Connects in the stack's region. A file that names its region pins it: a `--region` (or
/// `STACKCTL_REGION`) that says otherwise is refused rather than obeyed, since it would make a
/// second copy of the stack in another region.
async fn connect(g: &Global, p: &Printer, config: &StackConfig) -> Result<Aws> {
    if let (Some(flag), Some(file)) = (&g.region, &config.region)
        && flag != file
    {
        crate::bail_hint!(
            "--region {flag} (or STACKCTL_REGION) disagrees with region = {file:?} in {}{}",
            config.path.display(),
            config
                .env
                .as_deref()
                .map(|e| format!(" (environment {e})"))
                .unwrap_or_default();
            hint = "the file pins the stack's region: drop --region, or change the file"
        );
    }
    Aws::connect(&connect_options(g, p, config.region.clone())).await
}

fn connect_options(g: &Global, p: &Printer, file_region: Option<String>) -> ConnectOptions {
    ConnectOptions {
        region: g.region.clone().or(file_region),
        profile: g.profile.clone(),
        endpoint_url: g.endpoint_url.clone(),
        on_call: p.on_call(),
        parallelism: g.parallelism as usize,
        local: g.local,
    }
}

fn refuse_conflicts(p: &Printer, plan: &Plan) -> Result<()> {
    if plan.conflicts.is_empty() {
        return Ok(());
    }
    p.err(render::conflicts(&plan.conflicts));
    bail!(
        "{} conflict{} must be resolved first; nothing was changed",
        plan.conflicts.len(),
        if plan.conflicts.len() == 1 { "" } else { "s" }
    )
}

/// `stackctl build`: see [`crate::build::command`].
fn build(g: &Global, p: &Printer, args: &crate::cli::BuildArgs) -> Result<Status> {
    let config = load(g)?;
    crate::build::command::run(&config, &args.functions, |report| p.out(report))?;
    Ok(Status::Ok)
}

/// Without `--env`, a file with environments is checked in every one of them.
fn validate(g: &Global, p: &Printer) -> Result<Status> {
    let text = std::fs::read_to_string(&g.file).unwrap_or_default();
    let envs = StackConfig::environments(&text);
    let today = crate::config::lifecycle::today()?;
    if env(g).is_some() || envs.is_empty() {
        let config = load(g)?;
        runtimes_offline(p, &config, &today)?;
        p.result(&Valid::of(g, &config))?;
        return Ok(Status::Ok);
    }
    let mut failed = Vec::new();
    // A mistake in the base shows in every environment: it is reported once.
    let mut seen: Vec<crate::config::Diagnostic> = Vec::new();
    let mut seen_other = std::collections::BTreeSet::new();
    for env in &envs {
        match StackConfig::load_env(&g.file, Some(env))
            .and_then(|config| runtimes_offline(p, &config, &today).map(|()| config))
        {
            Ok(config) => p.result(&Valid::of(g, &config))?,
            Err(e) => {
                match e.downcast::<crate::config::ConfigError>() {
                    Ok(mut c) => {
                        c.diagnostics.retain(|d| {
                            let new = !seen.contains(d);
                            if new {
                                seen.push(d.clone());
                            }
                            new
                        });
                        if !c.diagnostics.is_empty() {
                            p.error(&c.into());
                        }
                    }
                    Err(e) => {
                        if seen_other.insert(format!("{e:#}")) {
                            p.error(&e);
                        }
                    }
                }
                failed.push(env.as_str());
            }
        }
    }
    if !failed.is_empty() {
        bail!(
            "environment {} of {} is not valid",
            failed.join(", "),
            g.file.display()
        );
    }
    Ok(Status::Ok)
}

/// The runtime lifecycle checks offline, every function taken as new (see
/// [`crate::config::lifecycle::Intent::Unknown`]): errors refuse, warnings are shown.
fn runtimes_offline(p: &Printer, config: &StackConfig, today: &str) -> Result<()> {
    use crate::config::{ConfigError, lifecycle};
    let found = lifecycle::check(config, today, |_| lifecycle::Intent::Unknown);
    if !found.errors.is_empty() {
        return Err(ConfigError::new(&config.path, &config.text, found.errors).into());
    }
    p.warnings(&ConfigError::new(
        &config.path,
        &config.text,
        found.warnings,
    ));
    Ok(())
}

/// Shows the runtime warnings of a plan, or refuses it (see [`engine::runtime_lifecycle`]).
fn runtimes_planned(p: &Printer, config: &StackConfig, plan: &Plan) -> Result<()> {
    let today = crate::config::lifecycle::today()?;
    let warnings = engine::runtime_lifecycle(config, plan, &today)?;
    p.warnings(&crate::config::ConfigError::new(
        &config.path,
        &config.text,
        warnings,
    ));
    Ok(())
}

/// `stackctl validate`'s result for one file (and environment): what it declares.
#[derive(Debug, serde::Serialize)]
struct Valid {
    file: std::path::PathBuf,
    env: Option<String>,
    stack: String,
    functions: usize,
    /// Route methods: `methods = ["GET", "POST"]` on one path counts two.
    routes: usize,
}

impl Valid {
    fn of(g: &Global, config: &StackConfig) -> Valid {
        Valid {
            file: g.file.clone(),
            env: config.env.clone(),
            stack: config.name.clone(),
            functions: config.functions.len(),
            routes: config
                .api
                .as_ref()
                .map_or(0, |a| a.routes.iter().map(|r| r.methods.len()).sum()),
        }
    }
}

impl std::fmt::Display for Valid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        write!(f, "{}", self.file.display())?;
        if let Some(env) = &self.env {
            write!(f, " (env {env})")?;
        }
        write!(
            f,
            " is valid: stack {}, {} function{}, {} route{}.",
            self.stack,
            self.functions,
            plural(self.functions),
            self.routes,
            plural(self.routes)
        )
    }
}
