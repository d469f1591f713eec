//! The commands that plan and change AWS: `plan`, `apply` and `destroy`.

use super::*;

pub(super) async fn plan(g: &Global, p: &Printer, args: &PlanArgs) -> Result<Status> {
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

pub(super) async fn apply(g: &Global, p: &Printer, args: &ApplyArgs) -> Result<Status> {
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

pub(super) async fn destroy(g: &Global, p: &Printer, args: &DestroyArgs) -> Result<Status> {
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
