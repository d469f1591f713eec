//! API Gateway: the stack's REST API found by tag, and everything inside it in a few calls
//! (GetResources with embedded methods, the stages, the gateway responses, the served deployment).

use super::{Conflict, not_owned};
use crate::aws::Aws;
use crate::aws::Service::ApiGateway;
use crate::model::*;
use crate::names::is_owned;
use anyhow::Result;
use aws_sdk_apigateway::types as gw;
use std::collections::BTreeMap;

#[derive(Debug, Default)]
pub struct LiveApi {
    pub api_id: Option<String>,
    pub root_resource_id: Option<String>,
    pub resource_ids: BTreeMap<String, String>,
    pub resources: Vec<Resource>,
    pub conflicts: Vec<Conflict>,
    /// Every execution-log group of the API, when asked for (see [`read_api`]).
    pub execution_log_groups: Vec<super::logs::ExecutionLogGroup>,
}

/// Every REST API in the account and region (500 a page): tags are how the stack's is found.
pub async fn list_rest_apis(aws: &Aws) -> Result<Vec<gw::RestApi>> {
    aws.call(ApiGateway, "GetRestApis", "", || {
        aws.apigw
            .get_rest_apis()
            .limit(500)
            .into_paginator()
            .items()
            .send()
            .try_collect()
    })
    .await
    .map_err(Into::into)
}

/// Every resource of an API with its methods embedded: one call per 500 resources.
pub async fn list_resources(aws: &Aws, api_id: &str) -> Result<Vec<gw::Resource>> {
    aws.call(ApiGateway, "GetResources", &api_id, || {
        aws.apigw
            .get_resources()
            .rest_api_id(api_id)
            .embed("methods")
            .limit(500)
            .into_paginator()
            .items()
            .send()
            .try_collect()
    })
    .await
    .map_err(Into::into)
}

/// Finds the stack's API by its tag; reports duplicates, and an untagged API with the wanted name.
/// `adopt` is the id `[import]` names: while no API carries the tag, that untagged API is the stack's.
/// With `execution_logs`, the API's execution-log groups are read too, alongside its contents
/// rather than after them: one round trip fewer for every plan of a stack that logs.
pub async fn read_api(
    aws: &Aws,
    stack: &str,
    wanted_name: Option<&str>,
    wanted_stage: Option<&str>,
    adopt: Option<&str>,
    execution_logs: bool,
) -> Result<Option<LiveApi>> {
    let apis = list_rest_apis(aws).await?;
    let ours: Vec<&gw::RestApi> = apis.iter().filter(|a| is_owned(a.tags(), stack)).collect();
    let mut live = LiveApi::default();
    match ours.as_slice() {
        [] => {
            // Only an untagged API is a look-alike: one tagged for another stack is theirs.
            let untagged = |a: &&gw::RestApi| a.tags().is_none_or(|t| !t.contains_key(STACK_TAG));
            if let Some(id) = adopt {
                match apis.iter().find(|a| a.id() == Some(id)) {
                    Some(api) if untagged(&api) => {
                        read_contents(aws, stack, api, execution_logs, &mut live).await?;
                        tags_of_adopted(aws, id, &mut live).await?;
                        keep_owned_stages(&mut live, stack, wanted_stage, true);
                    }
                    found => live.conflicts.push(Conflict {
                        what: format!("rest_api {id}"),
                        message: match found {
                            Some(_) => format!(
                                "[import] adopts REST API {id}, but it carries the tag {STACK_TAG} of another stack"
                            ),
                            None => format!("[import] adopts REST API {id}, which does not exist"),
                        },
                        hint: "fix rest_api in [import], or remove it to let the stack create its own API".into(),
                    }),
                }
                return Ok(Some(live));
            }
            if let Some(name) = wanted_name
                && apis.iter().filter(untagged).any(|a| a.name() == Some(name))
            {
                live.conflicts.push(not_owned("rest_api", name));
            }
            return Ok(Some(live));
        }
        [api] => {
            read_contents(aws, stack, api, execution_logs, &mut live).await?;
            keep_owned_stages(&mut live, stack, wanted_stage, false);
        }
        many => {
            let ids: Vec<&str> = many.iter().filter_map(|a| a.id()).collect();
            live.conflicts.push(Conflict {
                what: "rest_api".into(),
                message: format!(
                    "{} REST APIs carry the tag {STACK_TAG}={stack}: {}; stackctl will not guess which is the stack's",
                    many.len(),
                    ids.join(", ")
                ),
                hint: "delete the extra ones (aws apigateway delete-rest-api --rest-api-id ID), or remove the tag from them".into(),
            });
        }
    }
    Ok(Some(live))
}

