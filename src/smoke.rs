//! `stackctl test`: calls every route of the deployed API through its URL, plus the CORS
//! preflight, and says which did not answer as deployed (5xx, unknown route, CORS headers missing
//! or wrong). This is HTTP to the API itself, not an AWS API call, hence a plain HTTP client.

use crate::aws::Aws;
use crate::config::{ApiConfig, CorsConfig, StackConfig};
use crate::engine;
use anyhow::{Context, Result, bail};
use console::style;
use reqwest::Method;
use reqwest::header::HeaderMap;
use std::time::{Duration, Instant};

/// What to send.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Body for POST, PUT and PATCH; otherwise the route's `test_body`, else `{}`.
    pub data: Option<String>,
    /// The Origin header; otherwise the configured origin (or a stand-in for `*`).
    pub origin: Option<String>,
}

/// One request and what came back.
#[derive(Debug, Clone)]
pub struct Check {
    pub method: String,
    pub path: String,
    /// None: no HTTP answer at all.
    pub status: Option<u16>,
    pub millis: u128,
    /// The Access-Control-* response headers, in a fixed order.
    pub cors: Vec<(String, String)>,
    pub body: String,
    pub problems: Vec<String>,
}

/// The origin stood in for `allow_origin = "*"`: any origin must then be allowed.
const ANY_ORIGIN: &str = "https://example.com";
/// Lambda cold starts can take seconds; a route that needs more than this is broken anyway.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const CORS_HEADERS: [&str; 3] = [
    "access-control-allow-origin",
    "access-control-allow-methods",
    "access-control-allow-headers",
];

/// Calls every route and method of `config`'s API (deployed as `api_id`), then each path's
/// preflight when CORS is on.
pub async fn run(
    aws: &Aws,
    config: &StackConfig,
    api_id: &str,
    opts: &Options,
) -> Result<Vec<Check>> {
    let api = api_of(config)?;
    let http = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .build()
        .context("cannot set up the HTTP client")?;
    let origin = opts.origin.clone().unwrap_or_else(|| match &api.cors {
        Some(c) if c.allow_origin != "*" => c.allow_origin.clone(),
        _ => ANY_ORIGIN.to_string(),
    });
    let mut checks = Vec::new();
    for path in paths(api) {
        let url = engine::invoke_url(aws, api_id, &api.stage, &path);
        let methods = methods_of(api, &path);
        for (method, test_body) in &methods {
            let body = matches!(method.as_str(), "POST" | "PUT" | "PATCH").then(|| {
                opts.data
                    .clone()
                    .or_else(|| test_body.clone())
                    .unwrap_or_else(|| "{}".into())
            });
            let mut headers = vec![];
            if api.cors.is_some() {
                headers.push(("Origin", origin.clone()));
            }
            if body.is_some() {
                headers.push(("Content-Type", "application/json".into()));
            }
            let mut check = call(&http, method, &path, &url, &headers, body).await;
            if let Some(cors) = &api.cors {
                check_response_cors(&mut check, cors, &origin);
            }
            checks.push(check);
        }
        if let Some(cors) = &api.cors {
            let first = methods.first().map_or("POST".to_string(), |m| m.0.clone());
            let headers = vec![
                ("Origin", origin.clone()),
                ("Access-Control-Request-Method", first),
                ("Access-Control-Request-Headers", "content-type".into()),
            ];
            let mut check = call(&http, "OPTIONS", &path, &url, &headers, None).await;
            let routed: Vec<String> = methods.iter().map(|m| m.0.clone()).collect();
            check_preflight(&mut check, cors, &routed);
            checks.push(check);
        }
    }
    Ok(checks)
}

/// The stack's API: `stackctl test` has nothing to call without one.
pub fn api_of(config: &StackConfig) -> Result<&ApiConfig> {
    config.api.as_ref().with_context(|| {
        format!(
            "{} has no [api] table: there is no URL to test",
            config.path.display()
        )
    })
}

/// The API's paths, in file order, each once.
fn paths(api: &ApiConfig) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in &api.routes {
        if !out.contains(&r.path) {
            out.push(r.path.clone());
        }
    }
    out
}

/// The methods routed on `path` (explicit OPTIONS routes included), with their test bodies.
fn methods_of(api: &ApiConfig, path: &str) -> Vec<(String, Option<String>)> {
    api.routes
        .iter()
        .filter(|r| r.path == path)
        .flat_map(|r| r.methods.iter().map(|m| (m.clone(), r.test_body.clone())))
        .filter(|(m, _)| !(m == "OPTIONS" && api.cors.is_some()))
        .collect()
}

async fn call(
    http: &reqwest::Client,
    method: &str,
    path: &str,
    url: &str,
    headers: &[(&str, String)],
    body: Option<String>,
) -> Check {
    let verb = if method == "ANY" { "GET" } else { method };
    let mut req = http.request(
        Method::from_bytes(verb.as_bytes()).unwrap_or(Method::GET),
        url,
    );
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    if let Some(body) = body {
        req = req.body(body);
    }
    let started = Instant::now();
    let mut check = Check {
        method: verb.to_string(),
        path: path.to_string(),
        status: None,
        millis: 0,
        cors: Vec::new(),
        body: String::new(),
        problems: Vec::new(),
    };
    match req.send().await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let gateway_error = resp.headers().contains_key("x-amzn-errortype");
            check.cors = cors_headers(resp.headers());
            check.body = resp.text().await.unwrap_or_default();
            check.millis = started.elapsed().as_millis();
            check.status = Some(status);
            if status >= 500 {
                check.problems.push(format!(
                    "answered {status}{}: the function failed or API Gateway cannot invoke it; see `stackctl logs`",
                    snippet(&check.body).map_or(String::new(), |b| format!(" ({b})"))
                ));
            } else if (status == 403 || status == 404) && gateway_error {
                check.problems.push(format!(
                    "answered {status} from API Gateway itself: the stage does not serve this route; run `stackctl apply`"
                ));
            }
        }
        Err(e) => {
            check.millis = started.elapsed().as_millis();
            check.problems.push(format!(
                "no answer from {url}: {e}; is the API deployed (`stackctl outputs`)?"
            ));
        }
    }
    check
}

