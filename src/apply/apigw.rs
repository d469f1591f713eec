//! API Gateway steps, every call paced to the account's quotas: the dispatch of every API Gateway
//! step, the API's resources, gateway responses and the account's logging role setting; the REST
//! API itself is in `rest_api.rs`, methods in `method.rs`, the stage and its deployments in
//! `stage.rs`.

use super::rest_api::{create_api, delete_api, update_api};
use super::{Ctx, method, stage};
use crate::aws::Service::ApiGateway;
use crate::aws::retry::{Backoff, retry};
use crate::aws::{Absent, AwsError, call_name, describe};
use crate::diff::Action;
use crate::model::*;
use crate::plan::Step;
use anyhow::Result;
use aws_sdk_apigateway::error::ProvideErrorMetadata;
use aws_sdk_apigateway::types::{GatewayResponseType, Op, PatchOperation};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use std::future::Future;
use std::time::Duration;

pub async fn apply(ctx: &Ctx, step: &Step) -> Result<()> {
    use Resource as R;
    match (&step.desired, &step.live, step.action) {
        (Some(R::RestApi(api)), _, Action::Create) => create_api(ctx, api).await,
        (Some(R::RestApi(api)), Some(R::RestApi(live)), _) => update_api(ctx, api, live).await,
        (_, Some(R::RestApi(_)), Action::Delete) => delete_api(ctx).await,
        (Some(R::ApiResource(r)), _, Action::Create) if ctx.bulk.covers(&r.path, None) => Ok(()),
        (Some(R::ApiResource(r)), _, Action::Create) => create_resource(ctx, &r.path).await,
        (_, Some(R::ApiResource(r)), Action::Delete) => delete_resource(ctx, &r.path).await,
        (Some(R::Method(m)), _, Action::Create) if ctx.bulk.covers(&m.path, Some(&m.verb)) => {
            Ok(())
        }
        (Some(R::Method(m)), _, Action::Create) => method::put_method(ctx, m).await,
        (Some(R::Method(m)), _, Action::Update) => method::update_method(ctx, m).await,
        (Some(R::Method(m)), _, Action::Replace) => {
            method::delete_method(ctx, &m.path, &m.verb).await?;
            method::put_method(ctx, m).await
        }
        (_, Some(R::Method(m)), Action::Delete) => {
            method::delete_method(ctx, &m.path, &m.verb).await
        }
        (Some(R::GatewayResponse(g)), _, _) => put_gateway_response(ctx, g).await,
        (_, Some(R::GatewayResponse(g)), Action::Delete) => {
            delete_gateway_response(ctx, &g.response_type).await
        }
        (Some(R::AccountSettings(s)), _, _) => update_account(ctx, s).await,
        (Some(R::Stage(s)), _, Action::Create) => stage::create_stage(ctx, s).await,
        (Some(R::Stage(s)), _, _) => stage::update_stage(ctx, live_of!(step, Stage), s).await,
        (_, Some(R::Stage(s)), Action::Delete) => stage::delete_stage(ctx, &s.name).await,
        _ => crate::bail_internal!(
            "no API Gateway action for {} {}",
            step.kind.as_str(),
            step.name
        ),
    }
}

pub(super) fn replace(path: &str, value: impl Into<String>) -> PatchOperation {
    PatchOperation::builder()
        .op(Op::Replace)
        .path(path)
        .value(value)
        .build()
}

pub(super) fn api_arn(ctx: &Ctx, api_id: &str) -> String {
    crate::names::rest_api_arn(&ctx.env.partition, &ctx.env.region, api_id)
}

/// How often a create that API Gateway cannot deduplicate is attempted before giving up.
const CREATE_ATTEMPTS: u32 = 6;

/// Sends a create that API Gateway does not make idempotent (no name uniqueness, no client
/// token). The SDK would resend it after a lost response and make a second one, so SDK retries are
/// off; after any failure, `lookup` first looks for what an earlier attempt may have made, and
/// only if nothing is there is the create sent again (after the server's Retry-After or a backoff).
pub(super) async fn create_unique<T, E, Fut, LFut>(
    ctx: &Ctx,
    op: &'static str,
    what: &str,
    mut send: impl FnMut() -> Fut,
    mut lookup: impl FnMut() -> LFut,
) -> Result<T>
where
    Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    LFut: Future<Output = Result<Option<T>>>,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let mut backoff = Backoff::attempts(CREATE_ATTEMPTS);
    loop {
        let err = match ctx.aws.pacer.send(op, &mut send).await {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        if let Some(found) = lookup().await? {
            return Ok(found);
        }
        match backoff.after_failure(&err) {
            Some(wait) => tokio::time::sleep(wait).await,
            None => return Err(describe(call_name(ApiGateway, op, what), &err).into()),
        }
    }
}

