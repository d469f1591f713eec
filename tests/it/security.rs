//! The security review as tests against LocalStack: least-privilege execution roles, invoke
//! permissions scoped to their API, method and path, deletes that touch only tagged resources,
//! the account-wide logging role never reset, secrets masked; and bad input refused before any
//! AWS call.

use crate::support::*;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_and_invoke_permissions_are_least_privilege() {
    let emu = Emulator::get(Kind::LocalStack);
    let s = Stack::from_example(&emu, "tutorial", "lpriv");
    s.edit(
        "methods = [\"HEAD\"]\nfunction = \"head\"",
        "methods = [\"HEAD\"]\nfunction = \"head\"\n\n[[api.routes]]\npath = \"/items/{id}\"\nmethods = [\"GET\", \"DELETE\"]\nfunction = \"head\"",
    );
    s.apply();
    let lambda = emu.lambda().await;
    let iam = emu.iam().await;
    let api = emu
        .apigw()
        .await
        .get_rest_apis()
        .limit(500)
        .send()
        .await
        .unwrap()
        .items()
        .iter()
        .find(|a| a.tags().and_then(|t| t.get(TAG)) == Some(&s.name))
        .unwrap()
        .id()
        .unwrap()
        .to_string();

    for (key, routes) in [
        ("hello", vec!["POST/hello"]),
        ("head", vec!["HEAD/hello", "GET/items/*", "DELETE/items/*"]),
    ] {
        let name = s.function(key);
        let account = account_of(&emu, &name).await;
        let arn = format!("arn:aws:lambda:{REGION}:{account}:function:{name}");

        // The execution role: assumable by Lambda only, writing only to its own log group.
        let role = iam
            .get_role()
            .role_name(format!("{name}-exec"))
            .send()
            .await
            .unwrap();
        let trust = decode_policy(role.role().unwrap().assume_role_policy_document().unwrap());
        assert_eq!(
            trust["Statement"],
            serde_json::json!([{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}])
        );
        let inline = iam
            .list_role_policies()
            .role_name(format!("{name}-exec"))
            .send()
            .await
            .unwrap();
        assert_eq!(inline.policy_names(), ["stackctl-logs"]);
        let attached = iam
            .list_attached_role_policies()
            .role_name(format!("{name}-exec"))
            .send()
            .await
            .unwrap();
        assert!(
            attached.attached_policies().is_empty(),
            "no managed policies"
        );
        let doc = execution_policy(&emu, &name).await;
        let statements = doc["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 1, "{doc}");
        assert_eq!(statements[0]["Effect"], "Allow");
        assert_eq!(
            statements[0]["Resource"],
            format!("arn:aws:logs:{REGION}:{account}:log-group:/aws/lambda/{name}:*")
        );
        assert_eq!(
            statements[0]["Action"],
            serde_json::json!(["logs:CreateLogStream", "logs:PutLogEvents"])
        );

        // Invoke permissions: API Gateway, this API, this method and path only.
        let policy = lambda
            .get_policy()
            .function_name(&name)
            .send()
            .await
            .unwrap();
        let doc: Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
        let mut sources: Vec<String> = doc["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .map(|st| {
                assert_eq!(st["Effect"], "Allow");
                assert_eq!(st["Action"], "lambda:InvokeFunction");
                assert_eq!(st["Principal"]["Service"], "apigateway.amazonaws.com");
                assert_eq!(st["Resource"], arn.as_str());
                st["Condition"]["ArnLike"]["AWS:SourceArn"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        sources.sort();
        let mut expected: Vec<String> = routes
            .iter()
            .map(|r| format!("arn:aws:execute-api:{REGION}:{account}:{api}/*/{r}"))
            .collect();
        expected.sort();
        assert_eq!(sources, expected, "{name}");
    }
    s.destroy();
}

/// A look-alike a colleague made by hand: the stack's naming pattern, no stack tag.
async fn lookalike_function(emu: &Emulator, name: &str) {
    let role = emu
        .iam()
        .await
        .create_role()
        .role_name(format!("{name}-exec"))
        .assume_role_policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        )
        .send()
        .await
        .unwrap();
    emu.lambda()
        .await
        .create_function()
        .function_name(name)
        .runtime(aws_sdk_lambda::types::Runtime::Python312)
        .handler("index.handler")
        .role(role.role().unwrap().arn())
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_sdk_lambda::primitives::Blob::new(
                    crate::support::tiny_zip(),
                ))
                .build(),
        )
        .send()
        .await
        .unwrap();
    emu.logs()
        .await
        .create_log_group()
        .log_group_name(format!("/aws/lambda/{name}"))
        .send()
        .await
        .unwrap();
}

