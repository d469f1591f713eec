//! A function's package with its dependencies: `requirements.txt` (pip) or `package.json` (npm)
//! in the source directory are installed for the function's runtime and architecture into a
//! cache under `.stackctl/` next to stack.toml, then zipped with the function's own files on top.
//!
//! The cache key is a hash of the dependency files, the runtime and the architecture, so a plan
//! whose dependency files did not change starts no installer and yields the same `CodeSha256`;
//! the zip is deterministic (see [`crate::package`]), so the same lockfile gives the same bytes
//! on any machine. Everything here runs before any AWS call.

pub mod command;
mod node;
mod python;
pub mod sizes;

use crate::config::{FunctionConfig, StackConfig};
use crate::package::{Package, Tree, package_trees};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The directory next to stack.toml that holds stackctl's local files (git-ignored).
pub const STATE_DIR: &str = ".stackctl";
/// Bump when the layout of an installed tree changes, so old caches are not reused.
const CACHE_FORMAT: &str = "stackctl-deps-1";

/// A dependency build failed: what went wrong (naming the package where known) and what to do.
pub use crate::error::Hinted as BuildError;

/// Which installer a source needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Installer {
    /// `requirements.txt` with a `python*` runtime.
    Pip,
    /// `package.json` with a `nodejs*` runtime.
    Npm,
}

impl Installer {
    pub fn manifest(self) -> &'static str {
        match self {
            Installer::Pip => "requirements.txt",
            Installer::Npm => "package.json",
        }
    }
}

/// The dependencies of one function, installed (or found in the cache).
#[derive(Debug, Clone)]
pub struct Deps {
    pub installer: Installer,
    /// The installed tree, zipped under the function's own files.
    pub dir: PathBuf,
    /// Found in the cache: no installer ran.
    pub cached: bool,
    /// How long the install took (zero when cached).
    pub took: Duration,
}

/// A function's package and, when it has any, its dependencies.
pub struct Built {
    pub package: Package,
    pub deps: Option<Deps>,
}

/// The installer `f` needs, if its source has a dependency file its runtime uses.
pub fn installer(f: &FunctionConfig) -> Option<Installer> {
    if f.runtime.starts_with("python") && f.source.join("requirements.txt").is_file() {
        Some(Installer::Pip)
    } else if f.runtime.starts_with("nodejs") && f.source.join("package.json").is_file() {
        Some(Installer::Npm)
    } else {
        None
    }
}

/// Builds function `key` of `config`: installs its dependencies unless cached, then zips them
/// with its own files. Errors: a failed or impossible install ([`BuildError`]), unreadable files,
/// or a zip over Lambda's limits (50 MB zipped, 250 MB unzipped, naming the biggest contributors).
pub fn build(config: &StackConfig, key: &str) -> anyhow::Result<Built> {
    let f = &config.functions[key];
    let deps = match installer(f) {
        Some(installer) => Some(install(config, key, f, installer)?),
        None => None,
    };
    let own_skip = |rel: &str| {
        rel == STATE_DIR
            || INSTALLER_CONFIG.contains(&rel)
            || (deps.is_some() && f.runtime.starts_with("nodejs") && rel == "node_modules")
    };
    let mut trees = Vec::new();
    let dep_skip = |rel: &str| skip_installed(rel);
    if let Some(d) = &deps {
        trees.push(Tree {
            dir: &d.dir,
            skip: &dep_skip,
        });
    }
    trees.push(Tree {
        dir: &f.source,
        skip: &own_skip,
    });
    let package = package_trees(&trees)?;
    sizes::check_limits(&package, deps.as_ref(), &f.source)?;
    Ok(Built { package, deps })
}

/// The package managers' own settings at the top of a source directory: read by the install,
/// never shipped, since they commonly hold registry credentials (`//registry…/:_authToken=`).
const INSTALLER_CONFIG: [&str; 4] = [".npmrc", ".yarnrc", ".pypirc", "pip.conf"];

/// Installed files that do not belong in a Lambda package: pip's console scripts (their
/// shebang names this machine's Python, which breaks reproducibility and cannot run on
/// Lambda) and npm's `.bin` links.
fn skip_installed(rel: &str) -> bool {
    rel == "bin" || rel.ends_with("node_modules/.bin")
}

/// The cache directory for a dependency set: `.stackctl/deps/<hash>`.
fn cache_dir(config: &StackConfig, hash: &str) -> PathBuf {
    state_dir(config).join("deps").join(hash)
}

/// `.stackctl/` next to the stack file, created with a `.gitignore` that ignores all of it.
pub fn state_dir(config: &StackConfig) -> PathBuf {
    config
        .path
        .parent()
        .unwrap_or(Path::new("."))
        .join(STATE_DIR)
}

