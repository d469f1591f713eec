//! `stackctl import` round trip: resources made with the SDK as the console makes them (untagged,
//! a console-named role, a console permission, "Enable CORS"), imported, then adopted by apply
//! with their ids unchanged. Outcomes are read back with the SDK.

use crate::on_both;
use crate::support::*;
use aws_sdk_apigateway::types::{IntegrationType, Op, PatchOperation};
use aws_sdk_lambda::client::Waiters;
use std::collections::HashMap;
use std::io::Write;

const HANDLER: &str = "def handler(event, context):\n    return {\"statusCode\": 200, \"headers\": {\"Access-Control-Allow-Origin\": \"*\"}, \"body\": \"hi\"}\n";

/// What the console made.
struct Console {
    stack: String,
    function: String,
    function_arn: String,
    role: String,
    role_arn: String,
    api_id: String,
}

/// A zip as a console upload makes it: real timestamps, so not stackctl's deterministic bytes.
fn console_zip() -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file(
        "lambda_function.py",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    zip.write_all(HANDLER.as_bytes()).unwrap();
    zip.finish().unwrap().into_inner()
}

async fn make_console_resources(emu: &Emulator) -> Console {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let stack = format!("console{:x}", nanos ^ std::process::id());
    let function = format!("{stack}-hello");
    let role = format!("{function}-role-abc123");
    let iam = emu.iam().await;
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let role_arn = iam
        .create_role()
        .role_name(&role)
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap()
        .role()
        .unwrap()
        .arn()
        .to_string();
    let lambda = emu.lambda().await;
    let created = lambda
        .create_function()
        .function_name(&function)
        .runtime(aws_sdk_lambda::types::Runtime::Python312)
        .handler("lambda_function.handler")
        .role(&role_arn)
        .memory_size(256)
        .timeout(10)
        .description("made in the console")
        .environment(
            aws_sdk_lambda::types::Environment::builder()
                .variables("GREETING", "hi")
                .build(),
        )
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(console_zip().into())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let function_arn = created.function_arn().unwrap().to_string();
    lambda
        .wait_until_function_active_v2()
        .function_name(&function)
        .wait(std::time::Duration::from_secs(60))
        .await
        .unwrap();

    let gw = emu.apigw().await;
    let api_id = gw
        .create_rest_api()
        .name(format!("{stack}-console-api"))
        .endpoint_configuration(
            aws_sdk_apigateway::types::EndpointConfiguration::builder()
                .types(aws_sdk_apigateway::types::EndpointType::Regional)
                .build(),
        )
        .send()
        .await
        .unwrap()
        .id()
        .unwrap()
        .to_string();
    let root = gw
        .get_resources()
        .rest_api_id(&api_id)
        .send()
        .await
        .unwrap()
        .items()
        .iter()
        .find(|r| r.path() == Some("/"))
        .unwrap()
        .id()
        .unwrap()
        .to_string();
    let hello = gw
        .create_resource()
        .rest_api_id(&api_id)
        .parent_id(&root)
        .path_part("hello")
        .send()
        .await
        .unwrap()
        .id()
        .unwrap()
        .to_string();
    gw.put_method()
        .rest_api_id(&api_id)
        .resource_id(&hello)
        .http_method("POST")
        .authorization_type("NONE")
        .send()
        .await
        .unwrap();
    gw.put_integration()
        .rest_api_id(&api_id)
        .resource_id(&hello)
        .http_method("POST")
        .r#type(IntegrationType::AwsProxy)
        .integration_http_method("POST")
        .uri(format!(
            "arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations"
        ))
        .send()
        .await
        .unwrap();
    // The console's "Enable CORS".
    let allow = |h: &str| format!("method.response.header.Access-Control-Allow-{h}");
    gw.put_method()
        .rest_api_id(&api_id)
        .resource_id(&hello)
        .http_method("OPTIONS")
        .authorization_type("NONE")
        .send()
        .await
        .unwrap();
    gw.put_integration()
        .rest_api_id(&api_id)
        .resource_id(&hello)
        .http_method("OPTIONS")
        .r#type(IntegrationType::Mock)
        .request_templates("application/json", r#"{"statusCode": 200}"#)
        .send()
        .await
        .unwrap();
    gw.put_method_response()
        .rest_api_id(&api_id)
        .resource_id(&hello)
        .http_method("OPTIONS")
        .status_code("200")
        .set_response_parameters(Some(HashMap::from([
            (allow("Headers"), false),
            (allow("Methods"), false),
            (allow("Origin"), false),
        ])))
        .send()
        .await
        .unwrap();
    gw.put_integration_response()
        .rest_api_id(&api_id)
        .resource_id(&hello)
        .http_method("OPTIONS")
        .status_code("200")
        .set_response_parameters(Some(HashMap::from([
            (
                allow("Headers"),
                "'Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token'".into(),
            ),
            (allow("Methods"), "'OPTIONS,POST'".into()),
            (allow("Origin"), "'*'".into()),
        ])))
        .send()
        .await
        .unwrap();
    gw.create_deployment()
        .rest_api_id(&api_id)
        .stage_name("prod")
        .send()
        .await
        .unwrap();
    gw.update_stage()
        .rest_api_id(&api_id)
        .stage_name("prod")
        .patch_operations(
            PatchOperation::builder()
                .op(Op::Replace)
                .path("/*/*/logging/loglevel")
                .value("ERROR")
                .build(),
        )
        .send()
        .await
        .unwrap();
    // The permission the console adds when it wires the integration: its own id, its own scope.
    let account = function_arn.split(':').nth(4).unwrap();
    lambda
        .add_permission()
        .function_name(&function)
        .statement_id("9f1c2d3e-console")
        .action("lambda:InvokeFunction")
        .principal("apigateway.amazonaws.com")
        .source_arn(format!(
            "arn:aws:execute-api:{REGION}:{account}:{api_id}/*/POST/hello"
        ))
        .send()
        .await
        .unwrap();
    Console {
        stack,
        function,
        function_arn,
        role,
        role_arn,
        api_id,
    }
}

/// The plan's steps, without the account-wide logging settings: those depend on what other
/// stacks in the shared emulator did, not on what was imported.
fn own_steps(s: &Stack) -> Vec<String> {
    s.plan_steps()
        .into_iter()
        .filter(|step| !step.contains(" account_"))
        .collect()
}

on_both!(
    import_adopts_console_resources_with_ids_unchanged,
    |emu: Emulator| async move {
        let c = make_console_resources(&emu).await;
        let dir = std::env::temp_dir().join(format!("stackctl-it-{}", c.stack));
        let _ = std::fs::remove_dir_all(&dir);
        let s = Stack {
            emu: emu.clone(),
            call_log: dir.join("calls.jsonl"),
            dir: dir.join("imported"),
            name: c.stack.clone(),
        };

        let run = s.ok(&["import", "--api", &c.api_id]);
        assert!(
            run.writes().is_empty(),
            "import changed AWS: {:?}",
            run.writes()
        );
        assert!(
            run.stdout().contains(&format!("stack {}", c.stack)),
            "{}",
            run.all()
        );
        let text = s.read_file();
        for line in [
            "runtime = \"python3.12\"".to_string(),
            "handler = \"lambda_function.handler\"".into(),
            "memory_mb = 256".into(),
            "timeout_s = 10".into(),
            "description = \"made in the console\"".into(),
            "environment = { GREETING = \"hi\" }".into(),
            format!("role = \"{}\"", c.role_arn),
            "logging = \"ERROR\"".into(),
            "allow_origin = \"*\"".into(),
            "methods = [\"POST\"]".into(),
            format!("rest_api = \"{}\"", c.api_id),
        ] {
            assert!(text.contains(&line), "no {line:?} in:\n{text}");
        }
        let code = std::fs::read_to_string(s.dir.join("hello/lambda_function.py")).unwrap();
        assert_eq!(code, HANDLER);

        // A second import refuses to overwrite.
        let again = s.run(&["import", "--api", &c.api_id]);
        assert_eq!(again.code(), 1, "{}", again.all());
        assert!(again.stderr().contains("--force"), "{}", again.all());

        let key_perm = |verb: &str| {
            format!(
                "create permission {}/{}",
                c.function,
                stackctl::model::statement_id(verb, "/hello")
            )
        };
        assert_eq!(
            own_steps(&s),
            vec![
                "create gateway_response DEFAULT_4XX".to_string(),
                "create gateway_response DEFAULT_5XX".to_string(),
                format!("create log_group /aws/lambda/{}", c.function),
                format!(
                    "create log_group API-Gateway-Execution-Logs_{}/prod",
                    c.api_id
                ),
                key_perm("POST"),
                format!("update function {}", c.function),
                format!("update rest_api {}-console-api", c.stack),
                "update stage prod".to_string(),
            ],
            "import should leave only the tags (and what stackctl adds) to plan"
        );
        let plan = s.plan_json();
        for step in plan["steps"].as_array().unwrap() {
            if step["action"] == "update" && step["type"] != "stage" {
                let attrs: Vec<&str> = step["changes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["attribute"].as_str().unwrap())
                    .collect();
                assert_eq!(attrs, vec![TAG_ATTR], "{step}");
            }
        }

        let applied = s.apply();
        assert_eq!(
            s.plan_steps(),
            Vec::<String>::new(),
            "a plan after apply changes nothing:\n{}\napply said:\n{}",
            s.run(&["plan"]).all(),
            applied.all()
        );

        // Edited code is uploaded; going back to the code as imported uploads that again (the
        // recorded hashes apply only while Lambda still runs what was imported).
        let code_path = s.dir.join("hello/lambda_function.py");
        let update = vec![format!("update function {}", c.function)];
        std::fs::write(&code_path, HANDLER.replace("hi", "hello")).unwrap();
        assert_eq!(s.plan_steps(), update);
        s.apply();
        std::fs::write(&code_path, HANDLER).unwrap();
        assert_eq!(s.plan_steps(), update);
        s.apply();
        assert_eq!(s.plan_steps(), Vec::<String>::new());

        let lambda = emu.lambda().await;
        let f = lambda
            .get_function()
            .function_name(&c.function)
            .send()
            .await
            .unwrap();
        assert_eq!(
            f.configuration().unwrap().function_arn(),
            Some(c.function_arn.as_str())
        );
        assert_eq!(f.configuration().unwrap().role(), Some(c.role_arn.as_str()));
        assert_eq!(
            f.tags().and_then(|t| t.get(TAG)).map(String::as_str),
            Some(c.stack.as_str())
        );
        // GetTags: both emulators leave TagResource's tags out of GetRestApi (AWS does not).
        let api = emu
            .apigw()
            .await
            .get_tags()
            .resource_arn(format!(
                "arn:aws:apigateway:{REGION}::/restapis/{}",
                c.api_id
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(
            api.tags().and_then(|t| t.get(TAG)).map(String::as_str),
            Some(c.stack.as_str()),
            "the same REST API ({}) is now the stack's",
            c.api_id
        );

        s.destroy();
        let iam = emu.iam().await;
        assert!(
            iam.get_role().role_name(&c.role).send().await.is_ok(),
            "the imported function's own role is not the stack's to delete"
        );
        iam.delete_role().role_name(&c.role).send().await.unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }
);

const TAG_ATTR: &str = "tags.stackctl:stack";

#[test]
fn import_refuses_names_it_cannot_express() {
    let emu = Emulator::get(Kind::LocalStack);
    let dir = std::env::temp_dir().join(format!("stackctl-it-import-bad-{}", std::process::id()));
    let out = stackctl_command(&emu)
        .args(["import", "--function", "MyFunction", "-f"])
        .arg(dir.join("stack.toml"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("<stack>-<key>"), "{stderr}");
    assert!(!dir.join("stack.toml").exists());
}