/// Stages are taggable, so a stage is the stack's only with the tag (or when the whole API is
/// adopted through `[import]`): a stage someone added by hand is left alone, and an untagged one
/// with the name the stack wants is a conflict, not silently taken over.
fn keep_owned_stages(live: &mut LiveApi, stack: &str, wanted: Option<&str>, adopted: bool) {
    let mut conflicts = Vec::new();
    live.resources.retain(|r| match r {
        Resource::Stage(s) => {
            let ours = is_owned(&s.tags, stack);
            if !ours && !adopted && wanted == Some(s.name.as_str()) {
                conflicts.push(super::not_owned_tagged("stage", &s.name, &s.tags));
            }
            ours || adopted
        }
        _ => true,
    });
    live.conflicts.extend(conflicts);
}

async fn read_contents(
    aws: &Aws,
    stack: &str,
    api: &gw::RestApi,
    execution_logs: bool,
    live: &mut LiveApi,
) -> Result<()> {
    let id = api.id().unwrap_or_default().to_string();
    let (groups, ()) = tokio::try_join!(
        async {
            if execution_logs {
                super::logs::execution_log_groups(aws, stack, &id).await
            } else {
                Ok(Vec::new())
            }
        },
        read_api_model(aws, api, &id, live),
    )?;
    live.execution_log_groups = groups;
    Ok(())
}

