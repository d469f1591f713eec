//! The core engine against both emulators: plan → apply → no-op, edits, drift, destroy,
//! ownership, saved plans, bad input. Outcomes are read back with the SDK, not from stackctl.

use crate::on_both;
use crate::support::*;
use aws_sdk_apigateway::types::{Op, PatchOperation};

on_both!(
    empty_to_applied_to_noop_to_destroyed,
    |emu: Emulator| async move {
        let s = Stack::from_example(&emu, "tutorial", "life");

        let first = s.run(&["plan", "--detailed-exitcode"]);
        assert_eq!(first.code(), 2, "changes expected:\n{}", first.all());
        assert!(
            first.writes().is_empty(),
            "plan wrote: {:?}",
            first.writes()
        );
        let steps = s.plan_steps();
        for expected in [
            format!("create role {}-hello-exec", s.name),
            format!("create function {}-hello", s.name),
            format!("create function {}-head", s.name),
            format!("create rest_api {}", s.api_name()),
            "create api_resource /hello".to_string(),
            "create method POST /hello".to_string(),
            "create method HEAD /hello".to_string(),
            "create method OPTIONS /hello".to_string(),
            "create gateway_response DEFAULT_4XX".to_string(),
            "create stage prod".to_string(),
        ] {
            assert!(
                steps.contains(&expected),
                "{expected} missing from {steps:#?}"
            );
        }

        let applied = s.apply();
        assert!(
            applied.stdout().contains("/_user_request_/hello"),
            "{}",
            applied.all()
        );

        // Read AWS directly.
        let hello = s.function("hello");
        let lambda = emu.lambda().await;
        let f = lambda
            .get_function()
            .function_name(&hello)
            .send()
            .await
            .unwrap();
        let c = f.configuration().unwrap();
        assert_eq!(
            f.tags().unwrap().get(TAG).map(String::as_str),
            Some(s.name.as_str())
        );
        assert_eq!(c.runtime().unwrap().as_str(), "nodejs24.x");
        assert_eq!(c.memory_size(), Some(128));
        assert_eq!(
            c.environment()
                .unwrap()
                .variables()
                .unwrap()
                .get("GREETING")
                .map(String::as_str),
            Some("hello")
        );
        let account = account_of(&emu, &hello).await;

        // Least privilege: the execution role may only write to its own log group.
        let doc = execution_policy(&emu, &hello).await;
        let statement = &doc["Statement"][0];
        assert_eq!(
            statement["Resource"],
            format!("arn:aws:logs:{REGION}:{account}:log-group:/aws/lambda/{hello}:*")
        );
        assert_eq!(
            statement["Action"],
            serde_json::json!(["logs:CreateLogStream", "logs:PutLogEvents"])
        );

        let apis = tagged_apis(&emu, &s.name).await;
        assert_eq!(apis.len(), 1, "exactly one API with the stack's tag");
        let api = &apis[0];
        assert_eq!(
            methods(&emu, api).await,
            ["HEAD /hello", "OPTIONS /hello", "POST /hello"]
        );
        let perms = permissions(&emu, &hello).await;
        assert_eq!(perms.len(), 1, "{perms:?}");
        assert_eq!(
            perms.values().next().unwrap(),
            &format!("arn:aws:execute-api:{REGION}:{account}:{api}/*/POST/hello")
        );
        let gw = emu.apigw().await;
        let stage = gw
            .get_stage()
            .rest_api_id(api)
            .stage_name("prod")
            .send()
            .await
            .unwrap();
        assert!(stage.deployment_id().is_some());
        let all = stage.method_settings().unwrap().get("*/*").unwrap();
        assert_eq!(all.logging_level(), Some("INFO"));
        let account_settings = gw.get_account().send().await.unwrap();
        assert!(account_settings.cloudwatch_role_arn().is_some());
        assert_eq!(log_group(&emu, &hello).await, Some(Some(14)));

        // No-op: nothing to do, and nothing written.
        let noop = s.run(&["plan", "--detailed-exitcode"]);
        assert_eq!(noop.code(), 0, "no changes expected:\n{}", noop.all());
        assert!(noop.writes().is_empty());
        let again = s.apply();
        assert!(again.stdout().contains("No changes"), "{}", again.all());
        assert!(
            again.writes().is_empty(),
            "no-op apply wrote {:?}",
            again.writes()
        );

        s.destroy();
        assert!(tagged_apis(&emu, &s.name).await.is_empty());
        assert!(!function_exists(&emu, &hello).await);
        assert!(!function_exists(&emu, &s.function("head")).await);
        assert!(!role_exists(&emu, &format!("{hello}-exec")).await);
        // The account-wide logging setting is never reset by destroy.
        let after = gw.get_account().send().await.unwrap();
        assert_eq!(
            after.cloudwatch_role_arn(),
            account_settings.cloudwatch_role_arn()
        );
        let nothing = s.run(&["plan", "--json"]);
        assert_eq!(nothing.code(), 0);
    }
);

