//! A saved plan (`plan --out`) against the plan made now: applied only when both are the same
//! steps on the same live state.

use super::{PLAN_FORMAT, Plan, Step};
use anyhow::{Result, bail};
use std::collections::BTreeMap;

/// Checks `saved` against `fresh` (made now from live AWS and the stack's files) and returns the
/// plan to apply: the saved steps, their packages named where `fresh` wrote the same bytes. A
/// package's hash is part of the plan, its path is not: the checkout may have moved since (a CI
/// job that plans in one directory and applies in another). Errors: another format, stack,
/// region or account; or the steps or live identifiers differ, each difference listed.
pub fn check_saved(mut saved: Plan, fresh: &Plan) -> Result<Plan> {
    if saved.format != PLAN_FORMAT {
        bail!(
            "the saved plan was written by another version of stackctl (format {}): make a new one",
            saved.format
        );
    }
    if saved.stack != fresh.stack || saved.region != fresh.region || saved.account != fresh.account
    {
        bail!(
            "the saved plan is for stack {} in {} / account {}, not {} in {} / account {}",
            saved.stack,
            saved.region,
            saved.account,
            fresh.stack,
            fresh.region,
            fresh.account
        );
    }
    let same_steps = saved.steps.len() == fresh.steps.len()
        && saved
            .steps
            .iter()
            .zip(&fresh.steps)
            .all(|(s, f)| portable(s) == portable(f));
    if same_steps && saved.ids == fresh.ids {
        for (s, f) in saved.steps.iter_mut().zip(&fresh.steps) {
            s.package.clone_from(&f.package);
        }
        return Ok(saved);
    }
    let saved_lines: BTreeMap<String, &Step> = saved.steps.iter().map(|s| (line(s), s)).collect();
    let fresh_lines: BTreeMap<String, &Step> = fresh.steps.iter().map(|s| (line(s), s)).collect();
    let mut msg = String::from(
        "the saved plan is stale: live AWS or the stack's files changed since it was made, so it was not applied\n",
    );
    for l in saved_lines.keys().filter(|l| !fresh_lines.contains_key(*l)) {
        msg.push_str(&format!("  saved plan only: {l}\n"));
    }
    for l in fresh_lines.keys().filter(|l| !saved_lines.contains_key(*l)) {
        msg.push_str(&format!("  needed now:      {l}\n"));
    }
    // The same line, another step: what differs is not shown in a plan (a live identifier, the
    // order of the steps).
    for (l, s) in &saved_lines {
        if let Some(f) = fresh_lines.get(l)
            && portable(s) != portable(f)
        {
            msg.push_str(&format!(
                "  changed unseen:  {l} (a live value the plan does not show, such as an id)\n"
            ));
        }
    }
    if saved.ids != fresh.ids {
        msg.push_str(
            "  live identifiers or revisions changed (someone else wrote to these resources)\n",
        );
    }
    crate::bail_hint!("{}", msg.trim_end(); hint = "run `stackctl plan --out FILE` again and review it")
}

/// A step as it compares across checkouts: its package by hash, not by path.
fn portable(s: &Step) -> Step {
    let mut s = s.clone();
    if let Some(p) = &mut s.package {
        p.path = Default::default();
    }
    s
}

/// A step in one line: action, type, name and its changes (secrets masked).
fn line(s: &Step) -> String {
    let changes: Vec<String> = s
        .changes
        .iter()
        .map(|c| {
            let show = |v: &Option<String>| match (v, c.sensitive) {
                (None, _) => "(none)".to_string(),
                (Some(_), true) => "(sensitive)".to_string(),
                (Some(v), false) => v.clone(),
            };
            format!("{}: {} → {}", c.attribute, show(&c.before), show(&c.after))
        })
        .collect();
    format!(
        "{} {} {} [{}]",
        s.action.symbol(),
        s.kind.as_str(),
        s.name,
        changes.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::diff;
    use crate::model::Resource;
    use crate::model::fixtures::function;
    use crate::package::PackageRef;

    /// A plan changing function `s-a`'s memory, its package at `path`.
    fn plan(path: &str, memory_mb: i32) -> Plan {
        let live = function("s-a");
        let desired = crate::model::Function {
            memory_mb,
            ..live.clone()
        };
        let mut steps = crate::plan::build(diff(
            &[Resource::Function(desired)],
            &[Resource::Function(live)],
            &Default::default(),
        ))
        .unwrap();
        let package = PackageRef {
            path: path.into(),
            sha256: "x".into(),
        };
        super::super::attach(&mut steps, &[], &BTreeMap::from([("s-a".into(), package)]));
        crate::model::fixtures::plan(steps, Default::default())
    }

    /// The checkout moved between `plan --out` and `apply`: the same steps, the same package
    /// bytes, read from where the fresh plan wrote them.
    #[test]
    fn a_saved_plan_applies_from_a_moved_checkout_with_the_packages_written_now() {
        let saved = plan("/ci/job-1/.stackctl/packages/s-a.zip", 256);
        let fresh = plan("/ci/job-2/.stackctl/packages/s-a.zip", 256);
        let applied = check_saved(saved, &fresh).unwrap();
        assert_eq!(applied.steps, fresh.steps);
    }

    /// Whatever differs is named, also when it is nothing the plan shows.
    #[test]
    fn a_stale_plan_names_every_difference() {
        let fresh = plan("/p/s-a.zip", 256);
        let err = check_saved(plan("/p/s-a.zip", 512), &fresh).unwrap_err();
        let text = crate::render::error_text(&err, false);
        assert!(
            text.contains("saved plan only: ~ function s-a [memory_mb: 128 → 512]"),
            "{text}"
        );
        assert!(
            text.contains("needed now:      ~ function s-a [memory_mb: 128 → 256]"),
            "{text}"
        );

        let mut saved = fresh.clone();
        saved.steps[0].package.as_mut().unwrap().sha256 = "y".into();
        let err = check_saved(saved, &fresh).unwrap_err();
        let text = crate::render::error_text(&err, false);
        assert!(text.contains("changed unseen:  ~ function s-a"), "{text}");
    }
}
