//! `package.json` → production `node_modules`, installed in a build copy so the source directory
//! (and any `node_modules` a developer has there, dev dependencies included) is never touched:
//! `npm ci --omit=dev` with a lockfile (exactly the locked versions), else
//! `npm install --omit=dev`.

use super::{BuildError, run, tail};
use crate::config::FunctionConfig;
use crate::model::Architecture;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The files npm reads; copied into the build directory, then removed from the installed tree
/// (the function's own copies go on top).
const INPUTS: [&str; 3] = ["package.json", "package-lock.json", ".npmrc"];

/// npm's arguments: `ci` when there is a lockfile, `install` otherwise. `--os`, `--cpu` and
/// `--libc` choose the optional dependencies published per platform (esbuild's, sharp's, …)
/// for Lambda's Linux rather than this machine; addons compiled at install time (node-gyp)
/// still build for this machine.
pub fn npm_args(locked: bool, architecture: Architecture) -> Vec<&'static str> {
    let verb = if locked { "ci" } else { "install" };
    let cpu = match architecture {
        Architecture::X86_64 => "--cpu=x64",
        Architecture::Arm64 => "--cpu=arm64",
    };
    vec![
        verb,
        "--omit=dev",
        "--os=linux",
        cpu,
        "--libc=glibc",
        "--no-audit",
        "--no-fund",
        "--no-progress",
        "--loglevel=error",
    ]
}

/// Installs `f`'s production dependencies under `scratch`; returns the installed tree (a
/// directory holding `node_modules`).
pub fn install(f: &FunctionConfig, scratch: &Path) -> Result<PathBuf, BuildError> {
    let build = scratch.join("node");
    let io = |e: std::io::Error| {
        BuildError::new(
            format!("cannot prepare the npm build directory: {e}"),
            "check the permissions of .stackctl/",
        )
    };
    std::fs::create_dir_all(&build).map_err(io)?;
    for name in INPUTS {
        let from = f.source.join(name);
        if from.is_file() {
            std::fs::copy(&from, build.join(name)).map_err(io)?;
        }
    }
    let locked = f.source.join("package-lock.json").is_file();
    let mut cmd = Command::new("npm");
    cmd.args(npm_args(locked, f.architecture))
        .current_dir(&build);
    let out = run(
        cmd,
        "npm",
        "package.json needs npm: install Node.js with npm (e.g. `apt-get install npm`), or remove package.json",
    )?;
    if !out.status.success() {
        return Err(explain(locked, &out.stderr));
    }
    for name in INPUTS {
        let _ = std::fs::remove_file(build.join(name));
    }
    Ok(build)
}

/// Turns npm's failure into an error naming the package and the fix.
fn explain(locked: bool, stderr: &[u8]) -> BuildError {
    let text = String::from_utf8_lossy(stderr);
    if let Some(url) = text
        .lines()
        .find_map(|l| l.split("404 Not Found - GET ").nth(1))
    {
        let package = url
            .split_whitespace()
            .next()
            .unwrap_or(url)
            .rsplit('/')
            .next()
            .unwrap_or(url)
            .replace("%2f", "/")
            .replace("%2F", "/");
        return BuildError::new(
            format!(
                "npm found no package {package} in the registry{}",
                tail(stderr)
            ),
            format!("check the name of {package} in package.json"),
        );
    }
    if locked && text.contains("in sync") {
        return BuildError::new(
            format!(
                "package.json and package-lock.json are not in sync{}",
                tail(stderr)
            ),
            "run `npm install` in the function's directory to update package-lock.json",
        );
    }
    BuildError::new(
        format!(
            "npm {} failed:{}",
            if locked { "ci" } else { "install" },
            tail(stderr)
        ),
        "fix package.json (try `npm install --omit=dev` by hand); stackctl changed nothing in AWS",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockfile_means_ci_and_errors_name_the_package() {
        assert_eq!(npm_args(true, Architecture::X86_64)[0], "ci");
        assert_eq!(npm_args(false, Architecture::X86_64)[0], "install");
        assert!(npm_args(true, Architecture::X86_64).contains(&"--omit=dev"));
        assert!(npm_args(true, Architecture::Arm64).contains(&"--cpu=arm64"));
        let e = explain(
            false,
            b"npm error code E404\nnpm error 404 Not Found - GET https://registry.npmjs.org/no-such-pkg-x - Not found\n",
        );
        assert!(e.message.contains("no package no-such-pkg-x"), "{e:?}");
    }
}
