//! Walks a plan's dependency graph: a step starts once everything it depends on succeeded, at most
//! `parallelism` at a time; dependents of a failed step are skipped, not attempted; Ctrl-C stops
//! scheduling new steps and lets the ones in flight finish (a second Ctrl-C stops at once).

/// A step's live value as the model type `Resource::$variant`, `None` when nothing is live.
macro_rules! live_of {
    ($step:expr, $variant:ident) => {
        match &$step.live {
            Some(crate::model::Resource::$variant(live)) => Some(live),
            _ => None,
        }
    };
}

mod apigw;
mod events;
mod iam;
mod lambda;
mod logs;
mod method;
mod openapi;
mod rest_api;
mod s3;
mod schedules;
mod sns;
mod stage;

use crate::aws::{Aws, PaceStats};
use crate::desired::Env;
use crate::plan::{Plan, Step};
use anyhow::Result;
use futures::stream::{FuturesUnordered, StreamExt};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What apply reports as it goes; the renderer turns these into progress bars or lines.
pub enum Event<'a> {
    Started(&'a Step),
    Done(&'a Step, Duration),
    Failed(&'a Step, &'a anyhow::Error),
    Skipped(&'a Step),
    /// API Gateway answered 429 since the last report: the account's quota is shared with other
    /// deployers, and calls are being slowed down and retried (at most one report per
    /// [`THROTTLE_REPORT_EVERY`]).
    Throttled(PaceStats),
    /// The first Ctrl-C: the steps in flight finish, no new one starts; a second one stops at once.
    Interrupted,
}

/// How often apply reports, at most, that it is being throttled.
const THROTTLE_REPORT_EVERY: Duration = Duration::from_secs(5);

#[derive(Debug, Default)]
pub struct Outcome {
    pub done: Vec<usize>,
    /// The steps that failed, with their errors (worded for a person by the printer).
    pub failed: Vec<(usize, anyhow::Error)>,
    pub skipped: Vec<usize>,
    pub interrupted: bool,
    /// A second Ctrl-C stopped the run at once, dropping the steps in flight; like a killed
    /// process, it leaves nothing the next plan cannot see. The command ends with
    /// [`crate::error::Interrupted`] (exit 130).
    pub stopped: bool,
}

impl Outcome {
    pub fn ok(&self) -> bool {
        self.failed.is_empty() && self.skipped.is_empty() && !self.interrupted
    }
}

/// Live identifiers learnt while applying: ids of what was just created, and function revisions.
pub struct Ctx {
    pub aws: Aws,
    /// The stack's name: what its resources' [`crate::model::STACK_TAG`] holds.
    pub stack: String,
    pub env: Env,
    api_id: Mutex<Option<String>>,
    resource_ids: Mutex<BTreeMap<String, String>>,
    revisions: Mutex<BTreeMap<String, String>>,
    /// The API model written in one `PutRestApi` when the plan creates the REST API (see
    /// [`BulkModel`]).
    bulk: BulkModel,
    /// The zips the plan's steps upload, read before any step runs (see [`Ctx::with_packages`]),
    /// by the path the step's package names.
    packages: BTreeMap<std::path::PathBuf, Vec<u8>>,
}

/// When a plan creates the REST API, every resource and method in it is new: one `PutRestApi`
/// (`mode=overwrite` on the API just created, so nothing else can be on it) writes them all, and
/// their own steps then have nothing left to do. Where PutRestApi fails (an emulator without it),
/// those steps make their calls one by one, as for any other plan.
#[derive(Default)]
struct BulkModel {
    methods: Vec<crate::model::Method>,
    /// Set once the PutRestApi succeeded.
    written: AtomicBool,
}

impl BulkModel {
    fn of(plan: &Plan) -> BulkModel {
        use crate::diff::Action;
        use crate::model::{Kind, Resource};
        let creates_api = plan
            .steps
            .iter()
            .any(|s| s.kind == Kind::RestApi && s.action == Action::Create);
        let methods: Vec<_> = plan
            .steps
            .iter()
            .filter(|s| s.action == Action::Create)
            .filter_map(|s| match &s.desired {
                Some(Resource::Method(m)) => Some(m.clone()),
                _ => None,
            })
            .collect();
        if !creates_api || methods.iter().any(|m| m.authorization != "NONE") {
            return BulkModel::default();
        }
        BulkModel {
            methods,
            written: AtomicBool::new(false),
        }
    }

    /// Whether the PutRestApi already wrote this resource (or method, with `verb`).
    fn covers(&self, path: &str, verb: Option<&str>) -> bool {
        self.written.load(Ordering::SeqCst)
            && self.methods.iter().any(|m| match verb {
                Some(v) => m.path == path && m.verb == v,
                None => m.path == path || m.path.starts_with(&format!("{path}/")),
            })
    }
}

impl Ctx {
    /// What applying `plan` starts from: the ids and revisions read at plan time. Everything else
    /// apply needs is in the plan's steps.
    pub fn new(aws: Aws, plan: &Plan) -> Ctx {
        let mut resource_ids = plan.ids.resource_ids.clone();
        if let Some(root) = &plan.ids.root_resource_id {
            resource_ids.insert("/".into(), root.clone());
        }
        let env = Env {
            account: plan.account.clone(),
            region: plan.region.clone(),
            partition: aws.partition().to_string(),
            api_id: plan.ids.api_id.clone(),
            code: BTreeMap::new(),
            usable_cloudwatch_role: None,
            foreign_policy_bytes: Default::default(),
            stream_arns: Default::default(),
        };
        Ctx {
            aws,
            stack: plan.stack.clone(),
            env,
            api_id: Mutex::new(plan.ids.api_id.clone()),
            resource_ids: Mutex::new(resource_ids),
            revisions: Mutex::new(plan.ids.revisions.clone()),
            bulk: BulkModel::of(plan),
            packages: BTreeMap::new(),
        }
    }

    /// Reads every package the plan's steps upload now, each checked against the hash its plan
    /// saw, so that a package missing or rewritten since (another `plan --out` of the stack, with
    /// other code) stops the apply before its first step, not half-way, and one rewritten while
    /// the apply runs does not matter. Errors: see [`crate::package::PackageRef::read`].
    pub fn with_packages(
        mut self,
        plan: &Plan,
        in_memory: &BTreeMap<std::path::PathBuf, Vec<u8>>,
    ) -> Result<Ctx> {
        for package in plan.steps.iter().filter_map(|s| s.package.as_ref()) {
            let zip = match in_memory.get(&package.path) {
                Some(zip) => package.verify(zip.clone())?,
                None => package.read()?,
            };
            self.packages.insert(package.path.clone(), zip);
        }
        Ok(self)
    }

    pub fn api_id(&self) -> Result<String> {
        self.api_id.lock().expect("ctx").clone().ok_or_else(|| {
            anyhow::Error::new(crate::error::Internal(
                "the REST API id is not known yet".to_string(),
            ))
        })
    }

    fn set_api_id(&self, id: &str) {
        *self.api_id.lock().expect("ctx") = Some(id.to_string());
    }

    fn resource_id(&self, path: &str) -> Result<String> {
        self.resource_ids
            .lock()
            .expect("ctx")
            .get(path)
            .cloned()
            .ok_or_else(|| {
                anyhow::Error::new(crate::error::Internal(format!(
                    "no API Gateway resource id for {path}"
                )))
            })
    }

    fn set_resource_id(&self, path: &str, id: &str) {
        self.resource_ids
            .lock()
            .expect("ctx")
            .insert(path.to_string(), id.to_string());
    }

    /// Takes the revision to send with the next write to `function`: the one read at plan time
    /// for the first write, then whatever the previous write returned.
    fn revision(&self, function: &str) -> Option<String> {
        self.revisions.lock().expect("ctx").get(function).cloned()
    }

    fn set_revision(&self, function: &str, revision: Option<&str>) {
        let mut r = self.revisions.lock().expect("ctx");
        match revision {
            Some(rev) => r.insert(function.to_string(), rev.to_string()),
            None => r.remove(function),
        };
    }
}

/// Runs every step of `plan`, calling `report` for each event.
pub async fn run(
    plan: &Plan,
    ctx: Arc<Ctx>,
    parallelism: usize,
    mut report: impl FnMut(Event<'_>),
) -> Outcome {
    let interrupted = AtomicBool::new(false);
    let mut ctrl_c = Box::pin(tokio::signal::ctrl_c());
    let mut signals = true;

    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Waiting,
        Running,
        Done,
        Failed,
        Skipped,
    }
    let n = plan.steps.len();
    let mut state = vec![State::Waiting; n];
    let mut outcome = Outcome::default();
    let mut running = FuturesUnordered::new();
    let mut throttle_reported: (u64, Option<Instant>) = (0, None);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        // Start what is ready; skip what can never run. Repeat until nothing changes, since a
        // skip can doom further steps.
        let mut changed = true;
        while changed && !interrupted.load(Ordering::SeqCst) {
            changed = false;
            for step in &plan.steps {
                let i = step.id;
                if state[i] != State::Waiting {
                    continue;
                }
                let deps = step.depends_on.iter().map(|&d| state[d]);
                if deps
                    .clone()
                    .any(|s| matches!(s, State::Failed | State::Skipped))
                {
                    state[i] = State::Skipped;
                    outcome.skipped.push(i);
                    report(Event::Skipped(step));
                    changed = true;
                } else if deps.into_iter().all(|s| s == State::Done)
                    && running.len() < parallelism.max(1)
                {
                    state[i] = State::Running;
                    report(Event::Started(step));
                    let ctx = ctx.clone();
                    running.push(async move {
                        let start = Instant::now();
                        let result = execute(&ctx, step).await;
                        (i, result, start.elapsed())
                    });
                    changed = true;
                }
            }
        }
        let next = tokio::select! {
            next = running.next() => next,
            signal = &mut ctrl_c, if signals => {
                if signal.is_err() {
                    // No signal handler could be installed: run on without one.
                    signals = false;
                } else if interrupted.swap(true, Ordering::SeqCst) {
                    outcome.stopped = true;
                    break;
                } else {
                    report(Event::Interrupted);
                    ctrl_c = Box::pin(tokio::signal::ctrl_c());
                }
                continue;
            }
            _ = tick.tick() => {
                let stats = ctx.aws.pacer.stats();
                let due = throttle_reported.1.is_none_or(|t| t.elapsed() >= THROTTLE_REPORT_EVERY);
                if stats.throttled > throttle_reported.0 && due {
                    throttle_reported = (stats.throttled, Some(Instant::now()));
                    report(Event::Throttled(stats));
                }
                continue;
            }
        };
        let Some((i, result, took)) = next else {
            break;
        };
        let step = &plan.steps[i];
        match result {
            Ok(()) => {
                state[i] = State::Done;
                outcome.done.push(i);
                report(Event::Done(step, took));
            }
            Err(e) => {
                state[i] = State::Failed;
                report(Event::Failed(step, &e));
                outcome.failed.push((i, e));
            }
        }
    }
    if interrupted.load(Ordering::SeqCst) {
        outcome.interrupted = true;
        outcome
            .skipped
            .extend((0..n).filter(|&i| state[i] == State::Waiting));
    }
    outcome
}

async fn execute(ctx: &Ctx, step: &Step) -> Result<()> {
    use crate::model::Kind;
    match step.kind {
        Kind::Role | Kind::AccountRole => iam::apply(ctx, step).await,
        Kind::LogGroup => logs::apply(ctx, step).await,
        Kind::Function | Kind::Permission => lambda::apply(ctx, step).await,
        Kind::RestApi
        | Kind::ApiResource
        | Kind::Method
        | Kind::GatewayResponse
        | Kind::AccountSettings
        | Kind::Stage => apigw::apply(ctx, step).await,
        Kind::EventSourceMapping => events::apply(ctx, step).await,
        Kind::ScheduleRule => schedules::apply(ctx, step).await,
        Kind::SnsSubscription => sns::apply(ctx, step).await,
        Kind::S3Notification => s3::apply(ctx, step).await,
    }
}

#[cfg(test)]
#[path = "requests_tests.rs"]
mod requests_tests;
