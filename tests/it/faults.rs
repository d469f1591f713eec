//! stackctl through the fault-injection proxy against LocalStack: for each kind of fault, the apply
//! converges to the same live state as a clean apply, a follow-up plan shows no changes, and an
//! independent SDK read finds no duplicate and no orphan. Each test prints its fault counts
//! (`cargo test --test it faults:: -- --nocapture | grep FAULTS`).

use crate::proxy::{Fault, Proxy};
use crate::support::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::OnceCell;

/// The live state of a tutorial stack read with the SDK, with the stack name, API id and
/// deployment id replaced by placeholders so two stacks' states compare equal. Panics on any
/// duplicate or orphan: more than one API with the stack's API name (tagged or not), more than one
/// deployment, a permission statement that is not the stack's.
pub async fn snapshot(emu: &Emulator, s: &Stack) -> Value {
    let gw = emu.apigw().await;
    let apis = gw.get_rest_apis().limit(500).send().await.unwrap();
    let named: Vec<_> = apis
        .items()
        .iter()
        .filter(|a| {
            a.name() == Some(s.api_name().as_str())
                || a.tags().and_then(|t| t.get(TAG)) == Some(&s.name)
        })
        .collect();
    assert_eq!(
        named.len(),
        1,
        "expected exactly one REST API for {}: {:?}",
        s.name,
        named.iter().map(|a| a.id()).collect::<Vec<_>>()
    );
    let api = named[0];
    let api_id = api.id().unwrap().to_string();
    assert_eq!(api.tags().and_then(|t| t.get(TAG)), Some(&s.name));

    let resources = gw
        .get_resources()
        .rest_api_id(&api_id)
        .embed("methods")
        .limit(500)
        .send()
        .await
        .unwrap();
    let mut paths = Vec::new();
    let mut methods = Vec::new();
    for r in resources.items() {
        let path = r.path().unwrap().to_string();
        paths.push(path.clone());
        for verb in r.resource_methods().into_iter().flat_map(|m| m.keys()) {
            let m = gw
                .get_method()
                .rest_api_id(&api_id)
                .resource_id(r.id().unwrap())
                .http_method(verb)
                .send()
                .await
                .unwrap();
            let integration = m.method_integration().unwrap();
            methods.push(json!({
                "method": format!("{verb} {path}"),
                "type": integration.r#type().map(|t| t.as_str().to_string()),
                "uri": integration.uri(),
            }));
        }
    }
    paths.sort();
    let deployments = gw
        .get_deployments()
        .rest_api_id(&api_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        deployments.items().len(),
        1,
        "one deployment expected, found {:?}",
        deployments
            .items()
            .iter()
            .map(|d| d.id())
            .collect::<Vec<_>>()
    );
    let deployment = deployments.items()[0].id().unwrap().to_string();
    let stage = gw
        .get_stage()
        .rest_api_id(&api_id)
        .stage_name("prod")
        .send()
        .await
        .unwrap();
    assert_eq!(stage.deployment_id(), Some(deployment.as_str()));
    let settings = stage.method_settings().and_then(|m| m.get("*/*"));

    let lambda = emu.lambda().await;
    let mut functions = BTreeMap::new();
    for key in ["hello", "head"] {
        let name = s.function(key);
        let f = lambda
            .get_function()
            .function_name(&name)
            .send()
            .await
            .unwrap();
        let c = f.configuration().unwrap();
        let policy = lambda.get_policy().function_name(&name).send().await;
        let statements: Vec<Value> = policy
            .ok()
            .and_then(|p| p.policy().map(str::to_string))
            .map(|p| serde_json::from_str::<Value>(&p).unwrap()["Statement"].clone())
            .and_then(|s| s.as_array().cloned())
            .unwrap_or_default()
            .into_iter()
            .map(|st| json!({"sid": st["Sid"], "source": st["Condition"]["ArnLike"]["AWS:SourceArn"]}))
            .collect();
        let role_policy = execution_policy(emu, &name).await;
        let retention = log_group(emu, &name).await;
        assert!(retention.is_some(), "no log group for {name}");
        functions.insert(
            key,
            json!({
                "runtime": c.runtime().map(|r| r.as_str().to_string()),
                "handler": c.handler(),
                "memory": c.memory_size(),
                "timeout": c.timeout(),
                "environment": c.environment().and_then(|e| e.variables()).cloned(),
                "role": c.role(),
                "tagged": f.tags().and_then(|t| t.get(TAG)) == Some(&s.name),
                "statements": statements,
                "role_policy": role_policy,
                "retention": retention.flatten(),
            }),
        );
    }
    methods.sort_by_key(|v| v["method"].to_string());
    let state = json!({
        "paths": paths,
        "methods": methods,
        "stage": {
            "logging": settings.and_then(|m| m.logging_level()),
            "metrics": settings.map(|m| m.metrics_enabled()),
        },
        "functions": functions,
    });
    let text = state
        .to_string()
        .replace(&api_id, "API")
        .replace(&s.name, "STACK");
    serde_json::from_str(&text).unwrap()
}

