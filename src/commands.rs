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
        bail!(
            "--region {flag} (or STACKCTL_REGION) disagrees with region = {file:?} in {}{}\n  = hint: the file pins the stack's region: drop --region, or change the file",
            config.path.display(),
            config
                .env
                .as_deref()
                .map(|e| format!(" (environment {e})"))
                .unwrap_or_default()
        );
    }
    Aws::connect(&connect_options(g, config.region.clone())).await
}

fn connect_options(g: &Global, file_region: Option<String>) -> ConnectOptions {
    ConnectOptions {
        region: g.region.clone().or(file_region),
        profile: g.profile.clone(),
        endpoint_url: g.endpoint_url.clone(),
        verbose: g.verbose,
        parallelism: g.parallelism as usize,
        local: g.local,
    }
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

/// `stackctl build`: see [`crate::build::command`].
fn build(g: &Global, args: &crate::cli::BuildArgs) -> Result<Status> {
    let config = load(g)?;
    crate::build::command::run(&config, &args.functions, |report| print!("{report}"))?;
    Ok(Status::Ok)
}

/// Without `--env`, a file with environments is checked in every one of them.
fn validate(g: &Global) -> Result<Status> {
    let text = std::fs::read_to_string(&g.file).unwrap_or_default();
    let envs = StackConfig::environments(&text);
    if env(g).is_some() || envs.is_empty() {
        let config = load(g)?;
        println!("{}", valid_line(g, &config));
        return Ok(Status::Ok);
    }
    let mut failed = Vec::new();
    for env in &envs {
        match StackConfig::load_env(&g.file, Some(env)) {
            Ok(config) => println!("{}", valid_line(g, &config)),
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
        print_urls(&aws, &config, plan.ids.api_id.as_deref());
        return Ok(Status::Ok);
    }
    if !render::quiet() {
        print!("{}", render::plan_text(&plan));
    }
    if args.plan_file.is_none() {
        confirm("Apply these changes?", args.yes)?;
    }
    let ctx = execute(aws.clone(), config.clone(), &plan, g.parallelism).await?;
    println!("{}", render::applied_line(&plan));
    print_urls(&aws, &config, ctx.api_id().ok().as_deref());
    Ok(Status::Ok)
}

fn print_urls(aws: &Aws, config: &StackConfig, api_id: Option<&str>) {
    let (Some(api), Some(id)) = (&config.api, api_id) else {
        return;
    };
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
    refuse_conflicts(&plan)?;
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
    let mut outputs = outputs;
    outputs.event_sources = crate::model_events::EventSourceOutput::of(&live.resources);
    if outputs.api_id.is_none() && outputs.functions.is_empty() {
        // Exit 1: a script reading the URL must not go on with nothing.
        bail!(
            "stack {} is not deployed in {}: no function or API carries its tag\n  = hint: run `stackctl apply` to deploy it",
            config.name,
            aws.region
        );
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&outputs)?);
    } else {
        print!("{}", render::outputs_text(&outputs));
    }
    Ok(Status::Ok)
}

/// The deployed API's id, found the way `outputs` finds it (by the stack's tag).
async fn deployed_api(aws: &Aws, config: &StackConfig) -> Result<Option<String>> {
    Ok(crate::live::read(aws, config, true).await?.ids.api_id)
}

async fn logs(g: &Global, args: &LogsArgs) -> Result<Status> {
    let config = load(g)?;
    let aws = connect(g, &config).await?;
    let api_id = if args.api && config.api.is_some() {
        deployed_api(&aws, &config).await?
    } else {
        None
    };
    let sources = crate::logs::sources(&config, &args.functions, args.api, api_id.as_deref())?;
    let opts = crate::logs::Options {
        follow: args.follow,
        since: args.since,
        filter: args.filter.clone(),
        json: args.json,
    };
    crate::logs::run(&aws, sources, &opts).await?;
    Ok(Status::Ok)
}

/// `stackctl invoke`: see [`crate::invoke`].
async fn invoke(g: &Global, args: &crate::cli::InvokeArgs) -> Result<Status> {
    let config = load(g)?;
    let name = crate::invoke::function_name(&config, &args.function)?;
    let event = crate::invoke::payload(args.payload.as_deref(), args.payload_file.as_deref())?;
    let key = name
        .strip_prefix(&format!("{}-", config.name))
        .unwrap_or(&name);
    let timeout_s = config.functions.get(key).map_or(900, |f| f.timeout_s);
    let aws = connect(g, &config).await?;
    crate::invoke::invoke(&aws, &name, event, args.log, timeout_s).await?;
    Ok(Status::Ok)
}

async fn smoke_test(g: &Global, args: &TestArgs) -> Result<Status> {
    let config = load(g)?;
    let api = crate::smoke::api_of(&config)?;
    let aws = connect(g, &config).await?;
    let Some(api_id) = deployed_api(&aws, &config).await? else {
        bail!(
            "the API {} of stack {} is not deployed\n  = hint: run `stackctl apply` first",
            api.name,
            config.name
        );
    };
    render::info(format!(
        "Calling {} (stack {}, API {api_id}):",
        engine::invoke_url(&aws, &api_id, &api.stage, "/"),
        config.name
    ));
    let opts = crate::smoke::Options {
        data: args.data.clone(),
        origin: args.origin.clone(),
    };
    let checks = crate::smoke::run(&aws, &config, &api_id, &opts).await?;
    print!("{}", crate::smoke::report(&checks));
    println!("{}", crate::smoke::verdict(&checks)?);
    Ok(Status::Ok)
}

fn init(args: &crate::cli::InitArgs) -> Result<Status> {
    let created = crate::init::init(&args.dir, args.template, args.name.as_deref(), args.force)?;
    for f in &created.files {
        println!("Created {}", f.display());
    }
    if let Some(base) = &created.named_after {
        let why = if *base == created.name {
            String::new()
        } else {
            " (a stack name is 1 to 32 lowercase letters, digits or '-', starting with a letter)"
                .into()
        };
        println!(
            "Named the stack {} after the directory {base}{why}; to choose another, edit `name` under [stack] before the first apply.",
            created.name
        );
    }
    let cd = if created.dir == std::path::Path::new(".") {
        String::new()
    } else {
        format!("cd {} && ", created.dir.display())
    };
    println!(
        "Stack {} is ready. Next: {cd}stackctl plan, then stackctl apply.",
        created.name
    );
    Ok(Status::Ok)
}

async fn import(g: &Global, args: &crate::cli::ImportArgs) -> Result<Status> {
    let aws = Aws::connect(&connect_options(g, None)).await?;
    let request = crate::import::Request {
        functions: args.functions.clone(),
        api: args.api.clone(),
        name: args.name.clone(),
        file: g.file.clone(),
        force: args.force,
    };
    let done = crate::import::import(&aws, &request).await?;
    for w in &done.warnings {
        render::info(format!("warning: {w}"));
    }
    for (name, key, dir) in &done.functions {
        println!(
            "Imported function {name} as [functions.{key}], code in {}",
            dir.display()
        );
    }
    if let Some(id) = &done.api {
        println!("Imported REST API {id} with {} route(s)", done.routes);
    }
    let plan = if g.file == std::path::Path::new("stack.toml") {
        "stackctl plan".to_string()
    } else {
        format!("stackctl plan -f {}", g.file.display())
    };
    println!(
        "Wrote {} (stack {}). Nothing in AWS was changed. Next: {plan}",
        g.file.display(),
        done.stack
    );
    Ok(Status::Ok)
}
