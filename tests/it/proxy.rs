//! A fault-injection HTTP proxy in front of an emulator: stackctl is pointed at it with
//! `AWS_ENDPOINT_URL` and it forwards to the emulator, except where a test scripted a fault for an
//! AWS operation — throttling, API Gateway's real quotas, IAM propagation delays, functions busy
//! updating, 5xx, connection resets, and responses lost after the request succeeded. It counts
//! every fault it injects, by kind, so tests can print what stackctl survived.

use crate::support::Emulator;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One kind of fault, answered instead of (or after) forwarding the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 429 TooManyRequestsException with `retryAfterSeconds` in the JSON body.
    Throttle { retry_after_s: u32 },
    /// 500 or 503 without forwarding.
    Status(u16),
    /// The connection is dropped before the request reaches the emulator.
    Reset,
    /// The request is forwarded and succeeds; then the connection is dropped.
    LostResponse,
    /// 409 ResourceConflictException: the function is still updating.
    Busy,
    /// Forwarded after a pause of this many milliseconds (a slow network or a slow AWS).
    Slow(u64),
    /// 429 LimitExceededException: a hard quota, such as API Gateway's resources per API.
    LimitExceeded,
    /// 400 InvalidParameterValueException: the execution role's new permissions have not reached
    /// Lambda's poller yet (CreateEventSourceMapping, issue 11).
    PollerPermissionNotReady,
    /// 403 AccessDenied (IAM's XML error): the caller's credentials lack the permission.
    AccessDenied,
}

impl Fault {
    fn kind(self) -> &'static str {
        match self {
            Fault::Throttle { .. } => "throttle-429",
            Fault::Status(500) => "status-500",
            Fault::Status(503) => "status-503",
            Fault::Status(_) => "status-other",
            Fault::Reset => "connection-reset",
            Fault::LostResponse => "lost-response",
            Fault::Busy => "function-busy-409",
            Fault::Slow(_) => "slow",
            Fault::LimitExceeded => "limit-exceeded-429",
            Fault::PollerPermissionNotReady => "poller-permission-400",
            Fault::AccessDenied => "access-denied-403",
        }
    }
}

struct Rule {
    operation: String,
    fault: Fault,
    remaining: u32,
}

/// A token bucket with the quota's burst and rate.
struct Bucket {
    tokens: f64,
    capacity: f64,
    rate: f64,
    last: Instant,
}

impl Bucket {
    fn new(capacity: f64, rate: f64) -> Bucket {
        Bucket {
            tokens: capacity,
            capacity,
            rate,
            last: Instant::now(),
        }
    }
    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity);
        self.last = now;
    }
    /// Seconds until a token is there (0 when one is there now).
    fn wait(&self) -> f64 {
        ((1.0 - self.tokens) / self.rate).max(0.0)
    }
}

/// API Gateway's control-plane quotas per account and region (shared/aws-facts.md).
fn quotas() -> BTreeMap<&'static str, (f64, f64)> {
    BTreeMap::from([
        ("*", (40.0, 10.0)),
        ("CreateDeployment", (1.0, 1.0 / 5.0)),
        ("CreateRestApi", (1.0, 1.0 / 3.0)),
        ("DeleteRestApi", (1.0, 1.0 / 30.0)),
        ("ImportRestApi", (1.0, 1.0 / 3.0)),
        ("PutRestApi", (1.0, 1.0)),
        ("CreateResource", (5.0, 5.0)),
        ("DeleteResource", (5.0, 5.0)),
        ("GetResources", (5.0, 2.5)),
        ("UpdateAccount", (1.0, 1.0 / 20.0)),
    ])
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    /// Added to every request before it is answered, as a round trip to an AWS region would be.
    latency: Option<Duration>,
    quota: Option<BTreeMap<&'static str, Bucket>>,
    /// How long a new role stays unusable for CreateFunction and UpdateAccount.
    role_delay: Option<Duration>,
    /// When each role name was created through the proxy (or first used, for UpdateAccount).
    roles: BTreeMap<String, Instant>,
    /// Blank `cloudwatchRoleArn` in GetAccount until an UpdateAccount gets through, so that
    /// stackctl plans the account setting even though the shared emulator already has one.
    hide_account_role: bool,
    /// When set, a second CreateResource with the same parent and path part is answered 409
    /// ConflictException, as AWS does (LocalStack would create a duplicate resource).
    resource_conflicts: Option<std::collections::BTreeSet<(String, String)>>,
    /// Faults injected, by kind.
    injected: BTreeMap<&'static str, u32>,
    /// Requests seen, by operation.
    seen: BTreeMap<String, u32>,
    /// When each Lambda control-plane request arrived (all but GetFunction, GetPolicy and
    /// Invoke, which have quotas of their own), for checking the client keeps under 15/s.
    lambda_control: Vec<Instant>,
    /// API Gateway requests that quota mode let through (the calls that count against the
    /// quota), by operation.
    admitted: BTreeMap<String, u32>,
}

