//! Pure: changes → an ordered plan of steps with explicit dependencies. The plan is data: apply
//! executes exactly this value, the renderer prints it, and `plan --out` saves it.

use crate::diff::{Action, AttrChange, Change};
use crate::live::{Conflict, Ids};
use crate::model::{Address, Integration, Kind, Resource};
use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

mod inputs;
pub use inputs::attach;

/// The saved plan's format (`plan --out`): 2 since steps carry their packages.
pub const PLAN_FORMAT: u32 = 2;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub id: usize,
    pub action: Action,
    #[serde(rename = "type")]
    pub kind: Kind,
    pub name: String,
    pub account_wide: bool,
    pub changes: Vec<AttrChange>,
    pub depends_on: Vec<usize>,
    pub desired: Option<Resource>,
    pub live: Option<Resource>,
    /// A function to create or update: the package the plan built, which apply uploads (see
    /// [`attach`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<crate::package::PackageRef>,
    /// An s3 notification to delete whose function's invoke permission on the bucket another of
    /// the file's entries still uses: the permission stays (see [`attach`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub permission_shared: bool,
}

impl Step {
    pub fn address(&self) -> Address {
        Address::new(self.kind, &self.name)
    }
}

/// Whether `field` differs between a resource's typed `live` and `desired` values (both as the
/// diff normalised them, so unmanaged tags and adopted settings never count); true when nothing
/// is live. Apply decides which calls to send with this, never with the display labels in
/// [`Step::changes`].
pub fn changed<'a, T, V: PartialEq>(
    live: Option<&'a T>,
    desired: &'a T,
    field: impl Fn(&'a T) -> V,
) -> bool {
    live.is_none_or(|l| field(l) != field(desired))
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
}

impl Summary {
    pub fn total(&self) -> usize {
        self.create + self.update + self.replace + self.delete
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub format: u32,
    pub stack: String,
    pub region: String,
    pub account: String,
    /// The stack file's path, so a saved plan is applied to the stack it was made for.
    pub file: String,
    pub steps: Vec<Step>,
    pub summary: Summary,
    pub conflicts: Vec<Conflict>,
    pub ids: Ids,
    /// Whether apply ends with a stage to print URLs for.
    pub stage: Option<String>,
    /// Where the plan was read, for its header only: the custom endpoint (an emulator), if any,
    /// and the AWS profile (`--profile` or `AWS_PROFILE`), if any.
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default)]
    pub profile: Option<String>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

/// Orders the changes into steps: dependencies first, deletes after what replaces them.
pub fn build(mut changes: Vec<Change>) -> Result<Vec<Step>> {
    collapse_subsumed_deletes(&mut changes);
    let n = changes.len();
    let deps: Vec<BTreeSet<usize>> = (0..n).map(|i| dependencies(i, &changes)).collect();

    // Kahn's algorithm, always taking the ready step that reads best first.
    let rank = |i: usize| {
        let c = &changes[i];
        (
            c.action == Action::Delete,
            c.address.kind,
            c.address.name.clone(),
            i,
        )
    };
    let mut remaining: Vec<BTreeSet<usize>> = deps.clone();
    let mut ready: BTreeSet<(bool, Kind, String, usize)> = (0..n)
        .filter(|&i| remaining[i].is_empty())
        .map(rank)
        .collect();
    let mut order = Vec::with_capacity(n);
    let mut done = vec![false; n];
    while let Some(first) = ready.iter().next().cloned() {
        ready.remove(&first);
        let i = first.3;
        done[i] = true;
        order.push(i);
        for j in 0..n {
            if !done[j] && remaining[j].remove(&i) && remaining[j].is_empty() {
                ready.insert(rank(j));
            }
        }
    }
    if order.len() != n {
        crate::bail_internal!("the plan's dependencies form a cycle");
    }
    let position: BTreeMap<usize, usize> = order.iter().enumerate().map(|(p, &i)| (i, p)).collect();
    let mut slots: Vec<Option<Change>> = changes.into_iter().map(Some).collect();
    Ok(order
        .iter()
        .enumerate()
        .map(|(p, &i)| {
            let c = slots[i].take().expect("each change once");
            let account_wide = c
                .desired
                .as_ref()
                .or(c.live.as_ref())
                .is_some_and(Resource::account_wide);
            Step {
                id: p,
                action: c.action,
                kind: c.address.kind,
                name: c.address.name,
                account_wide,
                changes: c.changes,
                depends_on: deps[i].iter().map(|d| position[d]).collect(),
                desired: c.desired,
                live: c.live,
                package: None,
                permission_shared: false,
            }
        })
        .collect())
}

pub fn summarize(steps: &[Step]) -> Summary {
    let mut s = Summary::default();
    for step in steps {
        match step.action {
            Action::Create => s.create += 1,
            Action::Update => s.update += 1,
            Action::Replace => s.replace += 1,
            Action::Delete => s.delete += 1,
        }
    }
    s
}

