//! `requirements.txt` → `pip install --target`, for Lambda's platform rather than this machine's:
//! manylinux2014 wheels for the function's architecture and CPython version, binary wheels only
//! (pip never compiles for the wrong platform), no bytecode (Lambda compiles on first import).
//! This is the command the Lambda developer guide gives for packages with native code.

use super::{BuildError, run, tail};
use crate::config::FunctionConfig;
use crate::model::Architecture;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The `--python-version` of a runtime: `python3.12` → `3.12`.
pub fn python_version(runtime: &str) -> Option<&str> {
    runtime
        .strip_prefix("python")
        .filter(|v| v.contains('.') && v.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

/// The wheel platform tag Lambda's Amazon Linux accepts for an architecture.
pub fn platform(architecture: Architecture) -> &'static str {
    match architecture {
        Architecture::X86_64 => "manylinux2014_x86_64",
        Architecture::Arm64 => "manylinux2014_aarch64",
    }
}

/// The pip arguments for installing `f`'s requirements into `target`.
pub fn pip_args(f: &FunctionConfig, target: &Path) -> Result<Vec<String>, BuildError> {
    let version = python_version(&f.runtime).ok_or_else(|| {
        BuildError::new(
            format!(
                "cannot tell the Python version of runtime {:?} for pip",
                f.runtime
            ),
            "use a runtime such as \"python3.12\"",
        )
    })?;
    Ok([
        "-m",
        "pip",
        "install",
        "--requirement",
        "requirements.txt",
        "--target",
        &target.display().to_string(),
        "--platform",
        platform(f.architecture),
        "--implementation",
        "cp",
        "--python-version",
        version,
        "--only-binary=:all:",
        "--no-compile",
        "--no-input",
        "--disable-pip-version-check",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect())
}

/// Installs `f`'s requirements under `scratch`; returns the installed tree.
pub fn install(f: &FunctionConfig, scratch: &Path) -> Result<PathBuf, BuildError> {
    let target = scratch.join("python");
    let mut cmd = Command::new("python3");
    cmd.args(pip_args(f, &target)?)
        .current_dir(&f.source)
        .env("PIP_ROOT_USER_ACTION", "ignore");
    let out = run(
        cmd,
        "python3",
        "requirements.txt needs pip: install Python 3 with pip (e.g. `apt-get install python3-pip`), or remove requirements.txt",
    )?;
    if out.status.success() {
        return Ok(target);
    }
    Err(explain(f, &out.stderr))
}

/// Turns pip's failure into an error naming the package and the fix.
fn explain(f: &FunctionConfig, stderr: &[u8]) -> BuildError {
    let text = String::from_utf8_lossy(stderr);
    if text.contains("No module named pip") {
        return BuildError::new(
            "python3 has no pip module",
            "install pip (`apt-get install python3-pip` or `python3 -m ensurepip`), or remove requirements.txt",
        );
    }
    let platform = platform(f.architecture);
    if let Some(package) = text
        .lines()
        .find_map(|l| l.split("No matching distribution found for ").nth(1))
    {
        let package = package.trim();
        return BuildError::new(
            format!(
                "no wheel of {package} for {} on {platform} (pip --only-binary=:all:){}",
                f.runtime,
                tail(stderr)
            ),
            format!(
                "check the name and version of {package}; pin a version that publishes a {platform} wheel for this Python (or a pure-Python / abi3 one), or choose another architecture"
            ),
        );
    }
    BuildError::new(
        format!(
            "pip could not install {} of function source {}:{}",
            "requirements.txt",
            f.source.display(),
            tail(stderr)
        ),
        "fix requirements.txt (try the same pip command by hand); stackctl changed nothing in AWS",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_platforms() {
        assert_eq!(python_version("python3.12"), Some("3.12"));
        assert_eq!(python_version("python3.9"), Some("3.9"));
        assert_eq!(python_version("nodejs20.x"), None);
        assert_eq!(python_version("python3.x"), None);
        assert_eq!(platform(Architecture::Arm64), "manylinux2014_aarch64");
        assert_eq!(platform(Architecture::X86_64), "manylinux2014_x86_64");
    }
}
