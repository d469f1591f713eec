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
/// a difference that can only be made by recreating → replace; otherwise update. "Equal" is the
/// typed values' `==` (both sides normalised, see [`normalise`]): the display strings of
/// [`Resource::attrs`] never decide an action.
pub fn action(desired: Option<&Resource>, live: Option<&Resource>) -> Option<Action> {
    match (desired, live) {
        (None, None) => None,
        (Some(_), None) => Some(Action::Create),
        (None, Some(l)) if l.account_wide() => None,
        (None, Some(_)) => Some(Action::Delete),
        (Some(d), Some(l)) if d == l => None,
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

/// Makes `live` comparable with `desired`: keeps only the tags stackctl manages. A live invoke
/// permission does not carry its route (Lambda's policy holds only the statement id and the
/// source ARN, which `ANY` and `{var}` make lossy): it takes the desired one, which the statement
/// id in the address already pins (see [`crate::model::statement_id`]).
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
        (Resource::Permission(d), Resource::Permission(l)) => {
            l.verb.clone_from(&d.verb);
            l.path.clone_from(&d.path);
        }
        _ => {}
    }
    live
}

/// Makes `desired` comparable with `live`: adopts what the file leaves unmanaged (a log retention
/// it does not set) and the identifiers only AWS assigns (a mapping's UUID, a subscription's ARN).
fn normalise_desired(desired: &Resource, live: &Resource) -> Resource {
    let mut desired = desired.clone();
    match (&mut desired, live) {
        (Resource::LogGroup(d), Resource::LogGroup(l)) if d.retention_days.is_none() => {
            d.retention_days = l.retention_days;
        }
        (Resource::EventSourceMapping(d), Resource::EventSourceMapping(l)) => {
            d.uuid.clone_from(&l.uuid);
        }
        (Resource::SnsSubscription(d), Resource::SnsSubscription(l)) => {
            d.subscription_arn.clone_from(&l.subscription_arn);
        }
        _ => {}
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
#[path = "diff_tests.rs"]
mod tests;
