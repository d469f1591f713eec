//! From a validated stack file to the resources it describes, with AWS's naming and defaults filled in.
//! Pure: the few live facts it needs (account, region, API id, code hashes) come in as [`Env`].

use crate::config::{ApiConfig, LogLevel, StackConfig};
use crate::model::*;
use crate::names::*;
use std::collections::{BTreeMap, BTreeSet};

/// What the desired state depends on that is not in the file.
#[derive(Debug, Clone)]
pub struct Env {
    pub account: String,
    pub region: String,
    pub partition: String,
    /// The id of the stack's REST API, when it exists.
    pub api_id: Option<String>,
    /// `CodeSha256` of each function's package, by logical name.
    pub code: BTreeMap<String, String>,
    /// The account's cloudwatchRoleArn when it names a usable role (adopted as it is).
    pub usable_cloudwatch_role: Option<String>,
    /// Bytes of the policy statements others added, by function name (see `policy::fit`).
    pub foreign_policy_bytes: BTreeMap<String, usize>,
    /// The ARN of each stream the file's `dynamodb` and `kinesis` events read, by
    /// `StreamEvent::key` (looked up at plan time: a table's stream ARN is not derivable).
    pub stream_arns: BTreeMap<String, String>,
}

/// Adds the environment tag ([`ENV_TAG`]) to the resources whose live readers return their real
/// tags (functions, roles, the REST API, stages, event source mappings): those are where
/// [`environment_conflicts`] tells one environment's stack from a look-alike's.
fn mark_environment(resources: &mut [Resource], environment: Option<&str>) {
    let Some(environment) = environment else {
        return;
    };
    for r in resources {
        if let Some(tags) = real_tags_mut(r) {
            tags.insert(ENV_TAG.to_string(), environment.to_string());
        }
    }
}

fn real_tags_mut(r: &mut Resource) -> Option<&mut Tags> {
    match r {
        Resource::Function(f) => Some(&mut f.tags),
        Resource::Role(x) => Some(&mut x.tags),
        Resource::RestApi(x) => Some(&mut x.tags),
        Resource::Stage(x) => Some(&mut x.tags),
        Resource::EventSourceMapping(x) => Some(&mut x.tags),
        _ => None,
    }
}

/// Live resources that carry the stack's name tag but another environment's tag (or none where
/// one is wanted, or one where none is): another stack whose name and environment spell the same
/// physical names. The plan stops on them rather than update or delete that stack's resources.
pub fn environment_conflicts(
    live: &[Resource],
    stack: &str,
    environment: Option<&str>,
) -> Vec<crate::live::Conflict> {
    live.iter()
        .filter_map(|r| {
            let address = r.address();
            let mut r = r.clone();
            let tags = real_tags_mut(&mut r)?;
            if tags.get(STACK_TAG).map(String::as_str) != Some(stack) {
                return None;
            }
            let theirs = tags.get(ENV_TAG).cloned();
            (theirs.as_deref() != environment).then(|| crate::live::Conflict {
                what: address.to_string(),
                message: format!(
                    "{address} carries {STACK_TAG}={stack} but belongs to {}, not to {}",
                    theirs.map_or("a stack without environments".to_string(), |e| format!("environment {e}")),
                    environment.map_or("this stack without environments".to_string(), |e| format!("environment {e}")),
                ),
                hint: "another stack's name and environment spell the same physical names; give this stack or environment another name (stackctl will not touch that stack's resources)".into(),
            })
        })
        .collect()
}

/// Every resource the file describes.
pub fn build(config: &StackConfig, env: &Env) -> Vec<Resource> {
    let tags = stack_tags(&config.name);
    let mut out = Vec::new();
    for (key, f) in &config.functions {
        let name = config.function_name(key);
        let role = match &f.role {
            Some(arn) => arn.clone(),
            None => {
                let role = role_name(&config.name, key);
                out.push(Resource::Role(Role {
                    name: role.clone(),
                    trust_service: "lambda.amazonaws.com".into(),
                    policy: crate::desired_events::execution_policy(env, &name, f),
                    tags: tags.clone(),
                }));
                role_arn(env, &role)
            }
        };
        out.push(Resource::LogGroup(LogGroup {
            name: log_group_name(&name),
            retention_days: f.log_retention_days,
            tags: tags.clone(),
        }));
        out.push(Resource::Function(Function {
            name,
            runtime: f.runtime.clone(),
            handler: f.handler.clone(),
            memory_mb: f.memory_mb,
            timeout_s: f.timeout_s,
            description: f.description.clone(),
            environment: f.environment.clone(),
            role_arn: role,
            code_sha256: env.code.get(key).cloned().unwrap_or_default(),
            architecture: f.architecture,
            layers: f.layers.clone(),
            tracing: f.tracing,
            tags: crate::desired_events::function_tags(config, f),
        }));
    }
    out.extend(crate::desired_events::mappings(config, env));
    if let Some(api) = &config.api {
        out.extend(api_resources(config, api, env, &tags));
    }
    mark_environment(&mut out, config.env.as_deref());
    out
}

