//! The pipeline, end to end: file → packages → live state → desired → diff → plan.
//! Commands call these; nothing here prints.

use crate::aws::Aws;
use crate::config::{ConfigError, Diagnostic, StackConfig};
use crate::desired::{self, Env};
use crate::live::{self, Live};
use crate::plan::{self, PLAN_FORMAT, Plan};
use anyhow::Result;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A function's package as the plan needs it.
pub struct Packaged {
    /// What it unzips to, in bytes.
    pub unzipped: u64,
    /// The zip, in memory: [`Planned::save_packages`] writes those the plan's steps upload.
    pub package: crate::package::Package,
}

/// A plan and the zips its function steps upload, not yet written: `plan` and `apply` only read
/// the checkout, so they work in a read-only one; `plan --out` calls [`Planned::save_packages`]
/// so that a later `apply PLAN_FILE` finds them.
pub struct Planned {
    pub plan: Plan,
    /// Zip bytes by the path a step's [`crate::package::PackageRef`] names.
    zips: BTreeMap<std::path::PathBuf, Vec<u8>>,
}

impl Planned {
    /// The zips the plan's function steps upload, by the path their
    /// [`crate::package::PackageRef`] names: what `apply` of this very plan uploads, from memory.
    pub fn zips(&self) -> &BTreeMap<std::path::PathBuf, Vec<u8>> {
        &self.zips
    }

    /// Writes the zip of every function step to `.stackctl/packages/<function>.zip` (the
    /// directory created with its `.gitignore`), where apply reads it; nothing for a plan without
    /// function steps. Errors: the directory cannot be written.
    pub fn save_packages(&self, config: &StackConfig) -> Result<()> {
        if self.zips.is_empty() {
            return Ok(());
        }
        crate::build::ensure_state_dir(config)?;
        for step in &self.plan.steps {
            if let Some(package) = &step.package
                && let Some(zip) = self.zips.get(&package.path)
            {
                package.save(zip)?;
            }
        }
        Ok(())
    }
}

/// Builds every function's package (off the async threads), by logical name: dependencies
/// installed or taken from the cache (see [`crate::build`]), then zipped in memory. Problems are
/// reported together, each at the function's `source`.
pub async fn package_all(config: &StackConfig) -> Result<BTreeMap<String, Packaged>> {
    let jobs = config.functions.iter().map(|(key, f)| {
        let (key, span) = (key.clone(), f.source_span.clone());
        let config = config.clone();
        async move {
            let k = key.clone();
            let result = tokio::task::spawn_blocking(move || -> Result<Packaged> {
                let built = crate::build::build(&config, &k)?;
                Ok(Packaged {
                    unzipped: built.package.unzipped,
                    package: built.package,
                })
            })
            .await
            .expect("packaging does not panic");
            (key, span, result)
        }
    });
    let mut code = BTreeMap::new();
    let mut problems = Vec::new();
    for (key, span, result) in futures::future::join_all(jobs).await {
        match result {
            Ok(packaged) => {
                code.insert(key, packaged);
            }
            Err(e) => {
                let hint = match e.downcast_ref::<crate::build::BuildError>() {
                    Some(b) => b.hint.clone(),
                    None => "keep the source directory small: dependencies only, no build output or tests".into(),
                };
                problems.push(
                    Diagnostic::new(format!("cannot package function {key}: {e:#}"), span)
                        .hint(hint),
                );
            }
        }
    }
    if !problems.is_empty() {
        return Err(ConfigError::new(&config.path, &config.text, problems).into());
    }
    Ok(code)
}