/// The state a clean apply of the tutorial leaves, made once per test run.
pub async fn baseline(emu: &Emulator) -> &'static Value {
    static BASELINE: OnceCell<Value> = OnceCell::const_new();
    BASELINE
        .get_or_init(|| async {
            let s = Stack::from_example(emu, "tutorial", "base");
            s.apply();
            let state = snapshot(emu, &s).await;
            s.destroy();
            state
        })
        .await
}

/// Applies the tutorial through a proxy scripted by `script`, then checks convergence: same live
/// state as a clean apply, no changes planned, nothing duplicated; then destroys it through the
/// proxy and checks nothing of the stack is left.
async fn survives(
    test: &str,
    prefix: &str,
    script: impl FnOnce(&Proxy),
) -> BTreeMap<&'static str, u32> {
    let emu = Emulator::get(Kind::LocalStack);
    let expected = baseline(&emu).await;
    let proxy = Proxy::start(&emu);
    script(&proxy);
    let s = Stack::from_example(&proxy.emulator(), "tutorial", prefix);
    let applied = s.run(&["apply", "--yes", "--color", "never"]);
    assert_eq!(
        applied.code(),
        0,
        "apply through faults {:?} failed:\n{}",
        proxy.injected(),
        applied.all()
    );
    assert!(proxy.total_injected() > 0, "no fault was injected");

    let noop = s.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(
        noop.code(),
        0,
        "changes left after the apply:\n{}",
        noop.all()
    );
    assert_eq!(&snapshot(&emu, &s).await, expected);

    s.destroy();
    let lambda = emu.lambda().await;
    for key in ["hello", "head"] {
        let name = s.function(key);
        assert!(
            lambda
                .get_function()
                .function_name(&name)
                .send()
                .await
                .is_err()
        );
        assert!(
            emu.iam()
                .await
                .get_role()
                .role_name(format!("{name}-exec"))
                .send()
                .await
                .is_err(),
            "role of {name} left behind"
        );
    }
    assert!(
        !api_named(&emu, &s.api_name()).await,
        "a REST API of the stack was left behind"
    );
    // Counted over apply, plan and destroy: all went through the proxy.
    proxy.report(test);
    proxy.injected()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_with_retry_after_is_survived() {
    let counts = survives("throttle", "thr", |p| {
        let t = Fault::Throttle { retry_after_s: 1 };
        for (op, times) in [
            ("CreateRestApi", 2),
            ("GetResources", 1),
            ("PutRestApi", 7),
            ("PutGatewayResponse", 1),
            ("CreateDeployment", 2),
            ("CreateStage", 1),
            ("UpdateStage", 2),
        ] {
            p.inject(op, t, times);
        }
    })
    .await;
    assert_eq!(counts["throttle-429"], 16);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_and_connection_resets_are_survived() {
    let counts = survives("5xx-reset", "err", |p| {
        for (op, fault) in [
            ("CreateRestApi", Fault::Status(503)),
            ("CreateRestApi", Fault::Reset),
            ("GetRestApis", Fault::Status(500)),
            ("CreateRole", Fault::Status(500)),
            ("PutRolePolicy", Fault::Reset),
            ("CreateLogGroup", Fault::Status(503)),
            ("CreateFunction", Fault::Reset),
            ("CreateFunction", Fault::Status(500)),
            ("AddPermission", Fault::Reset),
            ("PutRestApi", Fault::Status(500)),
            ("PutRestApi", Fault::Reset),
            ("CreateDeployment", Fault::Status(503)),
            ("CreateDeployment", Fault::Reset),
            ("UpdateStage", Fault::Status(503)),
        ] {
            p.inject(op, fault, 1);
        }
    })
    .await;
    let total: u32 = counts.values().sum();
    assert_eq!(total, 14, "{counts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_responses_create_nothing_twice() {
    let counts = survives("lost-response", "lost", |p| {
        for (op, times) in [
            ("CreateRestApi", 1),
            ("CreateRole", 2),
            ("CreateLogGroup", 1),
            ("CreateFunction", 2),
            ("AddPermission", 2),
            ("CreateDeployment", 1),
            ("CreateStage", 1),
        ] {
            p.inject(op, Fault::LostResponse, times);
        }
    })
    .await;
    assert_eq!(counts["lost-response"], 10);
}

/// Lambda refuses a role for a while after it was created, and API Gateway refuses a logging role
/// it cannot use yet; both are retried until IAM has caught up. The proxy hides the emulator's
/// existing account setting so the UpdateAccount path runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_propagation_delays_are_waited_out() {
    let counts = survives("role-propagation", "prop", |p| {
        p.role_propagation(Duration::from_millis(2500));
        p.hide_account_role();
    })
    .await;
    assert!(counts["role-not-assumable"] >= 2, "{counts:?}");
    assert!(counts["role-lacks-permissions"] >= 1, "{counts:?}");
}

/// Updates while the function is still settling from another write are retried, not failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn function_busy_updating_is_retried() {
    let emu = Emulator::get(Kind::LocalStack);
    let proxy = Proxy::start(&emu);
    let s = Stack::from_example(&proxy.emulator(), "tutorial", "busy");
    s.apply();
    s.edit("memory_mb = 128", "memory_mb = 256");
    let code = s.dir.join("hello/index.js");
    let js = std::fs::read_to_string(&code).unwrap();
    std::fs::write(&code, format!("{js}\n// busy\n")).unwrap();
    s.edit(
        "methods = [\"HEAD\"]\nfunction = \"head\"",
        "methods = [\"HEAD\", \"GET\"]\nfunction = \"head\"",
    );
    proxy.inject("UpdateFunctionConfiguration", Fault::Busy, 2);
    proxy.inject("UpdateFunctionCode", Fault::Busy, 2);
    proxy.inject("AddPermission", Fault::Busy, 1);
    let applied = s.run(&["apply", "--yes"]);
    proxy.report("function-busy");
    assert_eq!(applied.code(), 0, "{}", applied.all());
    assert_eq!(proxy.injected()["function-busy-409"], 5);
    let noop = s.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(noop.code(), 0, "{}", noop.all());
    let f = emu
        .lambda()
        .await
        .get_function_configuration()
        .function_name(s.function("hello"))
        .send()
        .await
        .unwrap();
    assert_eq!(f.memory_size(), Some(256));
    s.destroy();
}

