//! Every directory under examples/ is applied and destroyed on both emulators, checked with the
//! SDK; on MiniStack the larger API's routes (nested, with path parameters) are called for real.

use crate::on_both;
use crate::support::*;

fn examples() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo().join("examples"))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().join("stack.toml").is_file())
        // Its queue is created by events.rs, which applies it (issue 11).
        .filter(|e| e.file_name() != "events")
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(
        names.contains(&"tutorial".to_string()) && names.contains(&"api".to_string()),
        "{names:?}"
    );
    names
}

/// The function keys of a stack file.
fn keys(s: &Stack) -> Vec<String> {
    let config = stackctl::config::StackConfig::load(&s.file()).unwrap();
    config.functions.keys().cloned().collect()
}

on_both!(
    every_example_applies_and_destroys,
    |emu: Emulator| async move {
        for example in examples() {
            let s = Stack::from_example(&emu, &example, &format!("ex-{}", &example[..3]));
            s.apply();
            let lambda = emu.lambda().await;
            for key in keys(&s) {
                let f = lambda
                    .get_function()
                    .function_name(s.function(&key))
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{example}: function {key} missing: {e:?}"));
                assert_eq!(
                    f.tags().and_then(|t| t.get(TAG)),
                    Some(&s.name),
                    "{example}: {key} is tagged"
                );
            }
            let outputs: serde_json::Value =
                serde_json::from_str(&s.ok(&["outputs", "--json"]).stdout()).unwrap();
            let api_id = outputs["api_id"].as_str().unwrap().to_string();
            let live = methods(&emu, &api_id).await;
            for route in outputs["routes"].as_array().unwrap() {
                let m = format!(
                    "{} {}",
                    route["method"].as_str().unwrap(),
                    route["path"].as_str().unwrap()
                );
                assert!(live.contains(&m), "{example}: {m} not in {live:?}");
            }
            assert_eq!(s.plan_steps(), Vec::<String>::new(), "{example}: converged");

            if example == "api" && emu.kind == Kind::MiniStack {
                call_the_api_example(&outputs).await;
            }

            s.destroy();
            for key in keys(&s) {
                assert!(
                    lambda
                        .get_function()
                        .function_name(s.function(&key))
                        .send()
                        .await
                        .is_err(),
                    "{example}: {key} is gone"
                );
            }
            let gone = emu
                .apigw()
                .await
                .get_rest_api()
                .rest_api_id(&api_id)
                .send()
                .await;
            assert!(gone.is_err(), "{example}: the API is gone");
        }
    }
);

fn url(outputs: &serde_json::Value, verb: &str, path: &str) -> String {
    outputs["routes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["method"] == verb && r["path"] == path)
        .unwrap()["url"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Path parameters reach the handlers, nested paths route to their own function, and every
/// answer carries the origin [api.cors] allows.
async fn call_the_api_example(outputs: &serde_json::Value) {
    let http = reqwest::Client::new();
    let origin = "https://shop.example.com";
    let get = |u: String| {
        let http = http.clone();
        async move {
            let r = http.get(u).send().await.unwrap();
            assert_eq!(r.status(), 200);
            assert_eq!(r.headers()["access-control-allow-origin"], origin);
            serde_json::from_slice::<serde_json::Value>(&r.bytes().await.unwrap()).unwrap()
        }
    };
    let items = get(url(outputs, "GET", "/items")).await;
    assert_eq!(items["items"].as_array().unwrap().len(), 2);
    let one = get(url(outputs, "GET", "/items/{id}")
        .replace("%7Bid%7D", "42")
        .replace("{id}", "42"))
    .await;
    assert_eq!(one["id"], "42");
    let reviews = url(outputs, "POST", "/items/{id}/reviews")
        .replace("%7Bid%7D", "7")
        .replace("{id}", "7");
    let posted = http
        .post(&reviews)
        .body(r#"{"text": "lovely"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 201);
    let body: serde_json::Value = serde_json::from_slice(&posted.bytes().await.unwrap()).unwrap();
    assert_eq!(
        (body["item"].as_str(), body["text"].as_str()),
        (Some("7"), Some("lovely"))
    );
    let health = get(url(outputs, "GET", "/health")).await;
    assert_eq!(health["ok"], true);
}
