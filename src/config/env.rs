//! Environments: `[env.NAME]` tables that overlay the rest of the file (`stackctl --env NAME`).
//!
//! The overlay is merged on the parsed document before it is deserialised, so every value keeps
//! the span it came from: a value set by `[env.prod]` is reported at its own line in the
//! `[env.prod]` table, a value inherited from the base at the base's line. Tables merge key by
//! key; arrays and scalars replace (the rule of Serverless' stages and SAM's config envs).

use super::Diagnostic;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// The top-level key holding the environments.
pub const ENV_KEY: &str = "env";

/// The stack name of environment `env` of stack `base`: `<base>-<env>`, so each environment has
/// its own tag value and physical names, and `destroy --env dev` never touches prod.
pub fn stack_name(base: &str, env: Option<&str>) -> String {
    match env {
        Some(e) => format!("{base}-{e}"),
        None => base.to_string(),
    }
}

/// The REST API's name in environment `env`: a name set in the file gets `-<env>` (unless it
/// already ends so), so environments never share an API name; the default `<stack>-api` already
/// carries the environment through the stack name.
pub fn api_name(name: String, env: Option<&str>) -> String {
    match env {
        Some(e) if !name.ends_with(&format!("-{e}")) => format!("{name}-{e}"),
        _ => name,
    }
}

/// An environment name: 1 to 16 lowercase letters, digits or '-', starting with a letter
/// (it becomes part of every physical name, so it stays short and name-safe).
pub fn is_env_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 16
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The environments a parsed document defines, sorted by name.
pub fn names(root: &DeTable<'_>) -> Vec<String> {
    match root.get(ENV_KEY).map(Spanned::get_ref) {
        Some(DeValue::Table(t)) => t.keys().map(|k| k.get_ref().to_string()).collect(),
        _ => Vec::new(),
    }
}

/// Removes `[env.*]` from `root` and, with `env`, merges that environment's table over the rest.
///
/// Errors (located): a file with environments used without `--env` (listing them), an unknown
/// environment, an invalid environment name, an environment that renames the stack, and an
/// `env` key that is not a table of tables.
pub fn overlay(root: &mut Spanned<DeTable<'_>>, env: Option<&str>) -> Result<(), Diagnostic> {
    let envs = root.get_mut().remove(ENV_KEY);
    let list = |names: &[String]| {
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    };
    let Some(envs) = envs else {
        return match env {
            None => Ok(()),
            Some(e) => Err(Diagnostic::new(
                format!("--env {e} given, but the file defines no environments"),
                0..0,
            )
            .hint(format!(
                "add an [env.{e}] table (it may be empty), or run without --env / STACKCTL_ENV"
            ))),
        };
    };
    let span = envs.span();
    let DeValue::Table(mut tables) = envs.into_inner() else {
        return Err(Diagnostic::new("env must be a table of environments", span)
            .hint("write one table per environment: [env.dev], [env.prod]"));
    };
    let names: Vec<String> = tables.keys().map(|k| k.get_ref().to_string()).collect();
    for (name, table) in tables.iter() {
        if !is_env_name(name.get_ref()) {
            return Err(Diagnostic::new(
                format!("invalid environment name {:?}", name.get_ref()),
                name.span(),
            )
            .hint("use 1 to 16 lowercase letters, digits or '-', starting with a letter"));
        }
        if !matches!(table.get_ref(), DeValue::Table(_)) {
            return Err(Diagnostic::new(
                format!("env.{} must be a table", name.get_ref()),
                table.span(),
            )
            .hint(
                "write the environment's overrides under [env.NAME], e.g. region = \"eu-west-1\"",
            ));
        }
    }
    if !names.is_empty()
        && let Some((key, _)) = root.get_ref().iter().find(|(k, _)| k.get_ref() == "import")
    {
        return Err(Diagnostic::new(
            "[import] at the top of a file with environments would adopt the same resources into every environment",
            key.span(),
        )
        .hint("move it under the one environment that adopts them: [env.NAME.import]"));
    }
    let Some(env) = env else {
        if names.is_empty() {
            // An empty [env] table defines no environment: the file works as without it.
            return Ok(());
        }
        let first = tables.keys().next().map_or(span.clone(), Spanned::span);
        return Err(Diagnostic::new(
            format!(
                "this file defines environments ({}): choose one with --env NAME",
                list(&names)
            ),
            first,
        )
        .hint(format!(
            "e.g. `stackctl --env {} plan` (or STACKCTL_ENV); without it nobody deploys the bare base by accident",
            names[0]
        )));
    };
    let Some(chosen) = tables.remove(env) else {
        return Err(Diagnostic::new(
            format!("no environment {env:?} in this file"),
            tables.keys().next().map_or(span, Spanned::span),
        )
        .hint(format!("the file defines: {}", list(&names))));
    };
    let DeValue::Table(mut chosen) = chosen.into_inner() else {
        unreachable!("checked above");
    };
    // `region` directly under [env.NAME] is shorthand for [stack] region.
    if let Some((key, region)) = chosen.remove_entry("region") {
        let stack = chosen
            .entry(Spanned::new(key.span(), "stack".into()))
            .or_insert_with(|| Spanned::new(key.span(), DeValue::Table(DeTable::new())));
        if let DeValue::Table(t) = stack.get_mut() {
            if let Some(other) = t.get("region") {
                return Err(Diagnostic::new(
                    format!("env.{env} sets the region twice"),
                    other.span(),
                )
                .hint("keep one of `region` and `stack.region`"));
            }
            t.insert(key, region);
        }
    }
    if let Some(DeValue::Table(stack)) = chosen.get("stack").map(Spanned::get_ref)
        && let Some(name) = stack.get("name")
    {
        return Err(
            Diagnostic::new(format!("env.{env} renames the stack"), name.span()).hint(format!(
                "an environment's stack is always `<stack>-{env}`; remove this key"
            )),
        );
    }
    new_functions_are_whole(root.get_ref(), &chosen, env)?;
    merge(root.get_mut(), chosen);
    Ok(())
}

