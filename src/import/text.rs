//! Writing the imported resources as stack.toml text.

use super::*;

/// A TOML string literal.
fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| q(i)).collect();
    format!("[{}]", quoted.join(", "))
}

pub(super) fn render(
    stack: &str,
    region: &str,
    functions: &[Function],
    api: Option<&Api>,
    keys: &BTreeMap<String, String>,
) -> String {
    use std::fmt::Write;
    let mut t = String::new();
    let w = &mut t;
    let _ = writeln!(
        w,
        "# Written by `stackctl import`: these resources as they were read. Run `stackctl plan`:\n\
         # it should show only the stack's tags to add (and what stackctl sets differently)."
    );
    let _ = writeln!(w, "\n[stack]\nname = {}\nregion = {}", q(stack), q(region));
    for f in functions {
        let _ = writeln!(w, "\n[functions.{}]", f.key);
        let _ = writeln!(w, "runtime = {}", q(&f.runtime));
        let _ = writeln!(w, "handler = {}", q(&f.handler));
        let _ = writeln!(w, "source = {}", q(&f.key));
        let _ = writeln!(w, "memory_mb = {}", f.memory_mb);
        let _ = writeln!(w, "timeout_s = {}", f.timeout_s);
        if !f.description.is_empty() {
            let _ = writeln!(w, "description = {}", q(&f.description));
        }
        if !f.environment.is_empty() {
            let pairs: Vec<String> = f
                .environment
                .iter()
                .map(|(k, v)| format!("{k} = {}", q(v)))
                .collect();
            let _ = writeln!(w, "environment = {{ {} }}", pairs.join(", "));
        }
        if let Some(days) = f.retention_days {
            let _ = writeln!(w, "log_retention_days = {days}");
        }
        if f.architecture != crate::model::Architecture::default() {
            let _ = writeln!(w, "architecture = {}", q(f.architecture.as_str()));
        }
        if !f.layers.is_empty() {
            let _ = writeln!(w, "layers = {}", list(&f.layers));
        }
        let _ = writeln!(
            w,
            "# The function keeps its own role: stackctl creates none for it.\nrole = {}",
            q(&f.role)
        );
    }
    if let Some(api) = api {
        let _ = writeln!(w, "\n[api]\nname = {}", q(&api.name));
        if let Some(stage) = &api.stage {
            let _ = writeln!(w, "stage = {}", q(stage));
        }
        let _ = writeln!(w, "logging = {}", q(&api.logging));
        if api.data_trace {
            let _ = writeln!(w, "data_trace = true");
        }
        if api.metrics {
            let _ = writeln!(w, "metrics = true");
        }
        if let Some(cors) = &api.cors {
            let _ = writeln!(w, "\n[api.cors]\nallow_origin = {}", q(&cors.origin));
            let _ = writeln!(w, "allow_headers = {}", list(&cors.headers));
            if let Some(methods) = &cors.methods {
                let _ = writeln!(w, "allow_methods = {}", list(methods));
            }
        }
        for r in &api.routes {
            let _ = writeln!(
                w,
                "\n[[api.routes]]\npath = {}\nmethods = {}\nfunction = {}",
                q(&r.path),
                list(&r.verbs),
                q(&keys[&r.function])
            );
        }
    }
    let _ = writeln!(
        w,
        "\n# Made outside stackctl: the live readers take these untagged resources as the stack's,\n\
         # and the next apply tags them. The hashes say the code in each source directory is the\n\
         # code Lambda runs, until you change it."
    );
    let _ = writeln!(w, "[import]");
    if let Some(api) = api {
        let _ = writeln!(w, "rest_api = {}", q(&api.id));
    }
    for f in functions {
        let _ = writeln!(
            w,
            "\n[import.functions.{}]\ncode_sha256 = {}\nsource_sha256 = {}",
            f.key,
            q(&f.code_sha256),
            q(&f.source_sha256)
        );
    }
    t
}
