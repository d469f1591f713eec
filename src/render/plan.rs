//! The plan as text (steps, changed attributes before → after, a summary line) and as JSON.

use super::*;

fn action_style(action: Action) -> Style {
    match action {
        Action::Create => Style::new().green(),
        Action::Update => Style::new().yellow(),
        Action::Replace => Style::new().magenta(),
        Action::Delete => Style::new().red(),
    }
}

fn value(v: &Option<String>, sensitive: bool) -> String {
    match (v, sensitive) {
        (None, _) => "(none)".into(),
        (Some(_), true) => "(sensitive)".into(),
        (Some(v), false) => v.clone(),
    }
}

fn change_line(action: Action, c: &AttrChange, width: usize) -> String {
    let name = format!("{:width$}", c.attribute);
    if let (Action::Update | Action::Replace, false, Some(before), Some(after)) =
        (action, c.sensitive, &c.before, &c.after)
        && let Some(diff) = json_diff(before, after)
    {
        return format!("      {name}   (JSON, - before, + after)\n{diff}");
    }
    match action {
        Action::Create => format!("      {name} = {}", value(&c.after, c.sensitive)),
        Action::Delete => format!("      {name} = {}", value(&c.before, c.sensitive)),
        _ => format!(
            "      {name}   {} → {}",
            value(&c.before, c.sensitive),
            value(&c.after, c.sensitive)
        ),
    }
}

/// Two JSON documents (an IAM policy) as a line diff of their pretty-printed forms: a policy is
/// one long line otherwise, and the change in it hard to see. `None` unless both are objects.
fn json_diff(before: &str, after: &str) -> Option<String> {
    let pretty = |text: &str| match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v @ serde_json::Value::Object(_)) => serde_json::to_string_pretty(&v).ok(),
        _ => None,
    };
    let (before, after) = (pretty(before)?, pretty(after)?);
    let diff = similar::TextDiff::from_lines(&before, &after);
    let mut out = String::new();
    for change in diff.iter_all_changes() {
        let (sign, styled) = match change.tag() {
            similar::ChangeTag::Delete => ("-", Style::new().red()),
            similar::ChangeTag::Insert => ("+", Style::new().green()),
            similar::ChangeTag::Equal => (" ", Style::new()),
        };
        let line = format!("        {sign} {}", change.value().trim_end_matches('\n'));
        out.push_str(&styled.apply_to(line).to_string());
        out.push('\n');
    }
    Some(out.trim_end_matches('\n').to_string())
}

fn step_header(step: &Step) -> String {
    let s = action_style(step.action);
    let wide = if step.account_wide {
        format!(" {}", style("(account-wide)").cyan())
    } else {
        String::new()
    };
    format!(
        "  {} {} {}{}",
        s.apply_to(format!("{:>3}", step.action.symbol())),
        step.kind.as_str(),
        style(&step.name).bold(),
        wide
    )
}

/// The plan as text: one block per step, changed attributes before → after, and a summary line.
/// `, profile dev, endpoint http://…`: where the plan was read, when it is not the default.
fn place(plan: &Plan) -> String {
    let mut out = String::new();
    if let Some(p) = &plan.profile {
        out.push_str(&format!(", profile {p}"));
    }
    if let Some(e) = &plan.endpoint {
        out.push_str(&format!(", endpoint {e}"));
    }
    out
}

pub fn plan_text(plan: &Plan) -> String {
    let mut out = String::new();
    if plan.is_empty() {
        out.push_str(&format!(
            "No changes. Stack {} ({}, account {}{}) matches {}.\n",
            plan.stack,
            plan.region,
            plan.account,
            place(plan),
            plan.file
        ));
        return out;
    }
    out.push_str(&format!(
        "Stack {} in {} (account {}{}): {} step{}, in order.\n\n",
        style(&plan.stack).bold(),
        plan.region,
        plan.account,
        place(plan),
        plan.steps.len(),
        if plan.steps.len() == 1 { "" } else { "s" }
    ));
    for step in &plan.steps {
        out.push_str(&step_header(step));
        out.push('\n');
        // What a delete removes is named by its header; its old attributes are noise.
        let changes: &[AttrChange] = if step.action == Action::Delete {
            &[]
        } else {
            &step.changes
        };
        let width = changes.iter().map(|c| c.attribute.len()).max().unwrap_or(0);
        for c in changes {
            out.push_str(&change_line(step.action, c, width));
            out.push('\n');
        }
    }
    out.push('\n');
    out.push_str(&summary_line(plan));
    out.push('\n');
    if plan.steps.iter().any(|s| s.account_wide) {
        out.push_str(&format!(
            "{} steps marked account-wide change a setting every API in this account and region shares; destroy never undoes them.\n",
            style("Note:").cyan()
        ));
    }
    out
}

