//! Commands that read a deployed stack: `outputs`, `logs` and `test`.

use super::*;

pub(super) async fn outputs(g: &Global, args: &OutputsArgs) -> Result<Status> {
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
    if outputs.api_id.is_none() && outputs.functions.is_empty() {
        // Exit 1: a script reading the URL must not go on with nothing.
        crate::bail_hint!("stack {} is not deployed in {}: no function or API carries its tag", config.name, aws.region; hint = "run `stackctl apply` to deploy it");
    }
    if args.json {
        render::out_line(serde_json::to_string_pretty(&outputs)?);
    } else {
        render::out(render::outputs_text(&outputs));
    }
    Ok(Status::Ok)
}

/// The deployed API's id, found the way `outputs` finds it (by the stack's tag).
pub(super) async fn deployed_api(aws: &Aws, config: &StackConfig) -> Result<Option<String>> {
    Ok(crate::live::read(aws, config, true).await?.ids.api_id)
}

pub(super) async fn logs(g: &Global, args: &LogsArgs) -> Result<Status> {
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

pub(super) async fn smoke_test(g: &Global, args: &TestArgs) -> Result<Status> {
    let config = load(g)?;
    let api = crate::smoke::api_of(&config)?;
    let aws = connect(g, &config).await?;
    let Some(api_id) = deployed_api(&aws, &config).await? else {
        crate::bail_hint!("the API {} of stack {} is not deployed", api.name, config.name; hint = "run `stackctl apply` first");
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
    render::out(crate::smoke::report(&checks));
    render::out_line(crate::smoke::verdict(&checks)?);
    Ok(Status::Ok)
}