/// Many routes added to an existing API (one call per resource and method: a new API's model
/// goes in one PutRestApi instead) while the proxy enforces API Gateway's real quotas: the
/// client-side pacing keeps it under them. The number of 429s is printed; the apply must converge
/// either way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_api_applies_within_api_gateway_quotas() {
    let emu = Emulator::get(Kind::LocalStack);
    let proxy = Proxy::start(&emu);
    let s = Stack::from_example(&proxy.emulator(), "tutorial", "quota");
    s.apply();
    proxy.quota_mode();
    let mut text = s.read_file();
    for i in 0..12 {
        text.push_str(&format!(
            "\n[[api.routes]]\npath = \"/r{i}/items/{{id}}\"\nmethods = [\"GET\", \"PUT\"]\nfunction = \"head\"\n"
        ));
    }
    s.write_file(&text);
    let start = std::time::Instant::now();
    let applied = s.run(&["apply", "--yes"]);
    let took = start.elapsed();
    proxy.report("quota");
    let api_calls: u32 = [
        "CreateResource",
        "PutMethod",
        "PutIntegration",
        "PutMethodResponse",
        "PutIntegrationResponse",
    ]
    .iter()
    .map(|op| proxy.seen(op))
    .sum();
    println!(
        "QUOTA apply of {} API Gateway writes took {:.1}s with {} 429s",
        api_calls,
        took.as_secs_f64(),
        proxy.injected().get("quota-429").copied().unwrap_or(0)
    );
    assert_eq!(applied.code(), 0, "{}", applied.all());
    assert!(
        api_calls > 100,
        "the stack should be large: {api_calls} writes"
    );
    // The account rate refills in 4 s; then a plan reads the stack within quota.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let noop = s.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(noop.code(), 0, "{}", noop.all());
    s.destroy();
}

