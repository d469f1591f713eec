//! Unit tests of the model.

use super::*;

#[test]
fn statement_ids_are_stable_valid_and_distinct() {
    let a = statement_id("POST", "/hello");
    assert_eq!(a, statement_id("POST", "/hello"));
    assert!(a.starts_with("stackctl-POST-hello-"));
    assert_ne!(a, statement_id("POST", "/hello_"));
    assert_ne!(a, statement_id("HEAD", "/hello"));
    let long = statement_id("GET", &"/abcdefghij".repeat(20));
    assert!(long.len() <= 100);
    assert!(
        long.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    );
}

#[test]
fn cors_methods_expand_any_and_keep_a_configured_list() {
    assert_eq!(
        cors_allow_methods(["ANY"], None).join(","),
        "DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT"
    );
    assert_eq!(
        cors_allow_methods(["POST", "HEAD"], None).join(","),
        "HEAD,OPTIONS,POST"
    );
    let configured = ["POST".to_string()];
    assert_eq!(cors_allow_methods(["ANY"], Some(&configured)), ["POST"]);
}

#[test]
fn served_model_needs_the_recorded_deployment() {
    let d = stage_description("abc", "dep1");
    assert_eq!(served_model(Some(&d), Some("dep1")).as_deref(), Some("abc"));
    assert_eq!(served_model(Some(&d), Some("dep2")), None);
    assert_eq!(
        served_model(Some("made in the console"), Some("dep1")),
        None
    );
    assert_eq!(served_model(None, Some("dep1")), None);
}

#[test]
fn canonical_json_ignores_order_whitespace_and_singleton_lists() {
    let a = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:PutLogEvents"]}]}"#;
    let b = r#"{ "Statement": {"Action": "logs:PutLogEvents", "Effect": "Allow"}, "Version": "2012-10-17" }"#;
    assert_eq!(canonical_json(a), canonical_json(b));
}
