//! One SDK configuration → the service clients stackctl uses, with a deliberate retry policy,
//! client-side pacing for API Gateway's quotas, error classification and a record of every call.

mod call;
mod calls;
mod errors;
mod pace;
pub mod retry;

pub use call::{Absent, Service, call_name};
pub use calls::{Call, CallLog, OnCall};
pub use errors::{AwsError, code, describe, is_not_found};
pub use pace::{PaceStats, Pacer};

use anyhow::Result;
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
    /// Called with each finished call (`-v` passes the renderer's printer).
    pub on_call: Option<OnCall>,
    /// How many reads may be in flight at once to each service (`--parallelism`).
    pub parallelism: usize,
    /// `--local`: MiniStack on 127.0.0.1 (started if needed), dummy credentials, no profile.
    pub local: bool,
}

#[derive(Clone)]
pub struct Aws {
    pub lambda: aws_sdk_lambda::Client,
    pub apigw: aws_sdk_apigateway::Client,
    pub iam: aws_sdk_iam::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub sts: aws_sdk_sts::Client,
    /// Read only: event sources are referenced, never owned (issue 11).
    pub sqs: aws_sdk_sqs::Client,
    /// Schedule rules (issue 11).
    pub events: aws_sdk_eventbridge::Client,
    /// Subscriptions to referenced topics (issue 11).
    pub sns: aws_sdk_sns::Client,
    /// Bucket notification configurations (issue 11).
    pub s3: aws_sdk_s3::Client,
    /// Read only: the stream ARN of a referenced table (issue 11).
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// Read only: referenced Kinesis data streams (issue 11).
    pub kinesis: aws_sdk_kinesis::Client,
    pub region: String,
    /// A custom endpoint (an emulator), from --endpoint-url or AWS_ENDPOINT_URL.
    pub endpoint: Option<String>,
    /// The named profile in use (`--profile`, else `AWS_PROFILE`), if any.
    pub profile: Option<String>,
    pub calls: Arc<CallLog>,
    pub pacer: Arc<Pacer>,
    /// Lambda's control-plane quotas (see [`Pacer::lambda`]).
    pub lambda_pacer: Arc<Pacer>,
    reads: Arc<Reads>,
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
        let mut endpoint_url = opts.endpoint_url.clone();
        if opts.local {
            endpoint_url = Some(crate::local::ensure().await?);
            let key = crate::local::DUMMY_KEY;
            loader = loader
                .credentials_provider(aws_credential_types::Credentials::new(
                    key,
                    key,
                    None,
                    None,
                    "stackctl --local",
                ))
                .profile_name("default");
            if opts.region.is_none() {
                loader = loader.region(
                    aws_config::meta::region::RegionProviderChain::default_provider()
                        .or_else(crate::local::DEFAULT_REGION),
                );
            }
        } else {
            if let Some(profile) = &opts.profile {
                loader = loader.profile_name(profile);
            }
            check_profile(opts.profile.as_deref()).await?;
        }
        if let Some(url) = &endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let shared = loader.load().await;
        let Some(region) = shared.region().map(|r| r.to_string()) else {
            crate::bail_hint!("no AWS region is set"; hint = "set `region` under [stack], pass --region, or export AWS_REGION");
        };
        let endpoint = endpoint_url.or_else(|| shared.endpoint_url().map(str::to_string));
        errors::set_target(match &endpoint {
            Some(url) => url.clone(),
            None => format!("AWS in {region}"),
        });
        let profile = if opts.local {
            None
        } else {
            opts.profile
                .clone()
                .or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()))
        };
        let mut aws = Aws::from_sdk_config(&shared, region, opts.on_call, opts.parallelism)?;
        aws.endpoint = endpoint;
        aws.profile = profile;
        Ok(aws)
    }

    /// The service clients for `shared` in `region`, each recording its calls and using
    /// stackctl's retry classifier; `parallelism` bounds reads in flight to each service.
    /// `connect` uses it, and request-level tests pass an SdkConfig whose HTTP client replays
    /// recorded traffic.
    pub fn from_sdk_config(
        shared: &aws_config::SdkConfig,
        region: String,
        on_call: Option<OnCall>,
        parallelism: usize,
    ) -> Result<Aws> {
        let calls = Arc::new(CallLog::new(on_call)?);
        let recorder = calls::Recorder(calls.clone());
        macro_rules! client {
            ($sdk:ident, $classifier:expr) => {
                client!($sdk, $classifier, |b| b)
            };
            ($sdk:ident, $classifier:expr, $extra:expr) => {
                $sdk::Client::from_conf(
                    ($extra)(
                        $sdk::config::Builder::from(shared)
                            .interceptor(recorder.clone())
                            .retry_classifier($classifier),
                    )
                    .build(),
                )
            };
        }
        // Path-style addressing: emulators serve buckets under the endpoint's path.
        let path_style = shared.endpoint_url().is_some();
        Ok(Aws {
            lambda: client!(aws_sdk_lambda, retry::ServerDirected::default()),
            // Throttled API Gateway calls are retried by the pacer (`Aws::call`), not the SDK.
            apigw: client!(aws_sdk_apigateway, retry::ServerDirected { paced: true }),
            iam: client!(aws_sdk_iam, retry::ServerDirected::default()),
            logs: client!(aws_sdk_cloudwatchlogs, retry::ServerDirected::default()),
            sts: client!(aws_sdk_sts, retry::ServerDirected::default()),
            sqs: client!(aws_sdk_sqs, retry::ServerDirected::default()),
            events: client!(aws_sdk_eventbridge, retry::ServerDirected::default()),
            sns: client!(aws_sdk_sns, retry::ServerDirected::default()),
            s3: client!(
                aws_sdk_s3,
                retry::ServerDirected::default(),
                |b: aws_sdk_s3::config::Builder| b.force_path_style(path_style)
            ),
            dynamodb: client!(aws_sdk_dynamodb, retry::ServerDirected::default()),
            kinesis: client!(aws_sdk_kinesis, retry::ServerDirected::default()),
            region,
            endpoint: None,
            profile: None,
            calls,
            pacer: Arc::new(Pacer::api_gateway()),
            lambda_pacer: Arc::new(Pacer::lambda()),
            reads: Arc::new(Reads::new(parallelism)),
        })
    }

    /// Runs one read request of `service` once fewer than `--parallelism` reads of that service
    /// are in flight. Wrap single requests only, never a future that itself waits for another
    /// read (that could deadlock).
    async fn read<F: std::future::Future>(&self, service: Service, call: F) -> F::Output {
        let _permit = self
            .reads
            .of(service)
            .acquire_owned()
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
            .call(Service::Sts, "GetCallerIdentity", "", || {
                self.sts.get_caller_identity().send()
            })
            .await?;
        out.account
            .ok_or_else(|| anyhow::anyhow!("sts:GetCallerIdentity returned no account"))
    }
}

