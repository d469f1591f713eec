//! `stackctl import`: reads functions and a REST API made outside stackctl (the console, a
//! tutorial), writes a stack.toml that describes them as they are, and downloads each function's
//! code into its source directory. It changes nothing in AWS: the `[import]` table it writes lets
//! the next plan adopt exactly these resources (add the stack's tags) instead of reporting them as
//! look-alikes.

use crate::aws::Service::{ApiGateway, Lambda, Logs};
use crate::aws::{Absent, Aws};
use crate::config::{DEFAULT_CORS_HEADERS, is_function_key, is_stack_name};
use crate::model::STACK_TAG;
use anyhow::{Context, Result, bail};
use aws_sdk_apigateway::types as gw;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What to import and where to write it.
#[derive(Debug, Clone)]
pub struct Request {
    pub functions: Vec<String>,
    pub api: Option<String>,
    pub name: Option<String>,
    pub file: PathBuf,
    pub force: bool,
}

/// What `import` wrote, for the command to report.
#[derive(Debug)]
pub struct Imported {
    pub stack: String,
    /// (function name, key, source directory).
    pub functions: Vec<(String, String, PathBuf)>,
    pub api: Option<String>,
    pub routes: usize,
    /// Things the file cannot express exactly; the plan will show them as changes.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Route {
    path: String,
    verbs: Vec<String>,
    function: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Cors {
    origin: String,
    headers: Vec<String>,
    methods: Option<Vec<String>>,
}

#[derive(Debug, Default)]
struct Api {
    id: String,
    name: String,
    stage: Option<String>,
    logging: String,
    data_trace: bool,
    metrics: bool,
    routes: Vec<Route>,
    cors: Option<Cors>,
}

#[derive(Debug)]
struct Function {
    key: String,
    runtime: String,
    handler: String,
    memory_mb: i32,
    timeout_s: i32,
    description: String,
    environment: BTreeMap<String, String>,
    role: String,
    retention_days: Option<i32>,
    architecture: crate::model::Architecture,
    layers: Vec<String>,
    code_sha256: String,
    /// `CodeSha256` of stackctl's zip of the unpacked code.
    source_sha256: String,
    /// The code as downloaded, until it is unpacked.
    zip: Vec<u8>,
}

pub async fn import(aws: &Aws, req: &Request) -> Result<Imported> {
    if req.functions.is_empty() && req.api.is_none() {
        crate::bail_hint!("nothing to import"; hint = "pass --function NAME (repeatable) and/or --api REST_API_ID");
    }
    if req.file.exists() && !req.force {
        crate::bail_hint!("{} already exists; nothing was imported", req.file.display(); hint = "pass --force to overwrite it, or -f to write another file");
    }
    let mut warnings = Vec::new();
    let api = match &req.api {
        Some(id) => Some(read_api(aws, id, &mut warnings).await?),
        None => None,
    };
    let mut names: BTreeSet<String> = req.functions.iter().cloned().collect();
    if let Some(api) = &api {
        names.extend(api.routes.iter().map(|r| r.function.clone()));
    }
    let names: Vec<String> = names.into_iter().collect();
    let fallback = api.as_ref().map(|a| crate::init::sanitise(&a.name));
    let (stack, keys) = split_names(&names, req.name.as_deref(), fallback.as_deref())?;

    let dir = req
        .file
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    for key in keys.values() {
        let source = dir.join(key);
        let occupied = std::fs::read_dir(&source).is_ok_and(|mut d| d.next().is_some());
        if occupied && !req.force {
            crate::bail_hint!("{} is not empty; nothing was imported", source.display(); hint = "pass --force to overwrite the function's code there");
        }
    }

    let mut functions = Vec::new();
    for name in &names {
        functions.push(read_function(aws, name, &keys[name]).await?);
    }
    // Everything is read: only now write, so a failed read leaves no half-imported directory.
    for f in &mut functions {
        f.source_sha256 = unpack(dir.join(&f.key), std::mem::take(&mut f.zip)).await?;
    }
    let text = render(&stack, &aws.region, &functions, api.as_ref(), &keys);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(&req.file, text)
        .with_context(|| format!("cannot write {}", req.file.display()))?;
    Ok(Imported {
        stack,
        functions: names
            .iter()
            .map(|n| (n.clone(), keys[n].clone(), dir.join(&keys[n])))
            .collect(),
        routes: api
            .as_ref()
            .map_or(0, |a| a.routes.iter().map(|r| r.verbs.len()).sum()),
        api: api.map(|a| a.id),
        warnings,
    })
}

/// stackctl names functions `<stack>-<key>`: finds the stack name (given, or the longest prefix
/// every name shares at a '-') that makes each real name exactly that. Returns key by name.
fn split_names(
    names: &[String],
    given: Option<&str>,
    fallback: Option<&str>,
) -> Result<(String, BTreeMap<String, String>)> {
    let keys_for = |stack: &str| -> Option<BTreeMap<String, String>> {
        names
            .iter()
            .map(|n| {
                let key = n.strip_prefix(stack)?.strip_prefix('-')?;
                let fits = is_function_key(key) && format!("{n}-exec").len() <= 64;
                fits.then(|| (n.clone(), key.to_string()))
            })
            .collect()
    };
    const RULES: &str = "stackctl names each function `<stack>-<key>`: the stack name is 1 to 32 lowercase letters, digits or '-' starting with a letter, the key lowercase letters, digits, '-' or '_' starting with a letter";
    if let Some(stack) = given {
        if !is_stack_name(stack) {
            crate::bail_hint!("invalid stack name {stack:?}"; hint = "{RULES}");
        }
        return match keys_for(stack) {
            Some(keys) => Ok((stack.to_string(), keys)),
            None => {
                crate::bail_hint!("not every function name is `{stack}-<key>`: {}", names.join(", "); hint = "{RULES}; pass another --name, or leave it out to derive one")
            }
        };
    }
    let Some(first) = names.first() else {
        return Ok((fallback.unwrap_or("imported").to_string(), BTreeMap::new()));
    };
    let candidates = first
        .char_indices()
        .filter(|(_, c)| *c == '-')
        .map(|(i, _)| &first[..i])
        .rev();
    for stack in candidates {
        if is_stack_name(stack)
            && let Some(keys) = keys_for(stack)
        {
            return Ok((stack.to_string(), keys));
        }
    }
    crate::bail_hint!("cannot express {} as `<stack>-<key>` with one stack name", names.join(", "); hint = "{RULES}; import such functions separately (one stack each), or rename them in Lambda")
}

/// Reads a function and downloads its code, writing nothing yet.
async fn read_function(aws: &Aws, name: &str, key: &str) -> Result<Function> {
    let out = match aws
        .call(Lambda, "GetFunction", name, || {
            aws.lambda.get_function().function_name(name).send()
        })
        .await
        .found()?
    {
        Some(out) => out,
        None => {
            crate::bail_hint!("function {name} does not exist in {}; nothing was imported", aws.region; hint = "check the name, and the region (--region or AWS_REGION)")
        }
    };
    if let Some(owner) = out.tags().and_then(|t| t.get(STACK_TAG)) {
        crate::bail_hint!("function {name} already belongs to stack {owner} (tag {STACK_TAG}); nothing was imported"; hint = "manage it from that stack's file");
    }
    let Some(c) = out.configuration() else {
        bail!("lambda:GetFunction {name} returned no configuration");
    };
    if c.package_type().is_some_and(|p| p.as_str() == "Image") {
        bail!(
            "function {name} is a container image; stackctl deploys zip packages only, so it cannot import it"
        );
    }
    let Some(location) = out.code().and_then(|c| c.location()) else {
        bail!("lambda:GetFunction {name} returned no code location");
    };
    let zip = download(aws, location)
        .await
        .with_context(|| format!("cannot download the code of function {name}"))?;
    let group = crate::names::log_group_name(name);
    let retention_days = aws
        .call(Logs, "DescribeLogGroups", &group, || {
            aws.logs
                .describe_log_groups()
                .log_group_name_prefix(&group)
                .send()
        })
        .await?
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(group.as_str()))
        .and_then(|g| g.retention_in_days());
    let live = crate::live::function_of(name, c, Default::default());
    Ok(Function {
        key: key.to_string(),
        runtime: live.runtime,
        handler: live.handler,
        memory_mb: live.memory_mb,
        timeout_s: live.timeout_s,
        description: live.description,
        environment: live.environment,
        role: live.role_arn,
        retention_days,
        architecture: live.architecture,
        layers: live.layers,
        code_sha256: live.code_sha256,
        source_sha256: String::new(),
        zip,
    })
}

