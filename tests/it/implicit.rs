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