fn cors_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    CORS_HEADERS
        .iter()
        .filter_map(|name| {
            let v = headers.get(*name)?.to_str().ok()?;
            Some((name.to_string(), v.to_string()))
        })
        .collect()
}

fn header<'a>(check: &'a Check, name: &str) -> Option<&'a str> {
    check
        .cors
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A proxied response must carry Access-Control-Allow-Origin itself, or browsers drop it.
fn check_response_cors(check: &mut Check, cors: &CorsConfig, origin: &str) {
    if check.status.is_none_or(|s| s >= 500) {
        return;
    }
    match header(check, "access-control-allow-origin") {
        None => check.problems.push(format!(
            "no Access-Control-Allow-Origin header: browsers on {origin} cannot read the answer; \
             the function's response must set it (to {:?})",
            cors.allow_origin
        )),
        Some(v) if v != "*" && v != origin && v != cors.allow_origin => {
            check.problems.push(format!(
                "Access-Control-Allow-Origin is {v:?}, but the stack allows {:?}: browsers on {origin} would block the answer",
                cors.allow_origin
            ))
        }
        Some(_) => {}
    }
}

/// The preflight must allow exactly the configured origin, and every routed method and header.
fn check_preflight(check: &mut Check, cors: &CorsConfig, routed: &[String]) {
    let Some(status) = check.status else { return };
    if !(200..300).contains(&status) {
        if status < 500 {
            check.problems.push(format!(
                "the CORS preflight answered {status}: browsers will refuse every cross-origin call; run `stackctl apply`"
            ));
        }
        return;
    }
    let hint = "live CORS differs from the stack file; run `stackctl plan` to see the drift and `stackctl apply` to fix it";
    match header(check, "access-control-allow-origin") {
        None => check
            .problems
            .push(format!("no Access-Control-Allow-Origin header; {hint}")),
        Some(v) if v != cors.allow_origin => check.problems.push(format!(
            "Access-Control-Allow-Origin is {v:?}, expected {:?}; {hint}",
            cors.allow_origin
        )),
        Some(_) => {}
    }
    let methods = crate::model::cors_allow_methods(
        routed.iter().map(String::as_str),
        cors.allow_methods.as_deref(),
    );
    let missing = missing_from(header(check, "access-control-allow-methods"), &methods);
    if !missing.is_empty() {
        check.problems.push(format!(
            "Access-Control-Allow-Methods lacks {}; {hint}",
            missing.join(", ")
        ));
    }
    let missing = missing_from(
        header(check, "access-control-allow-headers"),
        &cors.allow_headers,
    );
    if !missing.is_empty() {
        check.problems.push(format!(
            "Access-Control-Allow-Headers lacks {}; {hint}",
            missing.join(", ")
        ));
    }
}

/// The items of `wanted` a comma-separated header value lacks (case-insensitive; `*` allows all).
fn missing_from(value: Option<&str>, wanted: &[String]) -> Vec<String> {
    let have: Vec<String> = value
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .collect();
    if have.iter().any(|h| h == "*") {
        return Vec::new();
    }
    wanted
        .iter()
        .filter(|w| !have.contains(&w.to_ascii_lowercase()))
        .cloned()
        .collect()
}

/// At most one line of a body, for showing next to a status.
fn snippet(body: &str) -> Option<String> {
    let line = body.lines().next()?.trim();
    if line.is_empty() {
        return None;
    }
    let mut s: String = line.chars().take(80).collect();
    if s.len() < line.len() {
        s.push('…');
    }
    Some(s)
}

/// The checks as text: one line per request, marked ✓ or ✗ ([`verdict`] says what is wrong).
pub fn report(checks: &[Check]) -> String {
    let width = checks.iter().map(|c| c.path.len()).max().unwrap_or(0);
    let mut out = String::new();
    for c in checks {
        let mark = if c.problems.is_empty() {
            style("✓").green()
        } else {
            style("✗").red()
        };
        let status = c.status.map_or("---".to_string(), |s| s.to_string());
        let cors: Vec<String> = c
            .cors
            .iter()
            .map(|(k, v)| format!("{}: {v}", k.trim_start_matches("access-control-")))
            .collect();
        let mut line = format!(
            "  {mark} {:<7} {:<width$}  {status}  {:>5} ms",
            c.method, c.path, c.millis
        );
        if !cors.is_empty() {
            line.push_str(&format!("  {}", style(cors.join("  ")).dim()));
        }
        if c.method != "OPTIONS"
            && let Some(body) = snippet(&c.body)
        {
            line.push_str(&format!("  {body}"));
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Ok when every check passed; otherwise an error that lists the failures.
pub fn verdict(checks: &[Check]) -> Result<String> {
    let failed: Vec<&Check> = checks.iter().filter(|c| !c.problems.is_empty()).collect();
    if failed.is_empty() {
        return Ok(format!(
            "All {} check{} passed.",
            checks.len(),
            if checks.len() == 1 { "" } else { "s" }
        ));
    }
    let mut msg = format!("{} of {} checks failed:", failed.len(), checks.len());
    for c in failed {
        for p in &c.problems {
            msg.push_str(&format!("\n  {} {}: {p}", c.method, c.path));
        }
    }
    bail!(msg)
}

#[cfg(test)]
#[path = "smoke_tests.rs"]
mod tests;
