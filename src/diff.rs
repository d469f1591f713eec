//! Pure: (desired, live) → the changes to make. Both sides are normalised to the same shape first,
//! so defaults and what stackctl does not manage never show up as changes.

use crate::model::{Address, Kind, Resource};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    Replace,
    Delete,
}

impl Action {
    pub fn symbol(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Update => "~",
            Action::Replace => "-/+",
            Action::Delete => "-",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttrChange {
    pub attribute: String,
    pub before: Option<String>,
    pub after: Option<String>,
    /// A secret value: shown masked in plan output and JSON.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub action: Action,
    pub address: Address,
    pub desired: Option<Resource>,
    pub live: Option<Resource>,
    pub changes: Vec<AttrChange>,
}

/// Terraform's getAction: absent → create; present and unwanted → delete; equal → nothing;
/// a difference that can only be made by recreating → replace; otherwise update.
pub fn action(desired: Option<&Resource>, live: Option<&Resource>) -> Option<Action> {
    match (desired, live) {
        (None, None) => None,
        (Some(_), None) => Some(Action::Create),
        (None, Some(l)) if l.account_wide() => None,
        (None, Some(_)) => Some(Action::Delete),
        (Some(d), Some(l)) if d.attrs() == l.attrs() => None,
        (Some(d), Some(l)) if replaced_to_change(d, l) => Some(Action::Replace),
        (Some(_), Some(_)) => Some(Action::Update),
    }
}

/// Permissions have no update call: they are recreated (instantly re-added). So is a method whose
/// authorization or kind of integration changes; one that keeps both is updated in place, with
/// the one call that carries the change (the proxy's PutIntegration, or the CORS mock's
/// PutIntegrationResponse), unless its live CORS mock is incomplete and must be rebuilt.
/// A method's change is invisible to callers until the next deployment either way.
fn replaced_to_change(desired: &Resource, live: &Resource) -> bool {
    use crate::model::Integration::{CorsMock, LambdaProxy};
    match (desired, live) {
        (Resource::Method(d), Resource::Method(l)) => {
            let same_kind = match (&d.integration, &l.integration) {
                (LambdaProxy { .. }, LambdaProxy { .. }) => true,
                (CorsMock { .. }, CorsMock { allow_origin, .. }) => {
                    allow_origin != crate::model::INCOMPLETE
                }
                _ => false,
            };
            d.authorization != l.authorization || !same_kind
        }
        (Resource::Permission(_), _) => true,
        // StartingPosition cannot be updated (Lambda UpdateEventSourceMapping has no such field).
        (Resource::EventSourceMapping(d), Resource::EventSourceMapping(l)) => {
            d.starting_position != l.starting_position || d.source_arn != l.source_arn
        }
        _ => false,
    }
}

/// Makes `live` comparable with `desired`: keeps only the tags stackctl manages, and adopts what
/// the file leaves unmanaged (a log retention it does not set).
pub fn normalise(desired: &Resource, live: &Resource) -> Resource {
    let mut live = live.clone();
    let keep = |tags: &mut BTreeMap<String, String>, wanted: &BTreeMap<String, String>| {
        tags.retain(|k, _| wanted.contains_key(k));
    };
    match (desired, &mut live) {
        (Resource::Role(d), Resource::Role(l)) => keep(&mut l.tags, &d.tags),
        (Resource::Function(d), Resource::Function(l)) => keep(&mut l.tags, &d.tags),
        (Resource::RestApi(d), Resource::RestApi(l)) => keep(&mut l.tags, &d.tags),
        (Resource::Stage(d), Resource::Stage(l)) => {
            keep(&mut l.tags, &d.tags);
            // `[api] tracing` unset: the stage's tracing is not the file's to show or change.
            if d.tracing.is_none() {
                l.tracing = None;
            }
        }
        (Resource::LogGroup(d), Resource::LogGroup(l)) => keep(&mut l.tags, &d.tags),
        (Resource::EventSourceMapping(d), Resource::EventSourceMapping(l)) => {
            keep(&mut l.tags, &d.tags)
        }
        (Resource::ScheduleRule(d), Resource::ScheduleRule(l)) => keep(&mut l.tags, &d.tags),
        _ => {}
    }
    live
}

fn normalise_desired(desired: &Resource, live: &Resource) -> Resource {
    let mut desired = desired.clone();
    if let (Resource::LogGroup(d), Resource::LogGroup(l)) = (&mut desired, live)
        && d.retention_days.is_none()
    {
        d.retention_days = l.retention_days;
    }
    desired
}

/// Every change needed to turn `live` into `desired`, in address order.
/// `secrets` names the attributes whose values must be masked, as (function name, env key).
pub fn diff(
    desired: &[Resource],
    live: &[Resource],
    secrets: &BTreeSet<(String, String)>,
) -> Vec<Change> {
    let desired: BTreeMap<Address, &Resource> = desired.iter().map(|r| (r.address(), r)).collect();
    let mut live: BTreeMap<Address, &Resource> = live.iter().map(|r| (r.address(), r)).collect();
    // A stack has one REST API, found by its tag: a different name is a rename, not another API.
    let api =
        |m: &BTreeMap<Address, &Resource>| m.keys().find(|a| a.kind == Kind::RestApi).cloned();
    if let (Some(wanted), Some(found)) = (api(&desired), api(&live))
        && wanted != found
    {
        let r = live.remove(&found).expect("found above");
        live.insert(wanted, r);
    }
    let addresses: BTreeSet<&Address> = desired.keys().chain(live.keys()).collect();
    let mut out = Vec::new();
    for address in addresses {
        let (d, l) = match (desired.get(address), live.get(address)) {
            (Some(d), Some(l)) => {
                let l = normalise(d, l);
                (Some(normalise_desired(d, &l)), Some(l))
            }
            (d, l) => (d.map(|r| (*r).clone()), l.map(|r| (*r).clone())),
        };
        let Some(action) = action(d.as_ref(), l.as_ref()) else {
            continue;
        };
        let before = l.as_ref().map(Resource::attrs).unwrap_or_default();
        let after = match action {
            Action::Delete => BTreeMap::new(),
            _ => d.as_ref().map(Resource::attrs).unwrap_or_default(),
        };
        let changes = attr_changes(&before, &after, action, |attr| {
            attr.strip_prefix("environment.")
                .is_some_and(|k| secrets.contains(&(address.name.clone(), k.to_string())))
        });
        out.push(Change {
            action,
            address: address.clone(),
            desired: d,
            live: l,
            changes,
        });
    }
    out
}

fn attr_changes(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
    action: Action,
    sensitive: impl Fn(&str) -> bool,
) -> Vec<AttrChange> {
    let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    keys.into_iter()
        .filter_map(|k| {
            let (b, a) = (before.get(k), after.get(k));
            let show = match action {
                Action::Create | Action::Delete => true,
                Action::Update | Action::Replace => b != a,
            };
            show.then(|| AttrChange {
                attribute: k.clone(),
                before: if action == Action::Create {
                    None
                } else {
                    b.cloned()
                },
                after: a.cloned(),
                sensitive: sensitive(k),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;

    fn function(memory: i32) -> Resource {
        Resource::Function(Function {
            name: "s-f".into(),
            runtime: "nodejs20.x".into(),
            handler: "index.handler".into(),
            memory_mb: memory,
            timeout_s: 3,
            description: String::new(),
            environment: BTreeMap::from([("TOKEN".into(), "s3cret".into())]),
            role_arn: "arn:aws:iam::1:role/r".into(),
            code_sha256: "abc".into(),
            architecture: Architecture::X86_64,
            layers: Vec::new(),
            tracing: false,
            tags: BTreeMap::from([(STACK_TAG.into(), "s".into())]),
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
                tags: BTreeMap::from([(STACK_TAG.into(), "s".into())]),
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
                tags: BTreeMap::from([(STACK_TAG.into(), "s".into())]),
            })
        };
        assert!(diff(&[group(None)], &[group(Some(7))], &BTreeSet::new()).is_empty());
        assert_eq!(
            diff(&[group(Some(14))], &[group(Some(7))], &BTreeSet::new())[0].action,
            Action::Update
        );
    }
}
