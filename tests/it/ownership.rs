//! Ownership holds for every type stackctl names itself: an untagged resource with a name the
//! stack wants stops the plan (exit 1, zero writes) with a pointer to `stackctl import`, and is
//! left untouched. Functions are covered in core.rs; REST APIs by name in core.rs's look-alikes.

use crate::on_both;
use crate::support::*;

/// A plan and an apply that refuse `what`, naming it, and write nothing.
fn assert_refused(s: &Stack, what: &str) {
    let plan = s.run(&["plan"]);
    assert_eq!(plan.code(), 1, "{}", plan.all());
    assert!(
        plan.stderr()
            .contains(&format!("{what} exists but does not carry the tag")),
        "{}",
        plan.all()
    );
    assert!(plan.stderr().contains("import"), "{}", plan.all());
    let apply = s.run(&["apply", "--yes"]);
    assert_eq!(apply.code(), 1, "{}", apply.all());
    assert!(
        apply.writes().is_empty(),
        "apply wrote {:?}",
        apply.writes()
    );
}

/// The tags of a log group, read with the SDK.
async fn log_group_tags(emu: &Emulator, name: &str) -> std::collections::HashMap<String, String> {
    let logs = emu.logs().await;
    let arn = logs
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .unwrap()
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(name))
        .unwrap_or_else(|| panic!("log group {name} is gone"))
        .arn()
        .unwrap()
        .trim_end_matches(":*")
        .to_string();
    logs.list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap()
        .tags()
        .cloned()
        .unwrap_or_default()
}

on_both!(
    a_leftover_log_group_stops_the_plan_until_imported,
    |emu: Emulator| async move {
        let s = Stack::from_example(&emu, "tutorial", "lgown");
        let function = s.function("hello");
        let name = format!("/aws/lambda/{function}");
        let logs = emu.logs().await;
        logs.create_log_group()
            .log_group_name(&name)
            .send()
            .await
            .unwrap();

        assert_refused(&s, &format!("log_group {name}"));
        assert!(
            !log_group_tags(&emu, &name).await.contains_key(TAG),
            "the leftover group was tagged"
        );
        assert_eq!(
            log_group(&emu, &function).await,
            Some(None),
            "its retention changed"
        );

        // Adopted through [import]: tagged, retention as the file says, and the stack's to destroy.
        s.write_file(&format!(
            "{}\n[import]\nlog_groups = [\"{name}\"]\n",
            s.read_file()
        ));
        s.apply();
        assert_eq!(log_group(&emu, &function).await, Some(Some(14)));
        // LocalStack 4.13 accepts TagResource on a group created without tags but does not keep
        // the tag (checked with the AWS CLI), so the tag is checked on MiniStack only.
        if emu.kind == Kind::MiniStack {
            assert_eq!(
                log_group_tags(&emu, &name).await.get(TAG),
                Some(&s.name),
                "the adopted group is not tagged"
            );
        }
        s.destroy();
        assert_eq!(
            log_group(&emu, &function).await,
            None,
            "destroy left the adopted group"
        );
    }
);

on_both!(
    an_untagged_role_with_the_wanted_name_stops_the_plan,
    |emu: Emulator| async move {
        let s = Stack::from_example(&emu, "tutorial", "roleown");
        let role = format!("{}-exec", s.function("hello"));
        let iam = emu.iam().await;
        iam.create_role()
            .role_name(&role)
            .assume_role_policy_document(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
            )
            .send()
            .await
            .unwrap();
        assert_refused(&s, &format!("role {role}"));
        let tags = iam.get_role().role_name(&role).send().await.unwrap();
        assert!(
            tags.role().unwrap().tags().iter().all(|t| t.key() != TAG),
            "the foreign role was tagged"
        );
        iam.delete_role().role_name(&role).send().await.unwrap();
    }
);

on_both!(
    an_untagged_stage_with_the_wanted_name_stops_the_plan,
    |emu: Emulator| async move {
        let s = Stack::from_example(&emu, "tutorial", "stgown");
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
        gw.create_stage()
            .rest_api_id(&api)
            .stage_name("manual")
            .deployment_id(deployment)
            .send()
            .await
            .unwrap();
        s.edit("stage = \"prod\"", "stage = \"manual\"");
        assert_refused(&s, "stage manual");
        s.edit("stage = \"manual\"", "stage = \"prod\"");
        s.destroy();
    }
);

on_both!(
    a_hand_added_permission_is_left_alone,
    |emu: Emulator| async move {
        let s = Stack::from_example(&emu, "tutorial", "permown");
        s.apply();
        let hello = s.function("hello");
        emu.lambda()
            .await
            .add_permission()
            .function_name(&hello)
            .statement_id("console-invoke")
            .action("lambda:InvokeFunction")
            .principal("s3.amazonaws.com")
            .send()
            .await
            .unwrap();
        // Statements stackctl did not add are neither drift nor orphans.
        let noop = s.run(&["plan", "--detailed-exitcode"]);
        assert_eq!(noop.code(), 0, "{}", noop.all());
        s.edit("methods = [\"POST\"]", "methods = [\"PUT\"]");
        s.apply();
        let sids = permissions(&emu, &hello).await;
        assert!(sids.contains_key("console-invoke"), "{sids:?}");
        assert!(
            sids.keys()
                .any(|k| k == &stackctl::model::statement_id("PUT", "/hello")),
            "{sids:?}"
        );
        assert!(
            !sids
                .keys()
                .any(|k| k == &stackctl::model::statement_id("POST", "/hello")),
            "{sids:?}"
        );
        s.destroy();
    }
);

on_both!(
    another_stacks_resources_are_named_as_theirs_and_never_adopted,
    |emu: Emulator| async move {
        // Stack S with function key `x-y` and stack `S-x` with key `y` both name `S-x-y`.
        let file = |stack: &str, key: &str| {
            format!(
                "[stack]\nname = \"{stack}\"\n\n[functions.{key}]\nruntime = \"nodejs20.x\"\nhandler = \"index.handler\"\nsource = \"hello\"\n"
            )
        };
        let a = Stack::from_example(&emu, "tutorial", "coll");
        a.write_file(&file(&a.name, "x-y"));
        a.apply();
        let taken = format!("{}-x-y", a.name);
        let group = format!("/aws/lambda/{taken}");
        let b = Stack::from_example(&emu, "tutorial", "collb");
        // Even named in [import], the first stack's log group is not taken.
        b.write_file(&format!(
            "{}\n[import]\nlog_groups = [\"{group}\"]\n",
            file(&format!("{}-x", a.name), "y")
        ));
        let plan = b.run(&["plan"]);
        assert_eq!(plan.code(), 1, "{}", plan.all());
        for what in [
            format!("function {taken}"),
            format!("role {taken}-exec"),
            format!("log_group {group}"),
        ] {
            assert!(
                plan.stderr()
                    .contains(&format!("{what} belongs to stack {}", a.name)),
                "{what}:\n{}",
                plan.all()
            );
        }
        assert!(!plan.stderr().contains("import"), "{}", plan.all());
        let apply = b.run(&["apply", "--yes"]);
        assert_eq!(apply.code(), 1, "{}", apply.all());
        assert!(
            apply.writes().is_empty(),
            "apply wrote {:?}",
            apply.writes()
        );
        assert_eq!(log_group_tags(&emu, &group).await.get(TAG), Some(&a.name));
        a.destroy();
    }
);
