//! One SDK configuration → the service clients stackctl uses, with a deliberate retry policy,
//! client-side pacing for API Gateway's quotas, error classification and a record of every call.

mod calls;
mod errors;
mod pace;
pub mod retry;

pub use calls::{Call, CallLog};
pub use errors::{AwsError, CallExt, code, is_not_found};
pub use pace::Pacer;

use anyhow::{Result, bail};
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use std::sync::Arc;
use std::time::Duration;

/// Where and as whom to call AWS: flags first, then the stack file, then the standard AWS chain.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
    pub verbose: bool,
    /// How many reads may be in flight at once (`--parallelism`).
    pub parallelism: usize,
}

#[derive(Clone)]
pub struct Aws {
    pub lambda: aws_sdk_lambda::Client,
    pub apigw: aws_sdk_apigateway::Client,
    pub iam: aws_sdk_iam::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub sts: aws_sdk_sts::Client,
    pub region: String,
    /// A custom endpoint (an emulator), from --endpoint-url or AWS_ENDPOINT_URL.
    pub endpoint: Option<String>,
    pub calls: Arc<CallLog>,
    pub pacer: Arc<Pacer>,
    reads: Arc<tokio::sync::Semaphore>,
}

impl Aws {
    pub async fn connect(opts: &ConnectOptions) -> Result<Aws> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(8)
                    .with_initial_backoff(Duration::from_millis(200))
                    .with_max_backoff(Duration::from_secs(20)),
            )
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .operation_attempt_timeout(Duration::from_secs(120))
                    .build(),
            );
        if let Some(region) = &opts.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(profile) = &opts.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(url) = &opts.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let shared = loader.load().await;
        let Some(region) = shared.region().map(|r| r.to_string()) else {
            bail!(
                "no AWS region is set\n  = hint: set `region` under [stack], pass --region, or export AWS_REGION"
            );
        };
        let endpoint = opts
            .endpoint_url
            .clone()
            .or_else(|| shared.endpoint_url().map(str::to_string));
        let calls = Arc::new(CallLog::new(opts.verbose)?);
        let recorder = calls::Recorder(calls.clone());
        let lambda = aws_sdk_lambda::Client::from_conf(
            aws_sdk_lambda::config::Builder::from(&shared)
                .interceptor(recorder.clone())
                .retry_classifier(retry::ServerDirected)
                .build(),
        );
        let apigw = aws_sdk_apigateway::Client::from_conf(
            aws_sdk_apigateway::config::Builder::from(&shared)
                .interceptor(recorder.clone())
                .retry_classifier(retry::ServerDirected)
                .build(),
        );
        let iam = aws_sdk_iam::Client::from_conf(
            aws_sdk_iam::config::Builder::from(&shared)
                .interceptor(recorder.clone())
                .retry_classifier(retry::ServerDirected)
                .build(),
        );
        let logs = aws_sdk_cloudwatchlogs::Client::from_conf(
            aws_sdk_cloudwatchlogs::config::Builder::from(&shared)
                .interceptor(recorder.clone())
                .retry_classifier(retry::ServerDirected)
                .build(),
        );
        let sts = aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::config::Builder::from(&shared)
                .interceptor(recorder)
                .build(),
        );
        Ok(Aws {
            lambda,
            apigw,
            iam,
            logs,
            sts,
            region,
            endpoint,
            calls,
            pacer: Arc::new(Pacer::api_gateway()),
            reads: Arc::new(tokio::sync::Semaphore::new(opts.parallelism.max(1))),
        })
    }

    /// Runs one read call once fewer than `--parallelism` reads are in flight. Wrap single calls
    /// only, never a future that itself waits for another read (that could deadlock).
    pub async fn read<F: std::future::Future>(&self, call: F) -> F::Output {
        let _permit = self
            .reads
            .acquire()
            .await
            .expect("the semaphore is never closed");
        call.await
    }

    /// The partition of the region: `aws`, `aws-cn` or `aws-us-gov`.
    pub fn partition(&self) -> &'static str {
        if self.region.starts_with("cn-") {
            "aws-cn"
        } else if self.region.starts_with("us-gov-") {
            "aws-us-gov"
        } else {
            "aws"
        }
    }

    /// The account the credentials belong to.
    pub async fn account(&self) -> Result<String> {
        let out = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .ctx("sts:GetCallerIdentity")?;
        out.account
            .ok_or_else(|| anyhow::anyhow!("sts:GetCallerIdentity returned no account"))
    }
}
