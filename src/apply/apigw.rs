//! API Gateway steps, every call paced to the account's quotas: the REST API (a new one's model in
//! one PutRestApi), its resources, gateway responses and the account's logging role setting;
//! methods are in `method.rs`, the stage and its deployments in `stage.rs`.

use super::{Ctx, method, stage};
use crate::aws::Service::ApiGateway;
use crate::aws::retry::{Backoff, retry};
use crate::aws::{Absent, AwsError, call_name, describe};
use crate::diff::Action;
use crate::model::*;
use crate::plan::{Step, changed};
use anyhow::Result;
use aws_sdk_apigateway::error::ProvideErrorMetadata;
use aws_sdk_apigateway::types::{
    EndpointConfiguration, EndpointType, GatewayResponseType, Op, PatchOperation, PutMode,
};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::Blob;
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

/// How long after creating the stack's REST API a concurrent apply's create is looked for.
const CONCURRENT_CREATE_SETTLE: Duration = Duration::from_secs(1);

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

async fn create_api(ctx: &Ctx, api: &RestApi) -> Result<()> {
    let gw = &ctx.aws.apigw;
    let (mut id, mut root) = create_unique(
        ctx,
        "CreateRestApi",
        &api.name,
        || async {
            gw.create_rest_api()
                .name(&api.name)
                .endpoint_configuration(
                    EndpointConfiguration::builder()
                        .types(EndpointType::Regional)
                        .build(),
                )
                .set_tags(Some(api.tags.clone().into_iter().collect()))
                .customize()
                .config_override(no_sdk_retries())
                .send()
                .await
                .map(|out| {
                    (
                        out.id().unwrap_or_default().to_string(),
                        out.root_resource_id().map(str::to_string),
                    )
                })
        },
        || async { Ok(tagged_apis(ctx).await?.first().map(|a| (a.0.clone(), None))) },
    )
    .await?;
    // Another apply of the same stack may have created one at the same moment. Every apply
    // agrees on the oldest (then lowest id) as the stack's API; a loser deletes its own. A look
    // once now and once after a moment catches a concurrent create still in flight.
    let mut all = tagged_apis(ctx).await?;
    if all.len() == 1 {
        tokio::time::sleep(CONCURRENT_CREATE_SETTLE).await;
        all = tagged_apis(ctx).await?;
    }
    if let Some((winner, _)) = all.first().filter(|(w, _)| *w != id) {
        ctx.aws
            .call(
                ApiGateway,
                "DeleteRestApi",
                format!("{id} (a duplicate of {winner} made by a concurrent apply)"),
                || gw.delete_rest_api().rest_api_id(&id).send(),
            )
            .await
            .gone_ok()?;
        // The winner writes its model (PutRestApi) once its own second look is done, at most
        // one settle after ours began: wait that out, so that the ids read next include what it
        // wrote and our creates answer "exists" instead of adding a second copy beside it (an
        // overwrite does not remove resources made in the meantime on every implementation).
        tokio::time::sleep(2 * CONCURRENT_CREATE_SETTLE).await;
        id = winner.clone();
        root = None;
    } else if !ctx.bulk.methods.is_empty() {
        write_model(ctx, &id, api).await?;
        // Learn the ids after it, whatever its outcome: an overwrite may have replaced the root
        // even when its response was lost.
        root = None;
    }
    ctx.set_api_id(&id);
    root_id(ctx, &id, root.as_deref()).await
}

/// Writes every resource and method the plan creates on the API just made, in one
/// `PutRestApi` (`mode=overwrite`: the API is new, so nothing else is on it to lose), and
/// records in `ctx.bulk` whether it did; if not (PutRestApi refused, or an emulator
/// without it), the resource and method steps make their calls one by one. A hard quota (`LimitExceededException`, e.g.
/// resources per API) fails the step: one call at a time would only fail later, half-way.
async fn write_model(ctx: &Ctx, id: &str, api: &RestApi) -> Result<()> {
    let methods: Vec<&Method> = ctx.bulk.methods.iter().collect();
    let body = super::openapi::document(&api.name, &methods).to_string();
    let written = ctx
        .aws
        .call(ApiGateway, "PutRestApi", id, || {
            ctx.aws
                .apigw
                .put_rest_api()
                .rest_api_id(id)
                .mode(PutMode::Overwrite)
                .body(Blob::new(body.as_bytes()))
                .send()
        })
        .await;
    let written = match written {
        Ok(_) => true,
        Err(e) if e.code.as_deref() == Some("LimitExceededException") => return Err(e.into()),
        Err(_) => false,
    };
    ctx.bulk
        .written
        .store(written, std::sync::atomic::Ordering::SeqCst);
    Ok(())
}

/// The stack's REST APIs by tag, oldest first (ties broken by id, so every reader agrees).
async fn tagged_apis(ctx: &Ctx) -> Result<Vec<(String, i64)>> {
    let apis = crate::live::list_rest_apis(&ctx.aws).await?;
    let mut found: Vec<(String, i64)> = apis
        .iter()
        .filter(|a| crate::names::is_owned(a.tags(), &ctx.config.name))
        .filter_map(|a| {
            let created = a.created_date().map(|d| d.secs()).unwrap_or(i64::MAX);
            a.id().map(|id| (id.to_string(), created))
        })
        .collect();
    found.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
    Ok(found)
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

async fn update_api(ctx: &Ctx, api: &RestApi, live: &RestApi) -> Result<()> {
    let id = ctx.api_id()?;
    let gw = &ctx.aws.apigw;
    if changed(Some(live), api, |a| &a.name) {
        ctx.aws
            .call(ApiGateway, "UpdateRestApi", format!("{id} /name"), || {
                gw.update_rest_api()
                    .rest_api_id(&id)
                    .patch_operations(replace("/name", &api.name))
                    .send()
            })
            .await?;
    }
    if changed(Some(live), api, |a| &a.endpoint_type) {
        ctx.aws
            .call(ApiGateway, "UpdateRestApi", &id, || {
                gw.update_rest_api()
                    .rest_api_id(&id)
                    .patch_operations(replace(
                        &format!("/endpointConfiguration/types/{}", live.endpoint_type),
                        &api.endpoint_type,
                    ))
                    .send()
            })
            .await?;
    }
    if changed(Some(live), api, |a| &a.tags) {
        ctx.aws
            .call(ApiGateway, "TagResource", &id, || {
                gw.tag_resource()
                    .resource_arn(api_arn(ctx, &id))
                    .set_tags(Some(api.tags.clone().into_iter().collect()))
                    .send()
            })
            .await?;
    }
    Ok(())
}

async fn delete_api(ctx: &Ctx) -> Result<()> {
    let id = ctx.api_id()?;
    ctx.aws
        .call(ApiGateway, "DeleteRestApi", &id, || {
            ctx.aws.apigw.delete_rest_api().rest_api_id(&id).send()
        })
        .await
        .gone_ok()?;
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
