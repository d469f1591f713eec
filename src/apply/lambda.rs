//! Lambda steps: functions (waiting for State/LastUpdateStatus between writes, retrying while a
//! new role propagates) and their invoke permissions.

use super::Ctx;
use crate::aws::retry::retry;
use crate::aws::{CallExt, code, is_not_found};
use crate::desired::{source_arn, stack_tags};
use crate::diff::Action;
use crate::model::{Function, Permission, Resource};
use crate::plan::Step;
use anyhow::{Context, Result, bail};
use aws_sdk_lambda::client::Waiters;
use aws_sdk_lambda::error::ProvideErrorMetadata;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{
    Architecture, Environment, FunctionCode, Runtime, TracingConfig, TracingMode,
};
use std::time::Duration;

/// How long a new role may take to become assumable by Lambda (Terraform allows 5 minutes).
const ROLE_PROPAGATION: Duration = Duration::from_secs(180);
const SETTLE: Duration = Duration::from_secs(300);

pub async fn apply(ctx: &Ctx, step: &Step) -> Result<()> {
    match (&step.desired, &step.live, step.action) {
        (Some(Resource::Function(f)), _, Action::Create) => create(ctx, f).await,
        (Some(Resource::Function(f)), _, _) => update(ctx, step, f).await,
        (_, Some(Resource::Function(f)), Action::Delete) => delete(ctx, &f.name).await,
        (Some(Resource::Permission(p)), _, Action::Create) => add_permission(ctx, p).await,
        (Some(Resource::Permission(p)), _, Action::Replace) => {
            remove_permission(ctx, p).await?;
            add_permission(ctx, p).await
        }
        (_, Some(Resource::Permission(p)), Action::Delete) => remove_permission(ctx, p).await,
        _ => bail!(
            "internal error: no Lambda action for {} {}",
            step.kind.as_str(),
            step.name
        ),
    }
}

/// The function's logical key in the stack file, from its physical name.
fn key<'a>(ctx: &Ctx, name: &'a str) -> Result<&'a str> {
    name.strip_prefix(&format!("{}-", ctx.config.name))
        .filter(|k| ctx.config.functions.contains_key(*k))
        .with_context(|| format!("internal error: {name} is not a function of this stack file"))
}

/// Builds the package again (dependencies from the cache) and checks it is what the plan saw.
fn package(ctx: &Ctx, f: &Function) -> Result<Vec<u8>> {
    let key = key(ctx, &f.name)?;
    let source = &ctx.config.functions[key].source;
    let pkg = crate::build::build(&ctx.config, key)?.package;
    if pkg.sha256 != f.code_sha256 {
        bail!(
            "the code in {} changed since the plan was made (sha256 {} → {})\n  = hint: run `stackctl plan` again",
            source.display(),
            f.code_sha256,
            pkg.sha256
        );
    }
    Ok(pkg.zip)
}

fn is_role_not_ready(
    e: &aws_sdk_lambda::error::SdkError<impl ProvideErrorMetadata, impl std::fmt::Debug>,
) -> bool {
    code(e) == Some("InvalidParameterValueException")
        && e.message().is_some_and(|m| m.contains("cannot be assumed"))
}

/// "An update is in progress": the function is settling from an earlier write (ours or another
/// client's); the write is retried. "Already exists" is a different conflict, never retried.
fn is_busy(
    e: &aws_sdk_lambda::error::SdkError<impl ProvideErrorMetadata, impl std::fmt::Debug>,
) -> bool {
    code(e) == Some("ResourceConflictException")
        && !e.message().is_some_and(|m| m.contains("already exist"))
}

