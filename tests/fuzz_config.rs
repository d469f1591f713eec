//! Bounded fuzzing of stack.toml parse + validate with proptest: arbitrary text, mutations of a
//! valid file, and files generated from the schema with hostile values. Zero panics allowed;
//! whatever validates must respect AWS's ranges, and every refusal must point into the file.
//! Runs in `cargo test` (18,000 cases, seconds); `cargo test --test fuzz_config -- --nocapture`
//! prints the count and time.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use stackctl::config::StackConfig;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

const VALID: &str = include_str!("../examples/tutorial/stack.toml");

fn file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/tutorial/stack.toml")
}

/// Parses and validates; checks what came out either way. Adds 1 to `validated` if it validated.
fn check(text: &str, validated: &AtomicUsize) {
    match StackConfig::parse(&file(), text) {
        Ok(config) => {
            validated.fetch_add(1, Ordering::Relaxed);
            for f in config.functions.values() {
                assert!(
                    (128..=10240).contains(&f.memory_mb),
                    "memory {}",
                    f.memory_mb
                );
                assert!((1..=900).contains(&f.timeout_s), "timeout {}", f.timeout_s);
            }
            if let Some(api) = &config.api {
                for r in &api.routes {
                    assert!(r.path.starts_with('/'), "path {:?}", r.path);
                    assert!(!r.path.contains("//"), "path {:?}", r.path);
                    assert!(
                        config.functions.contains_key(&r.function),
                        "dangling {}",
                        r.function
                    );
                }
            }
        }
        Err(e) => {
            // The rendered error names the file with a line and column.
            let shown = e.to_string();
            assert!(shown.contains("stack.toml:"), "no location in:\n{shown}");
        }
    }
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

const TOKENS: &[&str] = &[
    "[",
    "]",
    "[[",
    "]]",
    "{",
    "}",
    "\"",
    "'",
    "=",
    ",",
    ".",
    "\n",
    " ",
    "#",
    "+",
    "/",
    "//",
    "{id}",
    "{proxy+}",
    "{a+}/b",
    "0",
    "-1",
    "99999999999999999999",
    "1e9",
    "true",
    "nan",
    "\u{0}",
    "\u{feff}",
    "é",
    "\\u0000",
    "[stack]",
    "[functions.x]",
    "[api]",
    "[api.cors]",
    "[[api.routes]]",
    "[import]",
    "name",
    "memory_mb",
    "timeout_s",
    "path",
    "methods",
    "function",
    "secrets",
    "environment",
    "source",
    "runtime",
    "handler",
    "\"\"\"",
];

#[test]
fn arbitrary_text_never_panics() {
    let start = Instant::now();
    let validated = AtomicUsize::new(0);
    runner(4000)
        .run(&".{0,400}", |text| {
            check(&text, &validated);
            Ok(())
        })
        .unwrap();
    println!(
        "FUZZ arbitrary text: 4000 cases in {:.1}s",
        start.elapsed().as_secs_f64()
    );
}

#[test]
fn mutations_of_a_valid_file_never_panic() {
    let start = Instant::now();
    let edit = (0..VALID.len(), 0usize..12, prop::sample::select(TOKENS));
    let validated = AtomicUsize::new(0);
    runner(10000)
        .run(&prop::collection::vec(edit, 1..6), |edits| {
            let mut text = VALID.to_string();
            for (at, cut, token) in edits {
                let mut at = at.min(text.len());
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                let mut end = (at + cut).min(text.len());
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                text.replace_range(at..end, token);
            }
            check(&text, &validated);
            Ok(())
        })
        .unwrap();
    let validated = validated.into_inner();
    println!(
        "FUZZ mutations: 10000 cases in {:.1}s, {validated} validated",
        start.elapsed().as_secs_f64()
    );
    // Mutations that leave a valid file valid must exist, or the valid branch was never checked.
    assert!(validated > 0, "no mutated file validated");
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        (-2i64..20000).prop_map(|n| n.to_string()),
        "\"[a-zA-Z0-9_{}+/.~ -]{0,20}\"",
        Just("true".to_string()),
        Just("[]".to_string()),
        Just("{}".to_string()),
        Just("1.5".to_string()),
    ]
}

fn path() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        "[a-z]{1,5}",
        Just("{id}".to_string()),
        Just("{proxy+}".to_string()),
        Just("{}".to_string()),
        Just("{a-b}".to_string()),
        Just("".to_string()),
        Just("a+".to_string()),
        Just("%20".to_string()),
    ];
    (
        prop::bool::ANY,
        prop::collection::vec(segment, 0..4),
        prop::bool::ANY,
    )
        .prop_map(|(lead, segs, trail)| {
            let mut p = segs.join("/");
            if lead {
                p.insert(0, '/');
            }
            if trail {
                p.push('/');
            }
            p
        })
}

#[test]
fn schema_shaped_files_with_hostile_values_never_panic() {
    let start = Instant::now();
    let validated = AtomicUsize::new(0);
    let function = (value(), value(), prop::bool::ANY, "[a-z_]{1,6}");
    let route = (
        path(),
        prop::collection::vec(
            prop::sample::select(&["GET", "POST", "HEAD", "ANY", "OPTIONS", "get", "FETCH"][..]),
            0..3,
        ),
        prop::sample::select(&["hello", "head", "nope"][..]),
    );
    runner(4000)
        .run(
            &(
                "[a-z][a-z0-9-]{0,40}",
                prop::collection::vec(function, 0..3),
                prop::collection::vec(route, 0..5),
            ),
            |(name, functions, routes)| {
                let mut text = format!("[stack]\nname = \"{name}\"\n");
                for (i, (memory, timeout, secret, env)) in functions.iter().enumerate() {
                    let key = ["hello", "head", "other"][i];
                    text.push_str(&format!(
                        "\n[functions.{key}]\nruntime = \"python3.12\"\nhandler = \"index.handler\"\n\
                         source = \"{key}\"\nmemory_mb = {memory}\ntimeout_s = {timeout}\n\
                         environment = {{ {env} = \"v\" }}\n"
                    ));
                    if *secret {
                        text.push_str(&format!("secrets = [\"{env}\", \"MISSING\"]\n"));
                    }
                }
                if !routes.is_empty() {
                    text.push_str("\n[api]\nstage = \"prod\"\n");
                }
                for (path, methods, function) in routes {
                    let methods: Vec<String> = methods.iter().map(|m| format!("\"{m}\"")).collect();
                    text.push_str(&format!(
                        "\n[[api.routes]]\npath = \"{path}\"\nmethods = [{}]\nfunction = \"{function}\"\n",
                        methods.join(", ")
                    ));
                }
                check(&text, &validated);
                Ok(())
            },
        )
        .unwrap();
    let validated = validated.into_inner();
    println!(
        "FUZZ schema-shaped: 4000 cases in {:.1}s, {validated} validated",
        start.elapsed().as_secs_f64(),
    );
    // The generator must reach valid files, or the checks on what validates never ran.
    assert!(validated > 0, "no generated file validated");
}
