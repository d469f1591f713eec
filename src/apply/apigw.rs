//! API Gateway steps, every call paced to the account's quotas: the REST API, its resources and
//! methods, gateway responses, the account's logging role setting, and the stage's deployment.

use super::Ctx;
use crate::aws::retry::retry;
use crate::aws::{CallExt, code, is_not_found};
use crate::diff::Action;
use crate::model::*;
use crate::plan::Step;
use anyhow::{Result, bail};
use aws_sdk_apigateway::error::ProvideErrorMetadata;
use aws_sdk_apigateway::types::{
    EndpointConfiguration, EndpointType, GatewayResponseType, IntegrationType, Op, PatchOperation,
};
use std::collections::HashMap;
use std::time::Duration;

pub async fn apply(ctx: &Ctx, step: &Step) -> Result<()> {
    use Resource as R;
    match (&step.desired, &step.live, step.action) {
        (Some(R::RestApi(api)), _, Action::Create) => create_api(ctx, api).await,
        (Some(R::RestApi(api)), Some(R::RestApi(live)), _) => {
            update_api(ctx, step, api, live).await
        }
        (_, Some(R::RestApi(_)), Action::Delete) => delete_api(ctx).await,
        (Some(R::ApiResource(r)), _, Action::Create) => create_resource(ctx, &r.path).await,
        (_, Some(R::ApiResource(r)), Action::Delete) => delete_resource(ctx, &r.path).await,
        (Some(R::Method(m)), _, Action::Create) => put_method(ctx, m).await,
        (Some(R::Method(m)), _, Action::Replace) => {
            delete_method(ctx, &m.path, &m.verb).await?;
            put_method(ctx, m).await
        }
        (_, Some(R::Method(m)), Action::Delete) => delete_method(ctx, &m.path, &m.verb).await,
        (Some(R::GatewayResponse(g)), _, _) => put_gateway_response(ctx, g).await,
        (_, Some(R::GatewayResponse(g)), Action::Delete) => {
            delete_gateway_response(ctx, &g.response_type).await
        }
        (Some(R::AccountSettings(s)), _, _) => update_account(ctx, s).await,
        (Some(R::Stage(s)), _, Action::Create) => create_stage(ctx, s).await,
        (Some(R::Stage(s)), _, _) => update_stage(ctx, step, s).await,
        (_, Some(R::Stage(s)), Action::Delete) => delete_stage(ctx, &s.name).await,
        _ => bail!(
            "internal error: no API Gateway action for {} {}",
            step.kind.as_str(),
            step.name
        ),
    }
}

fn replace(path: &str, value: impl Into<String>) -> PatchOperation {
    PatchOperation::builder()
        .op(Op::Replace)
        .path(path)
        .value(value)
        .build()
}

fn api_arn(ctx: &Ctx, api_id: &str) -> String {
    format!(
        "arn:{}:apigateway:{}::/restapis/{api_id}",
        ctx.env.partition, ctx.env.region
    )
}

/// CreateRestApi is not idempotent and the SDK retries it on a lost response: so it is sent with
/// SDK retries off, and after any failure the API is looked up by its tag before trying again.
async fn create_api(ctx: &Ctx, api: &RestApi) -> Result<()> {
    let gw = &ctx.aws.apigw;
    for attempt in 1..=4 {
        ctx.aws.pacer.wait("CreateRestApi").await;
        let sent = gw
            .create_rest_api()
            .name(&api.name)
            .endpoint_configuration(
                EndpointConfiguration::builder()
                    .types(EndpointType::Regional)
                    .build(),
            )
            .set_tags(Some(api.tags.clone().into_iter().collect()))
            .customize()
            .config_override(
                aws_sdk_apigateway::config::Config::builder()
                    .retry_config(aws_config::retry::RetryConfig::disabled()),
            )
            .send()
            .await;
        match sent {
            Ok(out) => {
                let id = out.id().unwrap_or_default().to_string();
                ctx.set_api_id(&id);
                return root_id(ctx, &id, out.root_resource_id()).await;
            }
            Err(e) => {
                if let Some(id) = find_api_by_tag(ctx).await? {
                    ctx.set_api_id(&id);
                    return root_id(ctx, &id, None).await;
                }
                let client_error = matches!(
                    code(&e),
                    Some(c) if c != "TooManyRequestsException" && c != "ServiceUnavailableException" && c != "InternalFailure"
                );
                if client_error || attempt == 4 {
                    return Err(e).ctx(format!("apigateway:CreateRestApi {}", api.name));
                }
                tokio::time::sleep(Duration::from_secs(attempt)).await;
            }
        }
    }
    unreachable!("the loop returns on its last attempt")
}

