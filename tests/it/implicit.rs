//! Resources AWS would create on the stack's behalf: API Gateway's execution-log group
//! `API-Gateway-Execution-Logs_{apiId}/{stage}`. No emulator writes execution logs, so the group is
//! read back with the SDK: created by stackctl before logging is enabled, tagged, with the
//! retention from `[api] log_retention_days`, and deleted by destroy.

use crate::on_both;
use crate::support::*;

/// The execution-log group of `api`'s stage `prod`: (retention, tags), or None if absent.
async fn execution_group(
    emu: &Emulator,
    api: &str,
) -> Option<(Option<i32>, std::collections::HashMap<String, String>)> {
    let logs = emu.logs().await;
    let name = format!("API-Gateway-Execution-Logs_{api}/prod");
    let out = logs
        .describe_log_groups()
        .log_group_name_prefix(&name)
        .send()
        .await
        .unwrap();
    let group = out
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(name.as_str()))?;
    let tags = logs
        .list_tags_for_resource()
        .resource_arn(group.arn().unwrap().trim_end_matches(":*"))
        .send()
        .await
        .unwrap()
        .tags()
        .cloned()
        .unwrap_or_default();
    Some((group.retention_in_days(), tags))
}

on_both!(
    the_execution_log_group_is_made_tagged_retained_and_destroyed,
    |emu: Emulator| async move {
        let s = Stack::from_example(&emu, "tutorial", "execlog");
        s.edit(
            "logging = \"INFO\"",
            "logging = \"INFO\"\nlog_retention_days = 7",
        );

        // Planned before the API exists, ahead of the stage that turns logging on.
        let plan = s.plan_json();
        let steps = plan["steps"].as_array().unwrap();
        let at = |kind: &str, prefix: &str| {
            steps
                .iter()
                .position(|st| {
                    st["type"] == kind && st["name"].as_str().unwrap().starts_with(prefix)
                })
                .unwrap_or_else(|| panic!("no {kind} {prefix} in {steps:#?}"))
        };
        let group = at("log_group", "API-Gateway-Execution-Logs_{apiId}/prod");
        assert!(group < at("stage", "prod"));
        assert!(
            steps[at("stage", "prod")]["depends_on"]
                .as_array()
                .unwrap()
                .contains(&serde_json::json!(group)),
            "the stage does not wait for the log group"
        );

        s.apply();
        let api = tagged_apis(&emu, &s.name).await.remove(0);
        let (retention, tags) = execution_group(&emu, &api)
            .await
            .expect("no execution-log group after apply");
        assert_eq!(retention, Some(7));
        assert_eq!(tags.get(TAG), Some(&s.name));
        let noop = s.run(&["plan", "--detailed-exitcode"]);
        assert_eq!(noop.code(), 0, "{}", noop.all());

        s.destroy();
        assert!(
            execution_group(&emu, &api).await.is_none(),
            "destroy left the execution-log group"
        );
    }
);

// A stage added by hand to the stack's API is not the stack's, and neither is its execution-log
// group: plan, apply and destroy leave both alone (with its events).
on_both!(
    a_hand_made_stages_log_group_is_left_alone,
    |emu: Emulator| async move {
        let s = Stack::from_example(&emu, "tutorial", "execother");
        s.apply();
        let api = tagged_apis(&emu, &s.name).await.remove(0);
        let gw = emu.apigw().await;
        let prod = gw
            .get_stage()
            .rest_api_id(&api)
            .stage_name("prod")
            .send()
            .await
            .unwrap();
        gw.create_stage()
            .rest_api_id(&api)
            .stage_name("test")
            .deployment_id(prod.deployment_id().unwrap())
            .send()
            .await
            .unwrap();
        let logs = emu.logs().await;
        let theirs = format!("API-Gateway-Execution-Logs_{api}/test");
        logs.create_log_group()
            .log_group_name(&theirs)
            .send()
            .await
            .unwrap();

        let plan = s.run(&["plan", "--detailed-exitcode"]);
        assert_eq!(plan.code(), 0, "{}", plan.all());
        assert!(!plan.stdout().contains(&theirs), "{}", plan.all());
        s.destroy();
        let left = logs
            .describe_log_groups()
            .log_group_name_prefix(&theirs)
            .send()
            .await
            .unwrap();
        assert_eq!(
            left.log_groups().len(),
            1,
            "destroy deleted a log group of a stage the stack does not own"
        );
        logs.delete_log_group()
            .log_group_name(&theirs)
            .send()
            .await
            .unwrap();
    }
);

