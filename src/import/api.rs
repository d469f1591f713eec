//! Reading the REST API to import: its routes, the Lambda behind each, and its CORS mocks.

use super::*;

pub(super) async fn read_api(aws: &Aws, id: &str, warnings: &mut Vec<String>) -> Result<Api> {
    let rest = match aws
        .call(ApiGateway, "GetRestApi", id, || {
            aws.apigw.get_rest_api().rest_api_id(id).send()
        })
        .await
        .found()?
    {
        Some(rest) => rest,
        None => {
            crate::bail_hint!("REST API {id} does not exist in {}; nothing was imported", aws.region; hint = "the id is the first part of the invoke URL (https://ID.execute-api...); check the region too (--region or AWS_REGION)")
        }
    };
    if let Some(owner) = rest.tags().and_then(|t| t.get(STACK_TAG)) {
        crate::bail_hint!("REST API {id} already belongs to stack {owner} (tag {STACK_TAG}); nothing was imported"; hint = "manage it from that stack's file");
    }
    let endpoint: Vec<&str> = rest
        .endpoint_configuration()
        .map(|e| e.types().iter().map(|t| t.as_str()).collect())
        .unwrap_or_default();
    if endpoint != ["REGIONAL"] {
        warnings.push(format!(
            "REST API {id} is {}; stackctl makes REGIONAL APIs, so the plan switches its endpoint type",
            if endpoint.is_empty() { "EDGE".to_string() } else { endpoint.join(",") }
        ));
    }
    let resources = crate::live::list_resources(aws, id).await?;
    let stages = aws
        .call(ApiGateway, "GetStages", &id, || {
            aws.apigw.get_stages().rest_api_id(id).send()
        })
        .await?;

    let mut api = Api {
        id: id.to_string(),
        name: rest.name().unwrap_or_default().to_string(),
        logging: "OFF".into(),
        ..Api::default()
    };
    let mut unsupported = Vec::new();
    // (path, allow-methods as found, routed verbs) of every console-style CORS mock.
    let mut mocks: Vec<(String, Cors, String)> = Vec::new();
    let mut routes: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for r in &resources {
        let path = r.path().unwrap_or_default().to_string();
        for (verb, m) in r.resource_methods().into_iter().flatten() {
            let integration = m.method_integration();
            let kind = integration.and_then(|i| i.r#type()).map(|t| t.as_str());
            if m.authorization_type().is_some_and(|a| a != "NONE") {
                warnings.push(format!(
                    "{verb} {path} uses authorization {}; stackctl makes methods without one, so the plan replaces it",
                    m.authorization_type().unwrap_or_default()
                ));
            }
            match (kind, integration) {
                (Some("AWS_PROXY"), Some(i)) => {
                    let uri = i.uri().unwrap_or_default();
                    match function_of_uri(uri) {
                        Some(f) => routes
                            .entry((path.clone(), f))
                            .or_default()
                            .push(verb.clone()),
                        None => unsupported.push(format!("{verb} {path} (calls {uri})")),
                    }
                }
                (Some("MOCK"), Some(i)) if verb == "OPTIONS" => match cors_of(i) {
                    Some((cors, methods)) => mocks.push((path.clone(), cors, methods)),
                    None => unsupported.push(format!("{verb} {path} (a MOCK that is not CORS)")),
                },
                (kind, _) => unsupported.push(format!(
                    "{verb} {path} ({} integration)",
                    kind.unwrap_or("no")
                )),
            }
        }
    }
    if !unsupported.is_empty() {
        crate::bail_hint!("REST API {id} has methods stackctl cannot describe: {}; nothing was imported", unsupported.join(", "); hint = "stackctl manages Lambda proxy integrations (of unqualified functions) and CORS OPTIONS mocks only");
    }
    for ((path, function), mut verbs) in routes {
        verbs.sort();
        api.routes.push(Route {
            path,
            verbs,
            function,
        });
    }
    api.cors = cors_setting(&mocks, &api.routes, warnings);

    match stages.item() {
        [] => warnings.push(format!(
            "REST API {id} has no stage; apply will deploy it to a new stage \"prod\""
        )),
        [s] => {
            api.stage = s.stage_name().map(str::to_string);
            let all = s.method_settings().and_then(|m| m.get("*/*"));
            api.logging = all
                .and_then(|m| m.logging_level())
                .unwrap_or("OFF")
                .to_string();
            api.data_trace = all.is_some_and(|m| m.data_trace_enabled());
            api.metrics = all.is_some_and(|m| m.metrics_enabled());
        }
        many => crate::bail_hint!(
            "REST API {id} has {} stages ({}); a stack manages one, so apply would delete the others; nothing was imported",
            many.len(),
            many.iter()
                .filter_map(|s| s.stage_name())
                .collect::<Vec<_>>()
                .join(", ");
            hint = "delete the stages you no longer use first"
        ),
    }
    Ok(api)
}

/// The function a Lambda proxy integration calls; `None` for an alias or version (qualified).
pub(super) fn function_of_uri(uri: &str) -> Option<String> {
    let name = uri.split(":function:").nth(1)?.split('/').next()?;
    (!name.is_empty() && !name.contains(':')).then(|| name.to_string())
}

const ALLOW: &str = "method.response.header.Access-Control-Allow-";

/// A console "Enable CORS" mock's settings and its Allow-Methods value.
pub(super) fn cors_of(i: &gw::Integration) -> Option<(Cors, String)> {
    let params = i
        .integration_responses()?
        .get("200")?
        .response_parameters()?;
    let value = |name: &str| {
        params
            .get(&format!("{ALLOW}{name}"))
            .map(|v| v.trim_matches('\'').to_string())
    };
    let origin = value("Origin")?;
    let headers = value("Headers").map_or_else(
        || DEFAULT_CORS_HEADERS.iter().map(|h| h.to_string()).collect(),
        |h| {
            h.split(',')
                .map(|h| h.trim().to_string())
                .filter(|h| !h.is_empty())
                .collect()
        },
    );
    Some((
        Cors {
            origin,
            headers,
            methods: None,
        },
        value("Methods").unwrap_or_default(),
    ))
}

/// One `[api.cors]` for the whole API, as stackctl has: Allow-Methods is left to stackctl when
/// every mock allows exactly OPTIONS plus the path's routed verbs, else written out.
pub(super) fn cors_setting(
    mocks: &[(String, Cors, String)],
    routes: &[Route],
    warnings: &mut Vec<String>,
) -> Option<Cors> {
    let (_, first, first_methods) = mocks.first()?;
    let mut cors = first.clone();
    let derived = |path: &str| {
        let routed = routes
            .iter()
            .filter(|r| r.path == path)
            .flat_map(|r| r.verbs.iter().map(String::as_str));
        crate::model::cors_allow_methods(routed, None).join(",")
    };
    if !mocks.iter().all(|(path, _, m)| *m == derived(path)) {
        cors.methods = Some(
            first_methods
                .split(',')
                .map(|m| m.trim().to_string())
                .filter(|m| !m.is_empty())
                .collect(),
        );
    }
    if mocks.iter().any(|(_, c, m)| {
        c.origin != cors.origin
            || c.headers != cors.headers
            || (cors.methods.is_some() && m != first_methods)
    }) {
        warnings.push(
            "the CORS settings differ between paths; the file uses those of the first, so the plan replaces the others' OPTIONS methods".into(),
        );
    }
    Some(cors)
}