async fn find_api_by_tag(ctx: &Ctx) -> Result<Option<String>> {
    ctx.aws.pacer.wait("GetRestApis").await;
    let apis = ctx
        .aws
        .apigw
        .get_rest_apis()
        .limit(500)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .ctx("apigateway:GetRestApis")?;
    Ok(apis
        .iter()
        .find(|a| crate::live::owned(a.tags(), &ctx.config.name))
        .and_then(|a| a.id().map(str::to_string)))
}

async fn root_id(ctx: &Ctx, api_id: &str, known: Option<&str>) -> Result<()> {
    if let Some(root) = known {
        ctx.set_resource_id("/", root);
        return Ok(());
    }
    ctx.aws.pacer.wait("GetResources").await;
    let out = ctx
        .aws
        .apigw
        .get_resources()
        .rest_api_id(api_id)
        .limit(500)
        .send()
        .await
        .ctx(format!("apigateway:GetResources {api_id}"))?;
    for r in out.items() {
        if let (Some(path), Some(id)) = (r.path(), r.id()) {
            ctx.set_resource_id(path, id);
        }
    }
    Ok(())
}

async fn update_api(ctx: &Ctx, step: &Step, api: &RestApi, live: &RestApi) -> Result<()> {
    let id = ctx.api_id()?;
    let gw = &ctx.aws.apigw;
    if step.changed("endpoint") {
        ctx.aws.pacer.wait("UpdateRestApi").await;
        gw.update_rest_api()
            .rest_api_id(&id)
            .patch_operations(replace(
                &format!("/endpointConfiguration/types/{}", live.endpoint_type),
                &api.endpoint_type,
            ))
            .send()
            .await
            .ctx(format!("apigateway:UpdateRestApi {id}"))?;
    }
    if step.changed_prefix("tags.") {
        ctx.aws.pacer.wait("TagResource").await;
        gw.tag_resource()
            .resource_arn(api_arn(ctx, &id))
            .set_tags(Some(api.tags.clone().into_iter().collect()))
            .send()
            .await
            .ctx(format!("apigateway:TagResource {id}"))?;
    }
    Ok(())
}

async fn delete_api(ctx: &Ctx) -> Result<()> {
    let id = ctx.api_id()?;
    ctx.aws.pacer.wait("DeleteRestApi").await;
    match ctx
        .aws
        .apigw
        .delete_rest_api()
        .rest_api_id(&id)
        .send()
        .await
    {
        Err(e) if !is_not_found(&e) => Err(e).ctx(format!("apigateway:DeleteRestApi {id}")),
        _ => Ok(()),
    }
}

async fn create_resource(ctx: &Ctx, path: &str) -> Result<()> {
    let api_id = ctx.api_id()?;
    let (parent, part) = path.rsplit_once('/').expect("paths start with '/'");
    let parent_id = ctx.resource_id(if parent.is_empty() { "/" } else { parent })?;
    ctx.aws.pacer.wait("CreateResource").await;
    match ctx
        .aws
        .apigw
        .create_resource()
        .rest_api_id(&api_id)
        .parent_id(parent_id)
        .path_part(part)
        .send()
        .await
    {
        Ok(out) => {
            ctx.set_resource_id(path, out.id().unwrap_or_default());
            Ok(())
        }
        // Created by an earlier attempt whose response was lost: learn its id.
        Err(e) if code(&e) == Some("ConflictException") => {
            root_id(ctx, &api_id, None).await?;
            ctx.resource_id(path).map(|_| ())
        }
        Err(e) => Err(e).ctx(format!("apigateway:CreateResource {path}")),
    }
}

async fn delete_resource(ctx: &Ctx, path: &str) -> Result<()> {
    let api_id = ctx.api_id()?;
    let id = ctx.resource_id(path)?;
    ctx.aws.pacer.wait("DeleteResource").await;
    match ctx
        .aws
        .apigw
        .delete_resource()
        .rest_api_id(&api_id)
        .resource_id(&id)
        .send()
        .await
    {
        Err(e) if !is_not_found(&e) => Err(e).ctx(format!("apigateway:DeleteResource {path}")),
        _ => Ok(()),
    }
}

async fn delete_method(ctx: &Ctx, path: &str, verb: &str) -> Result<()> {
    let api_id = ctx.api_id()?;
    let id = ctx.resource_id(path)?;
    ctx.aws.pacer.wait("DeleteMethod").await;
    match ctx
        .aws
        .apigw
        .delete_method()
        .rest_api_id(&api_id)
        .resource_id(&id)
        .http_method(verb)
        .send()
        .await
    {
        Err(e) if !is_not_found(&e) => Err(e).ctx(format!("apigateway:DeleteMethod {verb} {path}")),
        _ => Ok(()),
    }
}

