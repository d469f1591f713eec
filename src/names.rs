//! stackctl's naming conventions in one place: the names it gives resources, the tag that marks
//! what a stack owns, the ARN formats, and the policies it writes. Pure.

use crate::desired::Env;
use crate::model::{STACK_TAG, Tags, canonical_json};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

/// A set of tags as each SDK and the model hold them.
pub trait TagMap {
    fn tag(&self, key: &str) -> Option<&str>;
}

impl TagMap for HashMap<String, String> {
    fn tag(&self, key: &str) -> Option<&str> {
        self.get(key).map(String::as_str)
    }
}

impl TagMap for BTreeMap<String, String> {
    fn tag(&self, key: &str) -> Option<&str> {
        self.get(key).map(String::as_str)
    }
}

impl<M: TagMap> TagMap for Option<&M> {
    fn tag(&self, key: &str) -> Option<&str> {
        self.and_then(|m| m.tag(key))
    }
}

impl<M: TagMap> TagMap for &M {
    fn tag(&self, key: &str) -> Option<&str> {
        (*self).tag(key)
    }
}

/// The ownership test: a resource is `stack`'s when its [`STACK_TAG`] equals the stack's name.
/// stackctl never changes or deletes what fails it.
pub fn is_owned(tags: impl TagMap, stack: &str) -> bool {
    tags.tag(STACK_TAG) == Some(stack)
}

/// `arn:{partition}:apigateway:{region}::/restapis/{id}`: a REST API, as TagResource wants it.
pub fn rest_api_arn(partition: &str, region: &str, id: &str) -> String {
    format!("arn:{partition}:apigateway:{region}::/restapis/{id}")
}

/// `arn:{partition}:logs:{region}:{account}:log-group:{name}` (without the `:*` some APIs add).
pub fn log_group_arn(partition: &str, region: &str, account: &str, name: &str) -> String {
    format!("arn:{partition}:logs:{region}:{account}:log-group:{name}")
}

/// The tags marking a resource as `stack`'s: `{STACK_TAG} = stack`.
pub fn stack_tags(stack: &str) -> Tags {
    Tags::from([(STACK_TAG.to_string(), stack.to_string())])
}

/// The execution role stackctl makes for function `key` of `stack`: `{stack}-{key}-exec`.
pub fn role_name(stack: &str, key: &str) -> String {
    exec_role_of(&format!("{stack}-{key}"))
}

/// The execution role of the function named `function` (its physical name): `{function}-exec`.
pub fn exec_role_of(function: &str) -> String {
    format!("{function}-exec")
}

/// The function an execution role belongs to, from the role's name (`{function}-exec`).
pub fn function_of_exec_role(role: &str) -> Option<&str> {
    role.strip_suffix("-exec")
}

/// The group Lambda writes function `function`'s logs to: `/aws/lambda/{function}`.
pub fn log_group_name(function: &str) -> String {
    format!("/aws/lambda/{function}")
}

/// Prefix of the execution-log groups API Gateway writes a stage's logs to.
pub const EXECUTION_LOGS_PREFIX: &str = "API-Gateway-Execution-Logs_";
/// Stands for the REST API id in a name planned before the API exists; apply fills it in.
pub const API_ID_PLACEHOLDER: &str = "{apiId}";

/// `API-Gateway-Execution-Logs_{apiId}/{stage}`: where API Gateway writes a stage's execution
/// logs. It creates the group itself (untagged, never expiring) unless it exists first.
pub fn execution_log_group(api_id: Option<&str>, stage: &str) -> String {
    format!(
        "{EXECUTION_LOGS_PREFIX}{}/{stage}",
        api_id.unwrap_or(API_ID_PLACEHOLDER)
    )
}

/// The trust policy letting `service` (e.g. `lambda.amazonaws.com`) assume a role, canonical.
pub fn trust_policy(service: &str) -> String {
    canonical_json(
        &json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole"
            }]
        })
        .to_string(),
    )
}

/// Least privilege: write to the function's own log group, nothing else.
pub fn execution_policy(env: &Env, function: &str) -> String {
    let arn = format!(
        "{}:*",
        log_group_arn(
            &env.partition,
            &env.region,
            &env.account,
            &log_group_name(function)
        )
    );
    canonical_json(
        &json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": arn
            }]
        })
        .to_string(),
    )
}

/// `arn:{partition}:iam::{account}:role/{name}`.
pub fn role_arn(env: &Env, name: &str) -> String {
    format!("arn:{}:iam::{}:role/{}", env.partition, env.account, name)
}

/// `arn:{partition}:lambda:{region}:{account}:function:{name}`.
pub fn function_arn(env: &Env, name: &str) -> String {
    format!(
        "arn:{}:lambda:{}:{}:function:{}",
        env.partition, env.region, env.account, name
    )
}

/// The URI API Gateway invokes a Lambda proxy integration by (API Gateway's
/// "Set up Lambda proxy integrations"): the Lambda Invoke action's path on `function_arn`.
pub fn integration_uri(env: &Env, function: &str) -> String {
    format!(
        "arn:{}:apigateway:{}:lambda:path/2015-03-31/functions/{}/invocations",
        env.partition,
        env.region,
        function_arn(env, function)
    )
}

/// `arn:aws:execute-api:{region}:{account}:{apiId}/*/{METHOD}/{path}`, with path variables as `*`.
pub fn source_arn(env: &Env, api_id: &str, verb: &str, path: &str) -> String {
    let verb = if verb == "ANY" { "*" } else { verb };
    let path: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| if s.starts_with('{') { "*" } else { s })
        .collect();
    format!(
        "arn:{}:execute-api:{}:{}:{}/*/{}/{}",
        env.partition,
        env.region,
        env.account,
        api_id,
        verb,
        path.join("/")
    )
}
