//! Lambda steps: functions (waiting for State/LastUpdateStatus between writes, retrying while a
//! new role propagates) and their invoke permissions.

use super::Ctx;
use crate::aws::retry::retry;
use crate::aws::{Absent, AwsError, Service::Lambda};
use crate::diff::Action;
use crate::model::{Function, Permission, Resource};
use crate::names::source_arn;
use crate::plan::{Step, changed};
use anyhow::{Context, Result, bail};
use aws_sdk_lambda::client::Waiters;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{
    Architecture, Environment, FunctionCode, Runtime, TracingConfig, TracingMode,
};
use std::time::Duration;

/// Sets the configuration CreateFunction and UpdateFunctionConfiguration share (two builder
/// types with the same setters) from the model function `$f`.
macro_rules! configuration {
    ($builder:expr, $f:expr) => {
        $builder
            .function_name(&$f.name)
            .runtime(Runtime::from($f.runtime.as_str()))
            .handler(&$f.handler)
            .role(&$f.role_arn)
            .memory_size($f.memory_mb)
            .timeout($f.timeout_s)
            .description(&$f.description)
            .environment(
                Environment::builder()
                    .set_variables(Some($f.environment.clone().into_iter().collect()))
                    .build(),
            )
            .tracing_config(tracing($f))
    };
}

/// How long a new role may take to become assumable by Lambda (Terraform allows 5 minutes).
const ROLE_PROPAGATION: Duration = Duration::from_secs(180);
const SETTLE: Duration = Duration::from_secs(300);

pub async fn apply(ctx: &Ctx, step: &Step) -> Result<()> {
    match (&step.desired, &step.live, step.action) {
        (Some(Resource::Function(f)), _, Action::Create) => create(ctx, step, f).await,
        (Some(Resource::Function(f)), _, _) => update(ctx, step, live_of!(step, Function), f).await,
        (_, Some(Resource::Function(f)), Action::Delete) => delete(ctx, &f.name).await,
        (Some(Resource::Permission(p)), _, Action::Create) => add_permission(ctx, p).await,
        (Some(Resource::Permission(p)), _, Action::Replace) => {
            remove_permission(ctx, p).await?;
            add_permission(ctx, p).await
        }
        (_, Some(Resource::Permission(p)), Action::Delete) => remove_permission(ctx, p).await,
        _ => crate::bail_internal!("no Lambda action for {} {}", step.kind.as_str(), step.name),
    }
}

/// The zip to upload: the one the plan built (see [`crate::plan::attach`]), as
/// [`Ctx::with_packages`] read it, else read now; checked against the hash the plan saw.
fn zip(ctx: &Ctx, step: &Step) -> Result<Vec<u8>> {
    match &step.package {
        Some(package) => match ctx.packages.get(&package.path) {
            Some(zip) => Ok(zip.clone()),
            None => package.read(),
        },
        None => crate::bail_internal!("the plan carries no package for function {}", step.name),
    }
}

async fn create(ctx: &Ctx, step: &Step, f: &Function) -> Result<()> {
    let zip = zip(ctx, step)?;
    let lambda = &ctx.aws.lambda;
    let created = retry(ROLE_PROPAGATION, AwsError::is_role_not_ready, || {
        ctx.aws.call(Lambda, "CreateFunction", &f.name, || {
            configuration!(lambda.create_function(), f)
                .architectures(Architecture::from(f.architecture.as_str()))
                .set_layers((!f.layers.is_empty()).then(|| f.layers.clone()))
                .code(
                    FunctionCode::builder()
                        .zip_file(Blob::new(zip.clone()))
                        .build(),
                )
                .set_tags(Some(f.tags.clone().into_iter().collect()))
                .send()
        })
    })
    .await;
    match created {
        Ok(_) => {}
        // A create whose response was lost: it exists; the next plan shows any difference. (On
        // CreateFunction the conflict can only be the name: a function that does not exist
        // cannot be busy.)
        Err(e) if e.code.as_deref() == Some("ResourceConflictException") => {
            let out = ctx
                .aws
                .call(Lambda, "GetFunction", &f.name, || {
                    lambda.get_function().function_name(&f.name).send()
                })
                .await?;
            if !crate::names::is_owned(out.tags(), &ctx.stack) {
                bail!(
                    "lambda:CreateFunction {}: a function with this name appeared that this stack does not own",
                    f.name
                );
            }
        }
        Err(e) => return Err(e.into()),
    }
    let out = lambda
        .wait_until_function_active_v2()
        .function_name(&f.name)
        .wait(SETTLE)
        .await
        .map_err(waiter_error)
        .with_context(|| format!("waiting for function {} to become Active", f.name))?;
    let revision = out
        .into_result()
        .ok()
        .and_then(|o| o.configuration.and_then(|c| c.revision_id));
    ctx.set_revision(&f.name, revision.as_deref());
    Ok(())
}

