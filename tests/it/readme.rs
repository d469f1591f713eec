//! The README as the front door: its first sample is compared line by line with what the tool
//! prints for the same commands, and its "Try it by hand" block is run as written (on MiniStack,
//! which must be on 127.0.0.1:4567: the block and `--local` use that address).

use crate::support::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn readme() -> String {
    std::fs::read_to_string(repo().join("README.md")).unwrap()
}

/// The first fenced block of `lang` after `from` in the README.
fn block(text: &str, from: &str, lang: &str) -> String {
    let start = text
        .find(from)
        .unwrap_or_else(|| panic!("README has no {from:?}"));
    let fence = format!("```{lang}\n");
    let open = start + text[start..].find(&fence).unwrap() + fence.len();
    let close = open + text[open..].find("```").unwrap();
    text[open..close].to_string()
}

fn unique_dir(label: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let dir = std::env::temp_dir().join(format!(
        "stackctl-it-readme-{label}-{:x}",
        nanos ^ std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn ministack_on_4567() {
    let emu = Emulator::get(Kind::MiniStack);
    assert_eq!(
        emu.endpoint.trim_end_matches('/'),
        "http://127.0.0.1:4567",
        "the README's commands use MiniStack on 127.0.0.1:4567"
    );
}

/// Nothing of the caller's AWS setup: what a new user has.
fn clean(cmd: &mut Command, home: &Path) {
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("NO_COLOR", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null());
}

/// Lines that vary from run to run: API ids.
fn normalise(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let line = match line.find("/restapis/") {
            Some(i) => {
                let rest = &line[i + "/restapis/".len()..];
                let end = rest.find('/').unwrap_or(rest.len());
                format!("{}/restapis/[id]{}", &line[..i], &rest[end..])
            }
            None => line.to_string(),
        };
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Every run of lines between `...` markers appears, in order and contiguous, in `actual`.
fn check_sample(command: &str, expected: &[&str], actual: &str) {
    let actual: Vec<&str> = actual.lines().collect();
    let mut at = 0;
    let mut anchored = true;
    let mut chunk: Vec<&str> = Vec::new();
    let mut chunks: Vec<(bool, Vec<&str>)> = Vec::new();
    for &line in expected {
        if line == "..." {
            if !chunk.is_empty() {
                chunks.push((anchored, std::mem::take(&mut chunk)));
            }
            anchored = false;
        } else {
            chunk.push(line);
        }
    }
    if !chunk.is_empty() {
        chunks.push((anchored, chunk));
    }
    for (anchored, chunk) in chunks {
        let found = (at..=actual.len().saturating_sub(chunk.len()))
            .take(if anchored { 1 } else { usize::MAX })
            .find(|&i| actual[i..].len() >= chunk.len() && actual[i..i + chunk.len()] == chunk[..]);
        let Some(i) = found else {
            panic!(
                "README sample of `{command}` is not what the tool prints.\nexpected (in order):\n{}\n--- actual:\n{}",
                chunk.join("\n"),
                actual[at..].join("\n")
            );
        };
        at = i + chunk.len();
    }
}

#[test]
fn the_first_sample_is_real_output() {
    ministack_on_4567();
    let dir = unique_dir("sample");
    let name = format!("rd{}", std::process::id() % 100_000);
    let home = dir.join("home");
    let stack_dir = dir.join("hello");
    let mut init = Command::new(env!("CARGO_BIN_EXE_stackctl"));
    clean(&mut init, &home);
    let out = init
        .args(["init", stack_dir.to_str().unwrap(), "--name", &name])
        .output()
        .unwrap();
    assert!(out.status.success());

    let text = readme();
    let sample = block(&text, "stackctl init hello", "console");
    let mut commands: Vec<(String, Vec<&str>)> = Vec::new();
    for line in sample.lines() {
        match line.strip_prefix("$ stackctl ") {
            Some(args) => commands.push((args.to_string(), Vec::new())),
            None => commands
                .last_mut()
                .expect("the sample starts with a command")
                .1
                .push(line),
        }
    }
    assert!(commands.len() >= 2, "{sample}");
    for (args, expected) in &commands {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_stackctl"));
        clean(&mut cmd, &home);
        let out = cmd
            .current_dir(&stack_dir)
            .args(args.split_whitespace())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "stackctl {args}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The sample shows stdout, with the stack named hello.
        let stdout = String::from_utf8_lossy(&out.stdout).replace(&name, "hello");
        let expected = normalise(&expected.join("\n"));
        let expected: Vec<&str> = expected.lines().collect();
        check_sample(args, &expected, &normalise(&stdout));
    }
    let mut destroy = Command::new(env!("CARGO_BIN_EXE_stackctl"));
    clean(&mut destroy, &home);
    let out = destroy
        .current_dir(&stack_dir)
        .args(["--local", "destroy", "--yes"])
        .output()
        .unwrap();
    assert!(out.status.success());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn try_it_by_hand_runs_as_written() {
    ministack_on_4567();
    let dir = unique_dir("by-hand");
    // Only the stack's directory is changed: a unique name, so parallel runs do not collide.
    let stack_dir = dir.join(format!("my-api-{}", std::process::id() % 100_000));
    let bin = Path::new(env!("CARGO_BIN_EXE_stackctl")).parent().unwrap();
    let script = block(&readme(), "## Try it by hand", "sh")
        .replace("$PWD/target/debug", bin.to_str().unwrap())
        .replace("my-api", stack_dir.to_str().unwrap());
    let mut cmd = Command::new("bash");
    clean(&mut cmd, &dir.join("home"));
    let out = cmd
        .current_dir(repo())
        .args(["-euo", "pipefail", "-c", &script])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the README's block failed:\n{script}\n--- stdout\n{stdout}--- stderr\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("All 3 checks passed."), "{stdout}");
    assert!(stdout.contains("Destroy complete."), "{stdout}");
    // The function it made answered (its log line) and is gone now, read with the SDK.
    let name = stack_dir.file_name().unwrap().to_str().unwrap().to_string();
    assert!(
        stdout.contains(&format!("{name}-hello  POST /hello")),
        "{stdout}"
    );
    let lambda = Emulator::get(Kind::MiniStack).lambda().await;
    let gone = lambda
        .get_function()
        .function_name(format!("{name}-hello"))
        .send()
        .await;
    assert!(
        gone.as_ref()
            .err()
            .and_then(|e| e.as_service_error())
            .is_some_and(|e| e.is_resource_not_found_exception()),
        "{gone:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