pub(super) fn no_sdk_retries() -> aws_sdk_apigateway::config::Builder {
    aws_sdk_apigateway::config::Config::builder()
        .retry_config(aws_config::retry::RetryConfig::disabled())
}

/// Learns the API's resource ids: the root's from `known`, else all of them with one
/// `GetResources`.
pub(super) async fn root_id(ctx: &Ctx, api_id: &str, known: Option<&str>) -> Result<()> {
    if let Some(root) = known {
        ctx.set_resource_id("/", root);
        return Ok(());
    }
    for r in crate::live::list_resources(&ctx.aws, api_id).await? {
        if let (Some(path), Some(id)) = (r.path(), r.id()) {
            ctx.set_resource_id(path, id);
        }
    }
    Ok(())
}

async fn create_resource(ctx: &Ctx, path: &str) -> Result<()> {
    let api_id = ctx.api_id()?;
    let (parent, part) = path.rsplit_once('/').expect("paths start with '/'");
    let parent = if parent.is_empty() { "/" } else { parent };
    // Already on the API: written by a concurrent apply whose API this one adopted (its ids were
    // read after adopting it). AWS would refuse a second one; some emulators add it beside.
    if ctx.resource_id(path).is_ok() {
        return Ok(());
    }
    let mut refreshed = false;
    loop {
        let parent_id = ctx.resource_id(parent)?;
        let sent = ctx
            .aws
            .call(ApiGateway, "CreateResource", path, || {
                ctx.aws
                    .apigw
                    .create_resource()
                    .rest_api_id(&api_id)
                    .parent_id(&parent_id)
                    .path_part(part)
                    .send()
            })
            .await;
        return match sent {
            Ok(out) => {
                ctx.set_resource_id(path, out.id().unwrap_or_default());
                Ok(())
            }
            // Created by an earlier attempt whose response was lost: learn its id.
            Err(e) if e.is_already_exists() => {
                root_id(ctx, &api_id, None).await?;
                ctx.resource_id(path).map(|_| ())
            }
            // The parent's id changed under us (a concurrent first apply's PutRestApi rebuilt
            // the API): learn the ids again, once.
            Err(e) if e.is_not_found() && !refreshed => {
                refreshed = true;
                root_id(ctx, &api_id, None).await?;
                continue;
            }
            Err(e) => Err(e.into()),
        };
    }
}

async fn delete_resource(ctx: &Ctx, path: &str) -> Result<()> {
    let api_id = ctx.api_id()?;
    let id = ctx.resource_id(path)?;
    ctx.aws
        .call(ApiGateway, "DeleteResource", &path, || {
            ctx.aws
                .apigw
                .delete_resource()
                .rest_api_id(&api_id)
                .resource_id(&id)
                .send()
        })
        .await
        .gone_ok()?;
    Ok(())
}

async fn put_gateway_response(ctx: &Ctx, g: &GatewayResponse) -> Result<()> {
    let api_id = ctx.api_id()?;
    ctx.aws
        .call(ApiGateway, "PutGatewayResponse", &g.response_type, || {
            ctx.aws
                .apigw
                .put_gateway_response()
                .rest_api_id(&api_id)
                .response_type(GatewayResponseType::from(g.response_type.as_str()))
                .set_response_parameters(Some(g.parameters.clone().into_iter().collect()))
                .send()
        })
        .await?;
    Ok(())
}

async fn delete_gateway_response(ctx: &Ctx, response_type: &str) -> Result<()> {
    let api_id = ctx.api_id()?;
    ctx.aws
        .call(ApiGateway, "DeleteGatewayResponse", &response_type, || {
            ctx.aws
                .apigw
                .delete_gateway_response()
                .rest_api_id(&api_id)
                .response_type(GatewayResponseType::from(response_type))
                .send()
        })
        .await
        .gone_ok()?;
    Ok(())
}

/// Points the account's API Gateway logging at the role; a role created moments ago is refused
/// until IAM propagates it, so that refusal is retried.
async fn update_account(ctx: &Ctx, s: &AccountSettings) -> Result<()> {
    let Some(arn) = &s.cloudwatch_role_arn else {
        return Ok(());
    };
    retry(
        Duration::from_secs(120),
        AwsError::is_role_propagating,
        || {
            ctx.aws
                .call(ApiGateway, "UpdateAccount", "/cloudwatchRoleArn", || {
                    ctx.aws
                        .apigw
                        .update_account()
                        .patch_operations(replace("/cloudwatchRoleArn", arn))
                        .send()
                })
        },
    )
    .await?;
    Ok(())
}
