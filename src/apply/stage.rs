//! The stage and the deployment it serves: a deployment is made exactly when the API model
//! differs from what the stage serves (its fingerprint is recorded in the descriptions), and the
//! stage's `/deploymentId` is patched; stages are never recreated, so their settings survive.

use super::Ctx;
use super::apigw::{api_arn, create_unique, no_sdk_retries, replace};
use crate::aws::Absent;
use crate::aws::Service::ApiGateway;
use crate::model::*;
use crate::plan::changed;
use anyhow::Result;
use aws_sdk_apigateway::types::PatchOperation;

/// A deployment serving `model`. One already made for it (by an apply that was killed before
/// pointing the stage at it, or for the same file earlier) is reused: a deployment is only ever
/// made after every model step succeeded, so its fingerprint describes its snapshot. Otherwise one
/// is created, and a lost response is looked up rather than sent twice.
async fn create_deployment(ctx: &Ctx, api_id: &str, model: &str) -> Result<String> {
    let description = format!("{FINGERPRINT_PREFIX}{model}");
    if let Some(id) = find_deployment(ctx, api_id, &description).await? {
        return Ok(id);
    }
    let gw = &ctx.aws.apigw;
    create_unique(
        ctx,
        "CreateDeployment",
        api_id,
        || async {
            gw.create_deployment()
                .rest_api_id(api_id)
                .description(&description)
                .customize()
                .config_override(no_sdk_retries())
                .send()
                .await
                .map(|out| out.id().unwrap_or_default().to_string())
        },
        || find_deployment(ctx, api_id, &description),
    )
    .await
}

/// The newest deployment whose description records `description`'s model.
async fn find_deployment(ctx: &Ctx, api_id: &str, description: &str) -> Result<Option<String>> {
    let found = ctx
        .aws
        .call(ApiGateway, "GetDeployments", &api_id, || {
            ctx.aws
                .apigw
                .get_deployments()
                .rest_api_id(api_id)
                .limit(500)
                .into_paginator()
                .items()
                .send()
                .try_collect()
        })
        .await?;
    Ok(found
        .into_iter()
        .filter(|d| d.description() == Some(description))
        .max_by_key(|d| d.created_date().map(|t| t.secs()))
        .and_then(|d| d.id))
}

fn settings_ops(s: &Stage) -> Vec<PatchOperation> {
    vec![
        replace("/*/*/logging/loglevel", &s.log_level),
        replace("/*/*/logging/dataTrace", s.data_trace.to_string()),
        replace("/*/*/metrics/enabled", s.metrics.to_string()),
    ]
}

/// `[api] tracing`, when the file sets it: the stage's X-Ray tracing (API Gateway UpdateStage
/// `/tracingEnabled`). Unset, nothing is sent and the stage keeps its own.
fn tracing_op(s: &Stage) -> Option<PatchOperation> {
    s.tracing.map(|t| replace("/tracingEnabled", t.to_string()))
}

/// A deployment made without a stage, then a stage pointing at it: creating a deployment "into"
/// a stage would reset the stage's settings on some implementations.
pub async fn create_stage(ctx: &Ctx, s: &Stage) -> Result<()> {
    let api_id = ctx.api_id()?;
    let mut deployment = create_deployment(ctx, &api_id, &s.model).await?;
    match ctx
        .aws
        .call(ApiGateway, "CreateStage", &s.name, || {
            ctx.aws
                .apigw
                .create_stage()
                .rest_api_id(&api_id)
                .stage_name(&s.name)
                .deployment_id(&deployment)
                .set_tags(Some(s.tags.clone().into_iter().collect()))
                .send()
        })
        .await
    {
        Ok(_) => {}
        // Created by an attempt whose response was lost, or by a concurrent apply of the same
        // stack. If the stage already serves a deployment of this very model, that one is kept
        // and ours deleted, so no unused deployment is left; otherwise the stage is pointed at ours.
        Err(e) if e.is_already_exists() => {
            if let Some(theirs) = same_model_deployment(ctx, &api_id, &s.name, &deployment).await? {
                ctx.aws
                    .call(ApiGateway, "DeleteDeployment", &deployment, || {
                        ctx.aws
                            .apigw
                            .delete_deployment()
                            .rest_api_id(&api_id)
                            .deployment_id(&deployment)
                            .send()
                    })
                    .await
                    .gone_ok()?;
                deployment = theirs;
            }
        }
        Err(e) => return Err(e.into()),
    }
    let mut ops = vec![
        replace("/deploymentId", &deployment),
        replace("/description", stage_description(&s.model, &deployment)),
    ];
    ops.extend(settings_ops(s));
    ops.extend(tracing_op(s));
    patch_stage(ctx, &api_id, &s.name, ops).await
}