/// Unzips a function's code into its (emptied) source directory; returns how stackctl packages it.
async fn unpack(source: PathBuf, zip: Vec<u8>) -> Result<String> {
    tokio::task::spawn_blocking(move || -> Result<String> {
        if source.exists() {
            std::fs::remove_dir_all(&source)
                .with_context(|| format!("cannot empty {}", source.display()))?;
        }
        zip::ZipArchive::new(std::io::Cursor::new(zip))
            .and_then(|mut archive| archive.extract(&source))
            .with_context(|| format!("cannot unzip the code into {}", source.display()))?;
        Ok(crate::package::package(&source)?.sha256)
    })
    .await?
}

/// Fetches the presigned URL GetFunction returns (plain HTTPS, not an AWS API call). LocalStack
/// may name itself `*.localhost.localstack.cloud`, which needs DNS: such URLs go to the endpoint.
async fn download(aws: &Aws, location: &str) -> Result<Vec<u8>> {
    let mut url = reqwest::Url::parse(location).context("the code location is not a URL")?;
    if url
        .host_str()
        .is_some_and(|h| h.ends_with("localhost.localstack.cloud"))
        && let Some(endpoint) = aws
            .endpoint
            .as_deref()
            .and_then(|e| reqwest::Url::parse(e).ok())
    {
        url.set_host(endpoint.host_str())?;
        let _ = url.set_port(endpoint.port());
        let _ = url.set_scheme(endpoint.scheme());
    }
    let response = reqwest::get(url.clone())
        .await
        .and_then(reqwest::Response::error_for_status)
        .with_context(|| format!("GET {}", url.as_str().split('?').next().unwrap_or("")))?;
    Ok(response.bytes().await?.to_vec())
}

