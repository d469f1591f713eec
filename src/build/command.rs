//! `stackctl build`: what plan and apply would package, built and written out, with sizes.

use super::{build, ensure_state_dir, sizes};
use crate::config::StackConfig;
use anyhow::{Context, Result};

/// Builds the functions named by key (all when `functions` is empty), writes each zip to
/// `.stackctl/build/<key>.zip`, and hands each function's report (see [`sizes::report`]) to
/// `print` as soon as it is built. Errors: an unknown key, a failed build (with its hint).
pub fn run(config: &StackConfig, functions: &[String], mut print: impl FnMut(&str)) -> Result<()> {
    for key in functions {
        if !config.functions.contains_key(key) {
            crate::bail_hint!(
                "no function {key:?} in {}", config.path.display();
                hint = "functions: {}",
                config
                    .functions
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    let out_dir = ensure_state_dir(config)?.join("build");
    for (key, f) in &config.functions {
        if !functions.is_empty() && !functions.contains(key) {
            continue;
        }
        let built = build(config, key).with_context(|| format!("cannot build function {key}"))?;
        std::fs::create_dir_all(&out_dir)
            .with_context(|| format!("cannot create {}", out_dir.display()))?;
        let zip = out_dir.join(format!("{key}.zip"));
        std::fs::write(&zip, &built.package.zip)
            .with_context(|| format!("cannot write {}", zip.display()))?;
        print(&sizes::report(key, f, &built, &zip));
    }
    Ok(())
}