/// An environment may add a function of its own, but then it gives it whole (`runtime` at least):
/// a table that only overrides keys of a function the file does not define is a misspelt key
/// (`[env.prod.functions.helo]` under `[functions.hello]`), named as that, not as a new function
/// missing its `runtime`.
fn new_functions_are_whole(
    base: &DeTable<'_>,
    chosen: &DeTable<'_>,
    env: &str,
) -> Result<(), Diagnostic> {
    let Some(DeValue::Table(overrides)) = chosen.get("functions").map(Spanned::get_ref) else {
        return Ok(());
    };
    let defined: Vec<String> = match base.get("functions").map(Spanned::get_ref) {
        Some(DeValue::Table(t)) => t.keys().map(|k| k.get_ref().to_string()).collect(),
        _ => Vec::new(),
    };
    for (key, table) in overrides {
        let whole = matches!(table.get_ref(), DeValue::Table(t) if t.contains_key("runtime"));
        if whole || defined.iter().any(|d| d == key.get_ref()) {
            continue;
        }
        let hint = if defined.is_empty() {
            "the file defines no function: an environment that adds one gives it runtime, handler and source".to_string()
        } else {
            format!(
                "{}; an environment that adds a function of its own gives it runtime, handler and source",
                super::plain::suggest(key.get_ref(), &defined, "the file's functions are")
            )
        };
        return Err(Diagnostic::new(
            format!(
                "env.{env} overrides function `{}`, which the file does not define",
                key.get_ref()
            ),
            key.span(),
        )
        .hint(hint));
    }
    Ok(())
}

/// Merges `over` into `base`: tables key by key (recursively), everything else replaces.
fn merge<'i>(base: &mut DeTable<'i>, over: DeTable<'i>) {
    for (key, value) in over {
        let into = base.get_mut(key.get_ref().as_ref());
        match (into, value.get_ref()) {
            (Some(existing), DeValue::Table(_))
                if matches!(existing.get_ref(), DeValue::Table(_)) =>
            {
                let DeValue::Table(over) = value.into_inner() else {
                    unreachable!("matched a table");
                };
                if let DeValue::Table(existing) = existing.get_mut() {
                    merge(existing, over);
                }
            }
            (Some(existing), _) => *existing = value,
            (None, _) => {
                base.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved<'a>(text: &'a str, env: Option<&str>) -> Result<Spanned<DeTable<'a>>, Diagnostic> {
        let mut root = DeTable::parse(text).unwrap();
        overlay(&mut root, env).map(|()| root)
    }

    fn get<'a>(t: &'a DeTable<'_>, path: &[&str]) -> &'a Spanned<DeValue<'a>> {
        let mut v = t.get(path[0]).unwrap();
        for p in &path[1..] {
            let DeValue::Table(inner) = v.get_ref() else {
                panic!("{p}: not a table")
            };
            v = inner.get(*p).unwrap();
        }
        v
    }

    const FILE: &str = r#"[stack]
name = "s"
region = "us-east-1"

[functions.api]
memory_mb = 128
environment = { A = "1", B = "2" }
layers = ["x", "y"]

[env.dev]
functions.api.memory_mb = 256

