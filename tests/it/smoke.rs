//! The deployed tutorial answers through its URL (POST, HEAD, CORS preflight), checked with a
//! plain HTTP client; `stackctl test` passes on it and fails, naming the cause, once it is broken.
//! MiniStack only: it is the emulator that runs functions.

use crate::support::*;
use serde_json::Value;

/// The stack's API id and the invoke URL of its first route, from `stackctl outputs`.
pub fn api_and_url(s: &Stack) -> (String, String) {
    let out: Value = serde_json::from_str(&s.ok(&["outputs", "--json"]).stdout()).unwrap();
    (
        out["api_id"].as_str().unwrap().to_string(),
        out["routes"][0]["url"].as_str().unwrap().to_string(),
    )
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap()
}

/// POSTs `{"name": name}` the way a web page would, returning status and body.
pub async fn post_name(url: &str, name: &str) -> (u16, String) {
    let resp = http()
        .post(url)
        .header("Content-Type", "application/json")
        .body(format!(r#"{{"name": "{name}"}}"#))
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_url_answers_and_stackctl_test_tells_a_healthy_stack_from_a_broken_one() {
    let emu = Emulator::get(Kind::MiniStack);
    let s = Stack::from_example(&emu, "tutorial", "smoke");
    s.apply();
    let (api_id, url) = api_and_url(&s);

    // POST runs the Node function and returns its JSON.
    let (status, body) = post_name(&url, "Ada").await;
    assert_eq!(status, 200, "{body}");
    let json: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["message"], "hello, Ada!");

    // HEAD runs the Python function: 200, empty body.
    let resp = http().head(&url).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.bytes().await.unwrap().is_empty());

    // The preflight carries what [api.cors] configures (defaults: *, routed methods, console headers).
    let resp = http()
        .request(reqwest::Method::OPTIONS, &url)
        .header("Origin", "https://page.example")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let h = |name: &str| {
        resp.headers()
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .to_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(h("access-control-allow-origin"), "*");
    let mut methods: Vec<String> = h("access-control-allow-methods")
        .split(',')
        .map(|m| m.trim().to_string())
        .collect();
    methods.sort();
    assert_eq!(methods, ["HEAD", "OPTIONS", "POST"]);
    assert_eq!(
        h("access-control-allow-headers"),
        "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token"
    );

    // Healthy: every check passes.
    let run = s.ok(&["test", "--color", "never"]);
    let out = run.stdout();
    assert!(out.contains("All 3 checks passed."), "{}", run.all());
    for line in [
        "POST    /hello  200",
        "HEAD    /hello  200",
        "OPTIONS /hello  200",
    ] {
        assert!(out.contains(line), "no {line:?} in:\n{}", run.all());
    }
    assert!(out.contains(r#"{"message":"hello, world!"}"#), "{out}");

    // Someone changes the preflight's allowed origin by hand: the smoke test says so and fails.
    let apigw = emu.apigw().await;
    let resources = apigw
        .get_resources()
        .rest_api_id(&api_id)
        .limit(500)
        .send()
        .await
        .unwrap();
    let hello = resources
        .items()
        .iter()
        .find(|r| r.path() == Some("/hello"))
        .unwrap();
    let current = apigw
        .get_integration_response()
        .rest_api_id(&api_id)
        .resource_id(hello.id().unwrap())
        .http_method("OPTIONS")
        .status_code("200")
        .send()
        .await
        .unwrap();
    let mut params = current.response_parameters().cloned().unwrap_or_default();
    params.insert(
        "method.response.header.Access-Control-Allow-Origin".into(),
        "'https://elsewhere.example'".into(),
    );
    // PutIntegrationResponse rather than a patch: MiniStack implements only the former.
    apigw
        .put_integration_response()
        .rest_api_id(&api_id)
        .resource_id(hello.id().unwrap())
        .http_method("OPTIONS")
        .status_code("200")
        .set_response_parameters(Some(params))
        .response_templates("application/json", "")
        .send()
        .await
        .unwrap();
    let run = s.run(&["test", "--color", "never"]);
    assert_eq!(run.code(), 1, "{}", run.all());
    assert!(
        run.stderr().contains(
            "1 of 3 checks failed:\n  OPTIONS /hello: Access-Control-Allow-Origin is \"https://elsewhere.example\", expected \"*\""
        ),
        "{}",
        run.all()
    );
    assert!(run.stderr().contains("stackctl plan"), "{}", run.all());

    // A function that crashes: the route answers 5xx and the smoke test points at the logs.
    s.apply();
    emu.lambda()
        .await
        .update_function_code()
        .function_name(s.function("hello"))
        .zip_file(aws_sdk_lambda::primitives::Blob::new(crashing_node_zip()))
        .send()
        .await
        .unwrap();
    let run = s.run(&["test", "--color", "never"]);
    assert_eq!(run.code(), 1, "{}", run.all());
    let err = run.stderr();
    assert!(err.contains("1 of 3 checks failed"), "{}", run.all());
    assert!(err.contains("POST /hello: answered 5"), "{}", run.all());
    assert!(err.contains("see `stackctl logs`"), "{}", run.all());

    s.destroy();
}

fn crashing_node_zip() -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file("index.js", zip::write::SimpleFileOptions::default())
        .unwrap();
    w.write_all(b"exports.handler = async () => { throw new Error('boom'); };\n")
        .unwrap();
    w.finish().unwrap().into_inner()
}

/// `methods = ["ANY"]` with `[api.cors]`: the plan says "No changes" and `stackctl test` agrees
/// (it once failed the deployment with "Access-Control-Allow-Methods lacks ANY").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_with_cors_passes_the_smoke_test_the_plan_agrees_with() {
    let emu = Emulator::get(Kind::MiniStack);
    let s = Stack::from_example(&emu, "tutorial", "smokeany");
    s.edit("methods = [\"POST\"]", "methods = [\"ANY\"]");
    s.apply();
    let noop = s.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(noop.code(), 0, "{}", noop.all());
    let run = s.run(&["test", "--color", "never"]);
    assert_eq!(
        run.code(),
        0,
        "stackctl test failed a correct deployment:\n{}",
        run.all()
    );
    assert!(
        run.stdout()
            .contains("allow-methods: DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT"),
        "{}",
        run.all()
    );
    s.destroy();
}
