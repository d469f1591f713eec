//! `stackctl init`: a new stack from a template compiled into the binary (templates/), a
//! stack.toml plus a handler that already answers as API Gateway's Lambda proxy expects.

use crate::config::is_stack_name;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// The handler's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Template {
    Node,
    Python,
}

impl Template {
    /// (path relative to the stack's directory, contents) of every file the template writes.
    fn files(self, name: &str) -> Vec<(&'static str, String)> {
        let (stack, handler_path, handler, deps): (_, _, _, &[(&str, &str)]) = match self {
            Template::Node => (
                include_str!("../templates/node/stack.toml"),
                "hello/index.js",
                include_str!("../templates/node/index.js"),
                &[
                    (
                        "hello/package.json",
                        include_str!("../templates/node/package.json"),
                    ),
                    (
                        "hello/package-lock.json",
                        include_str!("../templates/node/package-lock.json"),
                    ),
                ],
            ),
            Template::Python => (
                include_str!("../templates/python/stack.toml"),
                "hello/index.py",
                include_str!("../templates/python/index.py"),
                &[(
                    "hello/requirements.txt",
                    include_str!("../templates/python/requirements.txt"),
                )],
            ),
        };
        let mut files = vec![
            ("stack.toml", stack.replace("{{name}}", name)),
            (handler_path, handler.to_string()),
        ];
        files.extend(deps.iter().map(|(p, t)| (*p, t.to_string())));
        files
    }
}

/// What `init` wrote, for the command to report.
#[derive(Debug)]
pub struct Created {
    pub dir: PathBuf,
    pub name: String,
    pub files: Vec<PathBuf>,
    /// The directory name the stack name was made from, when `--name` was not given.
    pub named_after: Option<String>,
}

/// Writes the template into `dir` (created if missing). Refuses, writing nothing, when a file
/// it would write exists and `force` is off.
pub fn init(dir: &Path, template: Template, name: Option<&str>, force: bool) -> Result<Created> {
    let given = name;
    let name = match name {
        Some(n) if is_stack_name(n) => n.to_string(),
        Some(n) => {
            crate::bail_hint!("invalid stack name {n:?}"; hint = "use 1 to 32 lowercase letters, digits or '-', starting with a letter")
        }
        None => default_name(dir),
    };
    let files: Vec<(PathBuf, String)> = template
        .files(&name)
        .into_iter()
        .map(|(rel, text)| (dir.join(rel), text))
        .collect();
    let existing: Vec<String> = files
        .iter()
        .filter(|(p, _)| p.exists())
        .map(|(p, _)| p.display().to_string())
        .collect();
    if !existing.is_empty() && !force {
        crate::bail_hint!(
            "{} already exist{}; nothing was written",
            existing.join(", "),
            if existing.len() == 1 { "s" } else { "" };
            hint = "pass --force to overwrite, or choose another directory"
        );
    }
    for (path, text) in &files {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(Created {
        dir: dir.to_path_buf(),
        name,
        files: files.into_iter().map(|(p, _)| p).collect(),
        named_after: given.is_none().then(|| dir_base(dir)),
    })
}

/// The directory's name made a valid stack name: lowercase, runs of other characters as one
/// '-', starting with a letter, at most 32 characters.
pub fn default_name(dir: &Path) -> String {
    sanitise(&dir_base(dir))
}

/// The last component of the directory's absolute path.
fn dir_base(dir: &Path) -> String {
    std::path::absolute(dir)
        .ok()
        .and_then(|p| {
            p.components()
                .filter_map(|c| match c {
                    std::path::Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                    _ => None,
                })
                .next_back()
        })
        .unwrap_or_default()
}

pub fn sanitise(raw: &str) -> String {
    let mut out = String::new();
    for c in raw.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let start = out
        .find(|c: char| c.is_ascii_lowercase())
        .unwrap_or(out.len());
    let mut name: String = out[start..].chars().take(32).collect();
    while name.ends_with('-') {
        name.pop();
    }
    if name.is_empty() {
        "my-stack".to_string()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::StackConfig;

    #[test]
    fn directory_names_become_valid_stack_names() {
        assert_eq!(sanitise("My Project"), "my-project");
        assert_eq!(sanitise("2024_orders--API"), "orders-api");
        assert_eq!(sanitise("héllo wörld"), "h-llo-w-rld");
        assert_eq!(sanitise("___"), "my-stack");
        assert_eq!(sanitise("123"), "my-stack");
        let long = sanitise(&"abcdefghij-".repeat(5));
        assert!(long.len() <= 32 && is_stack_name(&long), "{long}");
        for raw in ["x", "A-b_C", "-lead", "trail-", "ünïcode"] {
            assert!(is_stack_name(&sanitise(raw)), "{raw}");
        }
    }

    #[test]
    fn every_template_is_a_valid_stack_file() {
        for template in [Template::Node, Template::Python] {
            let dir = std::env::temp_dir().join(format!(
                "stackctl-init-unit-{template:?}-{}",
                std::process::id()
            ));
            let _ = std::fs::remove_dir_all(&dir);
            let created = init(&dir, template, Some("demo"), false).unwrap();
            // stack.toml, the handler, and its dependency file(s) with one real dependency.
            let deps = match template {
                Template::Node => vec!["package.json", "package-lock.json"],
                Template::Python => vec!["requirements.txt"],
            };
            assert_eq!(created.files.len(), 2 + deps.len());
            for d in deps {
                assert!(dir.join("hello").join(d).is_file(), "{d}");
            }
            let config = StackConfig::load(&dir.join("stack.toml")).unwrap();
            assert_eq!(config.name, "demo");
            let api = config.api.unwrap();
            let cors = api.cors.unwrap();
            let allow = &config.functions["hello"].environment["ALLOW_ORIGIN"];
            assert_eq!(&cors.allow_origin, allow, "handler and CORS agree");
            let err = init(&dir, template, Some("demo"), false).unwrap_err();
            assert!(format!("{err:#}").contains("nothing was written"));
            init(&dir, template, Some("demo"), true).unwrap();
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }
}