/// [`state_dir`], created (with its `.gitignore`) if missing.
pub fn ensure_state_dir(config: &StackConfig) -> Result<PathBuf, BuildError> {
    let dir = state_dir(config);
    let io = |e: std::io::Error| {
        BuildError::new(
            format!("cannot create {}: {e}", dir.display()),
            "stackctl keeps its build cache there; check the directory's permissions",
        )
    };
    std::fs::create_dir_all(dir.join("deps")).map_err(io)?;
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        std::fs::write(
            &ignore,
            "# stackctl's build cache: safe to delete, never commit.\n*\n",
        )
        .map_err(io)?;
    }
    Ok(dir)
}

/// The hash that names a dependency set: the installer's input files, runtime, architecture.
fn cache_key(f: &FunctionConfig, installer: Installer) -> Result<String, BuildError> {
    let mut h = Sha256::new();
    h.update(CACHE_FORMAT);
    h.update([0]);
    h.update(&f.runtime);
    h.update([0]);
    h.update(f.architecture.as_str());
    let inputs: &[&str] = match installer {
        Installer::Pip => &["requirements.txt"],
        Installer::Npm => &["package.json", "package-lock.json", ".npmrc"],
    };
    for name in inputs {
        let path = f.source.join(name);
        h.update([0]);
        h.update(name);
        if path.is_file() {
            let bytes = std::fs::read(&path).map_err(|e| {
                BuildError::new(
                    format!("cannot read {}: {e}", path.display()),
                    "check its permissions",
                )
            })?;
            h.update([1]);
            h.update(&bytes);
        }
    }
    Ok(crate::model::hex(&h.finalize()[..8]))
}

/// The cached tree for `f`'s dependencies, installing it first when it is not there.
fn install(
    config: &StackConfig,
    key: &str,
    f: &FunctionConfig,
    installer: Installer,
) -> Result<Deps, BuildError> {
    let hash = cache_key(f, installer)?;
    let dir = cache_dir(config, &hash);
    if dir.is_dir() {
        return Ok(Deps {
            installer,
            dir,
            cached: true,
            took: Duration::ZERO,
        });
    }
    let state = ensure_state_dir(config)?;
    // Install into a scratch directory beside the cache, then rename it into place: a cache
    // entry either is complete or does not exist, whatever interrupts the install.
    let scratch = tempfile::Builder::new()
        .prefix("install-")
        .tempdir_in(&state)
        .map_err(|e| {
            BuildError::new(
                format!(
                    "cannot create a build directory in {}: {e}",
                    state.display()
                ),
                "check the directory's permissions",
            )
        })?;
    let started = Instant::now();
    crate::report::emit(crate::report::Event::Installing {
        function: key.to_string(),
        manifest: installer.manifest().to_string(),
        runtime: f.runtime.to_string(),
        architecture: f.architecture.as_str().to_string(),
    });
    let tree = match installer {
        Installer::Pip => python::install(f, scratch.path())?,
        Installer::Npm => node::install(f, scratch.path())?,
    };
    let took = started.elapsed();
    match std::fs::rename(&tree, &dir) {
        Ok(()) => {}
        // Another function with the same dependencies finished first: use its tree.
        Err(_) if dir.is_dir() => {}
        Err(e) => {
            return Err(BuildError::new(
                format!(
                    "cannot move the installed dependencies to {}: {e}",
                    dir.display()
                ),
                "check the permissions of .stackctl/, or delete it and run again",
            ));
        }
    }
    crate::report::emit(crate::report::Event::Installed {
        function: key.to_string(),
        took,
    });
    Ok(Deps {
        installer,
        dir,
        cached: false,
        took,
    })
}

/// Runs an installer command, capturing its output. A missing program is a [`BuildError`]
/// saying how to get it.
fn run(
    mut cmd: std::process::Command,
    program: &str,
    get_it: &str,
) -> Result<std::process::Output, BuildError> {
    cmd.stdin(std::process::Stdio::null());
    cmd.output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            BuildError::new(
                format!("{program} was not found on PATH"),
                get_it.to_string(),
            )
        } else {
            BuildError::new(format!("cannot run {program}: {e}"), get_it.to_string())
        }
    })
}

/// The last lines of an installer's error output, indented, for an error message.
fn tail(output: &[u8]) -> String {
    let text = String::from_utf8_lossy(output);
    let lines: Vec<&str> = text
        .lines()
        // Blank lines, npm's blank prefixed lines, and pip's warning about running as root.
        .filter(|l| {
            !matches!(l.trim(), "" | "npm error" | "npm ERR!")
                && !l.contains("Running pip as the 'root' user")
        })
        .collect();
    lines[lines.len().saturating_sub(12)..]
        .iter()
        .map(|l| format!("\n    {l}"))
        .collect()
}