/// The stack's own execution-log group without its tag (made by API Gateway before stackctl
/// managed it) is drift: the plan tags it. MiniStack only: LocalStack 4.13 does not keep a tag
/// added to a log group created without tags.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untagged_execution_log_group_of_the_stack_is_tagged() {
    let emu = Emulator::get(Kind::MiniStack);
    let s = Stack::from_example(&emu, "tutorial", "exectag");
    s.apply();
    let api = tagged_apis(&emu, &s.name).await.remove(0);
    let name = format!("API-Gateway-Execution-Logs_{api}/prod");
    let logs = emu.logs().await;
    let described = logs
        .describe_log_groups()
        .log_group_name_prefix(&name)
        .send()
        .await
        .unwrap();
    let arn = described.log_groups()[0]
        .arn()
        .unwrap()
        .trim_end_matches(":*");
    logs.untag_resource()
        .resource_arn(arn)
        .tag_keys(TAG)
        .send()
        .await
        .unwrap();
    let plan = s.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code(), 2, "{}", plan.all());
    assert!(
        plan.stdout().contains(&format!("~ log_group {name}")),
        "{}",
        plan.all()
    );
    s.apply();
    let (_, tags) = execution_group(&emu, &api)
        .await
        .expect("the group is there");
    assert_eq!(tags.get(TAG), Some(&s.name));
    s.destroy();
}

// A destroy interrupted right after DeleteRestApi leaves the execution-log group with no API to
// find it by: the next destroy finds it by its tag and deletes it.
on_both!(
    a_destroy_interrupted_after_the_api_still_deletes_its_log_group,
    |emu: Emulator| async move {
        let s = Stack::from_example(&emu, "tutorial", "execorphan");
        s.apply();
        let api = tagged_apis(&emu, &s.name).await.remove(0);
        assert!(execution_group(&emu, &api).await.is_some());
        emu.apigw()
            .await
            .delete_rest_api()
            .rest_api_id(&api)
            .send()
            .await
            .unwrap();
        let destroyed = s.destroy();
        assert!(
            destroyed
                .stdout()
                .contains(&format!("API-Gateway-Execution-Logs_{api}/prod")),
            "{}",
            destroyed.all()
        );
        assert!(
            execution_group(&emu, &api).await.is_none(),
            "destroy left the execution-log group of the deleted API"
        );
    }
);

// A stage renamed while logging is off: the old stage goes, its group stays (turning logging off
// keeps a group until destroy), and destroy, reading only the stages the API still has, must
// still delete it: it carries the stack's tag.
on_both!(
    destroy_deletes_the_log_group_of_a_stage_renamed_with_logging_off,
    |emu: Emulator| async move {
        let s = Stack::from_example(&emu, "tutorial", "execrename");
        s.apply();
        let api = tagged_apis(&emu, &s.name).await.remove(0);
        assert!(execution_group(&emu, &api).await.is_some());
        s.edit(
            "stage = \"prod\"\nlogging = \"INFO\"",
            "stage = \"v1\"\nlogging = \"OFF\"",
        );
        s.apply();
        let (_, tags) = execution_group(&emu, &api)
            .await
            .expect("logging off keeps the old stage's group until destroy");
        assert_eq!(tags.get(TAG), Some(&s.name));
        let destroyed = s.destroy();
        assert!(
            execution_group(&emu, &api).await.is_none(),
            "destroy left the stack's tagged execution-log group of its old stage: {}",
            destroyed.all()
        );
    }
);
