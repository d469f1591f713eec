//! One function per command: load, run the pipeline, hand results to the renderer, and say which
//! exit status the result deserves.

use crate::apply::{self, Ctx};
use crate::aws::{Aws, ConnectOptions};
use crate::cli::{
    ApplyArgs, Cli, Command, DestroyArgs, Global, LogsArgs, OutputsArgs, PlanArgs, TestArgs,
};
use crate::config::StackConfig;
use crate::engine;
use crate::plan::Plan;
use crate::render;
use anyhow::{Context, Result, bail};
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

pub async fn run(cli: Cli) -> Result<Status> {
    let g = &cli.global;
    match &cli.command {
        Command::Plan(args) => plan(g, args).await,
        Command::Apply(args) => apply(g, args).await,
        Command::Destroy(args) => destroy(g, args).await,
        Command::Outputs(args) => outputs(g, args).await,
        Command::Logs(args) => logs(g, args).await,
        Command::Invoke(args) => invoke(g, args).await,
        Command::Test(args) => smoke_test(g, args).await,
        Command::Build(args) => build(g, args),
        Command::Validate(_) => validate(g),
        Command::Init(args) => init(args),
        Command::Import(args) => import(g, args).await,
        Command::Completions { shell } => {
            crate::cli::completions(*shell);
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
async fn connect(g: &Global, config: &StackConfig) -> Result<Aws> {
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
    Aws::connect(&connect_options(g, config.region.clone())).await
}

fn connect_options(g: &Global, file_region: Option<String>) -> ConnectOptions {
    ConnectOptions {
        region: g.region.clone().or(file_region),
        profile: g.profile.clone(),
        endpoint_url: g.endpoint_url.clone(),
        on_call: g
            .verbose
            .then_some(render::verbose_call as crate::aws::OnCall),
        parallelism: g.parallelism as usize,
        local: g.local,
    }
}

fn refuse_conflicts(plan: &Plan) -> Result<()> {
    if plan.conflicts.is_empty() {
        return Ok(());
    }
    render::err(render::conflicts(&plan.conflicts));
    bail!(
        "{} conflict{} must be resolved first; nothing was changed",
        plan.conflicts.len(),
        if plan.conflicts.len() == 1 { "" } else { "s" }
    )
}

/// `stackctl build`: see [`crate::build::command`].
fn build(g: &Global, args: &crate::cli::BuildArgs) -> Result<Status> {
    let config = load(g)?;
    crate::build::command::run(&config, &args.functions, |report| render::out(report))?;
    Ok(Status::Ok)
}

/// Without `--env`, a file with environments is checked in every one of them.
fn validate(g: &Global) -> Result<Status> {
    let text = std::fs::read_to_string(&g.file).unwrap_or_default();
    let envs = StackConfig::environments(&text);
    if env(g).is_some() || envs.is_empty() {
        let config = load(g)?;
        render::out_line(valid_line(g, &config));
        return Ok(Status::Ok);
    }
    let mut failed = Vec::new();
    for env in &envs {
        match StackConfig::load_env(&g.file, Some(env)) {
            Ok(config) => render::out_line(valid_line(g, &config)),
            Err(e) => {
                render::error(&e);
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

fn valid_line(g: &Global, config: &StackConfig) -> String {
    let routes: usize = config
        .api
        .as_ref()
        .map_or(0, |a| a.routes.iter().map(|r| r.methods.len()).sum());
    let env = config
        .env
        .as_ref()
        .map_or(String::new(), |e| format!(" (env {e})"));
    format!(
        "{}{env} is valid: stack {}, {} function{}, {} route{}.",
        g.file.display(),
        config.name,
        config.functions.len(),
        if config.functions.len() == 1 { "" } else { "s" },
        routes,
        if routes == 1 { "" } else { "s" }
    )
}

async fn plan(g: &Global, args: &PlanArgs) -> Result<Status> {
    let config = load(g)?;
    let aws = connect(g, &config).await?;
    let plan = engine::make_plan(&aws, &config, false).await?;
    if args.json {
        render::out_line(serde_json::to_string_pretty(&render::plan_json(&plan))?);
    } else {
        render::out(render::plan_text(&plan));
    }
    refuse_conflicts(&plan)?;
    if let Some(out) = &args.out {
        let text = serde_json::to_string_pretty(&plan)?;
        write_private(out, text.as_bytes())
            .with_context(|| format!("cannot write {}", out.display()))?;
        render::info(format!(
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
fn confirm(question: &str, yes: bool) -> Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        crate::bail_hint!("refusing to change AWS without confirmation: stdin is not a terminal"; hint = "pass --yes");
    }
    render::err(format!("{question} Only 'yes' will be accepted: "));
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim() != "yes" {
        bail!("cancelled; nothing was changed");
    }
    Ok(())
}

async fn execute(aws: Aws, plan: &Plan, parallelism: u16) -> Result<Arc<Ctx>> {
    let ctx = Arc::new(Ctx::new(aws, plan));
    let mut progress = render::Progress::new();
    let outcome = apply::run(plan, ctx.clone(), parallelism as usize, |e| {
        progress.event(e)
    })
    .await;
    if outcome.stopped {
        return Err(crate::error::Interrupted.into());
    }
    let summary = render::outcome(plan, &outcome);
    if outcome.ok() {
        render::info(summary);
        Ok(ctx)
    } else {
        bail!(summary)
    }
}

async fn apply(g: &Global, args: &ApplyArgs) -> Result<Status> {
    let config = load(g)?;
    let aws = connect(g, &config).await?;
    let fresh = engine::make_plan(&aws, &config, false).await?;
    refuse_conflicts(&fresh)?;
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
            engine::check_saved(&saved, &fresh)?;
            saved
        }
        None => fresh,
    };
    if plan.is_empty() {
        render::out_line(format!("No changes. Stack {} is up to date.", plan.stack));
        print_urls(&aws, &config, plan.ids.api_id.as_deref());
        return Ok(Status::Ok);
    }
    if !render::quiet() {
        render::out(render::plan_text(&plan));
    }
    if args.plan_file.is_none() {
        confirm("Apply these changes?", args.yes)?;
    }
    let ctx = execute(aws.clone(), &plan, g.parallelism).await?;
    render::out_line(render::applied_line(&plan));
    print_urls(&aws, &config, ctx.api_id().ok().as_deref());
    Ok(Status::Ok)
}

fn print_urls(aws: &Aws, config: &StackConfig, api_id: Option<&str>) {
    let (Some(api), Some(id)) = (&config.api, api_id) else {
        return;
    };
    render::out_line("");
    for r in &api.routes {
        for m in &r.methods {
            render::out_line(format!(
                "  {:<7} {}",
                m,
                engine::invoke_url(aws, id, &api.stage, &r.path)
            ));
        }
    }
}

async fn destroy(g: &Global, args: &DestroyArgs) -> Result<Status> {
    let config = load(g)?;
    let aws = connect(g, &config).await?;
    let plan = engine::make_plan(&aws, &config, true).await?;
    refuse_conflicts(&plan)?;
    if plan.is_empty() {
        render::out_line(format!(
            "Nothing to destroy: no resource carries the tag of stack {}.",
            plan.stack
        ));
        return Ok(Status::Ok);
    }
    if !render::quiet() {
        render::out(render::plan_text(&plan));
    }
    confirm(
        &format!("Destroy everything stack {} owns?", plan.stack),
        args.yes,
    )?;
    execute(aws, &plan, g.parallelism).await?;
    render::out_line(format!(
        "Destroy complete. {} resources deleted.",
        plan.summary.delete
    ));
    Ok(Status::Ok)
}
