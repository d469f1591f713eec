//! Unit tests of `plan.rs`.

use super::*;
use crate::diff::diff;
use crate::model::*;

use crate::model::fixtures::tags;

fn function(name: &str) -> Resource {
    Resource::Function(crate::model::fixtures::function(name))
}

fn role(name: &str) -> Resource {
    Resource::Role(Role {
        name: name.into(),
        trust_service: "lambda.amazonaws.com".into(),
        policy: "{}".into(),
        tags: tags(),
    })
}

fn method(path: &str, function: &str) -> Resource {
    Resource::Method(Method {
        path: path.into(),
        verb: "GET".into(),
        authorization: "NONE".into(),
        integration: Integration::LambdaProxy {
            function: function.into(),
            uri: format!("uri:{function}"),
        },
    })
}

fn resource(path: &str) -> Resource {
    Resource::ApiResource(ApiResource { path: path.into() })
}

fn stage(model: &str) -> Resource {
    Resource::Stage(Stage {
        name: "prod".into(),
        model: model.into(),
        log_level: "OFF".into(),
        data_trace: false,
        metrics: false,
        tracing: None,
        tags: tags(),
    })
}

fn api() -> Resource {
    Resource::RestApi(RestApi {
        name: "s-api".into(),
        endpoint_type: "REGIONAL".into(),
        tags: tags(),
    })
}

fn position(steps: &[Step], kind: Kind, name: &str) -> usize {
    steps
        .iter()
        .position(|s| s.kind == kind && s.name == name)
        .unwrap_or_else(|| panic!("no step {kind:?} {name}"))
}

fn plan(desired: &[Resource], live: &[Resource]) -> Vec<Step> {
    build(diff(desired, live, &Default::default())).unwrap()
}

#[test]
fn creates_follow_their_dependencies() {
    let desired = vec![
        stage("m1"),
        method("/a/b", "s-f"),
        resource("/a/b"),
        resource("/a"),
        api(),
        function("s-f"),
        role("s-f-exec"),
    ];
    let steps = plan(&desired, &[]);
    assert_eq!(steps.len(), 7);
    let at = |k, n| position(&steps, k, n);
    assert!(at(Kind::Role, "s-f-exec") < at(Kind::Function, "s-f"));
    assert!(at(Kind::RestApi, "s-api") < at(Kind::ApiResource, "/a"));
    assert!(at(Kind::ApiResource, "/a") < at(Kind::ApiResource, "/a/b"));
    assert!(at(Kind::ApiResource, "/a/b") < at(Kind::Method, "GET /a/b"));
    assert!(at(Kind::Function, "s-f") < at(Kind::Method, "GET /a/b"));
    assert!(at(Kind::Method, "GET /a/b") < at(Kind::Stage, "prod"));
    for s in &steps {
        assert!(s.depends_on.iter().all(|&d| d < s.id), "{s:?}");
    }
}

#[test]
fn removing_a_route_and_its_function_redeploys_before_deleting() {
    let live = vec![
        api(),
        resource("/old"),
        method("/old", "s-old"),
        function("s-old"),
        role("s-old-exec"),
        stage("m1"),
    ];
    let desired = vec![api(), stage("m2")];
    let steps = plan(&desired, &live);
    let at = |k, n| position(&steps, k, n);
    // The method goes with its resource: one DeleteResource, no DeleteMethod.
    assert!(steps.iter().all(|s| s.kind != Kind::Method));
    assert!(at(Kind::ApiResource, "/old") < at(Kind::Stage, "prod"));
    assert!(at(Kind::Stage, "prod") < at(Kind::Function, "s-old"));
    assert!(at(Kind::Function, "s-old") < at(Kind::Role, "s-old-exec"));
}

#[test]
fn log_groups_are_created_first_and_deleted_last() {
    let group = |name: &str| {
        Resource::LogGroup(LogGroup {
            name: crate::names::log_group_name(name),
            retention_days: None,
            tags: tags(),
        })
    };
    let steps = plan(&[role("s-f-exec"), function("s-f"), group("s-f")], &[]);
    let at = |steps: &[Step], k, n| position(steps, k, n);
    assert!(at(&steps, Kind::LogGroup, "/aws/lambda/s-f") < at(&steps, Kind::Role, "s-f-exec"));
    let steps = plan(&[], &[role("s-f-exec"), function("s-f"), group("s-f")]);
    assert!(at(&steps, Kind::Role, "s-f-exec") < at(&steps, Kind::LogGroup, "/aws/lambda/s-f"));
    assert!(at(&steps, Kind::Function, "s-f") < at(&steps, Kind::LogGroup, "/aws/lambda/s-f"));
}

#[test]
fn deleting_the_api_subsumes_its_contents() {
    let live = vec![api(), resource("/a"), method("/a", "s-f"), stage("m")];
    let steps = plan(&[], &live);
    assert_eq!(steps.len(), 1);
    assert_eq!(
        (steps[0].kind, steps[0].action),
        (Kind::RestApi, Action::Delete)
    );
}

#[test]
fn no_changes_no_steps() {
    let all = vec![
        api(),
        resource("/a"),
        method("/a", "s-f"),
        stage("m"),
        function("s-f"),
    ];
    assert!(plan(&all, &all).is_empty());
}

#[test]
fn stage_tracing_is_managed_only_when_the_file_sets_it() {
    let with = |tracing: Option<bool>| match stage("m") {
        Resource::Stage(s) => Resource::Stage(Stage { tracing, ..s }),
        _ => unreachable!(),
    };
    // Unset in the file: a stage traced by hand is left alone, and the plan does not mention it.
    assert!(plan(&[with(None)], &[with(Some(true))]).is_empty());
    // Set: the file is the truth, either way.
    for (wanted, live) in [(true, false), (false, true)] {
        let steps = plan(&[with(Some(wanted))], &[with(Some(live))]);
        assert_eq!(steps.len(), 1, "{steps:#?}");
        assert_eq!(steps[0].action, crate::diff::Action::Update);
        let c = &steps[0].changes;
        assert_eq!(c.len(), 1, "{c:#?}");
        assert_eq!(
            (
                c[0].attribute.as_str(),
                c[0].before.as_deref(),
                c[0].after.as_deref()
            ),
            (
                "tracing",
                Some(live.to_string().as_str()),
                Some(wanted.to_string().as_str())
            )
        );
    }
    assert!(plan(&[with(Some(true))], &[with(Some(true))]).is_empty());
}

#[test]
fn function_updates_names_the_lambda_calls_a_change_needs() {
    let live = crate::model::fixtures::function("s-f");
    let with = |edit: fn(&mut Function)| {
        let mut f = live.clone();
        edit(&mut f);
        function_updates(Some(&live), &f)
    };
    assert_eq!(with(|_| {}), (false, false));
    // TagResource only: not an update Lambda blocks on a retired runtime.
    assert_eq!(with(|f| f.tags.clear()), (false, false));
    assert_eq!(with(|f| f.memory_mb = 256), (true, false));
    assert_eq!(with(|f| f.runtime = "python3.13".into()), (true, false));
    assert_eq!(with(|f| f.code_sha256 = "y".into()), (false, true));
    assert_eq!(
        with(|f| f.architecture = Architecture::Arm64),
        (false, true)
    );
    assert_eq!(function_updates(None, &live), (true, true));
}