/// A Lambda waiter's failure in words: the function's own reason when it ended Failed, the call's
/// error when polling failed, the time waited otherwise (the SDK's Display says only "waiting
/// failed", and formats the time with `Debug`).
fn waiter_error(
    e: aws_sdk_lambda::waiters::function_active_v2::WaitUntilFunctionActiveV2Error,
) -> anyhow::Error {
    use aws_smithy_runtime_api::client::waiters::error::WaiterError;
    match e {
        WaiterError::ExceededMaxWait(w) => {
            anyhow::anyhow!("still not settled after {} s", w.max_wait().as_secs())
        }
        WaiterError::FailureState(f) => {
            let reason = f.final_poll().as_result().ok().and_then(|o| {
                let c = o.configuration()?;
                c.state_reason()
                    .or(c.last_update_status_reason())
                    .map(str::to_string)
            });
            anyhow::anyhow!(
                "the function ended in a failed state: {}",
                reason.unwrap_or_else(|| "Lambda gave no reason".into())
            )
        }
        WaiterError::OperationFailed(f) => {
            anyhow::Error::new(crate::aws::describe("lambda:GetFunction".into(), f.error()))
        }
        other => anyhow::anyhow!("{other}"),
    }
}

async fn wait_updated(ctx: &Ctx, name: &str) -> Result<()> {
    let out = ctx
        .aws
        .lambda
        .wait_until_function_updated_v2()
        .function_name(name)
        .wait(SETTLE)
        .await
        .map_err(waiter_error)
        .with_context(|| format!("waiting for function {name} to finish updating"))?;
    let revision = out
        .into_result()
        .ok()
        .and_then(|o| o.configuration.and_then(|c| c.revision_id));
    ctx.set_revision(name, revision.as_deref());
    Ok(())
}

async fn update(ctx: &Ctx, step: &Step, live: Option<&Function>, f: &Function) -> Result<()> {
    let lambda = &ctx.aws.lambda;
    let (config_changed, code_changed) = crate::plan::function_updates(live, f);
    if config_changed {
        let revision = ctx.revision(&f.name);
        retry(
            ROLE_PROPAGATION,
            |e: &AwsError| e.is_role_not_ready() || e.is_busy(),
            || {
                ctx.aws
                    .call(Lambda, "UpdateFunctionConfiguration", &f.name, || {
                        configuration!(lambda.update_function_configuration(), f)
                            // An empty list detaches every layer.
                            .set_layers(Some(f.layers.clone()))
                            .set_revision_id(revision.clone())
                            .send()
                    })
            },
        )
        .await?;
        wait_updated(ctx, &f.name).await?;
    }
    // The instruction set changes only with code (UpdateFunctionCode `Architectures`).
    if code_changed {
        let zip = zip(ctx, step)?;
        let revision = ctx.revision(&f.name);
        retry(SETTLE, AwsError::is_busy, || {
            ctx.aws.call(Lambda, "UpdateFunctionCode", &f.name, || {
                lambda
                    .update_function_code()
                    .function_name(&f.name)
                    .zip_file(Blob::new(zip.clone()))
                    .architectures(Architecture::from(f.architecture.as_str()))
                    .set_revision_id(revision.clone())
                    .send()
            })
        })
        .await?;
        wait_updated(ctx, &f.name).await?;
    }
    if changed(live, f, |f| &f.tags) {
        ctx.aws
            .call(Lambda, "TagResource", &f.name, || {
                lambda
                    .tag_resource()
                    .resource(crate::names::function_arn(&ctx.env, &f.name))
                    .set_tags(Some(f.tags.clone().into_iter().collect()))
                    .send()
            })
            .await?;
    }
    Ok(())
}

/// X-Ray: `Active` samples and traces every invocation; `PassThrough` is Lambda's default.
fn tracing(f: &Function) -> TracingConfig {
    let mode = if f.tracing {
        TracingMode::Active
    } else {
        TracingMode::PassThrough
    };
    TracingConfig::builder().mode(mode).build()
}

async fn delete(ctx: &Ctx, name: &str) -> Result<()> {
    ctx.aws
        .call(Lambda, "DeleteFunction", name, || {
            ctx.aws.lambda.delete_function().function_name(name).send()
        })
        .await
        .gone_ok()?;
    Ok(())
}

async fn add_permission(ctx: &Ctx, p: &Permission) -> Result<()> {
    let api_id = ctx.api_id()?;
    let arn = source_arn(&ctx.env, &api_id, &p.verb, &p.path);
    let what = format!("{} {}", p.function, p.statement_id);
    let added = retry(SETTLE, AwsError::is_busy, || {
        ctx.aws.call(Lambda, "AddPermission", &what, || {
            ctx.aws
                .lambda
                .add_permission()
                .function_name(&p.function)
                .statement_id(&p.statement_id)
                .action("lambda:InvokeFunction")
                .principal("apigateway.amazonaws.com")
                .source_arn(&arn)
                .send()
        })
    })
    .await;
    match added {
        // "Statement id exists": after a create whose response was lost, it is there already.
        Err(e) if !e.is_already_exists() => Err(e.into()),
        _ => Ok(()),
    }
}

async fn remove_permission(ctx: &Ctx, p: &Permission) -> Result<()> {
    let what = format!("{} {}", p.function, p.statement_id);
    retry(SETTLE, AwsError::is_busy, || {
        ctx.aws.call(Lambda, "RemovePermission", &what, || {
            ctx.aws
                .lambda
                .remove_permission()
                .function_name(&p.function)
                .statement_id(&p.statement_id)
                .send()
        })
    })
    .await
    .gone_ok()?;
    Ok(())
}
