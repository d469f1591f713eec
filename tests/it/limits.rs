//! Documented AWS limits a valid-looking file can cross, measured on what the emulators store
//! (neither enforces Lambda's 20,480-byte resource-policy limit, so the size is measured).

use crate::on_both;
use crate::support::*;

on_both!(
    seventy_routes_keep_the_policy_under_the_limit,
    |emu: Emulator| async move {
        let s = Stack::from_example(&emu, "tutorial", "policy");
        let mut text = s.read_file();
        for r in 0..70 {
            text.push_str(&format!(
                "\n[[api.routes]]\npath = \"/r{r:02}\"\nmethods = [\"POST\"]\nfunction = \"head\"\n"
            ));
        }
        s.write_file(&text);
        let plan = s.ok(&["plan"]);
        assert!(
            plan.stdout()
                .contains("per method: per-route statements would exceed"),
            "the plan does not say it coarsened:\n{}",
            plan.all()
        );
        s.apply();

        let api = tagged_apis(&emu, &s.name).await.remove(0);
        let policy = emu
            .lambda()
            .await
            .get_policy()
            .function_name(s.function("head"))
            .send()
            .await
            .unwrap()
            .policy()
            .unwrap()
            .to_string();
        // Measured as Lambda stores it: compact JSON.
        let doc: serde_json::Value = serde_json::from_str(&policy).unwrap();
        let stored = serde_json::to_string(&doc).unwrap().len();
        assert!(stored <= 20_480, "policy of {stored} bytes:\n{policy}");
        let arns: Vec<&str> = doc["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .map(|st| {
                st["Condition"]["ArnLike"]["AWS:SourceArn"]
                    .as_str()
                    .unwrap()
            })
            .collect();
        assert!(!arns.is_empty());
        for arn in &arns {
            assert!(
                arn.contains(&format!(":{api}/")),
                "{arn} does not name the API {api}"
            );
        }
        assert!(
            arns.iter().any(|a| a.ends_with(&format!("{api}/*/POST/*"))),
            "{arns:?}"
        );
        let noop = s.run(&["plan", "--detailed-exitcode"]);
        assert_eq!(noop.code(), 0, "{}", noop.all());
        s.destroy();
    }
);
