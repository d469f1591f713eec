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
        Command::Plan(args) => plan(g, p, args).await,
        Command::Apply(args) => apply(g, p, args).await,
        Command::Destroy(args) => destroy(g, p, args).await,
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

async fn plan(g: &Global, p: &Printer, args: &PlanArgs) -> Result<Status> {
    let config = load(g)?;
    let aws = connect(g, p, &config).await?;
    let planned = engine::make_plan(&aws, &config, false).await?;
    let plan = &planned.plan;
    runtimes_planned(p, &config, plan)?;
    p.json(args.json).result(&render::PlanView(plan))?;
    refuse_conflicts(p, plan)?;
    if let Some(out) = &args.out {
        planned.save_packages(&config)?;
        let text = serde_json::to_string_pretty(&plan)?;
        write_private(out, text.as_bytes())
            .with_context(|| format!("cannot write {}", out.display()))?;
        p.info(format!(
            "Saved the plan to {} (mode 0600: only you can read it; it holds environment values in clear). \
             Apply exactly it with `stackctl apply {}`.",
            out.display(),
            out.display()
        ));
    }
    Ok(if args.detailed_exitcode && !plan.is_empty() {
        Status::Changes
    } else {
        Status::Ok
    })
}

/// Writes a file only its owner can read or write (0600), also when it already existed.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(bytes)
}

/// Asks "yes?" on a terminal; refuses outright when nobody can answer.
fn confirm(p: &Printer, question: &str, yes: bool) -> Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        crate::bail_hint!("refusing to change AWS without confirmation: stdin is not a terminal"; hint = "pass --yes");
    }
    p.err(format!("{question} Only 'yes' will be accepted: "));
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim() != "yes" {
        bail!("cancelled; nothing was changed");
    }
    Ok(())
}

/// Applies `plan`, uploading the zips in `zips` (the fresh plan's, in memory) or, for a step whose
/// package is not there, the file it names.
async fn execute(
    p: &Printer,
    aws: Aws,
    plan: &Plan,
    zips: &BTreeMap<std::path::PathBuf, Vec<u8>>,
    parallelism: u16,
) -> Result<Arc<Ctx>> {
    let ctx = Arc::new(Ctx::new(aws, plan).with_packages(plan, zips)?);
    let mut progress = p.progress();
    let outcome = apply::run(plan, ctx.clone(), parallelism as usize, |e| {
        progress.event(e)
    })
    .await;
    if outcome.stopped {
        return Err(crate::error::Interrupted.into());
    }
    let summary = render::outcome(plan, &outcome);
    if outcome.ok() {
        p.info(summary);
        Ok(ctx)
    } else {
        bail!(summary)
    }
}

async fn apply(g: &Global, p: &Printer, args: &ApplyArgs) -> Result<Status> {
    let config = load(g)?;
    let aws = connect(g, p, &config).await?;
    let planned = engine::make_plan(&aws, &config, false).await?;
    let fresh = planned.plan.clone();
    runtimes_planned(p, &config, &fresh)?;
    refuse_conflicts(p, &fresh)?;
    let plan = match &args.plan_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the saved plan {}", path.display()))?;
            let saved: Plan = serde_json::from_str(&text).with_context(|| {
                format!(
                    "{} is not a plan saved by `stackctl plan --out`",
                    path.display()
                )
            })?;
            crate::plan::check_saved(saved, &fresh)?
        }
        None => fresh,
    };
    if plan.is_empty() {
        p.out_line(format!("No changes. Stack {} is up to date.", plan.stack));
        print_urls(p, &aws, &config, plan.ids.api_id.as_deref());
        return Ok(Status::Ok);
    }
    if !p.is_quiet() {
        p.result(&render::PlanView(&plan))?;
    }
    if args.plan_file.is_none() {
        confirm(p, "Apply these changes?", args.yes)?;
    }
    // A saved plan's steps equal the fresh plan's (checked above, packages by hash): the fresh
    // plan's zips, from memory, so apply writes nothing into the checkout.
    let ctx = execute(p, aws.clone(), &plan, planned.zips(), g.parallelism).await?;
    p.out_line(render::applied_line(&plan));
    print_urls(p, &aws, &config, ctx.api_id().ok().as_deref());
    Ok(Status::Ok)
}

fn print_urls(p: &Printer, aws: &Aws, config: &StackConfig, api_id: Option<&str>) {
    let (Some(api), Some(id)) = (&config.api, api_id) else {
        return;
    };
    p.out_line("");
    for r in &api.routes {
        for m in &r.methods {
            p.out_line(format!(
                "  {:<7} {}",
                m,
                engine::invoke_url(aws, id, &api.stage, &r.path)
            ));
        }
    }
}

async fn destroy(g: &Global, p: &Printer, args: &DestroyArgs) -> Result<Status> {
    let config = load(g)?;
    let aws = connect(g, p, &config).await?;
    let plan = engine::make_plan(&aws, &config, true).await?.plan;
    refuse_conflicts(p, &plan)?;
    if plan.is_empty() {
        p.out_line(format!(
            "Nothing to destroy: no resource carries the tag of stack {}.",
            plan.stack
        ));
        return Ok(Status::Ok);
    }
    if !p.is_quiet() {
        p.result(&render::PlanView(&plan))?;
    }
    confirm(
        p,
        &format!("Destroy everything stack {} owns?", plan.stack),
        args.yes,
    )?;
    execute(p, aws, &plan, &BTreeMap::new(), g.parallelism).await?;
    p.out_line(format!(
        "Destroy complete. {} resources deleted.",
        plan.summary.delete
    ));
    Ok(Status::Ok)
}
