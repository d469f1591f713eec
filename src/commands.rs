//! One function per command: load, run the pipeline, hand results to the renderer, and say which
//! exit status the result deserves.

use crate::apply::{self, Ctx};
use crate::aws::{Aws, ConnectOptions};
use crate::cli::{ApplyArgs, Cli, Command, DestroyArgs, Global, OutputsArgs, PlanArgs};
use crate::config::StackConfig;
use crate::engine;
use crate::plan::Plan;
use crate::render;
use anyhow::{Context, Result, bail};
use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;

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
        Command::Validate => validate(g),
    }
}

fn load(g: &Global) -> Result<StackConfig> {
    StackConfig::load(&g.file)
}

async fn connect(g: &Global, config: &StackConfig) -> Result<Aws> {
    Aws::connect(&ConnectOptions {
        region: g.region.clone().or_else(|| config.region.clone()),
        profile: g.profile.clone(),
        endpoint_url: g.endpoint_url.clone(),
        verbose: g.verbose,
    })
    .await
}

fn refuse_conflicts(plan: &Plan) -> Result<()> {
    if plan.conflicts.is_empty() {
        return Ok(());
    }
    eprint!("{}", render::conflicts(&plan.conflicts));
    bail!(
        "{} conflict{} must be resolved first; nothing was changed",
        plan.conflicts.len(),
        if plan.conflicts.len() == 1 { "" } else { "s" }
    )
}

fn validate(g: &Global) -> Result<Status> {
    let config = load(g)?;
    let routes: usize = config
        .api
        .as_ref()
        .map_or(0, |a| a.routes.iter().map(|r| r.methods.len()).sum());
    println!(
        "{} is valid: stack {}, {} function{}, {} route{}.",
        g.file.display(),
        config.name,
        config.functions.len(),
        if config.functions.len() == 1 { "" } else { "s" },
        routes,
        if routes == 1 { "" } else { "s" }
    );
    Ok(Status::Ok)
}

async fn plan(g: &Global, args: &PlanArgs) -> Result<Status> {
    let config = load(g)?;
    let aws = connect(g, &config).await?;
    let plan = engine::make_plan(&aws, &config, false).await?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&render::plan_json(&plan))?
        );
    } else {
        print!("{}", render::plan_text(&plan));
    }
    refuse_conflicts(&plan)?;
    if let Some(out) = &args.out {
        let text = serde_json::to_string_pretty(&plan)?;
        std::fs::write(out, text).with_context(|| format!("cannot write {}", out.display()))?;
        render::info(format!(
            "Saved the plan to {}; apply exactly it with `stackctl apply {}`. It holds environment values in clear: keep it private.",
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

/// Asks "yes?" on a terminal; refuses outright when nobody can answer.
fn confirm(question: &str, yes: bool) -> Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        bail!(
            "refusing to change AWS without confirmation: stdin is not a terminal\n  = hint: pass --yes"
        );
    }
    eprint!("{question} Only 'yes' will be accepted: ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim() != "yes" {
        bail!("cancelled; nothing was changed");
    }
    Ok(())
}

async fn execute(aws: Aws, config: StackConfig, plan: &Plan, parallelism: u16) -> Result<Arc<Ctx>> {
    let ctx = Arc::new(Ctx::new(aws, config, plan));
    let mut progress = render::Progress::new();
    let outcome = apply::run(plan, ctx.clone(), parallelism as usize, |e| {
        progress.event(e)
    })
    .await;
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
        println!("No changes. Stack {} is up to date.", plan.stack);
        print_urls(&aws, &config, &plan, plan.ids.api_id.as_deref());
        return Ok(Status::Ok);
    }
    if !render::quiet() {
        print!("{}", render::plan_text(&plan));
    }
    if args.plan_file.is_none() {
        confirm("Apply these changes?", args.yes)?;
    }
    let ctx = execute(aws.clone(), config.clone(), &plan, g.parallelism).await?;
    println!(
        "Apply complete. {}",
        strip_plan_prefix(&render::summary_line(&plan))
    );
    print_urls(&aws, &config, &plan, ctx.api_id().ok().as_deref());
    Ok(Status::Ok)
}

fn strip_plan_prefix(line: &str) -> String {
    line.replacen("Plan: ", "", 1)
        .replace(" to ", " ")
        .replace("create", "created")
        .replace("update", "updated")
        .replace("replace", "replaced")
        .replace("delete", "deleted")
}

fn print_urls(aws: &Aws, config: &StackConfig, plan: &Plan, api_id: Option<&str>) {
    let (Some(api), Some(id)) = (&config.api, api_id) else {
        return;
    };
    let _ = plan;
    println!();
    for r in &api.routes {
        for m in &r.methods {
            println!(
                "  {:<7} {}",
                m,
                engine::invoke_url(aws, id, &api.stage, &r.path)
            );
        }
    }
}

async fn destroy(g: &Global, args: &DestroyArgs) -> Result<Status> {
    let config = load(g)?;
    let aws = connect(g, &config).await?;
    let plan = engine::make_plan(&aws, &config, true).await?;
    if plan.is_empty() {
        println!(
            "Nothing to destroy: no resource carries the tag of stack {}.",
            plan.stack
        );
        return Ok(Status::Ok);
    }
    if !render::quiet() {
        print!("{}", render::plan_text(&plan));
    }
    confirm(
        &format!("Destroy everything stack {} owns?", plan.stack),
        args.yes,
    )?;
    execute(aws, config, &plan, g.parallelism).await?;
    println!(
        "Destroy complete. {} resources deleted.",
        plan.summary.delete
    );
    Ok(Status::Ok)
}

async fn outputs(g: &Global, args: &OutputsArgs) -> Result<Status> {
    let config = load(g)?;
    let aws = connect(g, &config).await?;
    let live = crate::live::read(&aws, &config, true).await?;
    let existing: Vec<String> = live
        .resources
        .iter()
        .filter_map(|r| match r {
            crate::model::Resource::Function(f) => Some(f.name.clone()),
            _ => None,
        })
        .collect();
    let outputs = engine::outputs(
        &aws,
        &config,
        &live.account,
        live.ids.api_id.as_deref(),
        &existing,
    );
    if args.json {
        println!("{}", serde_json::to_string_pretty(&outputs)?);
    } else {
        print!("{}", render::outputs_text(&outputs));
    }
    Ok(Status::Ok)
}