async fn read_api(aws: &Aws, id: &str, warnings: &mut Vec<String>) -> Result<Api> {
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
fn function_of_uri(uri: &str) -> Option<String> {
    let name = uri.split(":function:").nth(1)?.split('/').next()?;
    (!name.is_empty() && !name.contains(':')).then(|| name.to_string())
}

const ALLOW: &str = "method.response.header.Access-Control-Allow-";

/// A console "Enable CORS" mock's settings and its Allow-Methods value.
fn cors_of(i: &gw::Integration) -> Option<(Cors, String)> {
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
fn cors_setting(
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

/// A TOML string literal.
fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| q(i)).collect();
    format!("[{}]", quoted.join(", "))
}

fn render(
    stack: &str,
    region: &str,
    functions: &[Function],
    api: Option<&Api>,
    keys: &BTreeMap<String, String>,
) -> String {
    use std::fmt::Write;
    let mut t = String::new();
    let w = &mut t;
    let _ = writeln!(
        w,
        "# Written by `stackctl import`: these resources as they were read. Run `stackctl plan`:\n\
         # it should show only the stack's tags to add (and what stackctl sets differently)."
    );
    let _ = writeln!(w, "\n[stack]\nname = {}\nregion = {}", q(stack), q(region));
    for f in functions {
        let _ = writeln!(w, "\n[functions.{}]", f.key);
        let _ = writeln!(w, "runtime = {}", q(&f.runtime));
        let _ = writeln!(w, "handler = {}", q(&f.handler));
        let _ = writeln!(w, "source = {}", q(&f.key));
        let _ = writeln!(w, "memory_mb = {}", f.memory_mb);
        let _ = writeln!(w, "timeout_s = {}", f.timeout_s);
        if !f.description.is_empty() {
            let _ = writeln!(w, "description = {}", q(&f.description));
        }
        if !f.environment.is_empty() {
            let pairs: Vec<String> = f
                .environment
                .iter()
                .map(|(k, v)| format!("{k} = {}", q(v)))
                .collect();
            let _ = writeln!(w, "environment = {{ {} }}", pairs.join(", "));
        }
        if let Some(days) = f.retention_days {
            let _ = writeln!(w, "log_retention_days = {days}");
        }
        if f.architecture != crate::model::Architecture::default() {
            let _ = writeln!(w, "architecture = {}", q(f.architecture.as_str()));
        }
        if !f.layers.is_empty() {
            let _ = writeln!(w, "layers = {}", list(&f.layers));
        }
        let _ = writeln!(
            w,
            "# The function keeps its own role: stackctl creates none for it.\nrole = {}",
            q(&f.role)
        );
    }
    if let Some(api) = api {
        let _ = writeln!(w, "\n[api]\nname = {}", q(&api.name));
        if let Some(stage) = &api.stage {
            let _ = writeln!(w, "stage = {}", q(stage));
        }
        let _ = writeln!(w, "logging = {}", q(&api.logging));
        if api.data_trace {
            let _ = writeln!(w, "data_trace = true");
        }
        if api.metrics {
            let _ = writeln!(w, "metrics = true");
        }
        if let Some(cors) = &api.cors {
            let _ = writeln!(w, "\n[api.cors]\nallow_origin = {}", q(&cors.origin));
            let _ = writeln!(w, "allow_headers = {}", list(&cors.headers));
            if let Some(methods) = &cors.methods {
                let _ = writeln!(w, "allow_methods = {}", list(methods));
            }
        }
        for r in &api.routes {
            let _ = writeln!(
                w,
                "\n[[api.routes]]\npath = {}\nmethods = {}\nfunction = {}",
                q(&r.path),
                list(&r.verbs),
                q(&keys[&r.function])
            );
        }
    }
    let _ = writeln!(
        w,
        "\n# Made outside stackctl: the live readers take these untagged resources as the stack's,\n\
         # and the next apply tags them. The hashes say the code in each source directory is the\n\
         # code Lambda runs, until you change it."
    );
    let _ = writeln!(w, "[import]");
    if let Some(api) = api {
        let _ = writeln!(w, "rest_api = {}", q(&api.id));
    }
    for f in functions {
        let _ = writeln!(
            w,
            "\n[import.functions.{}]\ncode_sha256 = {}\nsource_sha256 = {}",
            f.key,
            q(&f.code_sha256),
            q(&f.source_sha256)
        );
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(ns: &[&str]) -> Vec<String> {
        ns.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn console_names_split_into_stack_and_key() {
        let (stack, keys) = split_names(&names(&["my-func"]), None, None).unwrap();
        assert_eq!((stack.as_str(), keys["my-func"].as_str()), ("my", "func"));
        let (stack, keys) =
            split_names(&names(&["shop-api-list", "shop-api-get"]), None, None).unwrap();
        assert_eq!(stack, "shop-api");
        assert_eq!(keys["shop-api-get"], "get");
        let (stack, _) = split_names(&names(&["shop-api-list", "shop-web"]), None, None).unwrap();
        assert_eq!(stack, "shop");
        let (stack, keys) = split_names(&names(&["a-b-c"]), Some("a"), None).unwrap();
        assert_eq!((stack.as_str(), keys["a-b-c"].as_str()), ("a", "b-c"));
        for bad in [
            &["hello"][..],
            &["MyFunc-x"],
            &["one-a", "two-b"],
            &["my-2x"],
        ] {
            let err = split_names(&names(bad), None, None).unwrap_err();
            assert!(format!("{err}").contains("<stack>-<key>"), "{bad:?}: {err}");
        }
        assert!(split_names(&names(&["my-func"]), Some("other"), None).is_err());
        assert_eq!(
            split_names(&[], None, Some("from-api")).unwrap().0,
            "from-api"
        );
    }

    #[test]
    fn integration_uris_name_unqualified_functions_only() {
        let uri = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:my-func/invocations";
        assert_eq!(function_of_uri(uri).as_deref(), Some("my-func"));
        let alias = uri.replace("my-func/", "my-func:live/");
        assert_eq!(function_of_uri(&alias), None);
    }

    #[test]
    fn cors_methods_are_written_only_when_stackctl_would_differ() {
        let routes = vec![Route {
            path: "/a".into(),
            verbs: vec!["POST".into()],
            function: "f".into(),
        }];
        let cors = Cors {
            origin: "*".into(),
            headers: vec!["Content-Type".into()],
            methods: None,
        };
        let mut w = Vec::new();
        let same = vec![("/a".to_string(), cors.clone(), "OPTIONS,POST".to_string())];
        assert_eq!(cors_setting(&same, &routes, &mut w).unwrap().methods, None);
        let other = vec![("/a".to_string(), cors, "POST,OPTIONS".to_string())];
        assert_eq!(
            cors_setting(&other, &routes, &mut w).unwrap().methods,
            Some(vec!["POST".to_string(), "OPTIONS".to_string()])
        );
        assert!(w.is_empty());
    }
}