[env.prod]
region = "eu-west-1"
functions.api.environment = { B = "3" }
functions.api.layers = ["z"]
"#;

    #[test]
    fn tables_merge_key_by_key_and_values_keep_their_own_spans() {
        let root = resolved(FILE, Some("prod")).unwrap();
        let t = root.get_ref();
        let region = get(t, &["stack", "region"]);
        assert_eq!(region.get_ref().as_str(), Some("eu-west-1"));
        assert_eq!(&FILE[region.span()], "\"eu-west-1\"");
        // Environment tables merge: A from the base, B from prod.
        let env = get(t, &["functions", "api", "environment"]);
        let DeValue::Table(env) = env.get_ref() else {
            panic!()
        };
        assert_eq!(env.get("A").unwrap().get_ref().as_str(), Some("1"));
        assert_eq!(env.get("B").unwrap().get_ref().as_str(), Some("3"));
        // Arrays replace.
        let layers = get(t, &["functions", "api", "layers"]);
        assert_eq!(&FILE[layers.span()], "[\"z\"]");
        // The base value a prod override leaves alone keeps the base's span.
        let memory = get(t, &["functions", "api", "memory_mb"]);
        assert_eq!(super::super::diag::line_col(FILE, memory.span().start).0, 6);
        assert!(t.get(ENV_KEY).is_none());
    }

    #[test]
    fn import_belongs_to_one_environment() {
        let top = format!("{FILE}\n[import]\nrest_api = \"a1b2c3\"\n");
        let err = resolved(&top, Some("dev")).unwrap_err();
        assert!(err.message.contains("[import] at the top"), "{err:?}");
        let inside = format!("{FILE}\n[env.dev.import]\nrest_api = \"a1b2c3\"\n");
        let root = resolved(&inside, Some("dev")).unwrap();
        let api = get(root.get_ref(), &["import", "rest_api"]);
        assert_eq!(api.get_ref().as_str(), Some("a1b2c3"));
        let root = resolved(&inside, Some("prod")).unwrap();
        assert!(root.get_ref().get("import").is_none());
    }

    #[test]
    fn an_override_of_a_misspelt_function_is_named_as_that() {
        let typo = format!("{FILE}\n[env.dev.functions.apj]\nmemory_mb = 512\n");
        let err = resolved(&typo, Some("dev")).unwrap_err();
        assert!(
            err.message
                .contains("env.dev overrides function `apj`, which the file does not define"),
            "{err:?}"
        );
        assert_eq!(&typo[err.span.clone()], "apj");
        assert!(
            err.hint
                .as_deref()
                .unwrap_or_default()
                .starts_with("did you mean `api`?"),
            "{err:?}"
        );
        // A function an environment adds whole is its own.
        let added = format!(
            "{FILE}\n[env.dev.functions.worker]\nruntime = \"python3.12\"\nhandler = \"w.handler\"\nsource = \"w\"\n"
        );
        let root = resolved(&added, Some("dev")).unwrap();
        let runtime = get(root.get_ref(), &["functions", "worker", "runtime"]);
        assert_eq!(runtime.get_ref().as_str(), Some("python3.12"));
    }

    #[test]
    fn dev_override_points_at_its_own_line() {
        let root = resolved(FILE, Some("dev")).unwrap();
        let memory = get(root.get_ref(), &["functions", "api", "memory_mb"]);
        assert_eq!(
            super::super::diag::line_col(FILE, memory.span().start),
            (11, 27)
        );
    }

    #[test]
    fn environments_must_be_chosen_and_exist() {
        let e = resolved(FILE, None).unwrap_err();
        assert!(e.message.contains("(dev, prod)"), "{e:?}");
        assert!(e.message.contains("--env"), "{e:?}");
        let e = resolved(FILE, Some("staging")).unwrap_err();
        assert!(e.hint.unwrap().contains("dev, prod"));
        let plain = "[stack]\nname = \"s\"\n";
        assert!(resolved(plain, None).is_ok());
        assert!(resolved(plain, Some("dev")).is_err());
        let renamed = "[stack]\nname = \"s\"\n[env.dev]\nstack.name = \"t\"\n";
        let e = resolved(renamed, Some("dev")).unwrap_err();
        assert!(e.message.contains("renames the stack"), "{e:?}");
        assert!(resolved("[stack]\nname = \"s\"\n[env]\n", None).is_ok());
        let bad = "[stack]\nname = \"s\"\n[env.Dev]\n";
        let e = resolved(bad, Some("Dev")).unwrap_err();
        assert!(e.message.contains("invalid environment name"), "{e:?}");
    }

    #[test]
    fn names_and_stack_names() {
        let root = DeTable::parse(FILE).unwrap();
        assert_eq!(names(root.get_ref()), ["dev", "prod"]);
        assert_eq!(stack_name("s", Some("dev")), "s-dev");
        assert_eq!(stack_name("s", None), "s");
        assert_eq!(api_name("a".into(), Some("dev")), "a-dev");
        assert_eq!(api_name("a-dev".into(), Some("dev")), "a-dev");
        assert_eq!(api_name("a".into(), None), "a");
    }
}