fn api_resources(config: &StackConfig, api: &ApiConfig, env: &Env, tags: &Tags) -> Vec<Resource> {
    let mut out = vec![Resource::RestApi(RestApi {
        name: api.name.clone(),
        endpoint_type: "REGIONAL".into(),
        tags: tags.clone(),
    })];

    let mut paths = BTreeSet::new();
    let mut verbs_by_path: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut permissions = Vec::new();
    for route in &api.routes {
        let mut prefix = String::new();
        for seg in route.path.split('/').filter(|s| !s.is_empty()) {
            prefix.push('/');
            prefix.push_str(seg);
            paths.insert(prefix.clone());
        }
        for verb in &route.methods {
            verbs_by_path.entry(&route.path).or_default().insert(verb);
            let function = config.function_name(&route.function);
            out.push(Resource::Method(Method {
                path: route.path.clone(),
                verb: verb.clone(),
                authorization: "NONE".into(),
                integration: Integration::LambdaProxy {
                    uri: integration_uri(env, &function),
                    function: function.clone(),
                },
            }));
            permissions.push(Permission {
                statement_id: statement_id(verb, &route.path),
                source_arn: env
                    .api_id
                    .as_ref()
                    .map(|id| source_arn(env, id, verb, &route.path)),
                function,
                verb: verb.clone(),
                path: route.path.clone(),
            });
        }
    }
    // Per route while the function's policy fits Lambda's limit, else coarser (see policy.rs).
    out.extend(
        crate::policy::fit(env, permissions)
            .into_iter()
            .map(Resource::Permission),
    );
    out.extend(
        paths
            .into_iter()
            .map(|path| Resource::ApiResource(ApiResource { path })),
    );

    if let Some(cors) = &api.cors {
        for (path, verbs) in &verbs_by_path {
            let allow_methods =
                cors_allow_methods(verbs.iter().copied(), cors.allow_methods.as_deref()).join(",");
            out.push(Resource::Method(Method {
                path: path.to_string(),
                verb: "OPTIONS".into(),
                authorization: "NONE".into(),
                integration: Integration::CorsMock {
                    allow_origin: cors.allow_origin.clone(),
                    allow_methods,
                    allow_headers: cors.allow_headers.join(","),
                },
            }));
        }
        for response_type in ["DEFAULT_4XX", "DEFAULT_5XX"] {
            out.push(Resource::GatewayResponse(GatewayResponse {
                response_type: response_type.into(),
                parameters: BTreeMap::from([(
                    "gatewayresponse.header.Access-Control-Allow-Origin".to_string(),
                    format!("'{}'", cors.allow_origin),
                )]),
            }));
        }
    }

    if api.logging != LogLevel::Off {
        match &env.usable_cloudwatch_role {
            Some(arn) => out.push(Resource::AccountSettings(AccountSettings {
                cloudwatch_role_arn: Some(arn.clone()),
            })),
            None => {
                out.push(Resource::AccountRole(AccountRole {
                    name: CLOUDWATCH_ROLE_NAME.into(),
                }));
                out.push(Resource::AccountSettings(AccountSettings {
                    cloudwatch_role_arn: Some(role_arn(env, CLOUDWATCH_ROLE_NAME)),
                }));
            }
        }
    }

    if api.logging != LogLevel::Off {
        out.push(Resource::LogGroup(LogGroup {
            name: execution_log_group(env.api_id.as_deref(), &api.stage),
            retention_days: Some(api.log_retention_days),
            tags: tags.clone(),
        }));
    }

    let model = api_model_fingerprint(&out);
    out.push(Resource::Stage(Stage {
        name: api.stage.clone(),
        model,
        log_level: api.logging.as_str().into(),
        data_trace: api.data_trace,
        metrics: api.metrics,
        tracing: api.tracing,
        tags: tags.clone(),
    }));
    out
}

/// A short hash of everything a deployment snapshots: resources, methods, integrations and
/// gateway responses. A stage serving a deployment with another fingerprint needs a redeploy.
pub fn api_model_fingerprint(resources: &[Resource]) -> String {
    use sha2::{Digest, Sha256};
    let mut model: Vec<&Resource> = resources
        .iter()
        .filter(|r| {
            matches!(
                r,
                Resource::ApiResource(_) | Resource::Method(_) | Resource::GatewayResponse(_)
            )
        })
        .collect();
    model.sort_by_key(|r| r.address());
    let bytes = serde_json::to_vec(&model).expect("model serialises");
    hex(&Sha256::digest(&bytes)[..8])
}
