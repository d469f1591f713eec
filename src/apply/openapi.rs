//! The API model as one OpenAPI 3 document with API Gateway's `x-amazon-apigateway-*` extensions,
//! so that a new REST API's resources and methods are written by one `PutRestApi` instead of
//! several calls per route (which API Gateway's 10 requests/s account quota makes the floor of a
//! large apply).
//!
//! The document says exactly what the incremental calls in `apigw.rs` say, so the live reader
//! reads back the same model either way: Lambda proxy integrations (`aws_proxy`, integration
//! method POST), and the console's "Enable CORS" OPTIONS method (a MOCK integration with the
//! request template `{"statusCode": 200}`, a 200 method response declaring the three
//! `Access-Control-Allow-*` headers with the `Empty` model, and a 200 integration response setting
//! them to quoted static values). Gateway responses are not in it: LocalStack ignores
//! `x-amazon-apigateway-gateway-responses` on PutRestApi, and they are two calls either way.
//! Reference: "Working with API Gateway extensions to OpenAPI" (API Gateway developer guide).

use crate::model::{Integration, Method};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The header names the CORS mock declares, after `Access-Control-Allow-`.
const CORS_HEADERS: [&str; 3] = ["Headers", "Methods", "Origin"];

/// The OpenAPI 3 document that defines `methods` (and, implicitly, every resource on their paths)
/// on an API named `title`. `methods` may come in any order; the document is deterministic. Every
/// method is written with authorization NONE, the only kind stackctl makes: callers leave methods
/// with any other authorization to the incremental calls.
pub fn document(title: &str, methods: &[&Method]) -> Value {
    let mut paths: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
    for m in methods {
        let verb = match m.verb.as_str() {
            "ANY" => "x-amazon-apigateway-any-method".to_string(),
            v => v.to_ascii_lowercase(),
        };
        paths
            .entry(m.path.as_str())
            .or_default()
            .insert(verb, operation(m));
    }
    json!({
        "openapi": "3.0.1",
        "info": { "title": title, "version": "1.0" },
        "paths": paths,
        "components": { "schemas": { "Empty": { "title": "Empty Schema", "type": "object" } } },
    })
}

fn operation(m: &Method) -> Value {
    let mut op = Map::new();
    let parameters: Vec<Value> = path_parameters(&m.path)
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
        .collect();
    if !parameters.is_empty() {
        op.insert("parameters".into(), Value::Array(parameters));
    }
    match &m.integration {
        Integration::LambdaProxy { uri, .. } => {
            op.insert(
                "x-amazon-apigateway-integration".into(),
                json!({ "type": "aws_proxy", "httpMethod": "POST", "uri": uri }),
            );
        }
        Integration::CorsMock {
            allow_origin,
            allow_methods,
            allow_headers,
        } => {
            let headers: Map<String, Value> = CORS_HEADERS
                .iter()
                .map(|h| {
                    (
                        format!("Access-Control-Allow-{h}"),
                        json!({ "schema": { "type": "string" } }),
                    )
                })
                .collect();
            op.insert(
                "responses".into(),
                json!({ "200": {
                    "description": "200 response",
                    "headers": headers,
                    "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Empty" } } },
                } }),
            );
            let value = |h: &str| {
                let v = match h {
                    "Headers" => allow_headers,
                    "Methods" => allow_methods,
                    _ => allow_origin,
                };
                (
                    format!("method.response.header.Access-Control-Allow-{h}"),
                    Value::String(format!("'{v}'")),
                )
            };
            let parameters: Map<String, Value> = CORS_HEADERS.iter().map(|h| value(h)).collect();
            op.insert(
                "x-amazon-apigateway-integration".into(),
                json!({
                    "type": "mock",
                    "requestTemplates": { "application/json": "{\"statusCode\": 200}" },
                    "responses": { "default": {
                        "statusCode": "200",
                        "responseParameters": parameters,
                        "responseTemplates": { "application/json": "" },
                    } },
                }),
            );
        }
    }
    Value::Object(op)
}

/// The variables of a path, in order: `/items/{id}/files/{proxy+}` → `id`, `proxy`.
fn path_parameters(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter_map(|part| {
        part.strip_prefix('{')?
            .strip_suffix('}')
            .map(|v| v.trim_end_matches('+'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxy(path: &str, verb: &str) -> Method {
        Method {
            path: path.into(),
            verb: verb.into(),
            authorization: "NONE".into(),
            integration: Integration::LambdaProxy {
                function: "s-f".into(),
                uri: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:s-f/invocations".into(),
            },
        }
    }

    #[test]
    fn proxy_methods_variables_and_any() {
        let a = proxy("/items/{id}", "GET");
        let b = proxy("/files/{proxy+}", "ANY");
        let doc = document("s-api", &[&b, &a]);
        let get = &doc["paths"]["/items/{id}"]["get"];
        assert_eq!(get["x-amazon-apigateway-integration"]["type"], "aws_proxy");
        assert_eq!(get["x-amazon-apigateway-integration"]["httpMethod"], "POST");
        assert_eq!(get["parameters"][0]["name"], "id");
        let any = &doc["paths"]["/files/{proxy+}"]["x-amazon-apigateway-any-method"];
        assert_eq!(any["parameters"][0]["name"], "proxy");
        assert_eq!(doc["info"]["title"], "s-api");
        // Deterministic whatever the input order.
        assert_eq!(doc, document("s-api", &[&a, &b]));
    }

    #[test]
    fn cors_mock_matches_the_console() {
        let m = Method {
            path: "/hello".into(),
            verb: "OPTIONS".into(),
            authorization: "NONE".into(),
            integration: Integration::CorsMock {
                allow_origin: "*".into(),
                allow_methods: "OPTIONS,POST".into(),
                allow_headers: "Content-Type".into(),
            },
        };
        let doc = document("s-api", &[&m]);
        let op = &doc["paths"]["/hello"]["options"];
        let i = &op["x-amazon-apigateway-integration"];
        assert_eq!(i["type"], "mock");
        assert_eq!(
            i["requestTemplates"]["application/json"],
            r#"{"statusCode": 200}"#
        );
        let params = &i["responses"]["default"]["responseParameters"];
        assert_eq!(
            params["method.response.header.Access-Control-Allow-Origin"],
            "'*'"
        );
        assert_eq!(
            params["method.response.header.Access-Control-Allow-Methods"],
            "'OPTIONS,POST'"
        );
        assert_eq!(
            params["method.response.header.Access-Control-Allow-Headers"],
            "'Content-Type'"
        );
        assert!(op["responses"]["200"]["headers"]["Access-Control-Allow-Origin"].is_object());
        assert!(op.get("parameters").is_none());
    }
}
