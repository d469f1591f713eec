//! `stackctl invoke FUNCTION`: one synchronous invocation (Lambda `Invoke`,
//! `InvocationType=RequestResponse`), as `sam remote invoke` and `serverless invoke` do. The
//! response payload goes to stdout as Lambda returned it (pipe it to jq); with `--log`, the last
//! 4 KB of the invocation's log (Lambda's `LogType=Tail`) goes to stderr. A function error
//! (`X-Amz-Function-Error`: an unhandled exception, a timeout) exits 1 after printing both.
//!
//! An invocation is not idempotent: it is sent once, without SDK retries, so a lost response
//! never runs the function twice.

use crate::aws::{Aws, Service::Lambda, describe};
use crate::config::StackConfig;
use anyhow::{Context, Result};
use base64::Engine;
use std::path::Path;
use std::time::Duration;

/// The physical name of `function`: a key of the file (`worker`) or the full name
/// (`<stack>-worker`); anything else is refused, listing the keys.
pub fn function_name(config: &StackConfig, function: &str) -> Result<String> {
    if config.functions.contains_key(function) {
        return Ok(config.function_name(function));
    }
    if let Some(key) = function.strip_prefix(&format!("{}-", config.name))
        && config.functions.contains_key(key)
    {
        return Ok(function.to_string());
    }
    let keys: Vec<&str> = config.functions.keys().map(String::as_str).collect();
    crate::bail_hint!(
        "no function {function:?} in {}", config.path.display();
        hint = "the functions are: {}", keys.join(", ")
    )
}

/// The event to send: `--payload` text or `--payload-file` contents (JSON either way), `{}` when
/// neither is given.
pub fn payload(inline: Option<&str>, file: Option<&Path>) -> Result<Vec<u8>> {
    let (text, from) = match (inline, file) {
        (Some(t), _) => (t.to_string(), "--payload".to_string()),
        (None, Some(f)) => (
            std::fs::read_to_string(f)
                .with_context(|| format!("cannot read the payload file {}", f.display()))?,
            f.display().to_string(),
        ),
        (None, None) => return Ok(b"{}".to_vec()),
    };
    if let Err(e) = serde_json::from_str::<serde_json::Value>(&text) {
        crate::bail_hint!(
            "{from} is not JSON: {e}";
            hint = "Lambda events are JSON, e.g. --payload '{{\"name\": \"Ada\"}}'"
        );
    }
    Ok(text.into_bytes())
}

/// What one invocation returned: the response payload (for stdout), the decoded log tail (for
/// stderr, with `--log`) and Lambda's function error (`Unhandled`…), if any.
#[derive(Debug, Default)]
pub struct Invocation {
    pub payload: Option<String>,
    pub log_tail: Option<String>,
    pub function_error: Option<String>,
}

/// Invokes `name` once with `event`, with the log tail when `log`. `timeout_s` is the
/// function's timeout, so the call waits that long plus a margin. Sent once: never retried.
pub async fn invoke(
    aws: &Aws,
    name: &str,
    event: Vec<u8>,
    log: bool,
    timeout_s: i32,
) -> Result<Invocation> {
    let wait = Duration::from_secs(timeout_s.max(1) as u64 + 30);
    let out = aws
        .lambda
        .invoke()
        .function_name(name)
        .payload(aws_sdk_lambda::primitives::Blob::new(event))
        .set_log_type(log.then_some(aws_sdk_lambda::types::LogType::Tail))
        .customize()
        .config_override(
            aws_sdk_lambda::config::Config::builder()
                .retry_config(aws_config::retry::RetryConfig::disabled())
                .timeout_config(
                    aws_config::timeout::TimeoutConfig::builder()
                        .operation_attempt_timeout(wait)
                        .read_timeout(wait)
                        .build(),
                ),
        )
        .send()
        .await
        .map_err(|e| describe(crate::aws::call_name(Lambda, "Invoke", name), &e));
    let out = match out {
        Ok(out) => out,
        Err(e) if e.is_not_found() => {
            crate::bail_hint!("function {name} is not deployed"; hint = "run `stackctl apply` first")
        }
        Err(e) => return Err(e.into()),
    };
    let log_tail = out.log_result().map(|tail| {
        base64::engine::general_purpose::STANDARD
            .decode(tail)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_else(|_| tail.to_string())
    });
    Ok(Invocation {
        payload: out
            .payload()
            .map(|p| String::from_utf8_lossy(p.as_ref()).into_owned()),
        log_tail,
        function_error: out.function_error().map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_must_be_json_and_default_to_an_empty_object() {
        assert_eq!(payload(None, None).unwrap(), b"{}");
        assert_eq!(payload(Some("{\"a\":1}"), None).unwrap(), b"{\"a\":1}");
        let e = payload(Some("{a:1}"), None).unwrap_err().to_string();
        assert!(e.starts_with("--payload is not JSON"), "{e}");
    }
}
