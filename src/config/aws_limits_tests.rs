//! The AWS value tables, and `validate`'s messages for values AWS refuses (insta snapshots).

use super::*;
use crate::config::StackConfig;
use std::path::PathBuf;

/// A stack directory with one source directory `fn`, and `validate`'s output for `function`
/// (the body of `[functions.f]`) plus `extra`.
fn validate(function: &str, extra: &str) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!(
        "stackctl-limits-{}-{:x}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(dir.join("fn")).unwrap();
    std::fs::write(dir.join("fn/index.py"), "def handler(e, c): pass\n").unwrap();
    let text =
        format!("[stack]\nname = \"s\"\n\n[functions.f]\nsource = \"fn\"\n{function}\n{extra}");
    let path: PathBuf = dir.join("stack.toml");
    let out = StackConfig::parse(&path, &text)
        .map(|_| ())
        .map_err(|e| e.to_string().replace(&dir.display().to_string(), "DIR"));
    std::fs::remove_dir_all(&dir).unwrap();
    out
}

fn refused(function: &str) -> String {
    validate(function, "").expect_err(function)
}

#[test]
fn every_runtime_aws_accepts_today_validates() {
    for (runtime, handler) in [
        ("provided.al2023", "bootstrap"),
        ("provided.al2", "bootstrap"),
        ("java25", "example.Handler::handleRequest"),
        ("java21", "example.Handler::handleRequest"),
        ("java17", "example.Handler"),
        ("java11", "Handler::handleRequest"),
        ("java8.al2", "example.Handler::handleRequest"),
        ("dotnet10", "Api::Api.Function::Handler"),
        ("dotnet8", "Api::Api.Function::Handler"),
        ("dotnet8", "Api"),
        ("ruby4.0", "function.handler"),
        ("ruby3.4", "function.handler"),
        ("ruby3.3", "lib/function.handler"),
        ("ruby3.2", "function.handler"),
        ("nodejs24.x", "index.handler"),
        ("nodejs22.x", "src/index.handler"),
        ("nodejs20.x", "index.handler"),
        ("nodejs18.x", "index.handler"),
        ("python3.14", "app.handler"),
        ("python3.13", "app.handler"),
        ("python3.12", "pkg/app.lambda_handler"),
        ("python3.11", "app.handler"),
        ("python3.10", "app.handler"),
        ("python3.9", "app.handler"),
    ] {
        let f = format!("runtime = \"{runtime}\"\nhandler = \"{handler}\"");
        assert_eq!(validate(&f, ""), Ok(()), "{runtime} {handler}");
    }
}

#[test]
fn handler_formats_per_runtime() {
    use HandlerFormat::*;
    assert_eq!(handler_problem(FileFunction, "index.handler"), None);
    assert!(handler_problem(FileFunction, "index").is_some());
    assert!(handler_problem(FileFunction, "index.").is_some());
    assert!(handler_problem(FileFunction, ".handler").is_some());
    assert!(handler_problem(FileFunction, "index handler").is_some());
    assert!(handler_problem(FileFunction, &format!("{}.h", "a".repeat(127))).is_some());
    assert_eq!(
        handler_problem(JavaClass, "example.Handler::handleRequest"),
        None
    );
    assert!(handler_problem(JavaClass, "example.Handler::").is_some());
    assert!(handler_problem(JavaClass, "index.handler::x.y").is_some());
    assert_eq!(handler_problem(DotnetMethod, "A::B.C::D"), None);
    assert!(handler_problem(DotnetMethod, "A::B").is_some());
    assert_eq!(handler_problem(Any, "bootstrap"), None);
    assert!(handler_problem(Any, "").is_some());
}

#[test]
fn environment_size_counts_keys_and_values() {
    let key = |n: usize| format!("K{n:03}");
    // 4 bytes of key + 60 of value = 64 bytes a variable: 64 of them make exactly 4096.
    let env = |n: usize| {
        (0..n)
            .map(|i| format!("{} = \"{}\"", key(i), "v".repeat(60)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let f = |n| {
        format!(
            "runtime = \"python3.12\"\nhandler = \"app.handler\"\nenvironment = {{ {} }}",
            env(n)
        )
    };
    assert_eq!(validate(&f(64), ""), Ok(()));
    let out = refused(&f(65));
    assert!(
        out.contains("environment totals 4160 bytes, over Lambda's 4096"),
        "{out}"
    );
}

#[test]
fn api_resources_over_the_quota_are_refused() {
    let routes = |n: usize| {
        (0..n)
            .map(|i| {
                format!("[[api.routes]]\npath = \"/r{i}\"\nmethods = [\"GET\"]\nfunction = \"f\"\n")
            })
            .collect::<String>()
    };
    let f = "runtime = \"python3.12\"\nhandler = \"app.handler\"";
    assert_eq!(validate(f, &format!("[api]\n{}", routes(299))), Ok(()));
    let out = validate(f, &format!("[api]\n{}", routes(300))).unwrap_err();
    assert!(out.contains("301 API resources with the root"), "{out}");
    // An account whose quota AWS raised says so.
    let raised = format!("[api]\nresources_quota = 500\n{}", routes(300));
    assert_eq!(validate(f, &raised), Ok(()));
    let out = validate(f, &format!("[api]\nresources_quota = 0\n{}", routes(1))).unwrap_err();
    assert!(
        out.contains("resources_quota = 0 must be at least 1"),
        "{out}"
    );
}

#[test]
fn messages_for_values_aws_refuses() {
    let cases = [
        (
            "unknown_runtime",
            "runtime = \"cobol85\"\nhandler = \"index.handler\"",
        ),
        (
            "java_handler",
            "runtime = \"java21\"\nhandler = \"example.Handler::\"",
        ),
        (
            "python_handler",
            "runtime = \"python3.12\"\nhandler = \"app\"",
        ),
        (
            "reserved_env",
            "runtime = \"python3.12\"\nhandler = \"app.handler\"\nenvironment = { LAMBDA_RUNTIME_DIR = \"/x\" }",
        ),
        (
            "retention",
            "runtime = \"python3.12\"\nhandler = \"app.handler\"\nlog_retention_days = 10",
        ),
        (
            "memory",
            "runtime = \"python3.12\"\nhandler = \"app.handler\"\nmemory_mb = 64",
        ),
        (
            "timeout",
            "runtime = \"python3.12\"\nhandler = \"app.handler\"\ntimeout_s = 901",
        ),
    ];
    for (name, function) in cases {
        insta::assert_snapshot!(format!("refused_{name}"), refused(function));
    }
}
