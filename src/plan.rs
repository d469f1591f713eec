//! Pure: changes → an ordered plan of steps with explicit dependencies. The plan is data: apply
//! executes exactly this value, the renderer prints it, and `plan --out` saves it.

use crate::diff::{Action, AttrChange, Change};
use crate::live::{Conflict, Ids};
use crate::model::{Address, Function, Kind, Resource};
use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

mod dependencies;
mod inputs;
mod saved;
use dependencies::dependencies;
pub use inputs::attach;
pub use saved::check_saved;

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

/// Which of Lambda's update calls a function's change needs: (`UpdateFunctionConfiguration`,
/// `UpdateFunctionCode`; the instruction set changes only with code). Tags alone need neither
/// (`TagResource`). Apply sends exactly these calls, and the runtime lifecycle checks count
/// either as an update Lambda blocks on a retired runtime.
pub fn function_updates(live: Option<&Function>, f: &Function) -> (bool, bool) {
    let configuration = changed(live, f, |f| &f.runtime)
        || changed(live, f, |f| &f.handler)
        || changed(live, f, |f| f.memory_mb)
        || changed(live, f, |f| f.timeout_s)
        || changed(live, f, |f| &f.description)
        || changed(live, f, |f| &f.role_arn)
        || changed(live, f, |f| &f.environment)
        || changed(live, f, |f| &f.layers)
        || changed(live, f, |f| f.tracing);
    let code = changed(live, f, |f| &f.code_sha256) || changed(live, f, |f| &f.architecture);
    (configuration, code)
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

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "plan_coexist_tests.rs"]
mod coexist_tests;

#[cfg(test)]
#[path = "plan_props_tests.rs"]
mod props_tests;
