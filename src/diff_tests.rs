//! The diff's table of actions and its normalisation, on hand-built model values.

use super::*;
use crate::model::*;

fn function(memory: i32) -> Resource {
    Resource::Function(Function {
        memory_mb: memory,
        environment: BTreeMap::from([("TOKEN".into(), "s3cret".into())]),
        ..crate::model::fixtures::function("s-f")
    })
}

fn method(uri: &str) -> Resource {
    Resource::Method(Method {
        path: "/a".into(),
        verb: "GET".into(),
        authorization: "NONE".into(),
        integration: Integration::LambdaProxy {
            function: "f".into(),
            uri: uri.into(),
        },
    })
}

fn cors(origin: &str) -> Resource {
    Resource::Method(Method {
        path: "/a".into(),
        verb: "OPTIONS".into(),
        authorization: "NONE".into(),
        integration: Integration::CorsMock {
            allow_origin: origin.into(),
            allow_methods: "GET,OPTIONS".into(),
            allow_headers: "Content-Type".into(),
        },
    })
}

fn iam(mut r: Resource) -> Resource {
    if let Resource::Method(m) = &mut r {
        m.authorization = "AWS_IAM".into();
    }
    r
}

#[test]
fn action_table() {
    let account = Resource::AccountRole(AccountRole { name: "x".into() });
    let cases: Vec<(Option<Resource>, Option<Resource>, Option<Action>)> = vec![
        (None, None, None),
        (Some(function(128)), None, Some(Action::Create)),
        (None, Some(function(128)), Some(Action::Delete)),
        (Some(function(128)), Some(function(128)), None),
        (
            Some(function(256)),
            Some(function(128)),
            Some(Action::Update),
        ),
        // A route moved to another function: its integration is updated in place.
        (Some(method("a")), Some(method("b")), Some(Action::Update)),
        (
            Some(cors("*")),
            Some(cors("https://x")),
            Some(Action::Update),
        ),
        // A broken mock is rebuilt, and so is a method that changes kind or authorization.
        (
            Some(cors("*")),
            Some(cors(INCOMPLETE)),
            Some(Action::Replace),
        ),
        (Some(cors("*")), Some(method("a")), Some(Action::Replace)),
        (
            Some(method("a")),
            Some(iam(method("a"))),
            Some(Action::Replace),
        ),
        (None, Some(account), None),
    ];
    for (d, l, want) in cases {
        assert_eq!(action(d.as_ref(), l.as_ref()), want, "{d:?} vs {l:?}");
    }
}

/// The plan shows placeholders for absent values (`(none)`, `(known after apply)`): a value
/// spelled like its placeholder renders the same label, and must still be a change.
#[test]
fn a_display_label_does_not_decide_the_action() {
    let settings = |arn: Option<&str>| {
        Resource::AccountSettings(AccountSettings {
            cloudwatch_role_arn: arn.map(str::to_string),
        })
    };
    let permission = |arn: Option<&str>| {
        Resource::Permission(Permission {
            function: "s-f".into(),
            statement_id: statement_id("GET", "/a"),
            source_arn: arn.map(str::to_string),
            verb: "GET".into(),
            path: "/a".into(),
        })
    };
    let cases = [
        (settings(None), settings(Some("(none)")), Action::Update),
        // Permissions have no update call.
        (
            permission(None),
            permission(Some(KNOWN_AFTER_APPLY)),
            Action::Replace,
        ),
    ];
    for (desired, live, want) in cases {
        assert_eq!(desired.attrs(), live.attrs(), "the same label");
        assert_eq!(
            action(Some(&desired), Some(&live)),
            Some(want),
            "{desired:?} vs {live:?}"
        );
    }
}

/// What the live readers cannot know (a permission's route) and what only AWS assigns (a
/// mapping's UUID, a subscription's ARN) is never a change.
#[test]
fn unread_routes_and_live_ids_are_no_change() {
    let arn = "arn:aws:execute-api:us-east-1:1:api/*/GET/a";
    let desired = Resource::Permission(Permission {
        function: "s-f".into(),
        statement_id: statement_id("GET", "/a"),
        source_arn: Some(arn.into()),
        verb: "GET".into(),
        path: "/a".into(),
    });
    let policy = serde_json::json!({"Statement": [{
        "Sid": statement_id("GET", "/a"),
        "Condition": {"ArnLike": {"AWS:SourceArn": arn}},
    }]});
    let live: Vec<Resource> = crate::live::lambda::parse_permissions("s-f", &policy.to_string())
        .into_iter()
        .map(Resource::Permission)
        .collect();
    assert_eq!(live.len(), 1);
    assert!(diff(&[desired], &live, &BTreeSet::new()).is_empty());

    let mapping = |uuid: Option<&str>| {
        Resource::EventSourceMapping(crate::model_events::EventSourceMapping {
            function: "s-f".into(),
            source_arn: "arn:aws:sqs:us-east-1:1:q".into(),
            batch_size: 10,
            max_batching_window_s: 0,
            report_batch_item_failures: false,
            enabled: true,
            starting_position: None,
            tags: crate::model::fixtures::tags(),
            uuid: uuid.map(str::to_string),
        })
    };
    let subscription = |arn: Option<&str>| {
        Resource::SnsSubscription(crate::model_events::SnsSubscription {
            function: "s-f".into(),
            topic_arn: "arn:aws:sns:us-east-1:1:t".into(),
            filter_policy: None,
            subscription_arn: arn.map(str::to_string),
        })
    };
    let changes = diff(
        &[mapping(None), subscription(None)],
        &[mapping(Some("u-1")), subscription(Some("arn:s"))],
        &BTreeSet::new(),
    );
    assert!(changes.is_empty(), "{changes:?}");
}

#[test]
fn update_lists_only_changed_attributes_and_masks_secrets() {
    let mut live = function(128);
    if let Resource::Function(f) = &mut live {
        f.environment.insert("TOKEN".into(), "old".into());
        f.tags.insert("team".into(), "payments".into());
    }
    let secrets = BTreeSet::from([("s-f".to_string(), "TOKEN".to_string())]);
    let changes = diff(&[function(256)], &[live], &secrets);
    assert_eq!(changes.len(), 1);
    let attrs: Vec<&str> = changes[0]
        .changes
        .iter()
        .map(|c| c.attribute.as_str())
        .collect();
    // The foreign tag "team" is not stackctl's to remove.
    assert_eq!(attrs, ["environment.TOKEN", "memory_mb"]);
    assert!(changes[0].changes[0].sensitive);
    assert!(!changes[0].changes[1].sensitive);
}

#[test]
fn a_renamed_api_is_updated_in_place() {
    let api = |name: &str| {
        Resource::RestApi(RestApi {
            name: name.into(),
            endpoint_type: "REGIONAL".into(),
            tags: crate::model::fixtures::tags(),
        })
    };
    let changes = diff(&[api("new")], &[api("old")], &BTreeSet::new());
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].action, Action::Update);
    assert_eq!(changes[0].changes[0].attribute, "name");
}

#[test]
fn unmanaged_log_retention_is_adopted_not_changed() {
    let group = |days| {
        Resource::LogGroup(LogGroup {
            name: "/aws/lambda/s-f".into(),
            retention_days: days,
            tags: crate::model::fixtures::tags(),
        })
    };
    assert!(diff(&[group(None)], &[group(Some(7))], &BTreeSet::new()).is_empty());
    assert_eq!(
        diff(&[group(Some(14))], &[group(Some(7))], &BTreeSet::new())[0].action,
        Action::Update
    );
}
