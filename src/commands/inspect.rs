//! Commands that read a deployed stack: `outputs`, `logs` and `test`.

use super::*;

pub(super) async fn outputs(g: &Global, p: &Printer, args: &OutputsArgs) -> Result<Status> {
    let config = load(g)?;
    let aws = connect(g, p, &config).await?;
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
        crate::bail_hint!("stack {} is not deployed in {}: no function or API carries its tag", config.name, aws.region; hint = "run `stackctl apply` to deploy it");
    }
    p.json(args.json).result(&outputs)?;
    Ok(Status::Ok)
}

/// The deployed API's id, found the way `outputs` finds it (by the stack's tag).
pub(super) async fn deployed_api(aws: &Aws, config: &StackConfig) -> Result<Option<String>> {
    Ok(crate::live::read(aws, config, true).await?.ids.api_id)
}

pub(super) async fn logs(g: &Global, p: &Printer, args: &LogsArgs) -> Result<Status> {
    let config = load(g)?;
    let aws = connect(g, p, &config).await?;
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
    };
    let lines = p.json(args.json);
    let mut show = |report| {
        match report {
            crate::logs::Report::Lines(l) => return lines.records(&l),
            crate::logs::Report::Notice(n) if n.is_detail() => p.detail(n),
            crate::logs::Report::Notice(n) => p.info(n),
        }
        Ok(())
    };
    crate::logs::run(&aws, sources, &opts, &mut show).await?;
    Ok(Status::Ok)
}

/// `stackctl invoke`: see [`crate::invoke`]. The payload goes to stdout, the log tail to
/// stderr; a function error exits 1 after both.
pub(super) async fn invoke(
    g: &Global,
    p: &Printer,
    args: &crate::cli::InvokeArgs,
) -> Result<Status> {
    let config = load(g)?;
    let name = crate::invoke::function_name(&config, &args.function)?;
    let event = crate::invoke::payload(args.payload.as_deref(), args.payload_file.as_deref())?;
    let key = name
        .strip_prefix(&format!("{}-", config.name))
        .unwrap_or(&name);
    let timeout_s = config.functions.get(key).map_or(900, |f| f.timeout_s);
    let aws = connect(g, p, &config).await?;
    let done = crate::invoke::invoke(&aws, &name, event, args.log, timeout_s).await?;
    if let Some(payload) = &done.payload {
        p.out_line(payload);
    }
    if let Some(text) = &done.log_tail {
        p.err(text);
        if !text.ends_with('\n') {
            p.err("\n");
        }
    }
    if let Some(kind) = &done.function_error {
        crate::bail_hint!("{name} failed ({kind}): its error is the response above"; hint = "add --log for the invocation's log, or run `stackctl logs`");
    }
    Ok(Status::Ok)
}

pub(super) async fn smoke_test(g: &Global, p: &Printer, args: &TestArgs) -> Result<Status> {
    let config = load(g)?;
    let api = crate::smoke::api_of(&config)?;
    let aws = connect(g, p, &config).await?;
    let Some(api_id) = deployed_api(&aws, &config).await? else {
        crate::bail_hint!("the API {} of stack {} is not deployed", api.name, config.name; hint = "run `stackctl apply` first");
    };
    p.info(format!(
        "Calling {} (stack {}, API {api_id}):",
        engine::invoke_url(&aws, &api_id, &api.stage, "/"),
        config.name
    ));
    let opts = crate::smoke::Options {
        data: args.data.clone(),
        origin: args.origin.clone(),
    };
    let checks = crate::smoke::run(&aws, &config, &api_id, &opts).await?;
    p.out(crate::smoke::report(&checks));
    p.out_line(crate::smoke::verdict(&checks)?);
    Ok(Status::Ok)
}
