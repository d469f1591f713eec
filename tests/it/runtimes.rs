//! Lambda's runtime lifecycle (deprecation, block create, block update) as the commands see it:
//! warnings on stderr with exit 0, refusals with exit 1 at the `runtime` line, and `plan`
//! refusing to update an existing function once AWS blocks updates. "Today" is pinned with
//! `STACKCTL_TODAY`, so these never rot.

use crate::support::*;

/// The day the runtime table was last checked against the Lambda guide.
const CHECKED: &str = "2026-12-01";

fn offline() -> Emulator {
    Emulator {
        kind: Kind::LocalStack,
        endpoint: "http://127.0.0.1:1".into(),
    }
}

fn on(s: &Stack, today: &str, args: &[&str]) -> Run {
    s.run_with(args, |c| {
        c.env("STACKCTL_TODAY", today);
    })
}

#[test]
fn every_example_and_template_uses_a_runtime_that_is_not_deprecated() {
    for example in ["tutorial", "api", "events"] {
        let s = Stack::from_example(&offline(), example, "rt-ex");
        let run = on(&s, CHECKED, &["validate"]);
        assert_eq!(run.code(), 0, "{example}: {}", run.all());
        assert_eq!(run.stderr(), "", "{example}: no warning expected");
    }
    for template in ["node", "python"] {
        let dir =
            std::env::temp_dir().join(format!("stackctl-it-rt-{template}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let init = stackctl_command(&offline())
            .args(["init", "--template", template, "--name", "rt-init"])
            .arg(&dir)
            .output()
            .unwrap();
        assert!(
            init.status.success(),
            "{}",
            String::from_utf8_lossy(&init.stderr)
        );
        let out = stackctl_command(&offline())
            .env("STACKCTL_TODAY", CHECKED)
            .arg("-f")
            .arg(dir.join("stack.toml"))
            .arg("validate")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{template}: {stderr}");
        assert_eq!(stderr, "", "{template}: no warning expected");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn validate_warns_about_a_deprecated_runtime_on_stderr_and_exits_0() {
    let s = Stack::from_example(&offline(), "tutorial", "rt-warn");
    s.edit("runtime = \"nodejs24.x\"", "runtime = \"nodejs20.x\"");
    let run = on(&s, CHECKED, &["validate"]);
    assert_eq!(run.code(), 0, "{}", run.all());
    assert!(run.stdout().contains("is valid"), "{}", run.all());
    assert!(!run.stdout().contains("warning"), "{}", run.all());
    let stderr = run.stderr();
    assert!(
        stderr.starts_with(
            "warning: runtime \"nodejs20.x\" is deprecated since 2026-04-30: Lambda blocks creating functions with it from 2027-02-01 and updating them from 2027-03-03\n"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("stack.toml:8:11"), "{stderr}");
    assert!(
        stderr.contains("hint: set runtime = \"nodejs24.x\""),
        "{stderr}"
    );
    // On the block-create date, validate (which takes every function as new) refuses.
    let run = on(&s, "2027-02-01", &["validate"]);
    assert_eq!(run.code(), 1, "{}", run.all());
    assert!(
        run.stderr().starts_with("error: runtime \"nodejs20.x\" cannot create function hello: Lambda blocks creating functions with it since 2027-02-01"),
        "{}",
        run.all()
    );
    assert_eq!(run.stdout(), "");
}

/// On LocalStack (control plane only): a function made on nodejs20.x while AWS still allowed
/// it; once updates are blocked, a plan that changes it is refused with the dates and the
/// successor, apply changes nothing, and a plan that leaves it alone only warns.
#[tokio::test]
async fn plan_refuses_to_update_a_function_whose_runtime_aws_no_longer_updates() {
    let emu = Emulator::get(Kind::LocalStack);
    let s = Stack::from_example(&emu, "tutorial", "rt-upd");
    s.edit("runtime = \"nodejs24.x\"", "runtime = \"nodejs20.x\"");
    // Before the block-create date the stack can be made, with a warning.
    let made = s.run_with(&["apply", "--yes", "--color", "never"], |c| {
        c.env("STACKCTL_TODAY", CHECKED);
    });
    assert_eq!(made.code(), 0, "{}", made.all());
    assert!(
        made.stderr()
            .contains("warning: runtime \"nodejs20.x\" is deprecated"),
        "{}",
        made.all()
    );
    let lambda = emu.lambda().await;
    let live = || async {
        lambda
            .get_function_configuration()
            .function_name(s.function("hello"))
            .send()
            .await
            .unwrap()
    };
    let before = live().await;
    assert_eq!(before.runtime().map(|r| r.as_str()), Some("nodejs20.x"));
    assert_eq!(before.memory_size(), Some(128));

    // Unchanged on the block-update date: a warning, exit 0, pure JSON on stdout.
    let run = on(&s, "2027-03-03", &["plan", "--json"]);
    assert_eq!(run.code(), 0, "{}", run.all());
    let plan: serde_json::Value = serde_json::from_str(&run.stdout()).expect("pure JSON");
    assert_eq!(plan["steps"].as_array().unwrap().len(), 0, "{}", run.all());
    assert!(
        run.stderr().contains(
            "Lambda blocks updating function hello since 2027-03-03 (today is 2027-03-03)"
        ),
        "{}",
        run.all()
    );

    // A configuration change: allowed the day before updates are blocked (a warning) ...
    s.edit("memory_mb = 128", "memory_mb = 256");
    let run = on(&s, "2027-03-02", &["plan"]);
    assert_eq!(run.code(), 0, "{}", run.all());
    assert!(run.stderr().contains("function hello exists, but Lambda blocks creating functions with it since 2027-02-01 and updating them from 2027-03-03"), "{}", run.all());
    // ... refused from that day on, by plan and by apply, at the runtime line.
    for args in [&["plan"][..], &["apply", "--yes"][..]] {
        let run = on(&s, "2027-03-03", args);
        assert_eq!(run.code(), 1, "{args:?}: {}", run.all());
        let stderr = run.stderr();
        assert!(
            stderr.contains("error: runtime \"nodejs20.x\": this plan updates function hello's code or configuration, which Lambda blocks since 2027-03-03 (today is 2027-03-03; deprecated since 2026-04-30)"),
            "{stderr}"
        );
        assert!(stderr.contains("stack.toml:8:11"), "{stderr}");
        assert!(
            stderr.contains("hint: set runtime = \"nodejs24.x\""),
            "{stderr}"
        );
        assert!(
            run.writes().is_empty(),
            "{args:?} wrote: {:?}",
            run.writes()
        );
    }
    assert_eq!(live().await.memory_size(), Some(128), "nothing was changed");

    // Moving to the successor is the update AWS still takes.
    s.edit("runtime = \"nodejs20.x\"", "runtime = \"nodejs24.x\"");
    let run = on(&s, "2027-03-03", &["apply", "--yes", "--color", "never"]);
    assert_eq!(run.code(), 0, "{}", run.all());
    assert_eq!(run.stderr().matches("warning:").count(), 0, "{}", run.all());
    let after = live().await;
    assert_eq!(after.runtime().map(|r| r.as_str()), Some("nodejs24.x"));
    assert_eq!(after.memory_size(), Some(256));
    s.destroy();
}

/// A plan that would create a function on a runtime past its block-create date is refused
/// before any write.
#[tokio::test]
async fn plan_refuses_to_create_a_function_on_a_runtime_aws_no_longer_creates() {
    let emu = Emulator::get(Kind::LocalStack);
    let s = Stack::from_example(&emu, "tutorial", "rt-new");
    s.edit("runtime = \"nodejs24.x\"", "runtime = \"nodejs20.x\"");
    let run = on(&s, "2027-02-01", &["apply", "--yes"]);
    assert_eq!(run.code(), 1, "{}", run.all());
    assert!(
        run.stderr().contains("error: runtime \"nodejs20.x\" cannot create function hello: Lambda blocks creating functions with it since 2027-02-01"),
        "{}",
        run.all()
    );
    assert!(run.writes().is_empty(), "wrote: {:?}", run.writes());
    let found = emu
        .lambda()
        .await
        .get_function()
        .function_name(s.function("hello"))
        .send()
        .await;
    let err = found.expect_err("no function was created");
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception()),
        "{err:?}"
    );
}