/// Reads live state and works out what to change, with the packages its function steps upload
/// (at `.stackctl/packages/<function>.zip`, written only by [`Planned::save_packages`]).
/// `destroy` plans the removal of everything the stack owns instead.
pub async fn make_plan(aws: &Aws, config: &StackConfig, destroy: bool) -> Result<Planned> {
    let (packages, live) = if destroy {
        (BTreeMap::new(), live::read(aws, config, true).await?)
    } else {
        // Packages first: a failed dependency install stops the plan before any AWS call.
        let packages = package_all(config).await?;
        (packages, live::read(aws, config, false).await?)
    };
    if !destroy {
        check_layers(aws, config, &packages).await?;
    }
    let code = packages
        .iter()
        .map(|(k, p)| (k.clone(), p.package.sha256.clone()))
        .collect();
    let env = env_of(aws, &live, imported_code(config, &live, code));
    let desired = if destroy {
        Vec::new()
    } else {
        desired::build(config, &env)
    };
    let secrets: BTreeSet<(String, String)> = config
        .functions
        .iter()
        .flat_map(|(key, f)| {
            let name = config.function_name(key);
            f.secrets.iter().map(move |s| (name.clone(), s.clone()))
        })
        .collect();
    let mut steps = plan::build(crate::diff::diff(&desired, &live.resources, &secrets))?;
    let dir = crate::build::state_dir(config).join("packages");
    let mut by_name = BTreeMap::new();
    let mut zips = BTreeMap::new();
    for (key, p) in packages {
        let name = config.function_name(&key);
        let package = crate::package::PackageRef::new(dir.join(format!("{name}.zip")), &p.package)?;
        zips.insert(package.path.clone(), p.package.zip);
        by_name.insert(name, package);
    }
    plan::attach(&mut steps, &desired, &by_name);
    let used: BTreeSet<&std::path::Path> = steps
        .iter()
        .filter_map(|s| s.package.as_ref().map(|p| p.path.as_path()))
        .collect();
    zips.retain(|path, _| used.contains(path.as_path()));
    let mut conflicts = live.conflicts;
    // Checked for destroy too: another environment's look-alike must never be deleted.
    conflicts.extend(desired::environment_conflicts(
        &live.resources,
        &config.name,
        config.env.as_deref(),
    ));
    if !destroy {
        conflicts.extend(crate::policy::transition_conflicts(
            &env,
            &desired,
            &live.resources,
        ));
    }
    let plan = Plan {
        format: PLAN_FORMAT,
        stack: config.name.clone(),
        region: aws.region.clone(),
        account: live.account.clone(),
        file: config.path.display().to_string(),
        summary: plan::summarize(&steps),
        steps,
        conflicts,
        ids: live.ids,
        stage: if destroy {
            None
        } else {
            config.api.as_ref().map(|a| a.stage.clone())
        },
        endpoint: aws.endpoint.clone(),
        profile: aws.profile.clone(),
    };
    Ok(Planned { plan, zips })
}

/// The runtime lifecycle checks ([`crate::config::lifecycle`]) against what `plan` does to each
/// function on `today`: a function it would create on a runtime Lambda no longer creates, or
/// update on one Lambda no longer updates, refuses the plan (a [`ConfigError`] at the
/// `runtime` line); deprecated runtimes come back as warnings to show.
pub fn runtime_lifecycle(
    config: &StackConfig,
    plan: &Plan,
    today: &str,
) -> Result<Vec<Diagnostic>> {
    use crate::config::lifecycle::{self, Intent};
    use crate::diff::Action;
    use crate::model::Resource;
    let intent = |key: &str| {
        let name = config.function_name(key);
        let step = plan
            .steps
            .iter()
            .find(|s| s.kind == crate::model::Kind::Function && s.name == name);
        match step.map(|s| (s.action, s.live.as_ref(), s.desired.as_ref())) {
            Some((Action::Create | Action::Replace, ..)) => Intent::Create,
            Some((Action::Update, live, Some(Resource::Function(f)))) => {
                let live = match live {
                    Some(Resource::Function(l)) => Some(l),
                    _ => None,
                };
                match plan::function_updates(live, f) {
                    (false, false) => Intent::Unchanged,
                    _ => Intent::Update,
                }
            }
            Some((Action::Update, ..)) => Intent::Update,
            Some((Action::Delete, ..)) | None => Intent::Unchanged,
        }
    };
    let found = lifecycle::check(config, today, intent);
    if !found.errors.is_empty() {
        return Err(ConfigError::new(&config.path, &config.text, found.errors).into());
    }
    Ok(found.warnings)
}

/// The file's layers exist, suit their functions and fit the unzipped limit (see
/// [`live::layers::check`]); no call when no function has layers.
async fn check_layers(
    aws: &Aws,
    config: &StackConfig,
    packages: &BTreeMap<String, Packaged>,
) -> Result<()> {
    let arns: Vec<String> = config
        .functions
        .values()
        .flat_map(|f| f.layers.iter().cloned())
        .collect();
    if arns.is_empty() {
        return Ok(());
    }
    let found = live::layers::read_layers(aws, &arns).await?;
    let unzipped = packages
        .iter()
        .map(|(k, p)| (k.clone(), p.unzipped))
        .collect();
    let problems = live::layers::check(config, &aws.region, &unzipped, &found);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ConfigError::new(&config.path, &config.text, problems).into())
    }
}

