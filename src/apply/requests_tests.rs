//! Request-level tests: apply against the SDK's replay HTTP client (`StaticReplayClient`), which
//! answers with recorded responses and keeps every request sent, so each test asserts the exact
//! AWS calls a plan makes, with no emulator.

use super::*;
use crate::diff::{Action, diff};
use crate::model::{ApiResource, Kind, LogGroup, Resource, RestApi, STACK_TAG, Tags};
use crate::plan::{Plan, build};
use aws_smithy_http_client::test_util::{ReplayEvent, StaticReplayClient};
use aws_smithy_runtime_api::http::{Request, Response, StatusCode};
use aws_smithy_types::body::SdkBody;

fn tags() -> Tags {
    Tags::from([(STACK_TAG.into(), "s".into())])
}

/// A recorded answer: `status` with a JSON `body` and, for REST-JSON services such as API
/// Gateway, the error type in `x-amzn-errortype`.
fn answer(status: u16, error_type: Option<&str>, body: &str) -> ReplayEvent {
    let mut response = Response::new(
        StatusCode::try_from(status).expect("valid status"),
        SdkBody::from(body.to_string()),
    );
    response
        .headers_mut()
        .insert("content-type", "application/json");
    if let Some(t) = error_type {
        response
            .headers_mut()
            .insert("x-amzn-errortype", t.to_string());
    }
    ReplayEvent::new(Request::new(SdkBody::empty()), response)
}

async fn aws(client: &StaticReplayClient) -> Aws {
    let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(client.clone())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "test", "test", None, None, "replay",
        ))
        .load()
        .await;
    Aws::from_sdk_config(&shared, "us-east-1".into(), None, 4).expect("clients")
}

/// The first request sent was `UpdateFunctionCode` carrying exactly `zip`.
fn assert_uploaded(client: &StaticReplayClient, zip: &[u8]) {
    let upload = client.actual_requests().next().unwrap();
    let body: serde_json::Value = serde_json::from_slice(upload.body().bytes().unwrap()).unwrap();
    use base64::Engine;
    let zip = base64::engine::general_purpose::STANDARD.encode(zip);
    assert_eq!(body["ZipFile"].as_str(), Some(zip.as_str()));
}

/// Runs `plan` with the replay client; the outcome and every request sent (method, path).
async fn apply(plan: &Plan, client: &StaticReplayClient) -> (Outcome, Vec<(String, String)>) {
    let ctx = Arc::new(Ctx::new(aws(client).await, plan));
    let outcome = run(plan, ctx, 4, |_| {}).await;
    let sent = client
        .actual_requests()
        .map(|r| (r.method().to_string(), r.uri().to_string()))
        .collect();
    (outcome, sent)
}

fn stack() -> Vec<Resource> {
    vec![
        Resource::LogGroup(LogGroup {
            name: "/aws/lambda/s-a".into(),
            retention_days: Some(14),
            tags: tags(),
        }),
        Resource::RestApi(RestApi {
            name: "s-api".into(),
            endpoint_type: "REGIONAL".into(),
            tags: tags(),
        }),
        Resource::ApiResource(ApiResource { path: "/x".into() }),
    ]
}

#[tokio::test]
async fn a_plan_with_nothing_to_change_sends_no_request() {
    let steps = build(diff(&stack(), &stack(), &Default::default())).unwrap();
    assert!(steps.is_empty());
    let client = StaticReplayClient::new(Vec::new());
    let (outcome, sent) = apply(
        &crate::model::fixtures::plan(steps, Default::default()),
        &client,
    )
    .await;
    assert!(outcome.ok(), "{outcome:?}");
    assert_eq!(sent, Vec::<(String, String)>::new());
}

#[tokio::test]
async fn deleting_what_is_already_gone_is_done_in_one_call() {
    let steps = build(diff(&[], &stack()[..1], &Default::default())).unwrap();
    assert_eq!(steps.len(), 1);
    let client = StaticReplayClient::new(vec![answer(
        400,
        None,
        r#"{"__type":"ResourceNotFoundException","message":"The specified log group does not exist."}"#,
    )]);
    let (outcome, sent) = apply(
        &crate::model::fixtures::plan(steps, Default::default()),
        &client,
    )
    .await;
    assert!(outcome.ok(), "{outcome:?}");
    assert_eq!(sent.len(), 1, "{sent:?}");
    let target = client
        .actual_requests()
        .next()
        .and_then(|r| r.headers().get("x-amz-target").map(str::to_string));
    assert_eq!(target.as_deref(), Some("Logs_20140328.DeleteLogGroup"));
}

