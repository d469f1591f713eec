//! The AWS call budget, counted from stackctl's call log on both emulators: a no-op plan of the
//! tutorial stack reads exactly 17 times and writes nothing; API Gateway reads do not grow with the
//! number of routes; per-function reads are constant; nothing lists every function or role.

use crate::on_both;
use crate::proxy::{Fault, Proxy};
use crate::support::*;
use std::collections::BTreeMap;
use std::path::Path;

/// Writes a stack of `functions` Python functions and `routes` GET routes (nested paths and path
/// variables included) into `dir`, replacing its stack.toml.
pub fn generate(dir: &Path, name: &str, functions: usize, routes: usize, cors: bool) {
    let mut toml = format!("[stack]\nname = \"{name}\"\n\n");
    for f in 0..functions {
        let src = dir.join(format!("f{f}"));
        std::fs::create_dir_all(&src).unwrap();
        std::fs::write(
            src.join("index.py"),
            format!(
                "def handler(event, context):\n    return {{'statusCode': 200, 'body': 'f{f}'}}\n"
            ),
        )
        .unwrap();
        toml.push_str(&format!(
            "[functions.f{f}]\nruntime = \"python3.12\"\nhandler = \"index.handler\"\nsource = \"f{f}\"\n\n"
        ));
    }
    toml.push_str(&format!("[api]\nname = \"{name}-api\"\n\n"));
    if cors {
        toml.push_str("[api.cors]\nallow_origin = \"*\"\n\n");
    }
    for r in 0..routes {
        let path = match r % 3 {
            0 => format!("/r{r}"),
            1 => format!("/g{}/r{r}", r % 7),
            _ => format!("/items{r}/{{id}}"),
        };
        toml.push_str(&format!(
            "[[api.routes]]\npath = \"{path}\"\nmethods = [\"GET\"]\nfunction = \"f{}\"\n\n",
            r % functions
        ));
    }
    std::fs::write(dir.join("stack.toml"), toml).unwrap();
}

/// Reads of a no-op plan, counted by "service:Operation".
fn reads_of_noop_plan(s: &Stack) -> BTreeMap<String, usize> {
    let plan = s.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code(), 0, "expected no changes:\n{}", plan.all());
    assert!(
        plan.writes().is_empty(),
        "a plan wrote: {:?}",
        plan.writes()
    );
    let mut counts = BTreeMap::new();
    for c in &plan.calls {
        *counts
            .entry(format!("{}:{}", c.service, c.operation))
            .or_default() += 1;
    }
    counts
}

fn total(counts: &BTreeMap<String, usize>, service: Option<&str>) -> usize {
    counts
        .iter()
        .filter(|(k, _)| service.is_none_or(|s| k.starts_with(s)))
        .map(|(_, v)| v)
        .sum()
}

on_both!(
    noop_plan_and_apply_stay_within_budget,
    |emu: Emulator| async move {
        let s = Stack::from_example(&emu, "tutorial", "budget");
        s.apply();
        let counts = reads_of_noop_plan(&s);
        // Exactly the README's number: a lower count would mean a read went unlogged.
        assert_eq!(
            total(&counts, None),
            17,
            "a no-op plan of the tutorial stack reads 17 times: {counts:#?}"
        );
        for listing in ["Lambda:ListFunctions", "IAM:ListRoles"] {
            assert!(
                !counts.contains_key(listing),
                "{listing} lists the whole account: {counts:#?}"
            );
        }
        let apply = s.apply();
        assert!(apply.stdout().contains("No changes"), "{}", apply.all());
        assert!(
            apply.writes().is_empty(),
            "a no-op apply wrote {:?}",
            apply.writes()
        );
        s.destroy();
    }
);

