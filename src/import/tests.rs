//! Unit tests of `import`.

use super::api::*;
use super::*;

fn names(ns: &[&str]) -> Vec<String> {
    ns.iter().map(|n| n.to_string()).collect()
}

#[test]
fn console_names_split_into_stack_and_key() {
    let (stack, keys) = split_names(&names(&["my-func"]), None, None).unwrap();
    assert_eq!((stack.as_str(), keys["my-func"].as_str()), ("my", "func"));
    let (stack, keys) =
        split_names(&names(&["shop-api-list", "shop-api-get"]), None, None).unwrap();
    assert_eq!(stack, "shop-api");
    assert_eq!(keys["shop-api-get"], "get");
    let (stack, _) = split_names(&names(&["shop-api-list", "shop-web"]), None, None).unwrap();
    assert_eq!(stack, "shop");
    let (stack, keys) = split_names(&names(&["a-b-c"]), Some("a"), None).unwrap();
    assert_eq!((stack.as_str(), keys["a-b-c"].as_str()), ("a", "b-c"));
    for bad in [
        &["hello"][..],
        &["MyFunc-x"],
        &["one-a", "two-b"],
        &["my-2x"],
    ] {
        let err = split_names(&names(bad), None, None).unwrap_err();
        assert!(format!("{err}").contains("<stack>-<key>"), "{bad:?}: {err}");
    }
    assert!(split_names(&names(&["my-func"]), Some("other"), None).is_err());
    assert_eq!(
        split_names(&[], None, Some("from-api")).unwrap().0,
        "from-api"
    );
}

#[test]
fn integration_uris_name_unqualified_functions_only() {
    let uri = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:my-func/invocations";
    assert_eq!(function_of_uri(uri).as_deref(), Some("my-func"));
    let alias = uri.replace("my-func/", "my-func:live/");
    assert_eq!(function_of_uri(&alias), None);
}

#[test]
fn cors_methods_are_written_only_when_stackctl_would_differ() {
    let routes = vec![Route {
        path: "/a".into(),
        verbs: vec!["POST".into()],
        function: "f".into(),
    }];
    let cors = Cors {
        origin: "*".into(),
        headers: vec!["Content-Type".into()],
        methods: None,
    };
    let mut w = Vec::new();
    let same = vec![("/a".to_string(), cors.clone(), "OPTIONS,POST".to_string())];
    assert_eq!(cors_setting(&same, &routes, &mut w).unwrap().methods, None);
    let other = vec![("/a".to_string(), cors, "POST,OPTIONS".to_string())];
    assert_eq!(
        cors_setting(&other, &routes, &mut w).unwrap().methods,
        Some(vec!["POST".to_string(), "OPTIONS".to_string()])
    );
    assert!(w.is_empty());
}