/// CreateResource is not idempotent: after a lost response (here, the conflict a resend meets),
/// apply looks the resource up instead of creating it again.
#[tokio::test]
async fn a_lost_create_response_is_looked_up_not_sent_again() {
    let live = &stack()[1..2];
    let desired = &stack()[1..];
    let steps = build(diff(desired, live, &Default::default())).unwrap();
    assert_eq!(
        steps.iter().map(|s| (s.action, s.kind)).collect::<Vec<_>>(),
        vec![(Action::Create, Kind::ApiResource)]
    );
    let ids = crate::live::Ids {
        api_id: Some("api1".into()),
        root_resource_id: Some("root1".into()),
        ..Default::default()
    };
    let client = StaticReplayClient::new(vec![
        answer(
            409,
            Some("ConflictException"),
            r#"{"message":"Another resource with the same parent already has this name: x"}"#,
        ),
        answer(
            200,
            None,
            r#"{"item":[{"id":"root1","path":"/"},{"id":"x1","parentId":"root1","path":"/x","pathPart":"x"}]}"#,
        ),
    ]);
    let plan = crate::model::fixtures::plan(steps, ids);
    let ctx = Arc::new(Ctx::new(aws(&client).await, &plan));
    let outcome = run(&plan, ctx.clone(), 4, |_| {}).await;
    assert!(outcome.ok(), "{outcome:?}");
    let sent: Vec<(String, String)> = client
        .actual_requests()
        .map(|r| {
            (
                r.method().to_string(),
                r.uri().split('?').next().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[0].0, "POST");
    assert!(
        sent[0].1.ends_with("/restapis/api1/resources/root1"),
        "{sent:?}"
    );
    assert_eq!(sent[1].0, "GET");
    assert!(sent[1].1.ends_with("/restapis/api1/resources"), "{sent:?}");
    assert_eq!(ctx.resource_id("/x").unwrap(), "x1");
}

fn xml(body: &str) -> ReplayEvent {
    let mut response = Response::new(
        StatusCode::try_from(200).expect("valid status"),
        SdkBody::from(body.to_string()),
    );
    response.headers_mut().insert("content-type", "text/xml");
    ReplayEvent::new(Request::new(SdkBody::empty()), response)
}

/// Which operation a request is: the Lambda REST path, the IAM query `Action`, or the Logs target.
fn operation(r: &aws_smithy_runtime_api::client::orchestrator::HttpRequest) -> String {
    if let Some(target) = r.headers().get("x-amz-target") {
        return target.to_string();
    }
    let body = std::str::from_utf8(r.body().bytes().unwrap_or_default()).unwrap_or_default();
    match body.split('&').find_map(|p| p.strip_prefix("Action=")) {
        Some(action) => format!("iam:{action}"),
        None => format!("{} {}", r.method(), r.uri().split('?').next().unwrap_or("")),
    }
}

/// A removed function goes first, then its role (inline policy, attached policies, the role),
/// then its log group: the breadcrumb that lets the next plan find what an interrupted destroy
/// left (see live/mod.rs).
#[tokio::test]
async fn a_function_is_deleted_before_its_role_and_its_log_group_last() {
    let live = vec![
        Resource::Role(crate::model::Role {
            name: "s-a-exec".into(),
            trust_service: "lambda.amazonaws.com".into(),
            policy: "{}".into(),
            tags: tags(),
        }),
        stack()[0].clone(),
        Resource::Function(crate::model::fixtures::function("s-a")),
    ];
    let steps = build(diff(&[], &live, &Default::default())).unwrap();
    let ok = "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>";
    let client = StaticReplayClient::new(vec![
        answer(204, None, ""),
        xml(
            "<ListRolePoliciesResponse><ListRolePoliciesResult><PolicyNames><member>stackctl-logs</member></PolicyNames><IsTruncated>false</IsTruncated></ListRolePoliciesResult></ListRolePoliciesResponse>",
        ),
        xml(&format!(
            "<DeleteRolePolicyResponse>{ok}</DeleteRolePolicyResponse>"
        )),
        xml(
            "<ListAttachedRolePoliciesResponse><ListAttachedRolePoliciesResult><AttachedPolicies/><IsTruncated>false</IsTruncated></ListAttachedRolePoliciesResult></ListAttachedRolePoliciesResponse>",
        ),
        xml(&format!("<DeleteRoleResponse>{ok}</DeleteRoleResponse>")),
        answer(200, None, "{}"),
    ]);
    let (outcome, _) = apply(
        &crate::model::fixtures::plan(steps, Default::default()),
        &client,
    )
    .await;
    assert!(outcome.ok(), "{outcome:?}");
    let sent: Vec<String> = client.actual_requests().map(operation).collect();
    assert_eq!(
        sent,
        [
            "DELETE https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/s-a",
            "iam:ListRolePolicies",
            "iam:DeleteRolePolicy",
            "iam:ListAttachedRolePolicies",
            "iam:DeleteRole",
            "Logs_20140328.DeleteLogGroup",
        ]
    );
}

/// A plan that changes function `s-a`'s code: the source in `dir/src` is packaged to
/// `dir/packages/s-a.zip` as a plan does; the steps and the package built.
fn code_change_plan(dir: &std::path::Path) -> (Plan, crate::package::Package) {
    let source = dir.join("src");
    std::fs::create_dir(&source).unwrap();
    std::fs::write(
        source.join("index.py"),
        "def handler(e, c):\n    return 2\n",
    )
    .unwrap();
    let built = crate::package::package(&source).unwrap();
    let package = crate::package::PackageRef::write(dir.join("packages/s-a.zip"), &built).unwrap();
    let live = crate::model::fixtures::function("s-a");
    let desired = crate::model::Function {
        code_sha256: built.sha256.clone(),
        ..live.clone()
    };
    let mut steps = build(diff(
        &[Resource::Function(desired)],
        &[Resource::Function(live)],
        &Default::default(),
    ))
    .unwrap();
    let packages = std::collections::BTreeMap::from([("s-a".to_string(), package)]);
    crate::plan::attach(&mut steps, &[], &packages);
    (
        crate::model::fixtures::plan(steps, Default::default()),
        built,
    )
}

/// A code change uploads exactly the zip the plan built (the step carries its path and hash):
/// apply needs neither the stack file nor the function's source, and packages nothing.
#[tokio::test]
async fn a_code_change_uploads_the_package_the_plan_built() {
    let dir = tempfile::tempdir().unwrap();
    let (plan, built) = code_change_plan(dir.path());
    std::fs::remove_dir_all(dir.path().join("src")).unwrap();
    let client = StaticReplayClient::new(vec![
        answer(200, None, r#"{"FunctionName":"s-a","RevisionId":"r2"}"#),
        answer(
            200,
            None,
            r#"{"Configuration":{"FunctionName":"s-a","State":"Active","LastUpdateStatus":"Successful","RevisionId":"r3"}}"#,
        ),
    ]);
    let (outcome, _) = apply(&plan, &client).await;
    assert!(outcome.ok(), "{outcome:?}");
    let sent: Vec<String> = client.actual_requests().map(operation).collect();
    assert_eq!(
        sent,
        [
            "PUT https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/s-a/code",
            "GET https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/s-a",
        ]
    );
    assert_uploaded(&client, &built.zip);
}

/// A package rewritten while the apply runs (another `plan --out` of the stack, with other
/// code, in a second shell) changes nothing: apply read the planned zip before its first step.
#[tokio::test]
async fn a_package_rewritten_during_the_apply_still_uploads_the_planned_zip() {
    let dir = tempfile::tempdir().unwrap();
    let (plan, built) = code_change_plan(dir.path());
    let client = StaticReplayClient::new(vec![
        answer(200, None, r#"{"FunctionName":"s-a","RevisionId":"r2"}"#),
        answer(
            200,
            None,
            r#"{"Configuration":{"FunctionName":"s-a","State":"Active","LastUpdateStatus":"Successful","RevisionId":"r3"}}"#,
        ),
    ]);
    let ctx = Ctx::new(aws(&client).await, &plan)
        .with_packages(&plan, &std::collections::BTreeMap::new())
        .unwrap();
    std::fs::write(dir.path().join("packages/s-a.zip"), b"other bytes").unwrap();
    let outcome = run(&plan, Arc::new(ctx), 4, |_| {}).await;
    assert!(outcome.ok(), "{outcome:?}");
    assert_uploaded(&client, &built.zip);
}

/// A package rewritten between the plan and the apply stops the apply before its first step.
#[tokio::test]
async fn a_package_rewritten_before_the_apply_stops_it_before_any_step() {
    let dir = tempfile::tempdir().unwrap();
    let (plan, _) = code_change_plan(dir.path());
    std::fs::write(dir.path().join("packages/s-a.zip"), b"other bytes").unwrap();
    let client = StaticReplayClient::new(Vec::new());
    let err = Ctx::new(aws(&client).await, &plan)
        .with_packages(&plan, &std::collections::BTreeMap::new())
        .err()
        .expect("refused");
    assert!(
        format!("{err:#}").contains("changed since the plan was made"),
        "{err:#}"
    );
}

/// A package rewritten since the plan (another plan of the stack, with other code) is refused
/// before any request.
#[tokio::test]
async fn a_package_rewritten_since_the_plan_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (plan, _) = code_change_plan(dir.path());
    std::fs::write(dir.path().join("packages/s-a.zip"), b"other bytes").unwrap();
    let client = StaticReplayClient::new(Vec::new());
    let (outcome, sent) = apply(&plan, &client).await;
    assert_eq!(sent, Vec::<(String, String)>::new());
    assert_eq!(outcome.failed.len(), 1, "{outcome:?}");
    let message = format!("{:#}", outcome.failed[0].1);
    assert!(
        message.contains("changed since the plan was made"),
        "{outcome:?}"
    );
}