pub struct Proxy {
    pub addr: SocketAddr,
    target: Emulator,
    state: Arc<Mutex<State>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Proxy {
    /// Listens on 127.0.0.1 (a free port) on its own runtime, so it serves while a test blocks
    /// on a stackctl process.
    pub fn start(target: &Emulator) -> Proxy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("proxy runtime");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("proxy binds 127.0.0.1");
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let upstream: SocketAddr = target
            .endpoint
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .expect("emulator endpoint is http://host:port");
        let shared = state.clone();
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = shared.clone();
                tokio::spawn(async move {
                    let service =
                        hyper::service::service_fn(move |req| handle(req, state.clone(), upstream));
                    // A scripted reset or lost response ends the connection with an error.
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Proxy {
            addr,
            target: target.clone(),
            state,
            runtime: Some(runtime),
        }
    }

    /// An emulator whose endpoint is this proxy: give it to `Stack::from_example` so every
    /// stackctl run goes through the proxy.
    pub fn emulator(&self) -> Emulator {
        Emulator {
            kind: self.target.kind,
            endpoint: format!("http://{}", self.addr),
        }
    }

    /// Answers the next `times` requests for `operation` (e.g. "CreateRestApi") with `fault`.
    pub fn inject(&self, operation: &str, fault: Fault, times: u32) {
        self.state.lock().unwrap().rules.push(Rule {
            operation: operation.to_string(),
            fault,
            remaining: times,
        });
    }

    /// Enforces API Gateway's per-operation quotas and its 10 req/s account rate, answering 429
    /// past them.
    pub fn quota_mode(&self) {
        let now = Instant::now();
        self.state.lock().unwrap().quota = Some(
            quotas()
                .into_iter()
                .map(|(op, (burst, rate))| {
                    let mut b = Bucket::new(burst, rate);
                    b.last = now;
                    (op, b)
                })
                .collect(),
        );
    }

    /// For `delay` after a role is created, Lambda cannot assume it (CreateFunction) and API
    /// Gateway finds it lacks permissions (UpdateAccount).
    pub fn role_propagation(&self, delay: Duration) {
        self.state.lock().unwrap().role_delay = Some(delay);
    }

    /// Holds every request for `latency` before answering it (requests wait side by side, not in
    /// turn), so an emulator a few milliseconds away answers about as late as an AWS region
    /// would: what a command's wall time is made of then is round trips, not emulator work.
    /// `scripts/bench.py` uses it through the quota-proxy program; no test times anything.
    #[allow(dead_code)]
    pub fn latency(&self, latency: Duration) {
        self.state.lock().unwrap().latency = Some(latency);
    }

    /// Answers a duplicate CreateResource (same parent, same path part) with AWS's 409.
    pub fn aws_resource_conflicts(&self) {
        self.state.lock().unwrap().resource_conflicts = Some(Default::default());
    }

    pub fn hide_account_role(&self) {
        self.state.lock().unwrap().hide_account_role = true;
    }

    /// Faults injected so far, by kind.
    pub fn injected(&self) -> BTreeMap<&'static str, u32> {
        self.state.lock().unwrap().injected.clone()
    }

    pub fn total_injected(&self) -> u32 {
        self.injected().values().sum()
    }

    /// How many requests for `operation` reached the proxy.
    pub fn seen(&self, operation: &str) -> u32 {
        self.state
            .lock()
            .unwrap()
            .seen
            .get(operation)
            .copied()
            .unwrap_or(0)
    }

    /// Lambda control-plane requests seen, and the most that arrived within any one second.
    pub fn lambda_control_peak(&self) -> (usize, usize) {
        let times = self.state.lock().unwrap().lambda_control.clone();
        let peak = (0..times.len())
            .map(|i| {
                times[i..]
                    .iter()
                    .take_while(|t| t.duration_since(times[i]) < Duration::from_secs(1))
                    .count()
            })
            .max()
            .unwrap_or(0);
        (times.len(), peak)
    }

    /// API Gateway requests quota mode let through so far.
    pub fn admitted(&self) -> u32 {
        self.state.lock().unwrap().admitted.values().sum()
    }

    /// The least time, in seconds, in which the quotas allow the calls admitted so far: for the
    /// account rate and each operation's own, the calls beyond the burst over the rate.
    pub fn quota_floor_s(&self) -> f64 {
        let admitted = self.state.lock().unwrap().admitted.clone();
        let total: u32 = admitted.values().sum();
        quotas()
            .into_iter()
            .map(|(op, (burst, rate))| {
                let n = if op == "*" {
                    total
                } else {
                    admitted.get(op).copied().unwrap_or(0)
                };
                (f64::from(n) - burst).max(0.0) / rate
            })
            .fold(0.0, f64::max)
    }

    /// Prints the fault counts in one greppable line: `cargo test --test it faults:: -- --nocapture`.
    pub fn report(&self, test: &str) {
        println!("FAULTS {test}: {:?}", self.injected());
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// The AWS service a request is signed for, from the SigV4 credential scope.
fn service(req: &Request<Bytes>) -> String {
    req.headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split('/').nth(3))
        .unwrap_or("unknown")
        .to_string()
}

/// The AWS operation name: X-Amz-Target (JSON protocols), Action= (query protocols), or the
/// REST route (method + path shape) for API Gateway and Lambda.
pub fn operation(
    service: &str,
    method: &str,
    path: &str,
    target: Option<&str>,
    body: &[u8],
) -> String {
    if let Some(t) = target {
        return t.rsplit('.').next().unwrap_or(t).to_string();
    }
    if let Some(action) = form_value(body, "Action") {
        return action;
    }
    const LITERALS: [&str; 17] = [
        "event-source-mappings",
        "restapis",
        "resources",
        "methods",
        "integration",
        "responses",
        "deployments",
        "stages",
        "gatewayresponses",
        "account",
        "tags",
        "functions",
        "configuration",
        "code",
        "policy",
        "2015-03-31",
        "2017-03-31",
    ];
    let shape: Vec<&str> = path
        .split('?')
        .next()
        .unwrap_or_default()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| if LITERALS.contains(&s) { s } else { "*" })
        .collect();
    let shape = shape.join("/");
    let name = match (service, method, shape.as_str()) {
        ("apigateway", "GET", "restapis") => "GetRestApis",
        ("apigateway", "POST", "restapis") => "CreateRestApi",
        ("apigateway", "GET", "restapis/*") => "GetRestApi",
        ("apigateway", "DELETE", "restapis/*") => "DeleteRestApi",
        ("apigateway", "PUT", "restapis/*") => "PutRestApi",
        ("apigateway", "PATCH", "restapis/*") => "UpdateRestApi",
        ("apigateway", "GET", "restapis/*/resources") => "GetResources",
        ("apigateway", "POST", "restapis/*/resources/*") => "CreateResource",
        ("apigateway", "DELETE", "restapis/*/resources/*") => "DeleteResource",
        ("apigateway", "PUT", "restapis/*/resources/*/methods/*") => "PutMethod",
        ("apigateway", "DELETE", "restapis/*/resources/*/methods/*") => "DeleteMethod",
        ("apigateway", "PUT", "restapis/*/resources/*/methods/*/integration") => "PutIntegration",
        ("apigateway", "PUT", "restapis/*/resources/*/methods/*/integration/responses/*") => {
            "PutIntegrationResponse"
        }
        ("apigateway", "PUT", "restapis/*/resources/*/methods/*/responses/*") => {
            "PutMethodResponse"
        }
        ("apigateway", "POST", "restapis/*/deployments") => "CreateDeployment",
        ("apigateway", "GET", "restapis/*/deployments") => "GetDeployments",
        ("apigateway", "GET", "restapis/*/deployments/*") => "GetDeployment",
        ("apigateway", "POST", "restapis/*/stages") => "CreateStage",
        ("apigateway", "GET", "restapis/*/stages") => "GetStages",
        ("apigateway", "GET", "restapis/*/stages/*") => "GetStage",
        ("apigateway", "PATCH", "restapis/*/stages/*") => "UpdateStage",
        ("apigateway", "DELETE", "restapis/*/stages/*") => "DeleteStage",
        ("apigateway", "GET", "restapis/*/gatewayresponses") => "GetGatewayResponses",
        ("apigateway", "PUT", "restapis/*/gatewayresponses/*") => "PutGatewayResponse",
        ("apigateway", "DELETE", "restapis/*/gatewayresponses/*") => "DeleteGatewayResponse",
        ("apigateway", "GET", "account") => "GetAccount",
        ("apigateway", "PATCH", "account") => "UpdateAccount",
        ("apigateway", "PUT", s) if s.starts_with("tags") => "TagResource",
        ("lambda", "POST", "2015-03-31/functions") => "CreateFunction",
        ("lambda", "GET", "2015-03-31/functions") => "ListFunctions",
        ("lambda", "GET", "2015-03-31/functions/*") => "GetFunction",
        ("lambda", "DELETE", "2015-03-31/functions/*") => "DeleteFunction",
        ("lambda", "PUT", "2015-03-31/functions/*/configuration") => "UpdateFunctionConfiguration",
        ("lambda", "GET", "2015-03-31/functions/*/configuration") => "GetFunctionConfiguration",
        ("lambda", "PUT", "2015-03-31/functions/*/code") => "UpdateFunctionCode",
        ("lambda", "POST", "2015-03-31/functions/*/policy") => "AddPermission",
        ("lambda", "GET", "2015-03-31/functions/*/policy") => "GetPolicy",
        ("lambda", "DELETE", "2015-03-31/functions/*/policy/*") => "RemovePermission",
        ("lambda", "POST", s) if s.starts_with("2017-03-31/tags") => "TagResource",
        // Event source mappings (issue 11).
        ("lambda", "POST", "2015-03-31/event-source-mappings") => "CreateEventSourceMapping",
        ("lambda", "GET", "2015-03-31/event-source-mappings") => "ListEventSourceMappings",
        ("lambda", "GET", "2015-03-31/event-source-mappings/*") => "GetEventSourceMapping",
        ("lambda", "PUT", "2015-03-31/event-source-mappings/*") => "UpdateEventSourceMapping",
        ("lambda", "DELETE", "2015-03-31/event-source-mappings/*") => "DeleteEventSourceMapping",
        _ => return format!("{method} /{shape}"),
    };
    name.to_string()
}

/// A value of an `application/x-www-form-urlencoded` body (IAM and STS requests).
fn form_value(body: &[u8], key: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    text.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key).then(|| {
            percent_encoding::percent_decode_str(&v.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

type Answer = Result<Response<Full<Bytes>>, std::io::Error>;

fn error(status: u16, code: &str, message: &str, extra: serde_json::Value) -> Answer {
    let mut body = serde_json::json!({ "message": message, "Type": "User" });
    if let (Some(b), serde_json::Value::Object(extra)) = (body.as_object_mut(), extra) {
        b.extend(extra);
    }
    Ok(Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-amzn-errortype", code)
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap())
}

fn server_error(service: &str, status: u16) -> Answer {
    let code = if status == 503 {
        "ServiceUnavailable"
    } else {
        "InternalFailure"
    };
    if matches!(service, "iam" | "sts") {
        return Ok(Response::builder()
            .status(status)
            .header("content-type", "text/xml")
            .body(Full::new(Bytes::from(format!(
                "<ErrorResponse><Error><Type>Receiver</Type><Code>{code}</Code>\
                 <Message>injected by the test proxy</Message></Error></ErrorResponse>"
            ))))
            .unwrap());
    }
    error(
        status,
        code,
        "injected by the test proxy",
        serde_json::Value::Null,
    )
}

/// 403 AccessDenied in the service's own error format (XML for IAM and STS).
fn access_denied(service: &str) -> Answer {
    if matches!(service, "iam" | "sts") {
        return Ok(Response::builder()
            .status(403)
            .header("content-type", "text/xml")
            .body(Full::new(Bytes::from(
                "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>\
                 <Message>injected by the test proxy: not authorized</Message></Error></ErrorResponse>",
            )))
            .unwrap());
    }
    error(
        403,
        "AccessDeniedException",
        "injected by the test proxy: not authorized",
        serde_json::Value::Null,
    )
}

fn dropped(what: &str) -> Answer {
    Err(std::io::Error::new(
        std::io::ErrorKind::ConnectionReset,
        format!("test proxy: {what}"),
    ))
}

/// The role name at the end of a role ARN.
fn role_name(arn: &str) -> String {
    arn.rsplit('/').next().unwrap_or(arn).to_string()
}

/// What the proxy does with one request, decided under the lock.
enum Plan {
    Answer(Answer),
    Forward {
        lose_response: bool,
        delay: Option<Duration>,
    },
}

fn decide(state: &mut State, service: &str, op: &str, path: &str, body: &[u8]) -> Plan {
    *state.seen.entry(op.to_string()).or_default() += 1;
    let now = Instant::now();
    if service == "lambda" && !matches!(op, "GetFunction" | "GetPolicy" | "Invoke") {
        state.lambda_control.push(now);
    }

    if let Some(rule) = state
        .rules
        .iter_mut()
        .find(|r| r.operation == op && r.remaining > 0)
    {
        rule.remaining -= 1;
        let fault = rule.fault;
        *state.injected.entry(fault.kind()).or_default() += 1;
        return match fault {
            Fault::Throttle { retry_after_s } => Plan::Answer(error(
                429,
                "TooManyRequestsException",
                "Too Many Requests",
                serde_json::json!({ "retryAfterSeconds": retry_after_s.to_string() }),
            )),
            Fault::Status(status) => Plan::Answer(server_error(service, status)),
            Fault::AccessDenied => Plan::Answer(access_denied(service)),
            Fault::Reset => Plan::Answer(dropped("connection reset before forwarding")),
            Fault::LostResponse => Plan::Forward {
                lose_response: true,
                delay: None,
            },
            Fault::Slow(ms) => Plan::Forward {
                lose_response: false,
                delay: Some(Duration::from_millis(ms)),
            },
            Fault::LimitExceeded => Plan::Answer(error(
                429,
                "LimitExceededException",
                "Cannot exceed the maximum number of resources per API",
                serde_json::Value::Null,
            )),
            Fault::Busy => Plan::Answer(error(
                409,
                "ResourceConflictException",
                "The operation cannot be performed at this time. An update is in progress for resource.",
                serde_json::Value::Null,
            )),
            Fault::PollerPermissionNotReady => Plan::Answer(error(
                400,
                "InvalidParameterValueException",
                "The provided execution role does not have permissions to call ReceiveMessage on SQS",
                serde_json::Value::Null,
            )),
        };
    }

    if service == "apigateway"
        && let Some(buckets) = state.quota.as_mut()
    {
        let mut wait: f64 = 0.0;
        for key in ["*", op] {
            if let Some(b) = buckets.get_mut(key) {
                b.refill(now);
                wait = wait.max(b.wait());
            }
        }
        if wait > 0.0 {
            *state.injected.entry("quota-429").or_default() += 1;
            return Plan::Answer(error(
                429,
                "TooManyRequestsException",
                "Too Many Requests",
                serde_json::json!({ "retryAfterSeconds": (wait.ceil() as u64).max(1).to_string() }),
            ));
        }
        for key in ["*", op] {
            if let Some(b) = buckets.get_mut(key) {
                b.tokens -= 1.0;
            }
        }
        *state.admitted.entry(op.to_string()).or_default() += 1;
    }

    if op == "CreateResource"
        && let Some(made) = state.resource_conflicts.as_mut()
    {
        let json: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        let part = json["pathPart"].as_str().unwrap_or_default().to_string();
        if !made.insert((path.to_string(), part)) {
            *state
                .injected
                .entry("aws-resource-conflict-409")
                .or_default() += 1;
            return Plan::Answer(error(
                409,
                "ConflictException",
                "Another resource with the same parent already has this name",
                serde_json::Value::Null,
            ));
        }
    }

    if let Some(delay) = state.role_delay {
        let json: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        match op {
            "CreateFunction" => {
                let role = role_name(json["Role"].as_str().unwrap_or_default());
                if state.roles.get(&role).is_some_and(|t| now - *t < delay) {
                    *state.injected.entry("role-not-assumable").or_default() += 1;
                    return Plan::Answer(error(
                        400,
                        "InvalidParameterValueException",
                        "The role defined for the function cannot be assumed by Lambda.",
                        serde_json::Value::Null,
                    ));
                }
            }
            "UpdateAccount" => {
                let arn = json["patchOperations"][0]["value"]
                    .as_str()
                    .unwrap_or_default();
                let since = *state.roles.entry(role_name(arn)).or_insert(now);
                if now - since < delay {
                    *state.injected.entry("role-lacks-permissions").or_default() += 1;
                    return Plan::Answer(error(
                        400,
                        "BadRequestException",
                        "The role ARN does not have required permissions set to API Gateway",
                        serde_json::Value::Null,
                    ));
                }
            }
            _ => {}
        }
    }
    Plan::Forward {
        lose_response: false,
        delay: None,
    }
}

async fn handle(req: Request<Incoming>, state: Arc<Mutex<State>>, upstream: SocketAddr) -> Answer {
    let latency = state.lock().unwrap().latency;
    if let Some(latency) = latency {
        tokio::time::sleep(latency).await;
    }
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map_err(std::io::Error::other)?
        .to_bytes();
    let req = Request::from_parts(parts, body);
    let service = service(&req);
    let target = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok());
    let op = operation(
        &service,
        req.method().as_str(),
        req.uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/"),
        target,
        req.body(),
    );
    // AWS answers 409 for a resource that already exists however it was made (a PutRestApi
    // too), so look at what the emulator holds, not only at the CreateResource calls seen.
    let conflicts_on = state.lock().unwrap().resource_conflicts.is_some();
    if op == "CreateResource"
        && conflicts_on
        && let Some(key) = existing_resource(&req, upstream).await
        && let Some(made) = state.lock().unwrap().resource_conflicts.as_mut()
    {
        made.insert(key);
    }
    let plan = decide(
        &mut state.lock().unwrap(),
        &service,
        &op,
        req.uri().path(),
        req.body(),
    );
    let lose_response = match plan {
        Plan::Answer(answer) => return answer,
        Plan::Forward {
            lose_response,
            delay,
        } => {
            if let Some(d) = delay {
                tokio::time::sleep(d).await;
            }
            lose_response
        }
    };

    let created_role = (op == "CreateRole")
        .then(|| form_value(req.body(), "RoleName"))
        .flatten();
    let (status, headers, body) = forward(req, upstream).await?;
    let mut body = body;
    {
        let mut s = state.lock().unwrap();
        if status.is_success() {
            if let Some(role) = created_role {
                s.roles.insert(role, Instant::now());
            }
            if op == "UpdateAccount" {
                s.hide_account_role = false;
            }
        }
        if op == "GetAccount" && s.hide_account_role {
            let mut json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            if let Some(o) = json.as_object_mut() {
                o.remove("cloudwatchRoleArn");
            }
            body = Bytes::from(json.to_string());
        }
    }
    if lose_response {
        return dropped("response lost after the request succeeded");
    }
    let mut response = Response::builder().status(status);
    for (k, v) in headers.iter() {
        if k != "content-length" && k != "transfer-encoding" && k != "connection" {
            response = response.header(k, v);
        }
    }
    Ok(response.body(Full::new(body)).unwrap())
}

/// For a CreateResource, the (path, pathPart) key of the resource it would make when the emulator
/// already holds one with that parent and path part.
async fn existing_resource(req: &Request<Bytes>, upstream: SocketAddr) -> Option<(String, String)> {
    let path = req.uri().path().to_string();
    let segments: Vec<&str> = path.split('/').collect();
    let (api, parent) = match segments.as_slice() {
        ["", "restapis", api, "resources", parent] => (api.to_string(), parent.to_string()),
        _ => return None,
    };
    let json: serde_json::Value = serde_json::from_slice(req.body()).unwrap_or_default();
    let part = json["pathPart"].as_str()?.to_string();
    let mut get = Request::builder()
        .method("GET")
        .uri(format!("/restapis/{api}/resources?limit=500"));
    for (k, v) in req.headers() {
        if k != "content-length" && k != "content-type" {
            get = get.header(k, v);
        }
    }
    let (status, _, body) = forward(get.body(Bytes::new()).ok()?, upstream).await.ok()?;
    if !status.is_success() {
        return None;
    }
    let listed: serde_json::Value = serde_json::from_slice(&body).ok()?;
    let items = listed["item"].as_array().or(listed["items"].as_array())?;
    items
        .iter()
        .any(|r| r["parentId"] == parent.as_str() && r["pathPart"] == part.as_str())
        .then_some((path, part))
}

async fn forward(
    req: Request<Bytes>,
    upstream: SocketAddr,
) -> Result<(StatusCode, hyper::HeaderMap, Bytes), std::io::Error> {
    let stream = tokio::net::TcpStream::connect(upstream).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(std::io::Error::other)?;
    tokio::spawn(conn);
    let (mut parts, body) = req.into_parts();
    parts
        .headers
        .insert("host", upstream.to_string().parse().unwrap());
    parts.headers.remove("connection");
    let response = sender
        .send_request(Request::from_parts(parts, Full::new(body)))
        .await
        .map_err(std::io::Error::other)?;
    let (parts, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .map_err(std::io::Error::other)?
        .to_bytes();
    Ok((parts.status, parts.headers, body))
}

#[test]
fn operations_are_named_from_the_request() {
    let op = |svc, m, p| operation(svc, m, p, None, b"");
    assert_eq!(op("apigateway", "POST", "/restapis"), "CreateRestApi");
    assert_eq!(
        op("apigateway", "POST", "/restapis/abc/deployments"),
        "CreateDeployment"
    );
    assert_eq!(
        op(
            "apigateway",
            "GET",
            "/restapis/abc/resources?embed=methods&limit=500"
        ),
        "GetResources"
    );
    assert_eq!(op("apigateway", "PATCH", "/account"), "UpdateAccount");
    assert_eq!(
        op("lambda", "POST", "/2015-03-31/functions/f/policy"),
        "AddPermission"
    );
    assert_eq!(
        op("lambda", "PUT", "/2015-03-31/functions/f/configuration"),
        "UpdateFunctionConfiguration"
    );
    assert_eq!(
        operation("iam", "POST", "/", None, b"Action=CreateRole&RoleName=x"),
        "CreateRole"
    );
    assert_eq!(
        operation(
            "logs",
            "POST",
            "/",
            Some("Logs_20140328.CreateLogGroup"),
            b"{}"
        ),
        "CreateLogGroup"
    );
}