async fn exists(emu: &Emulator, name: &str) -> (bool, bool, bool) {
    let function = function_exists(emu, name).await;
    let role = role_exists(emu, &format!("{name}-exec")).await;
    let group = log_group(emu, name).await.is_some();
    (function, role, group)
}

/// Removing a function from the file deletes it with its role and log group (orphans, found by
/// tag); untagged look-alikes named like the stack's resources survive that and destroy, and the
/// account-wide logging role and setting survive destroy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orphan_deletion_and_destroy_touch_only_tagged_resources() {
    let emu = Emulator::get(Kind::LocalStack);
    let s = Stack::from_example(&emu, "tutorial", "orph");
    s.apply();
    let gw = emu.apigw().await;
    let account_before = gw.get_account().send().await.unwrap();
    let extra = s.function("extra");
    lookalike_function(&emu, &extra).await;
    let lookalike_api = gw
        .create_rest_api()
        .name(s.api_name())
        .send()
        .await
        .unwrap()
        .id()
        .unwrap()
        .to_string();

    // Drop the head function and its route: its resources become orphans.
    s.edit(
        "[functions.head]\nruntime = \"python3.12\"\nhandler = \"index.handler\"\nsource = \"head\"\nlog_retention_days = 14\n",
        "",
    );
    s.edit(
        "[[api.routes]]\npath = \"/hello\"\nmethods = [\"HEAD\"]\nfunction = \"head\"\n",
        "",
    );
    let steps = s.plan_steps();
    let head = s.function("head");
    for expected in [
        format!("delete function {head}"),
        format!("delete role {head}-exec"),
        format!("delete log_group /aws/lambda/{head}"),
    ] {
        assert!(steps.contains(&expected), "{expected} missing: {steps:#?}");
    }
    assert!(
        !steps.iter().any(|st| st.contains("extra")),
        "an untagged look-alike is in the plan: {steps:#?}"
    );
    assert!(
        !steps.iter().any(|st| st.contains("account")),
        "the account-wide logging role or setting is in the plan: {steps:#?}"
    );
    s.apply();
    assert_eq!(exists(&emu, &head).await, (false, false, false));
    assert_eq!(exists(&emu, &extra).await, (true, true, true));

    let plan = s.run(&["destroy", "--yes", "--color", "never"]);
    assert_eq!(plan.code(), 0, "{}", plan.all());
    assert!(
        !plan.writes().iter().any(|w| w.contains("UpdateAccount")),
        "destroy touched the account setting: {:?}",
        plan.writes()
    );
    assert_eq!(
        exists(&emu, &s.function("hello")).await,
        (false, false, false)
    );
    assert_eq!(exists(&emu, &extra).await, (true, true, true));
    assert!(
        gw.get_rest_api()
            .rest_api_id(&lookalike_api)
            .send()
            .await
            .is_ok()
    );
    let account_after = gw.get_account().send().await.unwrap();
    assert_eq!(
        account_after.cloudwatch_role_arn(),
        account_before.cloudwatch_role_arn(),
        "the account-wide logging role was reset"
    );
    assert!(
        emu.iam()
            .await
            .get_role()
            .role_name("stackctl-apigateway-cloudwatch")
            .send()
            .await
            .is_ok(),
        "the account-wide logging role was deleted"
    );

    emu.lambda()
        .await
        .delete_function()
        .function_name(&extra)
        .send()
        .await
        .unwrap();
    emu.iam()
        .await
        .delete_role()
        .role_name(format!("{extra}-exec"))
        .send()
        .await
        .unwrap();
    emu.logs()
        .await
        .delete_log_group()
        .log_group_name(format!("/aws/lambda/{extra}"))
        .send()
        .await
        .unwrap();
    gw.delete_rest_api()
        .rest_api_id(&lookalike_api)
        .send()
        .await
        .unwrap();
}

