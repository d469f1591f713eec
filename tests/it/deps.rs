//! Dependencies: requirements.txt (pip) and package.json (npm) installed for Lambda's platform,
//! cached under .stackctl/, zipped deterministically. Installs come from the package registries
//! this machine reaches; nothing is vendored in the repository. Installer processes are counted
//! with a PATH shim that records every `python3` and `npm` stackctl starts.

use crate::on_both;
use crate::smoke::http;
use crate::support::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A scratch stack of tests/fixtures/deps: a Python function importing requests (pure Python)
/// and bcrypt (a native cp39-abi3 wheel), and a Node function requiring uuid (locked).
fn deps_stack(emu: &Emulator, prefix: &str) -> Stack {
    let name = format!("{prefix}-{:08x}", fastrand::u32(..));
    let dir = std::env::temp_dir().join(format!("stackctl-it-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&repo().join("tests/fixtures/deps"), &dir);
    std::fs::write(
        dir.join("stack.toml"),
        format!(
            r#"[stack]
name = "{name}"

[functions.py]
runtime = "python3.11"
handler = "app.handler"
source = "py"

[functions.js]
runtime = "nodejs24.x"
handler = "index.handler"
source = "js"

[api]
name = "{name}-api"

[[api.routes]]
path = "/py"
methods = ["GET"]
function = "py"

[[api.routes]]
path = "/js"
methods = ["GET"]
function = "js"
"#
        ),
    )
    .unwrap();
    Stack {
        emu: emu.clone(),
        call_log: dir.join("calls.jsonl"),
        dir,
        name,
    }
}

/// A directory of `python3` and `npm` scripts that append their arguments to `log`, then run
/// the real program.
struct Shim {
    dir: tempfile::TempDir,
    log: PathBuf,
}

impl Shim {
    fn new() -> Shim {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("invocations.log");
        let python = String::from_utf8(
            Command::new("python3")
                .args(["-c", "import sys; print(sys.executable)"])
                .output()
                .expect("python3 is needed for the dependency tests")
                .stdout,
        )
        .unwrap();
        let npm = String::from_utf8(
            Command::new("sh")
                .args(["-c", "command -v npm"])
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap();
        assert!(
            !npm.trim().is_empty(),
            "npm is needed for the dependency tests"
        );
        for (name, real) in [("python3", python.trim()), ("npm", npm.trim())] {
            let path = dir.path().join(name);
            std::fs::write(
                &path,
                format!(
                    "#!/bin/sh\necho \"{name} $*\" >> '{}'\nexec '{real}' \"$@\"\n",
                    log.display()
                ),
            )
            .unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        Shim { dir, log }
    }

    fn path(&self) -> String {
        format!(
            "{}:{}",
            self.dir.path().display(),
            std::env::var("PATH").unwrap_or_default()
        )
    }

    /// The installer invocations recorded since the last call (and forgets them).
    fn take(&self) -> Vec<String> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let _ = std::fs::remove_file(&self.log);
        text.lines().map(str::to_string).collect()
    }
}

/// Runs stackctl on `s` with `path` as PATH.
fn run_with_path(s: &Stack, path: &str, args: &[&str]) -> Run {
    s.run_with(args, |cmd| {
        cmd.env("PATH", path);
    })
}

fn ok(run: Run, what: &str) -> Run {
    assert_eq!(run.code(), 0, "{what} failed:\n{}", run.all());
    run
}

// Both emulators take the packages; MiniStack, which runs functions, also answers through the URL.
on_both!(
    dependencies_are_installed_uploaded_and_run,
    |emu: Emulator| async move {
        let s = deps_stack(&emu, "deps");
        let shim = Shim::new();

        ok(
            run_with_path(&s, &shim.path(), &["apply", "--yes"]),
            "apply",
        );
        let started = shim.take();
        assert!(
            started
                .iter()
                .any(|l| l.starts_with("python3 -m pip install")
                    && l.contains("--platform manylinux2014_x86_64")
                    && l.contains("--python-version 3.11")
                    && l.contains("--only-binary=:all:")
                    && l.contains("--no-compile")),
            "{started:?}"
        );
        assert!(
            started.iter().any(|l| l.starts_with("npm ci --omit=dev")),
            "{started:?}"
        );
        assert!(s.dir.join(".stackctl/.gitignore").is_file());

        // What Lambda holds is what `stackctl build` makes (from the cache: no installer).
        ok(run_with_path(&s, &shim.path(), &["build"]), "build");
        for key in ["py", "js"] {
            use base64::Engine;
            use sha2::Digest;
            let zip = std::fs::read(s.dir.join(format!(".stackctl/build/{key}.zip"))).unwrap();
            let local =
                base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&zip));
            let f = emu
                .lambda()
                .await
                .get_function()
                .function_name(s.function(key))
                .send()
                .await
                .unwrap();
            assert_eq!(
                f.configuration().unwrap().code_sha256(),
                Some(local.as_str())
            );
        }

        if emu.kind == Kind::MiniStack {
            call_both_functions(&s).await;
        }

        // A no-op plan (and apply) starts no installer and sees the same code hash.
        let plan = run_with_path(&s, &shim.path(), &["plan", "--detailed-exitcode"]);
        assert_eq!(plan.code(), 0, "{}", plan.all());
        let again = ok(
            run_with_path(&s, &shim.path(), &["apply", "--yes"]),
            "apply",
        );
        assert!(again.writes().is_empty(), "{:?}", again.writes());
        assert_eq!(shim.take(), Vec::<String>::new());

        s.destroy();
    }
);

/// Calls both routes: the responses prove the imports worked on the function's side.
async fn call_both_functions(s: &Stack) {
    let out: Value = serde_json::from_str(&s.ok(&["outputs", "--json"]).stdout()).unwrap();
    let url = |path: &str| {
        out["routes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["path"] == path)
            .unwrap()["url"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let py = http().get(url("/py")).send().await.unwrap();
    let (status, body) = (py.status().as_u16(), py.text().await.unwrap());
    assert_eq!(status, 200, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["requests"], "2.32.3");
    assert_eq!(body["bcrypt"], true);
    let js = http().get(url("/js")).send().await.unwrap();
    let (status, body) = (js.status().as_u16(), js.text().await.unwrap());
    assert_eq!(status, 200, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["valid"], true, "{body}");
    assert_eq!(body["uuid"].as_str().unwrap().len(), 36);
}

/// The zips `stackctl build` writes for a fresh copy of the fixture.
fn fresh_build(
    emu: &Emulator,
    shim: &Shim,
    edit: Option<(&str, &str)>,
) -> (Stack, Vec<u8>, Vec<u8>) {
    let s = deps_stack(emu, "build");
    if let Some((from, to)) = edit {
        s.edit(from, to);
    }
    let run = ok(run_with_path(&s, &shim.path(), &["build"]), "build");
    assert!(run.calls.is_empty(), "build called AWS: {:?}", run.writes());
    let read = |k: &str| std::fs::read(s.dir.join(format!(".stackctl/build/{k}.zip"))).unwrap();
    let (py, js) = (read("py"), read("js"));
    (s, py, js)
}

#[test]
fn two_fresh_builds_are_byte_identical_and_the_architecture_is_part_of_the_key() {
    let emu = Emulator::get(Kind::LocalStack);
    let shim = Shim::new();
    let (a, a_py, a_js) = fresh_build(&emu, &shim, None);
    assert_eq!(shim.take().len(), 2, "one pip and one npm");
    let (_b, b_py, b_js) = fresh_build(&emu, &shim, None);
    assert_eq!(shim.take().len(), 2);
    assert!(a_py == b_py, "the Python zips differ");
    assert!(a_js == b_js, "the Node zips differ");
    let names = zip_names(&a_py);
    assert!(
        names.iter().any(|n| n.starts_with("requests/")),
        "{names:?}"
    );
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("bin/") || n.ends_with(".pyc")),
        "{names:?}"
    );
    assert!(names.contains(&"app.py".to_string()));
    assert!(zip_names(&a_js).contains(&"node_modules/uuid/package.json".to_string()));

    // Built again in place: from the cache, no installer, the same bytes.
    let run = ok(run_with_path(&a, &shim.path(), &["build"]), "build");
    assert!(run.stdout().contains("from the cache"), "{}", run.all());
    assert_eq!(shim.take(), Vec::<String>::new());

    // arm64 with the same sources: pip runs again for aarch64, and bcrypt's library is ARM code.
    a.edit(
        "source = \"py\"\n",
        "source = \"py\"\narchitecture = \"arm64\"\n",
    );
    ok(run_with_path(&a, &shim.path(), &["build", "py"]), "build");
    let started = shim.take();
    assert!(
        started.len() == 1 && started[0].contains("--platform manylinux2014_aarch64"),
        "{started:?}"
    );
    let arm = std::fs::read(a.dir.join(".stackctl/build/py.zip")).unwrap();
    assert!(arm != a_py);
    let so = elf_machine(&arm, "bcrypt/_bcrypt.abi3.so");
    assert_eq!(so, 0xB7, "EM_AARCH64");
    assert_eq!(
        elf_machine(&a_py, "bcrypt/_bcrypt.abi3.so"),
        0x3E,
        "EM_X86_64"
    );
}

fn zip_names(zip: &[u8]) -> Vec<String> {
    let archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    archive
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .collect()
}

/// `e_machine` of an ELF file inside a zip.
fn elf_machine(zip: &[u8], name: &str) -> u16 {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut head = [0u8; 20];
    archive
        .by_name(name)
        .unwrap()
        .read_exact(&mut head)
        .unwrap();
    assert_eq!(&head[..4], b"\x7fELF");
    u16::from_le_bytes([head[18], head[19]])
}

#[test]
fn install_problems_are_clear_and_stop_before_any_aws_call() {
    let emu = Emulator::get(Kind::LocalStack);
    let shim = Shim::new();
    let s = deps_stack(&emu, "depsbad");

    // A package that publishes no wheel at all (an sdist only): named, with the fix.
    std::fs::write(s.dir.join("py/requirements.txt"), "pycrypto==2.6.1\n").unwrap();
    let run = run_with_path(&s, &shim.path(), &["plan"]);
    assert_eq!(run.code(), 1, "{}", run.all());
    let err = run.stderr();
    assert!(
        err.contains("no wheel of pycrypto==2.6.1 for python3.11 on manylinux2014_x86_64"),
        "{err}"
    );
    assert!(
        err.contains("stack.toml:"),
        "located at the function's source: {err}"
    );
    assert!(
        err.contains("hint: check the name and version of pycrypto==2.6.1"),
        "{err}"
    );
    assert!(
        run.calls.is_empty(),
        "AWS was called: {:?}",
        run.calls.len()
    );

    // A package npm does not know.
    std::fs::write(
        s.dir.join("js/package.json"),
        r#"{ "name": "fn", "version": "1.0.0", "dependencies": { "no-such-package-stackctl-test-zz": "1.0.0" } }"#,
    )
    .unwrap();
    std::fs::remove_file(s.dir.join("js/package-lock.json")).unwrap();
    let run = run_with_path(&s, &shim.path(), &["build", "js"]);
    assert_eq!(run.code(), 1, "{}", run.all());
    assert!(
        run.stderr()
            .contains("npm found no package no-such-package-stackctl-test-zz"),
        "{}",
        run.all()
    );

    // No pip at all: PATH without python3.
    let empty = tempfile::tempdir().unwrap();
    let run = run_with_path(&s, &empty.path().display().to_string(), &["plan"]);
    assert_eq!(run.code(), 1, "{}", run.all());
    assert!(
        run.stderr().contains("python3 was not found on PATH"),
        "{}",
        run.all()
    );
    assert!(
        run.stderr().contains("install Python 3 with pip"),
        "{}",
        run.all()
    );
    assert!(run.calls.is_empty());
    assert!(
        !Path::new(&s.dir.join(".stackctl"))
            .read_dir()
            .unwrap()
            .any(|e| {
                e.unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with("install-")
            }),
        "a failed install leaves no scratch directory"
    );
}

/// A function made elsewhere (as SAM leaves one: requirements.txt beside vendored packages,
/// arm64) is imported: the next plan neither re-uploads its code nor changes its architecture.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_imported_function_with_a_dependency_file_keeps_its_code_and_architecture() {
    use std::io::Write;
    let emu = Emulator::get(Kind::LocalStack);
    let stack = format!("samlike{:06x}", fastrand::u32(..0xffffff));
    let function = format!("{stack}-api");
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, body) in [
        (
            "app.py",
            "import shortuuid\ndef handler(e, c):\n    return {}\n",
        ),
        ("requirements.txt", "shortuuid==1.0.13\n"),
        ("shortuuid/__init__.py", "def uuid():\n    return 'x'\n"),
    ] {
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    }
    let zip = zip.finish().unwrap().into_inner();
    let role = format!("arn:aws:iam::000000000000:role/{stack}-role");
    let lambda = emu.lambda().await;
    lambda
        .create_function()
        .function_name(&function)
        .runtime(aws_sdk_lambda::types::Runtime::Python312)
        .handler("app.handler")
        .role(&role)
        .architectures(aws_sdk_lambda::types::Architecture::Arm64)
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(zip.into())
                .build(),
        )
        .send()
        .await
        .unwrap();
    use aws_sdk_lambda::client::Waiters;
    lambda
        .wait_until_function_active_v2()
        .function_name(&function)
        .wait(std::time::Duration::from_secs(60))
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let s = Stack {
        emu: emu.clone(),
        call_log: dir.path().join("calls.jsonl"),
        dir: dir.path().to_path_buf(),
        name: stack.clone(),
    };
    s.ok(&["import", "--function", &function]);
    let text = s.read_file();
    assert!(text.contains("architecture = \"arm64\""), "{text}");
    let plan = s.plan_json();
    let function_steps: Vec<&Value> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|st| st["type"] == "function")
        .collect();
    for step in &function_steps {
        let attrs: Vec<&str> = step["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["attribute"].as_str().unwrap())
            .collect();
        assert!(
            attrs.iter().all(|a| a.starts_with("tags.")),
            "only the stack's tag may change: {attrs:?}"
        );
    }
    lambda
        .delete_function()
        .function_name(&function)
        .send()
        .await
        .unwrap();
}