/// The deployment `stage` serves, when it is not `ours` but was made for the same API model.
async fn same_model_deployment(
    ctx: &Ctx,
    api_id: &str,
    stage: &str,
    ours: &str,
) -> Result<Option<String>> {
    let gw = &ctx.aws.apigw;
    let current = ctx
        .aws
        .call(ApiGateway, "GetStage", &stage, || {
            gw.get_stage().rest_api_id(api_id).stage_name(stage).send()
        })
        .await?;
    let Some(theirs) = current.deployment_id().filter(|d| *d != ours) else {
        return Ok(None);
    };
    let (a, b) = (
        deployment_description(ctx, api_id, theirs).await?,
        deployment_description(ctx, api_id, ours).await?,
    );
    Ok((a.is_some() && a == b).then(|| theirs.to_string()))
}

async fn deployment_description(ctx: &Ctx, api_id: &str, id: &str) -> Result<Option<String>> {
    ctx.aws
        .call(ApiGateway, "GetDeployment", &id, || {
            ctx.aws
                .apigw
                .get_deployment()
                .rest_api_id(api_id)
                .deployment_id(id)
                .send()
        })
        .await
        .map(|d| d.description)
        .map_err(Into::into)
}

pub async fn update_stage(ctx: &Ctx, live: Option<&Stage>, s: &Stage) -> Result<()> {
    let api_id = ctx.api_id()?;
    let mut ops = Vec::new();
    if changed(live, s, |s| &s.model) {
        let deployment = create_deployment(ctx, &api_id, &s.model).await?;
        ops.push(replace(
            "/description",
            stage_description(&s.model, &deployment),
        ));
        ops.push(replace("/deploymentId", deployment));
    }
    if changed(live, s, |s| (&s.log_level, s.data_trace, s.metrics)) {
        ops.extend(settings_ops(s));
    }
    if s.tracing.is_some() && changed(live, s, |s| s.tracing) {
        ops.extend(tracing_op(s));
    }
    if !ops.is_empty() {
        patch_stage(ctx, &api_id, &s.name, ops).await?;
    }
    if changed(live, s, |s| &s.tags) {
        ctx.aws
            .call(
                ApiGateway,
                "TagResource",
                format!("stage {}", s.name),
                || {
                    ctx.aws
                        .apigw
                        .tag_resource()
                        .resource_arn(format!("{}/stages/{}", api_arn(ctx, &api_id), s.name))
                        .set_tags(Some(s.tags.clone().into_iter().collect()))
                        .send()
                },
            )
            .await?;
    }
    Ok(())
}

async fn patch_stage(ctx: &Ctx, api_id: &str, stage: &str, ops: Vec<PatchOperation>) -> Result<()> {
    ctx.aws
        .call(ApiGateway, "UpdateStage", &stage, || {
            ctx.aws
                .apigw
                .update_stage()
                .rest_api_id(api_id)
                .stage_name(stage)
                .set_patch_operations(Some(ops.clone()))
                .send()
        })
        .await?;
    Ok(())
}

pub async fn delete_stage(ctx: &Ctx, stage: &str) -> Result<()> {
    let api_id = ctx.api_id()?;
    ctx.aws
        .call(ApiGateway, "DeleteStage", &stage, || {
            ctx.aws
                .apigw
                .delete_stage()
                .rest_api_id(&api_id)
                .stage_name(stage)
                .send()
        })
        .await
        .gone_ok()?;
    Ok(())
}
