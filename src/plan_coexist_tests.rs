//! Pairs (delete X, create Y) that AWS refuses to hold at once: Y must wait for X's delete, so
//! one apply converges. Each test builds the live and desired resources of a real edit.

use super::*;
use crate::diff::diff;
use crate::model::*;

use crate::model::fixtures::tags;

fn api() -> Resource {
    Resource::RestApi(RestApi {
        name: "s-api".into(),
        endpoint_type: "REGIONAL".into(),
        tags: tags(),
    })
}

fn resource(path: &str) -> Resource {
    Resource::ApiResource(ApiResource { path: path.into() })
}

fn method(path: &str) -> Resource {
    Resource::Method(Method {
        path: path.into(),
        verb: "GET".into(),
        authorization: "NONE".into(),
        integration: Integration::LambdaProxy {
            function: "s-f".into(),
            uri: "uri:s-f".into(),
        },
    })
}

fn stage(name: &str, model: &str) -> Resource {
    Resource::Stage(Stage {
        name: name.into(),
        model: model.into(),
        log_level: "OFF".into(),
        data_trace: false,
        metrics: false,
        tracing: None,
        tags: tags(),
    })
}

/// The resources of an API routing GET on each path (with every parent resource).
fn routes(paths: &[&str]) -> Vec<Resource> {
    let mut out = vec![api()];
    let mut seen = BTreeSet::new();
    for path in paths {
        let mut prefix = String::new();
        for seg in path.split('/').filter(|s| !s.is_empty()) {
            prefix = format!("{prefix}/{seg}");
            if seen.insert(prefix.clone()) {
                out.push(resource(&prefix));
            }
        }
        out.push(method(path));
    }
    out
}

fn plan(desired: &[Resource], live: &[Resource]) -> Vec<Step> {
    build(diff(desired, live, &Default::default())).unwrap()
}

fn step<'a>(steps: &'a [Step], action: Action, kind: Kind, name: &str) -> &'a Step {
    steps
        .iter()
        .find(|s| s.action == action && s.kind == kind && s.name == name)
        .unwrap_or_else(|| panic!("no step {action:?} {kind:?} {name} in {steps:#?}"))
}

/// `create` waits (directly or through others) for `delete`.
fn waits_for(steps: &[Step], create: &Step, delete: &Step) -> bool {
    let mut todo = create.depends_on.clone();
    let mut seen = BTreeSet::new();
    while let Some(d) = todo.pop() {
        if d == delete.id {
            return true;
        }
        if seen.insert(d) {
            todo.extend(steps[d].depends_on.iter().copied());
        }
    }
    false
}

fn assert_create_after_delete(before: &[&str], after: &[&str], deleted: &str, created: &str) {
    let mut live = routes(before);
    live.push(stage("prod", "m1"));
    let mut desired = routes(after);
    desired.push(stage("prod", "m2"));
    let steps = plan(&desired, &live);
    let delete = step(&steps, Action::Delete, Kind::ApiResource, deleted);
    let create = step(&steps, Action::Create, Kind::ApiResource, created);
    assert!(
        waits_for(&steps, create, delete),
        "create {created} must wait for delete {deleted}: {steps:#?}"
    );
}

#[test]
fn renamed_path_variable_waits_for_the_old_one() {
    assert_create_after_delete(
        &["/items/{id}"],
        &["/items/{itemId}"],
        "/items/{id}",
        "/items/{itemId}",
    );
}

#[test]
fn renamed_variable_deeper_in_the_path_waits_too() {
    assert_create_after_delete(
        &["/a/{x}/b/{id}/c"],
        &["/a/{x}/b/{itemId}/c"],
        "/a/{x}/b/{id}",
        "/a/{x}/b/{itemId}",
    );
    assert_create_after_delete(
        &["/{id}/orders"],
        &["/{userId}/orders"],
        "/{id}",
        "/{userId}",
    );
}

#[test]
fn greedy_and_plain_variables_are_siblings_too() {
    assert_create_after_delete(
        &["/files/{id}"],
        &["/files/{proxy+}"],
        "/files/{id}",
        "/files/{proxy+}",
    );
    assert_create_after_delete(
        &["/files/{proxy+}"],
        &["/files/{name}"],
        "/files/{proxy+}",
        "/files/{name}",
    );
    assert_create_after_delete(&["/{proxy+}"], &["/{path+}"], "/{proxy+}", "/{path+}");
}

#[test]
fn unrelated_creates_do_not_wait() {
    let live = routes(&["/items/{id}", "/other/{id}"]);
    let desired = routes(&["/items/{id}", "/other2/{id}", "/items/{id}/x"]);
    let steps = plan(&desired, &live);
    for s in steps.iter().filter(|s| s.action == Action::Create) {
        assert!(
            s.depends_on
                .iter()
                .all(|&d| steps[d].action != Action::Delete),
            "{s:#?}"
        );
    }
}

#[test]
fn the_plan_with_sibling_waits_has_no_cycle_and_redeploys_last() {
    let mut live = routes(&["/items/{id}", "/items/{id}/parts/{p}"]);
    live.push(stage("prod", "m1"));
    let mut desired = routes(&["/items/{itemId}", "/items/{itemId}/parts/{part}"]);
    desired.push(stage("prod", "m2"));
    let steps = plan(&desired, &live);
    let stage = step(&steps, Action::Update, Kind::Stage, "prod");
    for s in &steps {
        assert!(s.depends_on.iter().all(|&d| d < s.id), "{s:#?}");
        if s.kind == Kind::ApiResource || s.kind == Kind::Method {
            assert!(s.id < stage.id);
        }
    }
    // The old subtree goes in one DeleteResource.
    let deletes: Vec<_> = steps
        .iter()
        .filter(|s| s.action == Action::Delete)
        .collect();
    assert_eq!(deletes.len(), 1, "{deletes:#?}");
}

#[test]
fn a_renamed_stage_is_created_and_the_old_one_deleted_in_one_plan() {
    let mut live = routes(&["/a"]);
    live.push(stage("prod", "m1"));
    let mut desired = routes(&["/a"]);
    desired.push(stage("v1", "m1"));
    let steps = plan(&desired, &live);
    step(&steps, Action::Create, Kind::Stage, "v1");
    step(&steps, Action::Delete, Kind::Stage, "prod");
}

fn execution_group(name: &str) -> Resource {
    Resource::LogGroup(LogGroup {
        name: name.into(),
        retention_days: Some(30),
        tags: tags(),
    })
}

#[test]
fn the_execution_log_group_exists_before_logging_and_goes_after_the_stage() {
    let group = "API-Gateway-Execution-Logs_{apiId}/prod";
    let mut desired = routes(&["/a"]);
    desired.extend([stage("prod", "m1"), execution_group(group)]);
    let steps = plan(&desired, &[]);
    let create = step(&steps, Action::Create, Kind::LogGroup, group);
    let api = step(&steps, Action::Create, Kind::RestApi, "s-api");
    let stage_step = step(&steps, Action::Create, Kind::Stage, "prod");
    assert!(create.depends_on.contains(&api.id));
    assert!(stage_step.depends_on.contains(&create.id));

    // Destroy: the group goes after the stage and API that write to it.
    let group = "API-Gateway-Execution-Logs_abc/prod";
    let mut live = routes(&["/a"]);
    live.extend([stage("prod", "m1"), execution_group(group)]);
    let steps = plan(&[], &live);
    let delete = step(&steps, Action::Delete, Kind::LogGroup, group);
    let api = step(&steps, Action::Delete, Kind::RestApi, "s-api");
    assert!(delete.depends_on.contains(&api.id), "{steps:#?}");
}
