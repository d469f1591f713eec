//! Environments (`[env.NAME]`, `--env`): dev and prod of one file side by side on one emulator,
//! disjoint and separately tagged; destroying one leaves the other exactly as it was (read back
//! with the SDK); an override's bad value is reported at the override's own line.

use crate::on_both;
use crate::support::*;
use std::collections::BTreeMap;

const ENVS: &str = r#"
[env.dev]
functions.hello.memory_mb = 256
api.cors.allow_origin = "http://localhost:5173"

[env.prod]
functions.hello.memory_mb = 512
functions.hello.environment = { GREETING = "welcome" }
api.logging = "ERROR"
"#;

/// Everything the SDK says about a stack's functions, roles, log groups and API, as text:
/// equal text before and after means nothing of it changed.
async fn state(emu: &Emulator, stack: &str, keys: &[&str]) -> String {
    let mut out = Vec::new();
    let lambda = emu.lambda().await;
    let iam = emu.iam().await;
    for key in keys {
        let name = format!("{stack}-{key}");
        let f = lambda
            .get_function()
            .function_name(&name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let c = f.configuration().unwrap();
        let env: BTreeMap<_, _> = c
            .environment()
            .and_then(|e| e.variables())
            .map(|v| v.iter().collect())
            .unwrap_or_default();
        let tags: BTreeMap<_, _> = f.tags().unwrap().iter().collect();
        out.push(format!(
            "function {name} runtime={:?} handler={:?} memory={:?} timeout={:?} role={:?} code={:?} revision={:?} arch={:?} env={env:?} tags={tags:?}",
            c.runtime(),
            c.handler(),
            c.memory_size(),
            c.timeout(),
            c.role(),
            c.code_sha256(),
            c.revision_id(),
            c.architectures(),
        ));
        out.push(format!("policy {name} {:?}", permissions(emu, &name).await));
        let role = iam
            .get_role()
            .role_name(format!("{name}-exec"))
            .send()
            .await
            .unwrap();
        let r = role.role().unwrap();
        out.push(format!(
            "role {} {} {:?} tags={:?}",
            r.arn(),
            r.assume_role_policy_document().unwrap_or_default(),
            execution_policy(emu, &name).await,
            r.tags()
        ));
        out.push(format!(
            "log_group {name} {:?}",
            log_group(emu, &name).await
        ));
    }
    let apigw = emu.apigw().await;
    for id in tagged_apis(emu, stack).await {
        let api = apigw.get_rest_api().rest_api_id(&id).send().await.unwrap();
        let tags: BTreeMap<_, _> = api.tags().unwrap().iter().collect();
        out.push(format!("api {id} {:?} tags={tags:?}", api.name()));
        out.push(format!("methods {:?}", methods(emu, &id).await));
        let stages = apigw.get_stages().rest_api_id(&id).send().await.unwrap();
        for s in stages.item() {
            out.push(format!(
                "stage {:?} deployment={:?} description={:?} settings={:?}",
                s.stage_name(),
                s.deployment_id(),
                s.description(),
                s.method_settings()
                    .map(|m| m.iter().collect::<BTreeMap<_, _>>())
            ));
        }
    }
    out.join("\n")
}

on_both!(dev_and_prod_side_by_side, |emu: Emulator| async move {
    let s = Stack::from_example(&emu, "tutorial", "env");
    s.write_file(&(s.read_file() + ENVS));

    // Without --env the file is refused, naming its environments; nothing is read or written.
    let refused = s.run(&["plan"]);
    assert_eq!(refused.code(), 1, "{}", refused.all());
    assert!(
        refused
            .stderr()
            .contains("this file defines environments (dev, prod)"),
        "{}",
        refused.all()
    );
    assert!(refused.calls.is_empty(), "{:?}", refused.writes());

    s.ok(&["apply", "--yes", "--env", "dev"]);
    s.ok(&["apply", "--yes", "--env", "prod"]);
    let (dev, prod) = (format!("{}-dev", s.name), format!("{}-prod", s.name));

    // Disjoint resources, each tagged with its own stack name, each with its overrides.
    for (stack, mb) in [(&dev, 256), (&prod, 512)] {
        let hello = format!("{stack}-hello");
        assert_eq!(memory(&emu, &hello).await, mb);
        let f = emu
            .lambda()
            .await
            .get_function()
            .function_name(&hello)
            .send()
            .await
            .unwrap();
        assert_eq!(f.tags().unwrap().get(TAG), Some(stack));
        assert_eq!(tagged_apis(&emu, stack).await.len(), 1, "{stack}");
        assert!(role_exists(&emu, &format!("{stack}-head-exec")).await);
    }
    assert_ne!(
        tagged_apis(&emu, &dev).await,
        tagged_apis(&emu, &prod).await
    );
    assert!(api_named(&emu, &format!("{}-dev", s.api_name())).await);
    assert!(api_named(&emu, &format!("{}-prod", s.api_name())).await);
    // The base stack name owns nothing.
    assert!(!function_exists(&emu, &s.function("hello")).await);

    // A no-op plan per environment.
    for env in ["dev", "prod"] {
        let run = s.ok(&["plan", "--detailed-exitcode", "--env", env]);
        assert!(run.writes().is_empty());
    }

    let before = state(&emu, &prod, &["hello", "head"]).await;
    let run = s.ok(&["destroy", "--yes", "--env", "dev"]);
    assert!(
        run.writes()
            .iter()
            .all(|w| !w.contains("UpdateAccount") && !w.contains("TagResource")),
        "{:?}",
        run.writes()
    );
    assert!(!function_exists(&emu, &format!("{dev}-hello")).await);
    assert!(!role_exists(&emu, &format!("{dev}-hello-exec")).await);
    assert!(tagged_apis(&emu, &dev).await.is_empty());
    let after = state(&emu, &prod, &["hello", "head"]).await;
    assert_eq!(before, after, "destroying dev changed prod");
    assert!(before.contains("\"GREETING\": \"welcome\""), "{before}");

    s.ok(&["destroy", "--yes", "--env", "prod"]);
    assert!(!function_exists(&emu, &format!("{prod}-hello")).await);
});

#[test]
fn an_override_is_reported_at_its_own_line() {
    let emu = Emulator::get(Kind::LocalStack);
    let s = Stack::from_example(&emu, "tutorial", "envbad");
    let text = s.read_file() + ENVS + "functions.head.timeout_s = 0\n";
    s.write_file(&text);
    let line = text.lines().count();
    let run = s.run(&["validate", "--env", "prod"]);
    assert_eq!(run.code(), 1, "{}", run.all());
    let err = run.stderr();
    assert!(
        err.contains(&format!("stack.toml:{line}:28")),
        "expected line {line}:\n{err}"
    );
    assert!(err.contains("functions.head.timeout_s = 0"), "{err}");
    assert!(err.contains("timeout_s = 0 is out of range"), "{err}");
    // Reported once: the routes naming the function do not add "not defined" errors.
    assert_eq!(err.matches("error:").count(), 1, "{err}");
    // dev is valid, and `validate` without --env checks every environment.
    s.ok(&["validate", "--env", "dev"]);
    let all = s.run(&["validate"]);
    assert_eq!(all.code(), 1, "{}", all.all());
    assert!(all.stdout().contains("(env dev) is valid"), "{}", all.all());
    assert!(all.stderr().contains("environment prod"), "{}", all.all());
}

// `<stack>-<env>` alone is ambiguous: stack `X-eu` in environment `prod`, stack `X` in
// environment `eu-prod` and a stack named `X-eu-prod` all name their resources `X-eu-prod-…`.
// The environment tag tells them apart: the two look-alikes refuse to plan or destroy the
// first one's resources (exit 1, nothing written), and it stays exactly as it was.
on_both!(
    a_look_alike_stack_and_environment_never_touch_each_other,
    |emu: Emulator| async move {
        let a = Stack::from_example(&emu, "tutorial", "envla");
        let base = a.name.clone();
        a.write_file(
            &(replace_table_name(&a.read_file(), "[stack]", &format!("{base}-eu"))
                + "\n[env.prod]\n"),
        );
        a.ok(&["apply", "--yes", "--env", "prod"]);
        let owner = format!("{base}-eu-prod");
        let before = state(&emu, &owner, &["hello", "head"]).await;

        let b = Stack::from_example(&emu, "tutorial", "envlb");
        b.write_file(&(replace_table_name(&b.read_file(), "[stack]", &base) + "\n[env.eu-prod]\n"));
        let c = Stack::from_example(&emu, "tutorial", "envlc");
        c.write_file(&replace_table_name(&c.read_file(), "[stack]", &owner));
        for (s, args) in [
            (&b, vec!["plan", "--env", "eu-prod"]),
            (&b, vec!["destroy", "--yes", "--env", "eu-prod"]),
            (&c, vec!["plan"]),
            (&c, vec!["destroy", "--yes"]),
        ] {
            let run = s.run(&args);
            assert_eq!(run.code(), 1, "{args:?}: {}", run.all());
            assert!(
                run.stderr().contains("but belongs to environment prod"),
                "{args:?}: {}",
                run.all()
            );
            assert!(run.writes().is_empty(), "{args:?} wrote {:?}", run.writes());
        }
        assert_eq!(before, state(&emu, &owner, &["hello", "head"]).await);
        a.ok(&["destroy", "--yes", "--env", "prod"]);
    }
);
