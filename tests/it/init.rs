//! `stackctl init` for each template: the new stack plans and applies as written, and its handler
//! answers a POST (and HEAD) through the API's URL on MiniStack, the emulator that runs functions.

use crate::support::*;
use std::path::Path;

/// A new directory holding what `init` wrote, as a [`Stack`] with a unique name.
fn init_stack(emu: &Emulator, template: &str) -> Stack {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!("init-{}-{:x}", &template[..2], nanos ^ std::process::id());
    let dir = std::env::temp_dir().join(format!("stackctl-it-{name}-init"));
    let _ = std::fs::remove_dir_all(&dir);
    let out = stackctl_command(emu)
        .args(["init", "--template", template, "--name", &name])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Stack {
        emu: emu.clone(),
        call_log: dir.join("calls.jsonl"),
        dir,
        name,
    }
}

/// The invoke URL of `verb` on `path`, from `stackctl outputs --json`.
fn url_of(s: &Stack, verb: &str, path: &str) -> String {
    let run = s.ok(&["outputs", "--json"]);
    let outputs: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    outputs["routes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["method"] == verb && r["path"] == path)
        .unwrap_or_else(|| panic!("no {verb} {path} in {outputs}"))["url"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn init_plan_apply_post(template: &str) {
    let emu = Emulator::get(Kind::MiniStack);
    let s = init_stack(&emu, template);
    let plan = s.plan_json();
    assert_eq!(plan["summary"]["create"], 13, "{plan}");
    s.apply();

    let function = emu
        .lambda()
        .await
        .get_function()
        .function_name(s.function("hello"))
        .send()
        .await
        .unwrap();
    let runtime = function
        .configuration()
        .unwrap()
        .runtime()
        .unwrap()
        .as_str();
    assert!(runtime.starts_with(&template[..4]), "{runtime}");

    let url = url_of(&s, "POST", "/hello");
    let http = reqwest::Client::new();
    let posted = http
        .post(&url)
        .header("Content-Type", "application/json")
        .body(r#"{"name": "Ada"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);
    assert_eq!(
        posted.headers()["access-control-allow-origin"],
        "*",
        "the handler's CORS header matches [api.cors]"
    );
    let body: serde_json::Value = serde_json::from_slice(&posted.bytes().await.unwrap()).unwrap();
    assert_eq!(body["message"], "hello, Ada!");
    // The template's one dependency (uuid / shortuuid) was installed, packaged and imported.
    assert!(
        body["request_id"].as_str().is_some_and(|id| id.len() >= 22),
        "{body}"
    );

    let head = http.head(&url).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["access-control-allow-origin"], "*");
    assert!(head.bytes().await.unwrap().is_empty(), "HEAD has no body");

    let bad = http.post(&url).body("not json").send().await.unwrap();
    assert_eq!(bad.status(), 400);

    assert_eq!(s.plan_steps(), Vec::<String>::new());
    s.destroy();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_template_answers_a_post() {
    init_plan_apply_post("node").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_template_answers_a_post() {
    init_plan_apply_post("python").await;
}

fn init_in(dir: &Path, args: &[&str]) -> std::process::Output {
    stackctl_command(&Emulator {
        kind: Kind::LocalStack,
        endpoint: "http://127.0.0.1:1".into(),
    })
    .current_dir(dir)
    .arg("init")
    .args(args)
    .output()
    .unwrap()
}

#[test]
fn init_names_the_stack_after_the_directory_and_never_overwrites() {
    let parent = std::env::temp_dir().join(format!("stackctl-it-init-{}", std::process::id()));
    let dir = parent.join("My Shop_2");
    let _ = std::fs::remove_dir_all(&parent);
    std::fs::create_dir_all(&dir).unwrap();

    let out = init_in(&dir, &["--template", "python"]);
    assert!(out.status.success(), "{out:?}");
    let text = std::fs::read_to_string(dir.join("stack.toml")).unwrap();
    assert!(text.contains("name = \"my-shop-2\""), "{text}");
    assert!(dir.join("hello/index.py").is_file());

    // A second init refuses and writes nothing: the edited handler survives.
    std::fs::write(dir.join("hello/index.py"), "edited").unwrap();
    let out = init_in(&dir, &["--template", "node"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("already exist"), "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
    assert!(!dir.join("hello/index.js").exists(), "nothing was written");
    assert_eq!(
        std::fs::read_to_string(dir.join("hello/index.py")).unwrap(),
        "edited"
    );

    let out = init_in(&dir, &["--force", "--name", "shop"]);
    assert!(out.status.success(), "{out:?}");
    let text = std::fs::read_to_string(dir.join("stack.toml")).unwrap();
    assert!(text.contains("name = \"shop\"") && text.contains("nodejs24.x"));

    let out = init_in(&dir, &["--force", "--name", "Bad_Name"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid stack name"));
    std::fs::remove_dir_all(&parent).unwrap();
}