/// An imported function that still runs the code `stackctl import` downloaded, from a source
/// directory still exactly as downloaded, needs no upload: plan Lambda's hash for it rather than
/// that of stackctl's re-zip (which differs in timestamps and order, not in content).
fn imported_code(
    config: &StackConfig,
    live: &Live,
    mut code: BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    for (key, imported) in &config.import.functions {
        let name = config.function_name(key);
        let running = live.resources.iter().any(|r| {
            matches!(r, crate::model::Resource::Function(f)
                if f.name == name && f.code_sha256 == imported.code_sha256)
        });
        // `stackctl import` hashed the directory as downloaded, without installing anything: a
        // source with a dependency file (as SAM leaves it) is compared the same way.
        let unchanged = |sha: &str| {
            sha == imported.source_sha256
                || config.functions.get(key).is_some_and(|f| {
                    crate::build::installer(f).is_some()
                        && crate::package::package(&f.source)
                            .is_ok_and(|p| p.sha256 == imported.source_sha256)
                })
        };
        if let Some(sha) = code.get_mut(key)
            && running
            && unchanged(sha)
        {
            *sha = imported.code_sha256.clone();
        }
    }
    code
}

fn env_of(aws: &Aws, live: &Live, code: BTreeMap<String, String>) -> Env {
    Env {
        account: live.account.clone(),
        region: aws.region.clone(),
        partition: aws.partition().to_string(),
        api_id: live.ids.api_id.clone(),
        code,
        usable_cloudwatch_role: live.usable_cloudwatch_role.clone(),
        foreign_policy_bytes: live.foreign_policy_bytes.clone(),
        stream_arns: live.stream_arns.clone(),
    }
}

#[derive(Debug, Serialize)]
pub struct Outputs {
    pub stack: String,
    pub region: String,
    pub api_id: Option<String>,
    pub stage: Option<String>,
    pub routes: Vec<RouteUrl>,
    pub functions: BTreeMap<String, String>,
    /// The deployed event source mappings (issue 11); omitted from JSON when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub event_sources: Vec<crate::model_events::EventSourceOutput>,
}

#[derive(Debug, Serialize)]
pub struct RouteUrl {
    pub method: String,
    pub path: String,
    pub url: String,
}

/// The invoke URL of `path` on `stage`, in the form the endpoint serves.
pub fn invoke_url(aws: &Aws, api_id: &str, stage: &str, path: &str) -> String {
    match &aws.endpoint {
        Some(endpoint) => format!(
            "{}/restapis/{api_id}/{stage}/_user_request_{path}",
            endpoint.trim_end_matches('/')
        ),
        None => format!(
            "https://{api_id}.execute-api.{}.amazonaws.com/{stage}{path}",
            aws.region
        ),
    }
}

pub fn outputs(
    aws: &Aws,
    config: &StackConfig,
    account: &str,
    api_id: Option<&str>,
    existing: &[String],
) -> Outputs {
    let env = Env {
        account: account.to_string(),
        region: aws.region.clone(),
        partition: aws.partition().to_string(),
        api_id: api_id.map(str::to_string),
        code: BTreeMap::new(),
        usable_cloudwatch_role: None,
        foreign_policy_bytes: Default::default(),
        stream_arns: Default::default(),
    };
    let mut routes = Vec::new();
    if let (Some(api), Some(id)) = (&config.api, api_id) {
        for r in &api.routes {
            for m in &r.methods {
                routes.push(RouteUrl {
                    method: m.clone(),
                    path: r.path.clone(),
                    url: invoke_url(aws, id, &api.stage, &r.path),
                });
            }
        }
    }
    Outputs {
        stack: config.name.clone(),
        region: aws.region.clone(),
        api_id: api_id.map(str::to_string),
        // A stage exists only with a deployed API.
        stage: api_id.and(config.api.as_ref()).map(|a| a.stage.clone()),
        routes,
        functions: config
            .functions
            .keys()
            .map(|k| config.function_name(k))
            .filter(|n| existing.contains(n))
            .map(|n| (n.clone(), crate::names::function_arn(&env, &n)))
            .collect(),
        event_sources: Vec::new(),
    }
}
