//! What each step must wait for: creates after what they name, deletes after their dependents,
//! the stage after everything it serves.

use crate::diff::{Action, Change};
use crate::model::{Integration, Kind, Resource};
use std::collections::BTreeSet;

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
pub(super) fn dependencies(i: usize, changes: &[Change]) -> BTreeSet<usize> {
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
