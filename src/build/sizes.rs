//! What makes a package big: its size per installed package (and the function's own code), and
//! Lambda's size limits checked with the biggest contributors named.

use super::{BuildError, Deps, Installer};
use crate::package::{MAX_ZIP_BYTES, Package};
use std::collections::BTreeMap;
use std::path::Path;

/// Lambda's limit on a function's unzipped code (layers included; see
/// [`crate::live::layers::MAX_UNZIPPED_BYTES`]).
pub const MAX_UNZIPPED_BYTES: u64 = crate::live::layers::MAX_UNZIPPED_BYTES;

/// The label of the function's own files in a size breakdown.
pub const OWN_CODE: &str = "(function code)";

/// One line of a size breakdown: an installed package (`name version`) or [`OWN_CODE`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contributor {
    pub name: String,
    /// Unzipped bytes.
    pub bytes: u64,
}

/// The package's unzipped size by contributor, biggest first. With dependencies, the function's
/// own files (those in `source`) are [`OWN_CODE`]; without, each top-level entry is one line.
/// Python files are attributed
/// through each distribution's `*.dist-info/RECORD`; Node files by their `node_modules/<name>`
/// (nested dependencies count toward the package that pulled them in).
pub fn contributors(package: &Package, deps: Option<&Deps>, source: &Path) -> Vec<Contributor> {
    let records = match deps {
        Some(d) if d.installer == Installer::Pip => python_records(&d.dir),
        _ => BTreeMap::new(),
    };
    let mut by: BTreeMap<String, u64> = BTreeMap::new();
    for (name, bytes) in &package.files {
        let label = if deps.is_some() && source.join(name).is_file() {
            OWN_CODE.to_string()
        } else if let Some(dist) = records.get(name) {
            dist.clone()
        } else if let Some(module) = node_module(name) {
            let version = deps
                .map(|d| {
                    d.dir
                        .join("node_modules")
                        .join(&module)
                        .join("package.json")
                })
                .and_then(|p| std::fs::read(p).ok())
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                .and_then(|v| v["version"].as_str().map(str::to_string));
            match version {
                Some(v) => format!("{module} {v}"),
                None => module,
            }
        } else if name.starts_with("node_modules/") {
            // npm's own files, such as node_modules/.package-lock.json.
            "(npm metadata)".to_string()
        } else {
            name.split('/').next().unwrap_or(name).to_string()
        };
        *by.entry(label).or_default() += bytes;
    }
    let mut out: Vec<Contributor> = by
        .into_iter()
        .map(|(name, bytes)| Contributor { name, bytes })
        .collect();
    out.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.name.cmp(&b.name)));
    out
}

/// `node_modules/<name>` or `node_modules/@scope/<name>` of a path, if it is under one.
fn node_module(path: &str) -> Option<String> {
    let rest = path.strip_prefix("node_modules/")?;
    let mut parts = rest.split('/');
    let first = parts.next()?;
    if first.starts_with('@') {
        Some(format!("{first}/{}", parts.next()?))
    } else if rest.contains('/') {
        Some(first.to_string())
    } else {
        None
    }
}

/// File path → `name version`, from every `<name>-<version>.dist-info/RECORD` of a pip target.
fn python_records(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(stem) = file_name.strip_suffix(".dist-info") else {
            continue;
        };
        let label = match stem.rsplit_once('-') {
            Some((name, version)) => format!("{name} {version}"),
            None => stem.to_string(),
        };
        let record = std::fs::read_to_string(entry.path().join("RECORD")).unwrap_or_default();
        for line in record.lines() {
            if let Some(path) = line.split(',').next().filter(|p| !p.is_empty()) {
                out.insert(path.to_string(), label.clone());
            }
        }
    }
    out
}