/// Values listed in `secrets` never appear in plan text, plan JSON or apply output, whether the
/// plan creates them or repairs drift.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_environment_values_are_masked() {
    const SECRET: &str = "tok-s3cr3t-9141";
    const DRIFTED: &str = "tok-drifted-7730";
    let emu = Emulator::get(Kind::LocalStack);
    let s = Stack::from_example(&emu, "tutorial", "secr");
    s.edit(
        "environment = { GREETING = \"hello\" }",
        &format!("environment = {{ GREETING = \"hello\", API_TOKEN = \"{SECRET}\" }}\nsecrets = [\"API_TOKEN\"]"),
    );
    let check = |run: &Run| {
        let all = run.all();
        assert!(!all.contains(SECRET), "secret shown:\n{all}");
        assert!(!all.contains(DRIFTED), "drifted secret shown:\n{all}");
    };
    let text = s.ok(&["plan", "--color", "never"]);
    check(&text);
    assert!(text.stdout().contains("API_TOKEN"), "{}", text.all());
    assert!(text.stdout().contains("(sensitive)"), "{}", text.all());
    let json = s.ok(&["plan", "--json"]);
    check(&json);
    assert!(json.stdout().contains("(sensitive)"));
    check(&s.apply());
    let name = s.function("hello");
    let lambda = emu.lambda().await;
    let live = lambda
        .get_function_configuration()
        .function_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        live.environment().unwrap().variables().unwrap()["API_TOKEN"],
        SECRET,
        "the secret itself is deployed"
    );

    // Someone changes the secret in the console: the repair plan masks both sides.
    let mut vars = live.environment().unwrap().variables().unwrap().clone();
    vars.insert("API_TOKEN".into(), DRIFTED.into());
    lambda
        .update_function_configuration()
        .function_name(&name)
        .environment(
            aws_sdk_lambda::types::Environment::builder()
                .set_variables(Some(vars))
                .build(),
        )
        .send()
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let drift = s.run(&["plan", "--detailed-exitcode", "--color", "never"]);
    assert_eq!(drift.code(), 2, "{}", drift.all());
    check(&drift);
    assert!(drift.stdout().contains("API_TOKEN"), "{}", drift.all());
    check(&s.run(&["plan", "--json"]));
    check(&s.apply());
    s.destroy();
}

