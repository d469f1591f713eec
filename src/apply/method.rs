//! Methods and their integrations: a Lambda proxy, or the console's "Enable CORS" OPTIONS mock
//! (see `openapi.rs` for the same shapes as one document). A method whose kind of integration is
//! unchanged is updated in place, with the one call that carries what changed.

use super::Ctx;
use crate::aws::Service::ApiGateway;
use crate::aws::{Absent, AwsError};
use crate::model::{Integration, Method};
use anyhow::Result;
use aws_sdk_apigateway::types::IntegrationType;
use std::collections::HashMap;

/// The CORS headers the OPTIONS mock declares, after `Access-Control-Allow-`.
const CORS_HEADERS: [&str; 3] = ["Headers", "Methods", "Origin"];

fn header(h: &str) -> String {
    format!("method.response.header.Access-Control-Allow-{h}")
}

/// Where a method lives: its REST API, resource id, and `VERB /path` for messages.
struct At {
    api_id: String,
    id: String,
    what: String,
}

impl At {
    fn of(ctx: &Ctx, m: &Method) -> Result<At> {
        Ok(At {
            api_id: ctx.api_id()?,
            id: ctx.resource_id(&m.path)?,
            what: format!("{} {}", m.verb, m.path),
        })
    }
}

/// Whether a write failed because the resource id it named is gone: a concurrent first apply's
/// PutRestApi rebuilt the API, giving its resources new ids.
fn stale_id(e: &anyhow::Error) -> bool {
    e.downcast_ref::<AwsError>()
        .is_some_and(|a| a.code.as_deref() == Some("NotFoundException"))
}

/// Runs `write` once, and once more after learning the API's resource ids again if the id it
/// used was stale.
async fn with_fresh_ids<F, Fut>(ctx: &Ctx, write: F) -> Result<()>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    match write().await {
        Err(e) if stale_id(&e) => {
            super::apigw::root_id(ctx, &ctx.api_id()?, None).await?;
            write().await
        }
        done => done,
    }
}

/// Creates (or overwrites) the method and all of its integration.
pub async fn put_method(ctx: &Ctx, m: &Method) -> Result<()> {
    with_fresh_ids(ctx, || put_method_once(ctx, m)).await
}

async fn put_method_once(ctx: &Ctx, m: &Method) -> Result<()> {
    let at = At::of(ctx, m)?;
    let gw = &ctx.aws.apigw;
    ctx.aws
        .call(ApiGateway, "PutMethod", &at.what, || {
            gw.put_method()
                .rest_api_id(&at.api_id)
                .resource_id(&at.id)
                .http_method(&m.verb)
                .authorization_type(&m.authorization)
                .send()
        })
        .await?;
    match &m.integration {
        Integration::LambdaProxy { uri, .. } => put_proxy_integration(ctx, &at, &m.verb, uri).await,
        Integration::CorsMock { .. } => {
            ctx.aws
                .call(ApiGateway, "PutMethodResponse", &at.what, || {
                    gw.put_method_response()
                        .rest_api_id(&at.api_id)
                        .resource_id(&at.id)
                        .http_method("OPTIONS")
                        .status_code("200")
                        .set_response_parameters(Some(
                            CORS_HEADERS.iter().map(|h| (header(h), false)).collect(),
                        ))
                        .response_models("application/json", "Empty")
                        .send()
                })
                .await?;
            ctx.aws
                .call(ApiGateway, "PutIntegration", &at.what, || {
                    gw.put_integration()
                        .rest_api_id(&at.api_id)
                        .resource_id(&at.id)
                        .http_method("OPTIONS")
                        .r#type(IntegrationType::Mock)
                        .request_templates("application/json", r#"{"statusCode": 200}"#)
                        .send()
                })
                .await?;
            put_cors_values(ctx, &at, &m.integration).await
        }
    }
}

/// Updates a method in place: for a Lambda proxy, the integration (a route moved to another
/// function); for the CORS mock, the integration response carrying the header values. The diff
/// only plans an update where the method's authorization and kind of integration are unchanged
/// (see `diff::action`); anything else is a replace.
pub async fn update_method(ctx: &Ctx, m: &Method) -> Result<()> {
    with_fresh_ids(ctx, || async {
        let at = At::of(ctx, m)?;
        match &m.integration {
            Integration::LambdaProxy { uri, .. } => {
                put_proxy_integration(ctx, &at, &m.verb, uri).await
            }
            Integration::CorsMock { .. } => put_cors_values(ctx, &at, &m.integration).await,
        }
    })
    .await
}

async fn put_proxy_integration(ctx: &Ctx, at: &At, verb: &str, uri: &str) -> Result<()> {
    ctx.aws
        .call(ApiGateway, "PutIntegration", &at.what, || {
            ctx.aws
                .apigw
                .put_integration()
                .rest_api_id(&at.api_id)
                .resource_id(&at.id)
                .http_method(verb)
                .r#type(IntegrationType::AwsProxy)
                .integration_http_method("POST")
                .uri(uri)
                .send()
        })
        .await?;
    Ok(())
}

/// The 200 integration response of the CORS mock, mapping the three headers to quoted values.
async fn put_cors_values(ctx: &Ctx, at: &At, integration: &Integration) -> Result<()> {
    let Integration::CorsMock {
        allow_origin,
        allow_methods,
        allow_headers,
    } = integration
    else {
        return Ok(());
    };
    let values: HashMap<String, String> = HashMap::from([
        (header("Headers"), format!("'{allow_headers}'")),
        (header("Methods"), format!("'{allow_methods}'")),
        (header("Origin"), format!("'{allow_origin}'")),
    ]);
    ctx.aws
        .call(ApiGateway, "PutIntegrationResponse", &at.what, || {
            ctx.aws
                .apigw
                .put_integration_response()
                .rest_api_id(&at.api_id)
                .resource_id(&at.id)
                .http_method("OPTIONS")
                .status_code("200")
                .set_response_parameters(Some(values.clone()))
                .response_templates("application/json", "")
                .send()
        })
        .await?;
    Ok(())
}

pub async fn delete_method(ctx: &Ctx, path: &str, verb: &str) -> Result<()> {
    let api_id = ctx.api_id()?;
    let id = ctx.resource_id(path)?;
    ctx.aws
        .call(ApiGateway, "DeleteMethod", format!("{verb} {path}"), || {
            ctx.aws
                .apigw
                .delete_method()
                .rest_api_id(&api_id)
                .resource_id(&id)
                .http_method(verb)
                .send()
        })
        .await
        .gone_ok()?;
    Ok(())
}