/// Lambda's limits for a direct upload: 50 MB zipped, 250 MB unzipped. Errors name the five
/// biggest contributors.
pub fn check_limits(
    package: &Package,
    deps: Option<&Deps>,
    source: &Path,
) -> Result<(), BuildError> {
    let zipped = package.zip.len() as u64;
    let over = if zipped > MAX_ZIP_BYTES as u64 {
        Some(format!(
            "the package is {} zipped, over Lambda's 50 MB limit for a direct upload",
            human(zipped)
        ))
    } else if package.unzipped > MAX_UNZIPPED_BYTES {
        Some(format!(
            "the package unzips to {}, over Lambda's 250 MB limit",
            human(package.unzipped)
        ))
    } else {
        None
    };
    let Some(message) = over else { return Ok(()) };
    let biggest: Vec<String> = contributors(package, deps, source)
        .iter()
        .take(5)
        .map(|c| format!("{} ({})", c.name, human(c.bytes)))
        .collect();
    Err(BuildError::new(
        format!("{message}; biggest: {}", biggest.join(", ")),
        "drop or replace the biggest dependencies, move shared ones to a layer, and keep build output and tests out of the source directory",
    ))
}

/// `stackctl build`'s text for one function: where its dependencies came from, its size per
/// package, biggest first, and its totals. `zip_path`: where the zip was written.
pub fn report(
    key: &str,
    f: &crate::config::FunctionConfig,
    built: &super::Built,
    zip_path: &Path,
) -> String {
    let deps = match &built.deps {
        None => "no dependency file".to_string(),
        Some(d) => format!(
            "{} {} ({})",
            d.installer.manifest(),
            if d.cached {
                "from the cache".to_string()
            } else {
                format!("installed in {:.1} s", d.took.as_secs_f64())
            },
            d.dir.display()
        ),
    };
    let mut out = format!(
        "function {key} ({}, {}): {deps}\n",
        f.runtime,
        f.architecture.as_str()
    );
    let list = contributors(&built.package, built.deps.as_ref(), &f.source);
    let width = list.iter().map(|c| c.name.len()).max().unwrap_or(0);
    for c in &list {
        out.push_str(&format!("  {:<width$}  {:>10}\n", c.name, human(c.bytes)));
    }
    out.push_str(&format!(
        "  total: {} unzipped (limit 250 MB), {} zipped (limit 50 MB) → {}\n",
        human(built.package.unzipped),
        human(built.package.zip.len() as u64),
        zip_path.display()
    ));
    out
}

/// Bytes for people: `812 B`, `14.2 KB`, `3.4 MB` (powers of 1024, as Lambda's limits are).
pub fn human(bytes: u64) -> String {
    const KB: f64 = 1024.0;
    let b = bytes as f64;
    if b < KB {
        format!("{bytes} B")
    } else if b < KB * KB {
        format!("{:.1} KB", b / KB)
    } else {
        format!("{:.1} MB", b / (KB * KB))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_modules_are_grouped_by_package() {
        assert_eq!(
            node_module("node_modules/uuid/dist/index.js").as_deref(),
            Some("uuid")
        );
        assert_eq!(
            node_module("node_modules/@scope/pkg/a/b.js").as_deref(),
            Some("@scope/pkg")
        );
        assert_eq!(
            node_module("node_modules/a/node_modules/b/x.js").as_deref(),
            Some("a")
        );
        assert_eq!(node_module("node_modules/.package-lock.json"), None);
        assert_eq!(node_module("index.js"), None);
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(human(812), "812 B");
        assert_eq!(human(14 * 1024 + 200), "14.2 KB");
        assert_eq!(human(3 * 1024 * 1024 + 400 * 1024), "3.4 MB");
    }

    #[test]
    fn an_oversized_package_names_its_biggest_contributors() {
        let package = Package {
            zip: vec![0; 10],
            sha256: String::new(),
            unzipped: 300 * 1024 * 1024,
            files: vec![
                ("big/a.so".into(), 200 * 1024 * 1024),
                ("small/b.py".into(), 100 * 1024 * 1024),
            ],
        };
        let e = check_limits(&package, None, Path::new("/nonexistent")).unwrap_err();
        assert!(e.message.contains("over Lambda's 250 MB limit"), "{e:?}");
        assert!(
            e.message
                .contains("biggest: big (200.0 MB), small (100.0 MB)"),
            "{e:?}"
        );
    }
}
