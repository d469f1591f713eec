//! Properties of the pure core over generated stacks: diffing a stack against itself, or against
//! itself as the live readers return it, changes nothing, and every plan is ordered so that dependencies come first (creates after what they
//! need, deletes before what they need).

use super::*;
use crate::diff::diff;
use crate::model::*;
use proptest::prelude::*;
use std::collections::BTreeMap;

use crate::model::fixtures::tags;

/// A generated stack: which functions, which routed paths (each routed to one function), and
/// each function's memory (so two stacks differ in attributes too, not only in membership), and
/// which functions a queue and a topic invoke.
#[derive(Debug, Clone)]
struct Shape {
    functions: BTreeMap<String, i32>,
    routes: BTreeMap<String, String>,
    stage: Option<String>,
    with_events: BTreeSet<String>,
}

fn shape() -> impl Strategy<Value = Shape> {
    let names = prop::sample::subsequence(vec!["a", "b", "c"], 0..=3);
    let paths = prop::sample::subsequence(vec!["/x", "/x/y", "/x/{id}", "/z"], 0..=4);
    (
        names,
        prop::collection::vec(prop::sample::select(vec![128, 256]), 3),
        paths,
        prop::collection::vec(0usize..3, 4),
        prop::option::of(prop::sample::select(vec!["m1", "m2"])),
        prop::collection::vec(any::<bool>(), 3),
    )
        .prop_map(|(names, memory, paths, targets, stage, events)| {
            let with_events = names
                .iter()
                .zip(events)
                .filter(|(_, e)| *e)
                .map(|(n, _)| format!("s-{n}"))
                .collect();
            let functions: BTreeMap<String, i32> = names
                .iter()
                .zip(memory)
                .map(|(n, m)| (format!("s-{n}"), m))
                .collect();
            let fs: Vec<&String> = functions.keys().collect();
            let routes = if fs.is_empty() {
                BTreeMap::new()
            } else {
                paths
                    .iter()
                    .zip(targets)
                    .map(|(p, t)| (p.to_string(), fs[t % fs.len()].clone()))
                    .collect()
            };
            Shape {
                functions,
                routes,
                stage: stage.map(str::to_string),
                with_events,
            }
        })
}

fn resources(s: &Shape) -> Vec<Resource> {
    let mut out = Vec::new();
    for (name, memory) in &s.functions {
        out.push(Resource::Role(Role {
            name: format!("{name}-exec"),
            trust_service: "lambda.amazonaws.com".into(),
            policy: canonical_json(&policy(name)),
            tags: tags(),
        }));
        out.push(Resource::LogGroup(LogGroup {
            name: crate::names::log_group_name(name),
            retention_days: Some(14),
            tags: tags(),
        }));
        out.push(Resource::Function(Function {
            memory_mb: *memory,
            ..crate::model::fixtures::function(name)
        }));
        if s.with_events.contains(name) {
            out.push(Resource::EventSourceMapping(
                crate::model_events::EventSourceMapping {
                    function: name.clone(),
                    source_arn: "arn:aws:sqs:us-east-1:1:jobs".into(),
                    batch_size: 10,
                    max_batching_window_s: 0,
                    report_batch_item_failures: false,
                    enabled: true,
                    starting_position: None,
                    tags: tags(),
                    uuid: None,
                },
            ));
            out.push(Resource::SnsSubscription(
                crate::model_events::SnsSubscription {
                    function: name.clone(),
                    topic_arn: "arn:aws:sns:us-east-1:1:news".into(),
                    filter_policy: None,
                    subscription_arn: None,
                },
            ));
        }
    }
    if s.routes.is_empty() {
        return out;
    }
    out.push(Resource::RestApi(RestApi {
        name: "s-api".into(),
        endpoint_type: "REGIONAL".into(),
        tags: tags(),
    }));
    let mut paths = BTreeSet::new();
    for (path, function) in &s.routes {
        let mut prefix = String::new();
        for seg in path.split('/').filter(|p| !p.is_empty()) {
            prefix = format!("{prefix}/{seg}");
            paths.insert(prefix.clone());
        }
        out.push(Resource::Method(Method {
            path: path.clone(),
            verb: "GET".into(),
            authorization: "NONE".into(),
            integration: Integration::LambdaProxy {
                function: function.clone(),
                uri: format!("uri:{function}"),
            },
        }));
        out.push(Resource::Permission(Permission {
            function: function.clone(),
            statement_id: format!("stackctl-GET-{}", path.replace('/', "_")),
            source_arn: Some(format!("arn:src/{path}")),
            verb: "GET".into(),
            path: path.clone(),
        }));
    }
    out.extend(
        paths
            .into_iter()
            .map(|path| Resource::ApiResource(ApiResource { path })),
    );
    if let Some(model) = &s.stage {
        out.push(Resource::Stage(Stage {
            name: "prod".into(),
            model: model.clone(),
            log_level: "OFF".into(),
            data_trace: false,
            metrics: false,
            tracing: None,
            tags: tags(),
        }));
    }
    out
}

