//! CLI output as snapshots (insta): every command's --help, validate's located errors, and plan
//! rendering against LocalStack with ids, the account, the stack name and hashes filtered out.
//! After a deliberate change to output: `cargo insta review` (or INSTA_UPDATE=always) and commit.

use crate::support::*;
use clap::CommandFactory;
use std::path::{Path, PathBuf};
use std::process::Output;

/// An emulator nobody listens on: the offline commands must not need one.
fn offline() -> Emulator {
    Emulator {
        kind: Kind::LocalStack,
        endpoint: "http://127.0.0.1:1".into(),
    }
}

fn run_in(dir: &Path, emu: &Emulator, args: &[&str]) -> Output {
    stackctl_command(emu)
        .current_dir(dir)
        .env("COLUMNS", "100")
        .env_remove("STACKCTL_REGION")
        .args(args)
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn scratch(label: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let dir = std::env::temp_dir().join(format!(
        "stackctl-it-cli-{label}-{:x}",
        nanos ^ std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("hello")).unwrap();
    std::fs::write(
        dir.join("hello/index.js"),
        "exports.handler = async () => ({ statusCode: 200, body: \"hi\" });\n",
    )
    .unwrap();
    dir
}

#[test]
fn every_help_shows_an_example() {
    let root = stackctl::cli::Cli::command();
    let mut commands: Vec<Vec<String>> = vec![vec![]];
    commands.extend(
        root.get_subcommands()
            .map(|c| vec![c.get_name().to_string()]),
    );
    let dir = std::env::temp_dir();
    for args in commands {
        let mut full: Vec<&str> = args.iter().map(String::as_str).collect();
        full.push("--help");
        let out = run_in(&dir, &offline(), &full);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{}", text(&out));
        assert!(
            stdout.contains("Examples:\n  stackctl"),
            "`stackctl {}` shows no example:\n{stdout}",
            full.join(" ")
        );
        let name = if args.is_empty() {
            "help".to_string()
        } else {
            format!("help_{}", args[0])
        };
        insta::assert_snapshot!(name, stdout);
    }
}

#[test]
fn completions_are_generated_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef stackctl"),
        ("fish", "complete -c stackctl"),
    ] {
        let out = run_in(&std::env::temp_dir(), &offline(), &["completions", shell]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{}", text(&out));
        assert!(stdout.contains(marker), "{shell}: {stdout}");
        assert!(stdout.contains("import"), "{shell} completes subcommands");
    }
    let out = run_in(&std::env::temp_dir(), &offline(), &["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
}

const VALID: &str = r#"[stack]
name = "demo"

[functions.hello]
runtime = "nodejs24.x"
handler = "index.handler"
source = "hello"

[api]

[[api.routes]]
path = "/hello"
methods = ["POST"]
function = "hello"
"#;

#[test]
fn validate_errors_point_at_the_file() {
    let cases = [
        (
            "unknown_key",
            VALID.replace("source = \"hello\"", "source = \"hello\"\nmemroy_mb = 256"),
        ),
        (
            "bad_path",
            VALID.replace("path = \"/hello\"", "path = \"/items/{id\""),
        ),
        (
            "duplicate_route",
            VALID.to_string()
                + "\n[[api.routes]]\npath = \"/hello\"\nmethods = [\"GET\", \"POST\"]\nfunction = \"hello\"\n",
        ),
        (
            "missing_function",
            VALID.replace("function = \"hello\"", "function = \"greet\""),
        ),
    ];
    let dir = scratch("validate");
    let ok = {
        std::fs::write(dir.join("stack.toml"), VALID).unwrap();
        run_in(&dir, &offline(), &["validate"])
    };
    assert!(ok.status.success(), "{}", text(&ok));
    for (name, file) in cases {
        std::fs::write(dir.join("stack.toml"), file).unwrap();
        let out = run_in(&dir, &offline(), &["validate"]);
        assert_eq!(out.status.code(), Some(1), "{name}: {}", text(&out));
        insta::assert_snapshot!(format!("validate_{name}"), text(&out));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

const PLANNED: &str = r#"[stack]
name = "NAME"

[functions.hello]
runtime = "nodejs24.x"
handler = "index.handler"
source = "hello"
memory_mb = 256
environment = { GREETING = "hi", TOKEN = "s3cret" }
secrets = ["TOKEN"]

[api]
name = "NAME-api"
stage = "v1"

[api.cors]
allow_origin = "https://example.com"

[[api.routes]]
path = "/items/{id}"
methods = ["GET", "DELETE"]
function = "hello"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_rendering() {
    let emu = Emulator::get(Kind::LocalStack);
    let dir = scratch("plan");
    let name = dir
        .file_name()
        .unwrap()
        .to_string_lossy()
        .replace("stackctl-it-cli-", "");
    std::fs::write(dir.join("stack.toml"), PLANNED.replace("NAME", &name)).unwrap();
    let s = Stack {
        emu: emu.clone(),
        call_log: dir.join("calls.jsonl"),
        dir: dir.clone(),
        name: name.clone(),
    };
    let stack = regex_of(&name);
    let filters = [
        (stack.as_str(), "[stack]"),
        (r"\b\d{12}\b", "[account]"),
        (r"code_sha256(\s+)= \S+", "code_sha256$1= [sha]"),
        (r"\b[0-9a-f]{16}\b", "[model]"),
        (r"restapis/[0-9a-z]+", "restapis/[api-id]"),
    ];
    let create = text(&s.run(&["plan"]).output);
    s.apply();
    s.edit("memory_mb = 256", "memory_mb = 512");
    s.edit("\"s3cret\"", "\"n3w\"");
    s.edit("[\"GET\", \"DELETE\"]", "[\"GET\"]");
    let update = text(&s.run(&["plan"]).output);
    let conflict = text(&conflicting_plan(&emu, &name).await);
    s.destroy();
    insta::with_settings!({ filters => filters.to_vec() }, {
        insta::assert_snapshot!("plan_create", create);
        insta::assert_snapshot!("plan_update", update);
        insta::assert_snapshot!("plan_conflict", conflict);
    });
}

fn regex_of(literal: &str) -> String {
    literal.replace('-', r"\-")
}

/// A function made outside stackctl with the name a file wants: an untagged look-alike, which
/// the plan reports with a pointer to `stackctl import` instead of taking it over.
async fn conflicting_plan(emu: &Emulator, name: &str) -> Output {
    let dir = scratch("conflict");
    let other = format!("{name}x");
    let lambda = emu.lambda().await;
    lambda
        .create_function()
        .function_name(format!("{other}-hello"))
        .runtime(aws_sdk_lambda::types::Runtime::Nodejs20x)
        .handler("index.handler")
        .role("arn:aws:iam::000000000000:role/console-made")
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(
                    stackctl::package::package(&dir.join("hello"))
                        .unwrap()
                        .zip
                        .into(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    std::fs::write(
        dir.join("stack.toml"),
        format!(
            "[stack]\nname = \"{other}\"\n\n[functions.hello]\nruntime = \"nodejs24.x\"\nhandler = \"index.handler\"\nsource = \"hello\"\nrole = \"arn:aws:iam::000000000000:role/console-made\"\n"
        ),
    )
    .unwrap();
    let out = run_in(&dir, emu, &["plan"]);
    lambda
        .delete_function()
        .function_name(format!("{other}-hello"))
        .send()
        .await
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    out
}