async fn read_api_model(aws: &Aws, api: &gw::RestApi, id: &str, live: &mut LiveApi) -> Result<()> {
    let id = id.to_string();
    live.api_id = Some(id.clone());
    live.resources.push(Resource::RestApi(RestApi {
        name: api.name().unwrap_or_default().to_string(),
        endpoint_type: api
            .endpoint_configuration()
            .map(|e| {
                e.types()
                    .iter()
                    .map(|t| t.as_str().to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default(),
        tags: api
            .tags()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
    }));

    let (resources, stages, responses) = tokio::try_join!(
        list_resources(aws, &id),
        async {
            aws.call(ApiGateway, "GetStages", &id, || {
                aws.apigw.get_stages().rest_api_id(&id).send()
            })
            .await
            .map_err(anyhow::Error::from)
        },
        async {
            aws.call(ApiGateway, "GetGatewayResponses", &id, || {
                aws.apigw
                    .get_gateway_responses()
                    .rest_api_id(&id)
                    .limit(500)
                    .send()
            })
            .await
            .map_err(anyhow::Error::from)
        },
    )?;

    for r in &resources {
        let path = r.path().unwrap_or_default();
        let rid = r.id().unwrap_or_default().to_string();
        if path == "/" {
            live.root_resource_id = Some(rid);
        } else {
            live.resource_ids.insert(path.to_string(), rid);
            live.resources.push(Resource::ApiResource(ApiResource {
                path: path.to_string(),
            }));
        }
        for (verb, m) in r.resource_methods().into_iter().flatten() {
            live.resources
                .push(Resource::Method(method_of(path, verb, m)));
        }
    }

    for g in responses.items() {
        if g.default_response() {
            continue;
        }
        let Some(t) = g.response_type() else { continue };
        live.resources
            .push(Resource::GatewayResponse(GatewayResponse {
                response_type: t.as_str().to_string(),
                parameters: g
                    .response_parameters()
                    .map(|p| p.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default(),
            }));
    }

    for s in stages.item() {
        let name = s.stage_name().unwrap_or_default().to_string();
        let model = served_model(s.description(), s.deployment_id())
            .unwrap_or_else(|| format!("(deployment {})", s.deployment_id().unwrap_or("none")));
        let all = s.method_settings().and_then(|m| m.get("*/*"));
        live.resources.push(Resource::Stage(Stage {
            name,
            model,
            log_level: all
                .and_then(|m| m.logging_level())
                .unwrap_or("OFF")
                .to_string(),
            data_trace: all.is_some_and(|m| m.data_trace_enabled()),
            metrics: all.is_some_and(|m| m.metrics_enabled()),
            tracing: Some(s.tracing_enabled()),
            tags: s
                .tags()
                .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
        }));
    }
    Ok(())
}

/// The tags of an adopted API and its stages, from GetTags: LocalStack and MiniStack keep tags
/// added by TagResource apart from what GetRestApis / GetStages return (AWS shows them in both),
/// so without this an adopted API would look untagged after apply, forever.
async fn tags_of_adopted(aws: &Aws, id: &str, live: &mut LiveApi) -> Result<()> {
    let arn = crate::names::rest_api_arn(aws.partition(), &aws.region, id);
    for r in &mut live.resources {
        let (tags, arn) = match r {
            Resource::RestApi(a) => (&mut a.tags, arn.clone()),
            Resource::Stage(s) => (&mut s.tags, format!("{arn}/stages/{}", s.name)),
            _ => continue,
        };
        let out = aws
            .call(ApiGateway, "GetTags", &arn, || {
                aws.apigw.get_tags().resource_arn(&arn).send()
            })
            .await?;
        tags.extend(out.tags.unwrap_or_default());
    }
    Ok(())
}

/// A live method as the model sees it; anything stackctl would not have built shows as `Other`.
fn method_of(path: &str, verb: &str, m: &gw::Method) -> Method {
    let integration = m.method_integration();
    let kind = integration.and_then(|i| i.r#type()).map(|t| t.as_str());
    let integration = match (kind, integration) {
        (Some("AWS_PROXY"), Some(i)) if i.http_method() == Some("POST") => {
            let uri = i.uri().unwrap_or_default().to_string();
            Integration::LambdaProxy {
                function: function_of_uri(&uri),
                uri,
            }
        }
        (Some("MOCK"), Some(i)) if verb == "OPTIONS" => cors_of(m, i),
        (kind, _) => Integration::LambdaProxy {
            function: String::new(),
            uri: format!("({})", kind.unwrap_or("no integration")),
        },
    };
    Method {
        path: path.to_string(),
        verb: verb.to_string(),
        authorization: m.authorization_type().unwrap_or("NONE").to_string(),
        integration,
    }
}

fn function_of_uri(uri: &str) -> String {
    uri.split(":function:")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default()
        .to_string()
}

const ALLOW: &str = "method.response.header.Access-Control-Allow-";

/// Reads back the console-style CORS mock; a part missing shows as an empty value, so it is repaired.
fn cors_of(m: &gw::Method, i: &gw::Integration) -> Integration {
    let complete = i
        .request_templates()
        .and_then(|t| t.get("application/json"))
        .is_some_and(|t| t.replace(' ', "") == r#"{"statusCode":200}"#)
        && m.method_responses()
            .and_then(|r| r.get("200"))
            .and_then(|r| r.response_parameters())
            .is_some_and(|declared| {
                ["Headers", "Methods", "Origin"]
                    .iter()
                    .all(|h| declared.contains_key(&format!("{ALLOW}{h}")))
            });
    let params = i
        .integration_responses()
        .and_then(|r| r.get("200"))
        .and_then(|r| r.response_parameters());
    let value = |name: &str| -> String {
        if !complete {
            return crate::model::INCOMPLETE.into();
        }
        params
            .and_then(|p| p.get(&format!("{ALLOW}{name}")))
            .map(|v| v.trim_matches('\'').to_string())
            .unwrap_or_default()
    };
    Integration::CorsMock {
        allow_origin: value("Origin"),
        allow_methods: value("Methods"),
        allow_headers: value("Headers"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_name_from_integration_uri() {
        let uri = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:hello-hello/invocations";
        assert_eq!(function_of_uri(uri), "hello-hello");
        assert_eq!(function_of_uri("http://example.com"), "");
    }
}
