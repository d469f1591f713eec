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

mod api;
mod text;
use api::read_api;
use text::render;

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
                let fits = is_function_key(key) && crate::names::exec_role_of(n).len() <= 64;
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

#[cfg(test)]
mod tests;