on_both!(
    api_reads_do_not_grow_with_routes,
    |emu: Emulator| async move {
        let mut api_reads = Vec::new();
        for routes in [2, 12] {
            let s = Stack::from_example(&emu, "tutorial", "routes");
            generate(&s.dir, &s.name, 2, routes, true);
            s.apply();
            api_reads.push(total(&reads_of_noop_plan(&s), Some("API Gateway")));
            s.destroy();
        }
        // GetRestApis, GetResources, GetStages, GetGatewayResponses: never 0 == 0.
        assert_eq!(api_reads, [4, 4], "API Gateway reads for 2 vs 12 routes");
    }
);

on_both!(
    function_reads_are_constant_per_function,
    |emu: Emulator| async move {
        let mut reads = Vec::new();
        for functions in [1, 4] {
            let s = Stack::from_example(&emu, "tutorial", "funcs");
            generate(&s.dir, &s.name, functions, 4, false);
            s.apply();
            reads.push(total(&reads_of_noop_plan(&s), None));
            s.destroy();
        }
        // GetFunction, GetPolicy, GetRole, GetRolePolicy: four per function, whatever else exists.
        // The API's 4, DescribeLogGroups, and 4 per function.
        assert_eq!(
            reads,
            [4 + 1 + 4, 4 + 1 + 4 * 4],
            "reads for 1 vs 4 functions"
        );
    }
);

/// Roles' no-op reads of a `functions`-function stack: IAM calls by operation.
fn iam_reads(counts: &BTreeMap<String, usize>) -> BTreeMap<String, usize> {
    counts
        .iter()
        .filter(|(k, _)| k.starts_with("IAM:"))
        .map(|(k, v)| (k.clone(), *v))
        .collect()
}

on_both!(
    many_roles_are_read_in_one_snapshot_and_drift_still_shows,
    |emu: Emulator| async move {
        let s = Stack::from_example(&emu, "tutorial", "snap");
        generate(&s.dir, &s.name, 6, 6, false);
        s.apply();
        let counts = reads_of_noop_plan(&s);
        // One GetAccountAuthorizationDetails page instead of GetRole + GetRolePolicy six times.
        assert_eq!(
            iam_reads(&counts),
            BTreeMap::from([("IAM:GetAccountAuthorizationDetails".to_string(), 1)]),
            "{counts:#?}"
        );
        assert_eq!(total(&counts, None), 4 + 1 + 2 * 6 + 1, "{counts:#?}");

        // Drift made behind stackctl's back is read from the snapshot as from GetRole.
        let iam = emu.iam().await;
        let edited = format!("{}-exec", s.function("f1"));
        iam.put_role_policy()
            .role_name(&edited)
            .policy_name("stackctl-logs")
            .policy_document(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
            )
            .send()
            .await
            .unwrap();
        let retrusted = format!("{}-exec", s.function("f4"));
        iam.update_assume_role_policy()
            .role_name(&retrusted)
            .policy_document(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
            )
            .send()
            .await
            .unwrap();
        let steps = s.plan_steps();
        assert_eq!(
            steps,
            [
                format!("update role {edited}"),
                format!("update role {retrusted}")
            ],
            "the snapshot must show exactly the two drifted roles"
        );
        s.apply();
        assert!(s.plan_steps().is_empty(), "apply did not converge");
        s.destroy();
    }
);

on_both!(
    without_the_snapshot_permission_roles_are_read_one_by_one,
    |emu: Emulator| async move {
        let proxy = Proxy::start(&emu);
        let s = Stack::from_example(&proxy.emulator(), "tutorial", "nosnap");
        generate(&s.dir, &s.name, 5, 5, false);
        s.apply();
        proxy.inject("GetAccountAuthorizationDetails", Fault::AccessDenied, 1);
        let counts = reads_of_noop_plan(&s);
        assert_eq!(proxy.injected().get("access-denied-403"), Some(&1));
        assert_eq!(
            iam_reads(&counts),
            BTreeMap::from([
                ("IAM:GetAccountAuthorizationDetails".to_string(), 1),
                ("IAM:GetRole".to_string(), 5),
                ("IAM:GetRolePolicy".to_string(), 5),
            ]),
            "{counts:#?}"
        );
        s.destroy();
    }
);