/// Deleting a REST API deletes everything in it; deleting a resource deletes its methods and
/// children; deleting a function deletes its permissions. Those deletes are not separate steps.
fn collapse_subsumed_deletes(changes: &mut Vec<Change>) {
    let deleted = |kind: Kind| -> Vec<String> {
        changes
            .iter()
            .filter(|c| c.action == Action::Delete && c.address.kind == kind)
            .map(|c| c.address.name.clone())
            .collect()
    };
    let api_deleted = !deleted(Kind::RestApi).is_empty();
    let paths = deleted(Kind::ApiResource);
    let functions = deleted(Kind::Function);
    let under = |path: &str| {
        paths
            .iter()
            .any(|p| path == p || path.starts_with(&format!("{p}/")))
    };
    changes.retain(|c| {
        if c.action != Action::Delete {
            return true;
        }
        let live = c.live.as_ref();
        match (c.address.kind, live) {
            (Kind::ApiResource | Kind::Method | Kind::GatewayResponse | Kind::Stage, _)
                if api_deleted =>
            {
                false
            }
            (Kind::ApiResource, Some(Resource::ApiResource(r))) => {
                !paths.iter().any(|p| r.path.starts_with(&format!("{p}/")))
            }
            (Kind::Method, Some(Resource::Method(m))) => !under(&m.path),
            (Kind::Permission, Some(Resource::Permission(p))) => !functions.contains(&p.function),
            _ => true,
        }
    });
}

fn is_execution_log_group(name: &str) -> bool {
    name.starts_with(crate::names::EXECUTION_LOGS_PREFIX)
}

/// Whether the last path part is a variable: `{id}` or a greedy `{proxy+}`.
fn is_variable(path: &str) -> bool {
    path.rsplit('/').next().is_some_and(|p| p.starts_with('{'))
}

fn parent_path(path: &str) -> Option<&str> {
    let cut = path.rfind('/')?;
    (cut > 0).then(|| &path[..cut])
}