/// Three deployers share one account's API Gateway quota (three CI pipelines, or dev, staging
/// and prod applied side by side), each adding 18 routes to its API (one call per resource and
/// method): the account answers 429s, and every apply still succeeds on its first try,
/// converged. Prints the wall time against the quota's floor for the calls the account admitted
/// (`cargo test --test it faults::three -- --nocapture | grep SHARED`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_concurrent_applies_share_the_quota_and_all_succeed() {
    let emu = Emulator::get(Kind::LocalStack);
    let proxy = Proxy::start(&emu);
    let stacks: Vec<Stack> = (0..3)
        .map(|i| {
            let mut s = Stack::from_example(&emu, "tutorial", &format!("share{i}"));
            s.apply();
            s.emu = proxy.emulator();
            let mut text = s.read_file();
            for r in 0..18 {
                text.push_str(&format!(
                    "\n[[api.routes]]\npath = \"/r{r}\"\nmethods = [\"POST\"]\nfunction = \"hello\"\n"
                ));
            }
            s.write_file(&text);
            s
        })
        .collect();
    proxy.quota_mode();
    let start = std::time::Instant::now();
    let runs: Vec<Run> = std::thread::scope(|scope| {
        let running: Vec<_> = stacks
            .iter()
            .map(|s| scope.spawn(|| s.run(&["apply", "--yes", "--color", "never"])))
            .collect();
        running.into_iter().map(|r| r.join().unwrap()).collect()
    });
    let took = start.elapsed().as_secs_f64();
    let admitted = proxy.admitted();
    let throttled = proxy.injected().get("quota-429").copied().unwrap_or(0);
    let floor = proxy.quota_floor_s();
    println!(
        "SHARED 3 applies: {admitted} API Gateway calls admitted, {throttled} answered 429, \
         {took:.1}s wall, quota floor {floor:.1}s, ratio {:.2}",
        took / floor
    );
    for run in &runs {
        assert_eq!(run.code(), 0, "{}", run.all());
    }
    assert!(admitted > 300, "the applies should be large: {admitted}");
    // Let the account's rate refill, then each stack is converged.
    tokio::time::sleep(Duration::from_secs(4)).await;
    for s in &stacks {
        let noop = s.run(&["plan", "--detailed-exitcode"]);
        assert_eq!(noop.code(), 0, "{}", noop.all());
    }
    // Clean up without the proxy: DeleteRestApi's quota (1 per 30 s) would make this a minute.
    for mut s in stacks {
        s.emu = emu.clone();
        s.destroy();
    }
}

/// A hard quota is not retried: the apply stops at the first LimitExceededException and says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hard_limit_fails_at_once_with_a_clear_message() {
    let emu = Emulator::get(Kind::LocalStack);
    let proxy = Proxy::start(&emu);
    proxy.inject("PutRestApi", Fault::LimitExceeded, 100);
    let s = Stack::from_example(&proxy.emulator(), "tutorial", "limit");
    let run = s.run(&["apply", "--yes", "--color", "never"]);
    proxy.report("hard-limit");
    assert_eq!(run.code(), 1, "{}", run.all());
    assert_eq!(proxy.seen("PutRestApi"), 1, "a hard limit was retried");
    assert_eq!(
        proxy.seen("CreateResource"),
        0,
        "fell back to one call at a time"
    );
    let err = run.stderr();
    assert!(err.contains("apigateway:PutRestApi"), "{err}");
    assert!(err.contains("LimitExceededException"), "{err}");
    assert!(err.contains("quota"), "{err}");
    s.destroy();
}
