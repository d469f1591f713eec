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
    let stderr = &without_usage(stderr);
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

/// npm's error output without the usage text it appends to a usage error (`npm ci` with a lock
/// file out of sync): the lines that say why ("Missing: uuid@9.0.0 from lock file") come before
/// it, and an excerpt of the last lines would show only the option list. Only npm's own usage
/// error (`code EUSAGE`) is cut: a failing install script's output, which npm repeats with the
/// same prefix, may hold a "Usage:" of its own after its cause.
fn without_usage(stderr: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text.lines().collect();
    if !lines.iter().any(|l| npm_text(l) == "code EUSAGE") {
        return stderr.to_vec();
    }
    let Some(usage) = lines.iter().position(|l| npm_text(l) == "Usage:") else {
        return stderr.to_vec();
    };
    let mut kept: Vec<&str> = lines[..usage].to_vec();
    while kept.last().is_some_and(|l| npm_text(l).is_empty()) {
        kept.pop();
    }
    // The command's one-line description ("Clean install a project") opens the usage text.
    kept.pop();
    kept.extend(
        lines
            .iter()
            .filter(|l| l.contains("A complete log of this run")),
    );
    kept.join("\n").into_bytes()
}

/// A line of npm's error output without its `npm error` (npm 9+) or `npm ERR!` prefix.
fn npm_text(line: &str) -> &str {
    line.trim_start_matches("npm error")
        .trim_start_matches("npm ERR!")
        .trim()
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

    #[test]
    fn an_out_of_sync_lock_file_shows_what_is_missing_not_npms_usage() {
        let out = "npm error code EUSAGE\nnpm error\nnpm error `npm ci` can only install packages when your package.json and package-lock.json are in sync.\nnpm error\nnpm error Missing: uuid@9.0.0 from lock file\nnpm error\nnpm error Clean install a project\nnpm error\nnpm error Usage:\nnpm error npm ci\nnpm error\nnpm error Options:\nnpm error [--install-strategy <hoisted|nested|shallow|linked>]\nnpm error\nnpm error Run \"npm help ci\" for more info\nnpm error A complete log of this run can be found in: /root/.npm/_logs/x-debug-0.log\n";
        let e = explain(true, out.as_bytes());
        assert!(e.message.contains("not in sync"), "{e:?}");
        assert!(
            e.message.contains("Missing: uuid@9.0.0 from lock file"),
            "{e:?}"
        );
        assert!(e.message.contains("A complete log of this run"), "{e:?}");
        for usage in [
            "Usage:",
            "Options:",
            "install-strategy",
            "Clean install a project",
        ] {
            assert!(!e.message.contains(usage), "{usage} in {e:?}");
        }
    }

    #[test]
    fn a_scripts_own_usage_text_is_kept_with_its_cause() {
        // npm 11's real output for a dependency whose install script fails printing its usage:
        // not npm's usage error (no `code EUSAGE`), so nothing is cut.
        let out = "npm error code 1\nnpm error path /tmp/npmrev/dep\nnpm error command failed\nnpm error command sh -c node install.js\nnpm error Error: libfoo 2.3 not found; set LIBFOO_DIR\nnpm error\nnpm error Usage:\nnpm error   LIBFOO_DIR=/path npm install dep\nnpm error A complete log of this run can be found in: /root/.npm/_logs/x-debug-0.log\n";
        let e = explain(false, out.as_bytes());
        for line in [
            "Error: libfoo 2.3 not found; set LIBFOO_DIR",
            "Usage:",
            "LIBFOO_DIR=/path npm install dep",
        ] {
            assert!(e.message.contains(line), "{line} not in {e:?}");
        }
    }
}