/// What step `i` must wait for.
fn dependencies(i: usize, changes: &[Change]) -> BTreeSet<usize> {
    let c = &changes[i];
    let find = |kind: Kind, name: &str| {
        changes
            .iter()
            .position(|o| o.address.kind == kind && o.address.name == name)
    };
    let all = |pred: &dyn Fn(&Change) -> bool| -> Vec<usize> {
        changes
            .iter()
            .enumerate()
            .filter(|(j, o)| *j != i && pred(o))
            .map(|(j, _)| j)
            .collect()
    };
    let forward = |o: &Change| o.action != Action::Delete;
    let mut deps: Vec<usize> = Vec::new();
    let mut add = |d: Option<usize>| deps.extend(d);

    if c.action == Action::Delete {
        match c.live.as_ref() {
            // Stop routing to it (redeploy) before removing what a route invoked.
            Some(Resource::Function(f)) => {
                deps.extend(all(&|o| o.address.kind == Kind::Stage));
                // Its event source mappings stop polling first (deleting a function leaves them).
                deps.extend(all(&|o| {
                    matches!(&o.live, Some(Resource::EventSourceMapping(m)) if m.function == f.name && o.action == Action::Delete)
                }));
                deps.extend(all(&|o| {
                    matches!(&o.live, Some(Resource::ScheduleRule(r)) if r.function == f.name && o.action == Action::Delete)
                }));
                deps.extend(all(&|o| {
                    matches!(&o.live, Some(Resource::SnsSubscription(s)) if s.function == f.name && o.action == Action::Delete)
                }));
                deps.extend(all(&|o| {
                    matches!(&o.live, Some(Resource::S3Notification(n)) if n.function == f.name && o.action == Action::Delete)
                }));
                deps.extend(all(&|o| {
                    matches!(&o.live, Some(Resource::Permission(p)) if p.function == f.name)
                }));
            }
            // After the stage stops routing to it; and after any write to the same function, since
            // each write moves the function's RevisionId that the next one must carry.
            Some(Resource::Permission(p)) => deps.extend(all(&|o| {
                o.address.kind == Kind::Stage
                    || (o.address.kind == Kind::Function
                        && o.address.name == p.function
                        && forward(o))
            })),
            Some(Resource::Role(r)) => deps.extend(all(&|o| {
                o.address.kind == Kind::Function
                    && [&o.live, &o.desired].iter().any(|x| {
                        matches!(x, Some(Resource::Function(f)) if f.role_arn.ends_with(&format!("/{}", r.name)))
                    })
            })),
            // After the stage and API that write to it, or API Gateway could recreate it.
            Some(Resource::LogGroup(g)) if is_execution_log_group(&g.name) => {
                deps.extend(all(&|o| {
                    matches!(o.address.kind, Kind::Stage | Kind::RestApi)
                }))
            }
            // The log group is the stack's breadcrumb (see live::read): it goes last.
            Some(Resource::LogGroup(g)) => deps.extend(all(&|o| {
                o.action == Action::Delete
                    && match o.address.kind {
                        Kind::Function => crate::names::log_group_name(&o.address.name) == g.name,
                        Kind::Role => crate::names::function_of_exec_role(&o.address.name).is_some_and(|f| {
                            crate::names::log_group_name(f) == g.name
                        }),
                        _ => false,
                    }
            })),
            Some(Resource::ApiResource(r)) => deps.extend(all(&|o| match &o.live {
                Some(Resource::Method(m)) => o.action == Action::Delete && m.path == r.path,
                Some(Resource::ApiResource(child)) => {
                    o.action == Action::Delete && child.path.starts_with(&format!("{}/", r.path))
                }
                _ => false,
            })),
            _ => {}
        }
        return deps.into_iter().collect();
    }

    let api = changes
        .iter()
        .position(|o| o.address.kind == Kind::RestApi && forward(o));
    match c.desired.as_ref() {
        // Named after the API, so made once the API exists.
        Some(Resource::LogGroup(g)) if is_execution_log_group(&g.name) => add(api),
        // The log group is the stack's breadcrumb (see live::read): it comes first.
        Some(Resource::Role(r)) => {
            if let Some(function) = crate::names::function_of_exec_role(&r.name) {
                add(
                    find(Kind::LogGroup, &crate::names::log_group_name(function))
                        .filter(|&j| forward(&changes[j])),
                );
            }
        }
        Some(Resource::Function(f)) => {
            if let Some(role) = f.role_arn.rsplit('/').next() {
                add(find(Kind::Role, role).filter(|&j| forward(&changes[j])));
            }
            add(find(Kind::LogGroup, &crate::names::log_group_name(&f.name))
                .filter(|&j| forward(&changes[j])));
        }
        Some(Resource::ApiResource(r)) => {
            add(api);
            if let Some(parent) = parent_path(&r.path) {
                add(find(Kind::ApiResource, parent));
            }
            // API Gateway allows one variable path part (`{id}`, `{proxy+}`) per parent: a new
            // one waits until the old sibling is deleted ("A sibling ({id}) of this resource
            // already has a variable path part -- only one is allowed").
            if is_variable(&r.path) {
                deps.extend(all(&|o| {
                    o.action == Action::Delete
                        && matches!(&o.live, Some(Resource::ApiResource(x))
                            if x.path != r.path
                                && is_variable(&x.path)
                                && parent_path(&x.path) == parent_path(&r.path))
                }));
            }
        }
        Some(Resource::Method(m)) => {
            add(api);
            add(find(Kind::ApiResource, &m.path));
            if let Integration::LambdaProxy { function, .. } = &m.integration {
                add(find(Kind::Function, function).filter(|&j| forward(&changes[j])));
            }
        }
        Some(Resource::GatewayResponse(_)) => add(api),
        Some(Resource::Permission(p)) => {
            add(api);
            add(find(Kind::Function, &p.function).filter(|&j| forward(&changes[j])));
        }
        Some(Resource::AccountSettings(_)) => {
            deps.extend(all(&|o| o.address.kind == Kind::AccountRole && forward(o)));
        }
        // After the function and its role (which gains the source's permissions) are written.
        Some(Resource::ScheduleRule(r)) => {
            add(find(Kind::Function, &r.function).filter(|&j| forward(&changes[j])));
        }
        Some(Resource::SnsSubscription(s)) => {
            add(find(Kind::Function, &s.function).filter(|&j| forward(&changes[j])));
        }
        Some(Resource::S3Notification(n)) => {
            add(find(Kind::Function, &n.function).filter(|&j| forward(&changes[j])));
        }
        Some(Resource::EventSourceMapping(m)) => {
            add(find(Kind::Function, &m.function).filter(|&j| forward(&changes[j])));
            add(find(Kind::Role, &crate::names::exec_role_of(&m.function))
                .filter(|&j| forward(&changes[j])));
        }
        Some(Resource::Stage(_)) => {
            add(api);
            deps.extend(all(&|o| {
                matches!(
                    o.address.kind,
                    Kind::ApiResource
                        | Kind::Method
                        | Kind::GatewayResponse
                        | Kind::AccountSettings
                ) || (o.address.kind == Kind::Permission && forward(o))
                    // Exists before logging is enabled, so API Gateway never makes it untagged.
                    || (o.address.kind == Kind::LogGroup
                        && forward(o)
                        && is_execution_log_group(&o.address.name))
            }));
        }
        _ => {}
    }
    deps.into_iter().filter(|&d| d != i).collect()
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "plan_coexist_tests.rs"]
mod coexist_tests;

#[cfg(test)]
#[path = "plan_props_tests.rs"]
mod props_tests;