const CORS_HEADERS: [(&str, &str); 3] = [
    ("Headers", "allow_headers"),
    ("Methods", "allow_methods"),
    ("Origin", "allow_origin"),
];

async fn put_method(ctx: &Ctx, m: &Method) -> Result<()> {
    let api_id = ctx.api_id()?;
    let id = ctx.resource_id(&m.path)?;
    let gw = &ctx.aws.apigw;
    let what = format!("{} {}", m.verb, m.path);
    ctx.aws.pacer.wait("PutMethod").await;
    gw.put_method()
        .rest_api_id(&api_id)
        .resource_id(&id)
        .http_method(&m.verb)
        .authorization_type(&m.authorization)
        .send()
        .await
        .ctx(format!("apigateway:PutMethod {what}"))?;
    match &m.integration {
        Integration::LambdaProxy { uri, .. } => {
            ctx.aws.pacer.wait("PutIntegration").await;
            gw.put_integration()
                .rest_api_id(&api_id)
                .resource_id(&id)
                .http_method(&m.verb)
                .r#type(IntegrationType::AwsProxy)
                .integration_http_method("POST")
                .uri(uri)
                .send()
                .await
                .ctx(format!("apigateway:PutIntegration {what}"))?;
        }
        Integration::CorsMock {
            allow_origin,
            allow_methods,
            allow_headers,
        } => {
            let header = |h: &str| format!("method.response.header.Access-Control-Allow-{h}");
            ctx.aws.pacer.wait("PutMethodResponse").await;
            gw.put_method_response()
                .rest_api_id(&api_id)
                .resource_id(&id)
                .http_method("OPTIONS")
                .status_code("200")
                .set_response_parameters(Some(
                    CORS_HEADERS
                        .iter()
                        .map(|(h, _)| (header(h), false))
                        .collect(),
                ))
                .response_models("application/json", "Empty")
                .send()
                .await
                .ctx(format!("apigateway:PutMethodResponse {what}"))?;
            ctx.aws.pacer.wait("PutIntegration").await;
            gw.put_integration()
                .rest_api_id(&api_id)
                .resource_id(&id)
                .http_method("OPTIONS")
                .r#type(IntegrationType::Mock)
                .request_templates("application/json", r#"{"statusCode": 200}"#)
                .send()
                .await
                .ctx(format!("apigateway:PutIntegration {what}"))?;
            let values: HashMap<String, String> = HashMap::from([
                (header("Headers"), format!("'{allow_headers}'")),
                (header("Methods"), format!("'{allow_methods}'")),
                (header("Origin"), format!("'{allow_origin}'")),
            ]);
            ctx.aws.pacer.wait("PutIntegrationResponse").await;
            gw.put_integration_response()
                .rest_api_id(&api_id)
                .resource_id(&id)
                .http_method("OPTIONS")
                .status_code("200")
                .set_response_parameters(Some(values))
                .response_templates("application/json", "")
                .send()
                .await
                .ctx(format!("apigateway:PutIntegrationResponse {what}"))?;
        }
    }
    Ok(())
}

async fn put_gateway_response(ctx: &Ctx, g: &GatewayResponse) -> Result<()> {
    let api_id = ctx.api_id()?;
    ctx.aws.pacer.wait("PutGatewayResponse").await;
    ctx.aws
        .apigw
        .put_gateway_response()
        .rest_api_id(&api_id)
        .response_type(GatewayResponseType::from(g.response_type.as_str()))
        .set_response_parameters(Some(g.parameters.clone().into_iter().collect()))
        .send()
        .await
        .ctx(format!("apigateway:PutGatewayResponse {}", g.response_type))?;
    Ok(())
}

async fn delete_gateway_response(ctx: &Ctx, response_type: &str) -> Result<()> {
    let api_id = ctx.api_id()?;
    ctx.aws.pacer.wait("DeleteGatewayResponse").await;
    match ctx
        .aws
        .apigw
        .delete_gateway_response()
        .rest_api_id(&api_id)
        .response_type(GatewayResponseType::from(response_type))
        .send()
        .await
    {
        Err(e) if !is_not_found(&e) => {
            Err(e).ctx(format!("apigateway:DeleteGatewayResponse {response_type}"))
        }
        _ => Ok(()),
    }
}

/// Points the account's API Gateway logging at the role; a role created moments ago is refused
/// until IAM propagates it, so that refusal is retried.
async fn update_account(ctx: &Ctx, s: &AccountSettings) -> Result<()> {
    let Some(arn) = &s.cloudwatch_role_arn else {
        return Ok(());
    };
    let propagating = |e: &aws_sdk_apigateway::error::SdkError<_, _>| {
        code(e) == Some("BadRequestException")
            && ProvideErrorMetadata::message(e).is_some_and(|m| m.contains("role ARN"))
    };
    retry(Duration::from_secs(120), propagating, || async {
        ctx.aws.pacer.wait("UpdateAccount").await;
        ctx.aws
            .apigw
            .update_account()
            .patch_operations(replace("/cloudwatchRoleArn", arn))
            .send()
            .await
    })
    .await
    .ctx("apigateway:UpdateAccount /cloudwatchRoleArn")?;
    Ok(())
}

async fn create_deployment(ctx: &Ctx, api_id: &str, model: &str) -> Result<String> {
    ctx.aws.pacer.wait("CreateDeployment").await;
    let out = ctx
        .aws
        .apigw
        .create_deployment()
        .rest_api_id(api_id)
        .description(format!("{FINGERPRINT_PREFIX}{model}"))
        .send()
        .await
        .ctx(format!("apigateway:CreateDeployment {api_id}"))?;
    Ok(out.id().unwrap_or_default().to_string())
}

fn settings_ops(s: &Stage) -> Vec<PatchOperation> {
    vec![
        replace("/*/*/logging/loglevel", &s.log_level),
        replace("/*/*/logging/dataTrace", s.data_trace.to_string()),
        replace("/*/*/metrics/enabled", s.metrics.to_string()),
    ]
}

/// A deployment made without a stage, then a stage pointing at it: creating a deployment "into"
/// a stage would reset the stage's settings on some implementations.
async fn create_stage(ctx: &Ctx, s: &Stage) -> Result<()> {
    let api_id = ctx.api_id()?;
    let deployment = create_deployment(ctx, &api_id, &s.model).await?;
    ctx.aws.pacer.wait("CreateStage").await;
    match ctx
        .aws
        .apigw
        .create_stage()
        .rest_api_id(&api_id)
        .stage_name(&s.name)
        .deployment_id(&deployment)
        .set_tags(Some(s.tags.clone().into_iter().collect()))
        .send()
        .await
    {
        Ok(_) => {}
        // Created by an attempt whose response was lost: point it at this deployment below.
        Err(e) if code(&e) == Some("ConflictException") => {}
        Err(e) => return Err(e).ctx(format!("apigateway:CreateStage {}", s.name)),
    }
    let mut ops = vec![replace("/deploymentId", &deployment)];
    ops.extend(settings_ops(s));
    patch_stage(ctx, &api_id, &s.name, ops).await
}

async fn update_stage(ctx: &Ctx, step: &Step, s: &Stage) -> Result<()> {
    let api_id = ctx.api_id()?;
    let mut ops = Vec::new();
    if step.changed("deployment") {
        let deployment = create_deployment(ctx, &api_id, &s.model).await?;
        ops.push(replace("/deploymentId", deployment));
    }
    if step.changed("logging") || step.changed("data_trace") || step.changed("metrics") {
        ops.extend(settings_ops(s));
    }
    if !ops.is_empty() {
        patch_stage(ctx, &api_id, &s.name, ops).await?;
    }
    if step.changed_prefix("tags.") {
        ctx.aws.pacer.wait("TagResource").await;
        ctx.aws
            .apigw
            .tag_resource()
            .resource_arn(format!("{}/stages/{}", api_arn(ctx, &api_id), s.name))
            .set_tags(Some(s.tags.clone().into_iter().collect()))
            .send()
            .await
            .ctx(format!("apigateway:TagResource stage {}", s.name))?;
    }
    Ok(())
}

async fn patch_stage(ctx: &Ctx, api_id: &str, stage: &str, ops: Vec<PatchOperation>) -> Result<()> {
    ctx.aws.pacer.wait("UpdateStage").await;
    ctx.aws
        .apigw
        .update_stage()
        .rest_api_id(api_id)
        .stage_name(stage)
        .set_patch_operations(Some(ops))
        .send()
        .await
        .ctx(format!("apigateway:UpdateStage {stage}"))?;
    Ok(())
}

async fn delete_stage(ctx: &Ctx, stage: &str) -> Result<()> {
    let api_id = ctx.api_id()?;
    ctx.aws.pacer.wait("DeleteStage").await;
    match ctx
        .aws
        .apigw
        .delete_stage()
        .rest_api_id(&api_id)
        .stage_name(stage)
        .send()
        .await
    {
        Err(e) if !is_not_found(&e) => Err(e).ctx(format!("apigateway:DeleteStage {stage}")),
        _ => Ok(()),
    }
}