/// An execution role's policy, as stackctl writes it.
fn policy(function: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [format!("arn:aws:logs:us-east-1:1:log-group:/aws/lambda/{function}:*")],
        }],
    })
    .to_string()
}

/// `desired` as the live readers return it: each function's invoke permissions parsed by
/// [`crate::live::lambda::parse_permissions`] from the policy Lambda holds (which has no route),
/// each role's policy canonicalised from the form IAM returns (keys in another order, indented,
/// one-element lists as bare values), and the ids AWS assigns (a mapping's UUID, a
/// subscription's ARN) filled in.
fn as_read(desired: &[Resource]) -> Vec<Resource> {
    let mut out = Vec::new();
    let mut statements: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
    for r in desired {
        match r {
            Resource::Permission(p) => {
                statements
                    .entry(p.function.clone())
                    .or_default()
                    .push(serde_json::json!({
                        "Sid": p.statement_id,
                        "Effect": "Allow",
                        "Principal": {"Service": "apigateway.amazonaws.com"},
                        "Action": "lambda:InvokeFunction",
                        "Condition": {"ArnLike": {"AWS:SourceArn": p.source_arn}},
                    }))
            }
            Resource::Role(role) => {
                let mut doc: serde_json::Value = serde_json::from_str(&role.policy).unwrap();
                let statement = doc["Statement"][0].take();
                doc["Statement"] = statement;
                let iam_form = serde_json::to_string_pretty(&doc).unwrap();
                out.push(Resource::Role(Role {
                    policy: canonical_json(&iam_form),
                    ..role.clone()
                }));
            }
            Resource::EventSourceMapping(m) => out.push(Resource::EventSourceMapping(
                crate::model_events::EventSourceMapping {
                    uuid: Some(format!("uuid-{}", m.function)),
                    ..m.clone()
                },
            )),
            Resource::SnsSubscription(s) => out.push(Resource::SnsSubscription(
                crate::model_events::SnsSubscription {
                    subscription_arn: Some(format!("{}:{}", s.topic_arn, s.function)),
                    ..s.clone()
                },
            )),
            other => out.push(other.clone()),
        }
    }
    for (function, statement) in statements {
        let doc = serde_json::json!({"Version": "2012-10-17", "Statement": statement});
        out.extend(
            crate::live::lambda::parse_permissions(&function, &doc.to_string())
                .into_iter()
                .map(Resource::Permission),
        );
    }
    out
}

/// Pairs (a, b) where the resource at `a` cannot exist without the one at `b`.
fn needs(a: &Resource, b: &Resource) -> bool {
    match (a, b) {
        (Resource::Function(f), Resource::Role(r)) => r.name == format!("{}-exec", f.name),
        (Resource::Function(f), Resource::LogGroup(g)) => {
            g.name == crate::names::log_group_name(&f.name)
        }
        (Resource::Method(m), Resource::ApiResource(r)) => m.path == r.path,
        (Resource::ApiResource(c), Resource::ApiResource(p)) => {
            c.path.rsplit_once('/').map(|(parent, _)| parent) == Some(p.path.as_str())
        }
        (Resource::Permission(p), Resource::Function(f)) => p.function == f.name,
        (Resource::EventSourceMapping(m), Resource::Function(f)) => m.function == f.name,
        (Resource::SnsSubscription(s), Resource::Function(f)) => s.function == f.name,
        (
            Resource::Method(_) | Resource::ApiResource(_) | Resource::Stage(_),
            Resource::RestApi(_),
        ) => true,
        _ => false,
    }
}

fn plan(desired: &[Resource], live: &[Resource]) -> Vec<Step> {
    build(diff(desired, live, &Default::default())).expect("no cycle")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn a_stack_diffed_against_itself_has_no_changes(s in shape()) {
        let r = resources(&s);
        prop_assert!(diff(&r, &r, &Default::default()).is_empty());
    }

    #[test]
    fn a_stack_diffed_against_its_live_reading_has_no_changes(s in shape()) {
        let r = resources(&s);
        let changes = diff(&r, &as_read(&r), &Default::default());
        prop_assert!(changes.is_empty(), "{changes:?}");
    }

    #[test]
    fn every_plan_orders_dependencies_first(desired in shape(), live in shape()) {
        let steps = plan(&resources(&desired), &resources(&live));
        for s in &steps {
            prop_assert!(s.depends_on.iter().all(|&d| d < s.id), "{s:?} depends on a later step");
        }
        let value = |s: &Step| s.desired.clone().or_else(|| s.live.clone()).expect("a step has a value");
        for a in &steps {
            for b in &steps {
                let (ra, rb) = (value(a), value(b));
                if !needs(&ra, &rb) {
                    continue;
                }
                // Creating a needs b first; deleting b waits until a is gone.
                if a.action == Action::Create && b.action == Action::Create {
                    prop_assert!(b.id < a.id, "create {} before create {}", a.name, b.name);
                }
                if a.action == Action::Delete && b.action == Action::Delete {
                    prop_assert!(a.id < b.id, "delete {} after delete {}", a.name, b.name);
                }
            }
        }
    }
}
