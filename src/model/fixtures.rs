//! Model values for unit tests: the smallest valid resources, to adjust with struct update syntax.

use super::*;

/// The tags of stack `s`.
pub fn tags() -> Tags {
    BTreeMap::from([(STACK_TAG.into(), "s".into())])
}

/// Function `name` of stack `s`: python3.12, 128 MB, 3 s, x86_64, role `<name>-exec`.
pub fn function(name: &str) -> Function {
    Function {
        name: name.into(),
        runtime: "python3.12".into(),
        handler: "index.handler".into(),
        memory_mb: 128,
        timeout_s: 3,
        description: String::new(),
        environment: BTreeMap::new(),
        role_arn: format!("arn:aws:iam::1:role/{name}-exec"),
        code_sha256: "x".into(),
        architecture: Architecture::X86_64,
        layers: Vec::new(),
        tracing: false,
        tags: tags(),
    }
}

/// A plan of stack `s` (us-east-1, account 123456789012, `stack.toml`) made of `steps`, with
/// the live ids `ids`.
pub fn plan(steps: Vec<crate::plan::Step>, ids: crate::live::Ids) -> crate::plan::Plan {
    crate::plan::Plan {
        format: crate::plan::PLAN_FORMAT,
        stack: "s".into(),
        region: "us-east-1".into(),
        account: "123456789012".into(),
        file: "stack.toml".into(),
        summary: crate::plan::summarize(&steps),
        steps,
        conflicts: Vec::new(),
        ids,
        stage: None,
        endpoint: None,
        profile: None,
    }
}