/// A profile named by `--profile` or `AWS_PROFILE` must exist in the shared config or credentials
/// file; otherwise the SDK's provider chain fails later with a long, unhelpful dump. Reads the
/// files the SDK reads (`AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`, `~/.aws/…`) with its parser.
async fn check_profile(flag: Option<&str>) -> Result<()> {
    let env = aws_types::os_shim_internal::Env::real();
    let (name, from) = match flag {
        Some(p) => (p.to_string(), "--profile"),
        None => match env.get("AWS_PROFILE") {
            Ok(p) if !p.is_empty() => (p, "AWS_PROFILE"),
            _ => return Ok(()),
        },
    };
    // The alias `aws_config::profile::load` still takes; its replacement lives in aws-runtime.
    #[allow(deprecated)]
    let files = aws_config::profile::profile_file::ProfileFiles::default();
    let fs = aws_types::os_shim_internal::Fs::real();
    let set = match aws_config::profile::load(&fs, &env, &files, None).await {
        Ok(set) => set,
        // An unreadable or malformed file: the SDK reports it in its own words later.
        Err(_) => return Ok(()),
    };
    if set.get_profile(&name).is_some() {
        return Ok(());
    }
    let mut known: Vec<&str> = set.profiles().collect();
    known.sort_unstable();
    let listed = if known.is_empty() {
        "no profile is defined there".to_string()
    } else {
        format!("the profiles there are: {}", known.join(", "))
    };
    crate::bail_hint!("profile {name} ({from}) is not in ~/.aws/config or ~/.aws/credentials; {listed}"; hint = "\
         create it with `aws configure --profile {name}` (or `aws configure sso`), or pass another --profile")
}

/// The bound on reads in flight, one per service: each service has its own endpoint and quotas,
/// so a backlog of one service's reads (twenty functions' `GetFunction` and `GetPolicy`) never
/// holds up another's (the REST API's `GetResources`, on a plan's longest chain of reads).
#[derive(Debug)]
struct Reads {
    parallelism: usize,
    by_service: std::sync::Mutex<std::collections::BTreeMap<Service, Arc<tokio::sync::Semaphore>>>,
}

impl Reads {
    fn new(parallelism: usize) -> Reads {
        Reads {
            parallelism: parallelism.max(1),
            by_service: Default::default(),
        }
    }

    fn of(&self, service: Service) -> Arc<tokio::sync::Semaphore> {
        self.by_service
            .lock()
            .expect("reads lock")
            .entry(service)
            .or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(self.parallelism)))
            .clone()
    }
}

#[cfg(test)]
mod reads_tests {
    use super::*;

    #[tokio::test]
    async fn reads_of_one_service_never_wait_for_anothers() {
        let reads = Reads::new(1);
        let _lambda = reads.of(Service::Lambda).acquire_owned().await.unwrap();
        assert!(
            reads.of(Service::Lambda).try_acquire_owned().is_err(),
            "Lambda's one place is taken"
        );
        assert!(
            reads.of(Service::ApiGateway).try_acquire_owned().is_ok(),
            "API Gateway's read goes ahead"
        );
    }
}
