//! Unit tests of `smoke.rs`.

use super::*;

fn cors() -> CorsConfig {
    CorsConfig {
        allow_origin: "http://a.test".into(),
        allow_headers: crate::config::DEFAULT_CORS_HEADERS
            .iter()
            .map(|h| h.to_string())
            .collect(),
        allow_methods: None,
    }
}

fn check(headers: &[(&str, &str)]) -> Check {
    Check {
        method: "OPTIONS".into(),
        path: "/hello".into(),
        status: Some(200),
        millis: 3,
        cors: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: String::new(),
        problems: vec![],
    }
}

#[test]
fn a_correct_preflight_passes() {
    let mut c = check(&[
        ("access-control-allow-origin", "http://a.test"),
        ("access-control-allow-methods", "OPTIONS,POST,HEAD"),
        (
            "access-control-allow-headers",
            "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token",
        ),
    ]);
    check_preflight(&mut c, &cors(), &["POST".into(), "HEAD".into()]);
    assert!(c.problems.is_empty(), "{:?}", c.problems);
}

#[test]
fn a_wrong_origin_or_missing_method_fails() {
    let mut c = check(&[
        ("access-control-allow-origin", "*"),
        ("access-control-allow-methods", "OPTIONS,POST"),
        ("access-control-allow-headers", "*"),
    ]);
    check_preflight(&mut c, &cors(), &["POST".into(), "HEAD".into()]);
    assert_eq!(c.problems.len(), 2, "{:?}", c.problems);
    assert!(c.problems[0].contains("expected \"http://a.test\""));
    assert!(c.problems[1].contains("lacks HEAD"));
}

/// The preflight the desired model deploys for `methods = ["ANY"]` passes the smoke test
/// (it once expected the literal "ANY" in Access-Control-Allow-Methods).
#[test]
fn the_deployed_preflight_for_any_passes() {
    for configured in [None, Some(vec!["GET".to_string(), "OPTIONS".to_string()])] {
        let cors = CorsConfig {
            allow_methods: configured.clone(),
            ..cors()
        };
        let deployed = crate::model::cors_allow_methods(["ANY"], cors.allow_methods.as_deref());
        let mut c = check(&[
            ("access-control-allow-origin", "http://a.test"),
            ("access-control-allow-methods", &deployed.join(",")),
            (
                "access-control-allow-headers",
                &cors.allow_headers.join(","),
            ),
        ]);
        check_preflight(&mut c, &cors, &["ANY".into()]);
        assert!(c.problems.is_empty(), "{configured:?}: {:?}", c.problems);
    }
}

#[test]
fn a_response_without_allow_origin_fails() {
    let mut c = check(&[]);
    c.method = "POST".into();
    check_response_cors(&mut c, &cors(), "http://a.test");
    assert!(c.problems[0].contains("no Access-Control-Allow-Origin"));
    let mut ok = check(&[("access-control-allow-origin", "*")]);
    check_response_cors(&mut ok, &cors(), "http://a.test");
    assert!(ok.problems.is_empty());
}

#[test]
fn each_path_once_with_its_methods_and_test_bodies() {
    let config = StackConfig::parse(
        std::path::Path::new("stack.toml"),
        "[stack]\nname = \"s\"\n[functions.a]\nruntime = \"python3.12\"\nhandler = \"i.h\"\nsource = \".\"\n\
         [api]\n[api.cors]\n\
         [[api.routes]]\npath = \"/x\"\nmethods = [\"POST\"]\nfunction = \"a\"\ntest_body = '{\"n\": 1}'\n\
         [[api.routes]]\npath = \"/x\"\nmethods = [\"HEAD\"]\nfunction = \"a\"\n\
         [[api.routes]]\npath = \"/y\"\nmethods = [\"GET\"]\nfunction = \"a\"\n",
    )
    .unwrap();
    let api = api_of(&config).unwrap();
    assert_eq!(paths(api), ["/x", "/y"]);
    assert_eq!(
        methods_of(api, "/x"),
        [
            ("POST".to_string(), Some(r#"{"n": 1}"#.to_string())),
            ("HEAD".to_string(), None)
        ]
    );
}

#[test]
fn verdict_lists_each_failure() {
    let mut bad = check(&[]);
    bad.problems.push("answered 502".into());
    let e = verdict(&[check(&[]), bad]).unwrap_err();
    assert_eq!(
        format!("{e}"),
        "1 of 2 checks failed:\n  OPTIONS /hello: answered 502"
    );
    assert_eq!(verdict(&[check(&[])]).unwrap(), "All 1 check passed.");
}