async fn create(ctx: &Ctx, f: &Function) -> Result<()> {
    let zip = package(ctx, f)?;
    let lambda = &ctx.aws.lambda;
    let created = retry(ROLE_PROPAGATION, is_role_not_ready, || {
        lambda
            .create_function()
            .function_name(&f.name)
            .runtime(Runtime::from(f.runtime.as_str()))
            .handler(&f.handler)
            .role(&f.role_arn)
            .memory_size(f.memory_mb)
            .timeout(f.timeout_s)
            .description(&f.description)
            .environment(
                Environment::builder()
                    .set_variables(Some(f.environment.clone().into_iter().collect()))
                    .build(),
            )
            .architectures(Architecture::from(f.architecture.as_str()))
            .set_layers((!f.layers.is_empty()).then(|| f.layers.clone()))
            .tracing_config(tracing(f))
            .code(
                FunctionCode::builder()
                    .zip_file(Blob::new(zip.clone()))
                    .build(),
            )
            .set_tags(Some(f.tags.clone().into_iter().collect()))
            .send()
    })
    .await;
    match created {
        Ok(_) => {}
        // A create whose response was lost: it exists; the next plan shows any difference.
        Err(e) if code(&e) == Some("ResourceConflictException") => {
            let out = lambda
                .get_function()
                .function_name(&f.name)
                .send()
                .await
                .ctx(format!("lambda:GetFunction {}", f.name))?;
            let ours = out.tags().and_then(|t| t.get(crate::model::STACK_TAG))
                == stack_tags(&ctx.config.name).get(crate::model::STACK_TAG);
            if !ours {
                bail!(
                    "lambda:CreateFunction {}: a function with this name appeared that this stack does not own",
                    f.name
                );
            }
        }
        Err(e) => return Err(e).ctx(format!("lambda:CreateFunction {}", f.name)),
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

async fn update(ctx: &Ctx, step: &Step, f: &Function) -> Result<()> {
    let lambda = &ctx.aws.lambda;
    // New fields compare the typed live and desired values, not display labels.
    let live = match &step.live {
        Some(Resource::Function(l)) => Some(l),
        _ => None,
    };
    let layers_changed = live.is_none_or(|l| l.layers != f.layers);
    let architecture_changed = live.is_none_or(|l| l.architecture != f.architecture);
    let tracing_changed = live.is_none_or(|l| l.tracing != f.tracing);
    let config_changed = [
        "runtime",
        "handler",
        "memory_mb",
        "timeout_s",
        "description",
        "role",
    ]
    .iter()
    .any(|a| step.changed(a))
        || step.changed_prefix("environment.")
        || layers_changed
        || tracing_changed;
    if config_changed {
        let revision = ctx.revision(&f.name);
        retry(
            ROLE_PROPAGATION,
            |e| is_role_not_ready(e) || is_busy(e),
            || {
                lambda
                    .update_function_configuration()
                    .function_name(&f.name)
                    .runtime(Runtime::from(f.runtime.as_str()))
                    .handler(&f.handler)
                    .role(&f.role_arn)
                    .memory_size(f.memory_mb)
                    .timeout(f.timeout_s)
                    .description(&f.description)
                    .environment(
                        Environment::builder()
                            .set_variables(Some(f.environment.clone().into_iter().collect()))
                            .build(),
                    )
                    // An empty list detaches every layer.
                    .set_layers(Some(f.layers.clone()))
                    .tracing_config(tracing(f))
                    .set_revision_id(revision.clone())
                    .send()
            },
        )
        .await
        .ctx(format!("lambda:UpdateFunctionConfiguration {}", f.name))?;
        wait_updated(ctx, &f.name).await?;
    }
    // The instruction set changes only with code (UpdateFunctionCode `Architectures`).
    if step.changed("code_sha256") || architecture_changed {
        let zip = package(ctx, f)?;
        let revision = ctx.revision(&f.name);
        retry(SETTLE, is_busy, || {
            lambda
                .update_function_code()
                .function_name(&f.name)
                .zip_file(Blob::new(zip.clone()))
                .architectures(Architecture::from(f.architecture.as_str()))
                .set_revision_id(revision.clone())
                .send()
        })
        .await
        .ctx(format!("lambda:UpdateFunctionCode {}", f.name))?;
        wait_updated(ctx, &f.name).await?;
    }
    if step.changed_prefix("tags.") {
        lambda
            .tag_resource()
            .resource(crate::desired::function_arn(&ctx.env, &f.name))
            .set_tags(Some(f.tags.clone().into_iter().collect()))
            .send()
            .await
            .ctx(format!("lambda:TagResource {}", f.name))?;
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
    match ctx
        .aws
        .lambda
        .delete_function()
        .function_name(name)
        .send()
        .await
    {
        Err(e) if !is_not_found(&e) => Err(e).ctx(format!("lambda:DeleteFunction {name}")),
        _ => Ok(()),
    }
}

async fn add_permission(ctx: &Ctx, p: &Permission) -> Result<()> {
    let api_id = ctx.api_id()?;
    let arn = source_arn(&ctx.env, &api_id, &p.verb, &p.path);
    // ResourceConflictException means "function busy, try again", or "statement id exists": the
    // latter after a create whose response was lost, so the statement is there already.
    let exists = |e: &aws_sdk_lambda::error::SdkError<_, _>| {
        code(e) == Some("ResourceConflictException")
            && ProvideErrorMetadata::message(e).is_some_and(|m| m.contains("already exists"))
    };
    let added = retry(SETTLE, is_busy, || {
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
    .await;
    match added {
        Ok(_) => Ok(()),
        Err(e) if exists(&e) => Ok(()),
        Err(e) => Err(e).ctx(format!(
            "lambda:AddPermission {} {}",
            p.function, p.statement_id
        )),
    }
}

async fn remove_permission(ctx: &Ctx, p: &Permission) -> Result<()> {
    let removed = retry(SETTLE, is_busy, || {
        ctx.aws
            .lambda
            .remove_permission()
            .function_name(&p.function)
            .statement_id(&p.statement_id)
            .send()
    })
    .await;
    match removed {
        Err(e) if !is_not_found(&e) => Err(e).ctx(format!(
            "lambda:RemovePermission {} {}",
            p.function, p.statement_id
        )),
        _ => Ok(()),
    }
}