pub fn summary_line(plan: &Plan) -> String {
    let s = &plan.summary;
    format!(
        "Plan: {} to create, {} to update, {} to replace, {} to delete.",
        style(s.create).green(),
        style(s.update).yellow(),
        style(s.replace).magenta(),
        style(s.delete).red()
    )
}

/// What an apply did, once it succeeded.
pub fn applied_line(plan: &Plan) -> String {
    let s = &plan.summary;
    format!(
        "Apply complete: {} created, {} updated, {} replaced, {} deleted.",
        s.create, s.update, s.replace, s.delete
    )
}

/// The plan as one JSON object (documented in the README): secrets masked.
pub fn plan_json(plan: &Plan) -> serde_json::Value {
    let steps: Vec<serde_json::Value> = plan
        .steps
        .iter()
        .map(|s| {
            json!({
                "id": s.id,
                "action": s.action,
                "type": s.kind,
                "name": s.name,
                "account_wide": s.account_wide,
                "depends_on": s.depends_on,
                "changes": s.changes.iter().map(|c| json!({
                    "attribute": c.attribute,
                    "before": c.before.as_ref().map(|v| if c.sensitive { "(sensitive)" } else { v.as_str() }),
                    "after": c.after.as_ref().map(|v| if c.sensitive { "(sensitive)" } else { v.as_str() }),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "stack": plan.stack,
        "region": plan.region,
        "account": plan.account,
        "changes": !plan.is_empty(),
        "steps": steps,
        "summary": plan.summary,
        "conflicts": plan.conflicts,
    })
}

pub fn conflicts(list: &[Conflict]) -> String {
    let mut out = String::new();
    for c in list {
        out.push_str(&format!(
            "{} {}\n  = hint: {}\n",
            style("error:").red().bold(),
            c.message,
            c.hint
        ));
    }
    out
}

/// A plan as `stackctl plan` shows it: [`plan_text`] as text, [`plan_json`] (the documented
/// JSON plan format) with `--json`.
pub struct PlanView<'a>(pub &'a Plan);

impl std::fmt::Display for PlanView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&plan_text(self.0))
    }
}

impl serde::Serialize for PlanView<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        plan_json(self.0).serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_update_shows_the_changed_lines() {
        let c = AttrChange {
            attribute: "policy".into(),
            before: Some(r#"{"Statement":[{"Action":"logs:PutLogEvents","Effect":"Allow"}],"Version":"2012-10-17"}"#.into()),
            after: Some(r#"{"Statement":[{"Action":"logs:CreateLogStream","Effect":"Allow"}],"Version":"2012-10-17"}"#.into()),
            sensitive: false,
        };
        let text = console::strip_ansi_codes(&change_line(Action::Update, &c, 6)).to_string();
        let line = |sign: &str, content: &str| {
            text.lines()
                .any(|l| l.trim_start().starts_with(sign) && l.contains(content))
        };
        assert!(line("-", r#""Action": "logs:PutLogEvents","#), "{text}");
        assert!(line("+", r#""Action": "logs:CreateLogStream","#), "{text}");
        assert!(!line("-", "Version") && !line("+", "Version"), "{text}");
        let plain = AttrChange {
            attribute: "memory_mb".into(),
            before: Some("128".into()),
            after: Some("256".into()),
            sensitive: false,
        };
        assert_eq!(
            change_line(Action::Update, &plain, 9),
            "      memory_mb   128 → 256"
        );
    }
}
