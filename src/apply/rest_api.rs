//! The stack's REST API: a new one made once (a concurrent apply's create found and kept) with its
//! model in one PutRestApi, renamed or retagged in place, deleted with everything in it.

use super::Ctx;
use super::apigw::{api_arn, create_unique, no_sdk_retries, replace, root_id};
use crate::aws::Absent;
use crate::aws::Service::ApiGateway;
use crate::model::*;
use crate::plan::changed;
use anyhow::Result;
use aws_sdk_apigateway::types::{EndpointConfiguration, EndpointType, PutMode};
use aws_smithy_types::Blob;
use std::time::Duration;

/// How long after creating the stack's REST API a concurrent apply's create is looked for.
const CONCURRENT_CREATE_SETTLE: Duration = Duration::from_secs(1);

pub(super) async fn create_api(ctx: &Ctx, api: &RestApi) -> Result<()> {
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
        .filter(|a| crate::names::is_owned(a.tags(), &ctx.stack))
        .filter_map(|a| {
            let created = a.created_date().map(|d| d.secs()).unwrap_or(i64::MAX);
            a.id().map(|id| (id.to_string(), created))
        })
        .collect();
    found.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
    Ok(found)
}

pub(super) async fn update_api(ctx: &Ctx, api: &RestApi, live: &RestApi) -> Result<()> {
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

pub(super) async fn delete_api(ctx: &Ctx) -> Result<()> {
    let id = ctx.api_id()?;
    ctx.aws
        .call(ApiGateway, "DeleteRestApi", &id, || {
            ctx.aws.apigw.delete_rest_api().rest_api_id(&id).send()
        })
        .await
        .gone_ok()?;
    Ok(())
}