/// Every kind of bad stack file: exit 1, a `stack.toml:line:col` location, a hint, and no AWS call.
#[test]
fn bad_input_is_refused_before_any_aws_call() {
    let emu = Emulator::get(Kind::LocalStack);
    let base = Stack::from_example(&emu, "tutorial", "badin");
    let good = base.read_file();
    let route = "path = \"/hello\"\nmethods = [\"POST\"]";
    let cases: Vec<(&str, String, &str)> = vec![
        ("syntax", good.replacen("[api]", "[api", 1), "stack.toml:"),
        (
            "type",
            good.replacen("memory_mb = 128", "memory_mb = \"big\"", 1),
            "memory_mb",
        ),
        (
            "unknown key",
            good.replacen("memory_mb = 128", "memroy_mb = 128", 1),
            "memroy_mb",
        ),
        (
            "bad stack name",
            good.replacen(
                &format!("name = \"{}\"", base.name),
                "name = \"Bad_Name!\"",
                1,
            ),
            "Bad_Name!",
        ),
        (
            "dangling function",
            good.replacen("function = \"head\"", "function = \"nope\"", 1),
            "nope",
        ),
        (
            "duplicate route",
            good.replacen("methods = [\"HEAD\"]", "methods = [\"POST\"]", 1),
            "duplicate route",
        ),
        (
            "path without slash",
            good.replacen(route, "path = \"hello\"\nmethods = [\"POST\"]", 1),
            "hello",
        ),
        (
            "empty segment",
            good.replacen(route, "path = \"/a//b\"\nmethods = [\"POST\"]", 1),
            "/a//b",
        ),
        (
            "greedy not last",
            good.replacen(route, "path = \"/{proxy+}/x\"\nmethods = [\"POST\"]", 1),
            "{proxy+}",
        ),
        (
            "greedy misspelt",
            good.replacen(route, "path = \"/a/{proxy+\"\nmethods = [\"POST\"]", 1),
            "{proxy+",
        ),
        (
            "plus outside a variable",
            good.replacen(route, "path = \"/a/proxy+\"\nmethods = [\"POST\"]", 1),
            "proxy+",
        ),
        (
            "trailing slash",
            good.replacen(route, "path = \"/hello/\"\nmethods = [\"POST\"]", 1),
            "/hello/",
        ),
        (
            "memory too small",
            good.replacen("memory_mb = 128", "memory_mb = 64", 1),
            "memory_mb",
        ),
        (
            "memory too big",
            good.replacen("memory_mb = 128", "memory_mb = 10241", 1),
            "memory_mb",
        ),
        (
            "timeout zero",
            good.replacen("timeout_s = 3", "timeout_s = 0", 1),
            "timeout_s",
        ),
        (
            "timeout too long",
            good.replacen("timeout_s = 3", "timeout_s = 901", 1),
            "timeout_s",
        ),
        (
            "unknown method",
            good.replacen("methods = [\"POST\"]", "methods = [\"FETCH\"]", 1),
            "FETCH",
        ),
        (
            "missing source dir",
            good.replacen("source = \"hello\"", "source = \"missing\"", 1),
            "missing",
        ),
        ("empty file", String::new(), "stack.toml"),
    ];
    let mut failures = Vec::new();
    for (what, text, mention) in &cases {
        base.write_file(text);
        let run = base.run(&["plan"]);
        let err = run.stderr();
        let located = err.contains("stack.toml:");
        if run.code() != 1
            || !located
            || !err.contains("hint:")
            || !err.contains(mention)
            || !run.calls.is_empty()
        {
            failures.push(format!(
                "{what}: exit {}, {} AWS calls:\n{err}",
                run.code(),
                run.calls.len()
            ));
        }
    }

    // Files that are not text, and sources that cannot be packaged.
    std::fs::write(base.file(), b"[stack]\nname = \"x\xff\xfe\"\n").unwrap();
    let run = base.run(&["plan"]);
    if run.code() != 1 || !run.stderr().contains("UTF-8") || !run.calls.is_empty() {
        failures.push(format!("non-UTF-8: {}", run.all()));
    }
    base.write_file(&good);
    let empty_dir = base.dir.join("empty");
    std::fs::create_dir_all(&empty_dir).unwrap();
    base.write_file(&good.replacen("source = \"hello\"", "source = \"empty\"", 1));
    let run = base.run(&["plan"]);
    if run.code() != 1
        || !run.stderr().contains("stack.toml:")
        || run.calls.iter().any(|c| c.is_write())
    {
        failures.push(format!("empty source: {}", run.all()));
    }
    // Over 50 MB zipped: incompressible bytes.
    let big_dir = base.dir.join("big");
    std::fs::create_dir_all(&big_dir).unwrap();
    let mut noise = vec![0u8; 51 * 1024 * 1024];
    fastrand::Rng::with_seed(7).fill(&mut noise);
    std::fs::write(big_dir.join("blob.bin"), noise).unwrap();
    std::fs::write(
        big_dir.join("index.js"),
        "exports.handler = async () => ({});\n",
    )
    .unwrap();
    base.write_file(&good.replacen("source = \"hello\"", "source = \"big\"", 1));
    let run = base.run(&["plan"]);
    if run.code() != 1
        || !run.stderr().contains("stack.toml:")
        || !run.stderr().contains("50")
        || run.calls.iter().any(|c| c.is_write())
    {
        failures.push(format!("over 50 MB: {}", run.all()));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