on_both!(
    edits_are_planned_exactly_and_applied,
    |emu: Emulator| async move {
        let s = Stack::from_example(&emu, "tutorial", "edit");
        s.apply();
        let hello = s.function("hello");
        let head = s.function("head");
        let before_sha = emu
            .lambda()
            .await
            .get_function()
            .function_name(&hello)
            .send()
            .await
            .unwrap()
            .configuration()
            .unwrap()
            .code_sha256()
            .unwrap()
            .to_string();

        s.edit("memory_mb = 128", "memory_mb = 256");
        s.edit("GREETING = \"hello\"", "GREETING = \"hi\"");
        let code = s.dir.join("hello/index.js");
        let js = std::fs::read_to_string(&code).unwrap();
        std::fs::write(&code, format!("{js}\n// edited\n")).unwrap();
        // Remove HEAD /hello, add GET /items/{id}.
        s.edit(
            "[[api.routes]]\npath = \"/hello\"\nmethods = [\"HEAD\"]\nfunction = \"head\"",
            "[[api.routes]]\npath = \"/items/{id}\"\nmethods = [\"GET\"]\nfunction = \"head\"",
        );

        let plan = s.plan_json();
        let steps = s.plan_steps();
        let head_perm = |sid_part: &str| {
            steps
                .iter()
                .find(|st| st.contains(&format!("permission {head}/stackctl-{sid_part}")))
                .cloned()
                .unwrap_or_else(|| panic!("no permission step {sid_part} in {steps:#?}"))
        };
        let mut expected = vec![
            format!("update function {hello}"),
            "create api_resource /items".to_string(),
            "create api_resource /items/{id}".to_string(),
            "create method GET /items/{id}".to_string(),
            "create method OPTIONS /items/{id}".to_string(),
            "delete method HEAD /hello".to_string(),
            "update method OPTIONS /hello".to_string(),
            "update stage prod".to_string(),
            head_perm("GET-items"),
            head_perm("HEAD-hello"),
        ];
        expected.sort();
        assert_eq!(steps, expected);
        assert!(head_perm("GET-items").starts_with("create"));
        assert!(head_perm("HEAD-hello").starts_with("delete"));
        let function_step = plan["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|st| st["type"] == "function")
            .unwrap();
        let mut changed: Vec<&str> = function_step["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["attribute"].as_str().unwrap())
            .collect();
        changed.sort();
        assert_eq!(
            changed,
            ["code_sha256", "environment.GREETING", "memory_mb"]
        );

        s.apply();
        assert_eq!(memory(&emu, &hello).await, 256);
        let f = emu
            .lambda()
            .await
            .get_function()
            .function_name(&hello)
            .send()
            .await
            .unwrap();
        let c = f.configuration().unwrap();
        assert_ne!(c.code_sha256().unwrap(), before_sha);
        assert_eq!(
            c.environment()
                .unwrap()
                .variables()
                .unwrap()
                .get("GREETING")
                .map(String::as_str),
            Some("hi")
        );
        let api = &tagged_apis(&emu, &s.name).await[0];
        assert_eq!(
            methods(&emu, api).await,
            [
                "GET /items/{id}",
                "OPTIONS /hello",
                "OPTIONS /items/{id}",
                "POST /hello"
            ]
        );
        let account = account_of(&emu, &hello).await;
        let perms = permissions(&emu, &head).await;
        assert_eq!(
            perms.values().collect::<Vec<_>>(),
            [&format!(
                "arn:aws:execute-api:{REGION}:{account}:{api}/*/GET/items/*"
            )]
        );
        let noop = s.run(&["plan", "--detailed-exitcode"]);
        assert_eq!(noop.code(), 0, "{}", noop.all());
        s.destroy();
    }
);

on_both!(
    out_of_band_drift_is_shown_and_repaired,
    |emu: Emulator| async move {
        let s = Stack::from_example(&emu, "tutorial", "drift");
        s.apply();
        let hello = s.function("hello");
        let api = tagged_apis(&emu, &s.name).await.remove(0);
        let gw = emu.apigw().await;

        // Console-style edits: memory, a deleted method, logging turned off.
        emu.lambda()
            .await
            .update_function_configuration()
            .function_name(&hello)
            .memory_size(512)
            .send()
            .await
            .unwrap();
        let resources = gw.get_resources().rest_api_id(&api).send().await.unwrap();
        let hello_id = resources
            .items()
            .iter()
            .find(|r| r.path() == Some("/hello"))
            .unwrap()
            .id()
            .unwrap()
            .to_string();
        gw.delete_method()
            .rest_api_id(&api)
            .resource_id(&hello_id)
            .http_method("POST")
            .send()
            .await
            .unwrap();
        gw.update_stage()
            .rest_api_id(&api)
            .stage_name("prod")
            .patch_operations(
                PatchOperation::builder()
                    .op(Op::Replace)
                    .path("/*/*/logging/loglevel")
                    .value("OFF")
                    .build(),
            )
            .send()
            .await
            .unwrap();
        // MiniStack reports LastUpdateStatus InProgress briefly after an update.
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;

        let plan = s.plan_json();
        let steps = s.plan_steps();
        assert!(
            steps.contains(&format!("update function {hello}")),
            "{steps:#?}"
        );
        assert!(
            steps.contains(&"create method POST /hello".to_string()),
            "{steps:#?}"
        );
        assert!(
            steps.contains(&"update stage prod".to_string()),
            "{steps:#?}"
        );
        let memory_change = plan["steps"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|st| st["changes"].as_array().unwrap().iter())
            .find(|c| c["attribute"] == "memory_mb")
            .unwrap();
        assert_eq!(memory_change["before"], "512");
        assert_eq!(memory_change["after"], "128");

        s.apply();
        assert_eq!(memory(&emu, &hello).await, 128);
        assert!(
            methods(&emu, &api)
                .await
                .contains(&"POST /hello".to_string())
        );
        let stage = gw
            .get_stage()
            .rest_api_id(&api)
            .stage_name("prod")
            .send()
            .await
            .unwrap();
        assert_eq!(
            stage.method_settings().unwrap()["*/*"].logging_level(),
            Some("INFO")
        );
        let noop = s.run(&["plan", "--detailed-exitcode"]);
        assert_eq!(noop.code(), 0, "{}", noop.all());
        s.destroy();
    }
);

on_both!(
    destroy_leaves_untagged_look_alikes_alone,
    |emu: Emulator| async move {
        let s = Stack::from_example(&emu, "tutorial", "own");
        s.apply();
        let lambda = emu.lambda().await;
        let gw = emu.apigw().await;
        let iam = emu.iam().await;

        // Look-alikes a colleague made by hand: same name patterns, no tag.
        let lookalike_fn = format!("{}-manual", s.name);
        let lookalike_role = format!("{}-manual-exec", s.name);
        let role = iam
        .create_role()
        .role_name(&lookalike_role)
        .assume_role_policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        )
        .send()
        .await
        .unwrap();
        lambda
            .create_function()
            .function_name(&lookalike_fn)
            .runtime(aws_sdk_lambda::types::Runtime::Python312)
            .handler("index.handler")
            .role(role.role().unwrap().arn())
            .code(
                aws_sdk_lambda::types::FunctionCode::builder()
                    .zip_file(aws_sdk_lambda::primitives::Blob::new(tiny_zip()))
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let lookalike_api = gw
            .create_rest_api()
            .name(s.api_name())
            .send()
            .await
            .unwrap();
        let lookalike_api = lookalike_api.id().unwrap().to_string();

        // The stack's own API is found by tag: the untagged namesake changes nothing.
        let noop = s.run(&["plan", "--detailed-exitcode"]);
        assert_eq!(noop.code(), 0, "{}", noop.all());

        s.destroy();
        assert!(tagged_apis(&emu, &s.name).await.is_empty());
        assert!(!function_exists(&emu, &s.function("hello")).await);
        assert!(
            function_exists(&emu, &lookalike_fn).await,
            "untagged function deleted"
        );
        assert!(
            role_exists(&emu, &lookalike_role).await,
            "untagged role deleted"
        );
        assert!(
            gw.get_rest_api()
                .rest_api_id(&lookalike_api)
                .send()
                .await
                .is_ok(),
            "untagged API deleted"
        );

        lambda
            .delete_function()
            .function_name(&lookalike_fn)
            .send()
            .await
            .unwrap();
        iam.delete_role()
            .role_name(&lookalike_role)
            .send()
            .await
            .unwrap();
        gw.delete_rest_api()
            .rest_api_id(&lookalike_api)
            .send()
            .await
            .unwrap();
    }
);

on_both!(
    an_untagged_resource_with_a_wanted_name_is_refused,
    |emu: Emulator| async move {
        let s = Stack::from_example(&emu, "tutorial", "cflt");
        let name = s.function("hello");
        let lambda = emu.lambda().await;
        lambda
            .create_function()
            .function_name(&name)
            .runtime(aws_sdk_lambda::types::Runtime::Python312)
            .handler("index.handler")
            .role("arn:aws:iam::000000000000:role/someone-elses")
            .code(
                aws_sdk_lambda::types::FunctionCode::builder()
                    .zip_file(aws_sdk_lambda::primitives::Blob::new(tiny_zip()))
                    .build(),
            )
            .send()
            .await
            .unwrap();

        let plan = s.run(&["plan"]);
        assert_eq!(plan.code(), 1, "{}", plan.all());
        assert!(
            plan.stderr().contains(&format!(
                "function {name} exists but does not carry the tag"
            )),
            "{}",
            plan.all()
        );
        assert!(plan.stderr().contains("stackctl import"), "{}", plan.all());
        let apply = s.run(&["apply", "--yes"]);
        assert_eq!(apply.code(), 1);
        assert!(
            apply.writes().is_empty(),
            "apply wrote {:?}",
            apply.writes()
        );
        let f = lambda
            .get_function()
            .function_name(&name)
            .send()
            .await
            .unwrap();
        assert!(
            f.tags().is_none_or(|t| !t.contains_key(TAG)),
            "foreign function was tagged"
        );
        lambda
            .delete_function()
            .function_name(&name)
            .send()
            .await
            .unwrap();
    }
);

on_both!(a_stale_saved_plan_is_refused, |emu: Emulator| async move {
    let s = Stack::from_example(&emu, "tutorial", "stale");
    s.apply();
    let hello = s.function("hello");
    s.edit("memory_mb = 128", "memory_mb = 256");
    let saved = s.dir.join("plan.json");
    s.ok(&["plan", "--out", saved.to_str().unwrap()]);

    // Someone changes the function after the plan was saved.
    emu.lambda()
        .await
        .update_function_configuration()
        .function_name(&hello)
        .timeout(30)
        .send()
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;

    let refused = s.run(&["apply", saved.to_str().unwrap()]);
    assert_eq!(refused.code(), 1, "{}", refused.all());
    assert!(refused.stderr().contains("stale"), "{}", refused.all());
    assert!(
        refused.stderr().contains("timeout_s"),
        "the diff names what changed:\n{}",
        refused.all()
    );
    assert!(
        refused.writes().is_empty(),
        "stale plan wrote {:?}",
        refused.writes()
    );
    assert_eq!(memory(&emu, &hello).await, 128);

    // A fresh saved plan applies, and is exactly what happens.
    s.ok(&["plan", "--out", saved.to_str().unwrap()]);
    s.ok(&["apply", saved.to_str().unwrap()]);
    assert_eq!(memory(&emu, &hello).await, 256);
    s.destroy();
});

/// A CI job that plans in one directory and applies in another: the saved plan's packages are
/// the same bytes wherever the checkout is, so it applies, and uploads the planned code.
#[test]
fn a_saved_plan_applies_from_a_moved_checkout() {
    let emu = Emulator::get(Kind::LocalStack);
    let s = Stack::from_example(&emu, "tutorial", "moved");
    s.apply();
    std::fs::write(
        s.dir.join("hello/index.js"),
        "exports.handler = async () => ({ statusCode: 200, body: 'moved' });\n",
    )
    .unwrap();
    let saved = std::env::temp_dir().join(format!("{}-plan.json", s.name));
    s.ok(&["plan", "--out", saved.to_str().unwrap()]);
    let to = s
        .dir
        .with_file_name(format!("stackctl-it-{}-moved", s.name));
    std::fs::rename(&s.dir, &to).unwrap();
    let moved = Stack {
        emu: emu.clone(),
        call_log: to.join("calls.jsonl"),
        dir: to,
        name: s.name.clone(),
    };
    let run = moved.run(&["apply", saved.to_str().unwrap()]);
    assert_eq!(run.code(), 0, "{}", run.all());
    assert_eq!(
        run.writes()
            .iter()
            .filter(|w| w.contains("UpdateFunctionCode"))
            .count(),
        1,
        "{:?}",
        run.writes()
    );
    assert!(
        moved.plan_steps().is_empty(),
        "the planned code was not uploaded"
    );
    moved.destroy();
}

/// `plan` only reads: without `--out` it writes no package, so it works where `.stackctl/` cannot
/// be created (a read-only checkout; here a file in its place, which stops root too). `--out`
/// needs the packages its steps upload, so there it fails naming the directory, saving nothing.
#[test]
fn plan_writes_no_package_and_works_where_the_state_dir_cannot_be_made() {
    let emu = Emulator::get(Kind::LocalStack);
    let s = Stack::from_example(&emu, "tutorial", "rdonly");
    let state = s.dir.join(".stackctl");
    let run = s.ok(&["plan"]);
    assert!(run.stdout().contains("Plan: "), "{}", run.all());
    assert!(!state.exists(), "a plain plan created {}", state.display());

    std::fs::write(&state, "").unwrap();
    let run = s.run(&["plan"]);
    assert_eq!(run.code(), 0, "{}", run.all());
    assert!(run.stdout().contains("Plan: "), "{}", run.all());

    let saved = s.dir.join("plan.json");
    let run = s.run(&["plan", "--out", saved.to_str().unwrap()]);
    assert_eq!(run.code(), 1, "{}", run.all());
    assert!(run.stderr().contains(".stackctl"), "{}", run.all());
    assert!(!saved.exists(), "a plan was saved without its packages");

    // Apply uploads its own plan's zips from memory: it needs no writable checkout either.
    let run = s.run(&["apply", "--yes"]);
    assert_eq!(run.code(), 0, "{}", run.all());
    let rt = tokio::runtime::Runtime::new().unwrap();
    assert!(rt.block_on(function_exists(&emu, &s.function("hello"))));
    assert!(std::fs::metadata(&state).unwrap().is_file());
    s.destroy();
}

#[test]
fn bad_input_is_refused_with_a_location_and_no_aws_call() {
    let emu = Emulator::get(Kind::LocalStack);
    let s = Stack::from_example(&emu, "tutorial", "bad");
    s.edit("memory_mb = 128", "memory_mb = 99999");
    let run = s.run(&["plan"]);
    assert_eq!(run.code(), 1);
    let stderr = run.stderr();
    assert!(
        stderr.contains("memory_mb = 99999 is out of range"),
        "{stderr}"
    );
    assert!(stderr.contains("stack.toml:11:13"), "{stderr}");
    assert!(stderr.contains("hint:"), "{stderr}");
    assert!(
        run.calls.is_empty(),
        "bad input reached AWS: {:?}",
        run.calls.len()
    );

    s.edit("memory_mb = 99999", "memroy_mb = 128");
    let run = s.run(&["apply", "--yes"]);
    assert_eq!(run.code(), 1);
    assert!(
        run.stderr().contains("unknown key `memroy_mb`"),
        "{}",
        run.stderr()
    );
    assert!(run.calls.is_empty());
}

on_both!(
    removed_functions_and_their_remains_are_found_and_deleted,
    |emu: Emulator| async move {
        let s = Stack::from_example(&emu, "tutorial", "orph");
        s.apply();
        let head = s.function("head");
        let hello = s.function("hello");

        // Drop the HEAD route and its function from the file: function, role and log group go.
        s.edit(
            "[[api.routes]]\npath = \"/hello\"\nmethods = [\"HEAD\"]\nfunction = \"head\"",
            "",
        );
        s.edit(
        "[functions.head]\nruntime = \"python3.12\"\nhandler = \"index.handler\"\nsource = \"head\"\nlog_retention_days = 14",
        "",
    );
        let steps = s.plan_steps();
        for expected in [
            format!("delete function {head}"),
            format!("delete role {head}-exec"),
            format!("delete log_group /aws/lambda/{head}"),
        ] {
            assert!(
                steps.contains(&expected),
                "{expected} missing from {steps:#?}"
            );
        }
        s.apply();
        assert!(!function_exists(&emu, &head).await);
        assert!(!role_exists(&emu, &format!("{head}-exec")).await);

        // What an interrupted destroy leaves: the function is gone, its role and log group remain.
        emu.lambda()
            .await
            .delete_function()
            .function_name(&hello)
            .send()
            .await
            .unwrap();
        s.edit("[functions.hello]", "[functions.renamed]");
        s.edit("function = \"hello\"", "function = \"renamed\"");
        let steps = s.plan_steps();
        assert!(
            steps.contains(&format!("delete role {hello}-exec")),
            "{steps:#?}"
        );
        assert!(
            steps.contains(&format!("delete log_group /aws/lambda/{hello}")),
            "{steps:#?}"
        );
        s.apply();
        assert!(!role_exists(&emu, &format!("{hello}-exec")).await);
        assert_eq!(
            log_group(&emu, &hello).await,
            None,
            "the breadcrumb of a deleted function remained"
        );
        let noop = s.run(&["plan", "--detailed-exitcode"]);
        assert_eq!(noop.code(), 0, "{}", noop.all());
        s.destroy();
    }
);

on_both!(
    renaming_the_api_keeps_it_and_leaves_hand_made_stages_alone,
    |emu: Emulator| async move {
        let s = Stack::from_example(&emu, "tutorial", "ren");
        s.apply();
        let api = tagged_apis(&emu, &s.name).await.remove(0);
        let gw = emu.apigw().await;
        let deployment = gw
            .get_stage()
            .rest_api_id(&api)
            .stage_name("prod")
            .send()
            .await
            .unwrap()
            .deployment_id()
            .unwrap()
            .to_string();
        // A colleague adds a stage by hand: not the stack's, so never deleted.
        gw.create_stage()
            .rest_api_id(&api)
            .stage_name("manual")
            .deployment_id(&deployment)
            .send()
            .await
            .unwrap();

        let renamed = format!("{}-renamed", s.name);
        s.edit(
            &format!("name = \"{}\"", s.api_name()),
            &format!("name = \"{renamed}\""),
        );
        let steps = s.plan_steps();
        assert_eq!(
            steps,
            [format!("update rest_api {renamed}")],
            "a rename is one in-place update"
        );
        s.apply();
        let after = tagged_apis(&emu, &s.name).await;
        assert_eq!(after, std::slice::from_ref(&api), "same API, same id");
        let got = gw.get_rest_api().rest_api_id(&api).send().await.unwrap();
        assert_eq!(got.name(), Some(renamed.as_str()));
        assert!(
            gw.get_stage()
                .rest_api_id(&api)
                .stage_name("manual")
                .send()
                .await
                .is_ok()
        );
        let noop = s.run(&["plan", "--detailed-exitcode"]);
        assert_eq!(noop.code(), 0, "{}", noop.all());
        s.destroy();
    }
);
