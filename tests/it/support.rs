//! Shared test support: which emulator, a scratch copy of an example with a unique stack name,
//! running the real binary, and SDK clients to check outcomes independently of stackctl.

#![allow(dead_code)]

use aws_config::{BehaviorVersion, Region};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

pub const REGION: &str = "us-east-1";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    LocalStack,
    MiniStack,
}

#[derive(Debug, Clone)]
pub struct Emulator {
    pub kind: Kind,
    pub endpoint: String,
}

impl Emulator {
    /// The emulator the test needs; fails (never skips) when it is not running.
    pub fn get(kind: Kind) -> Emulator {
        let (var, default) = match kind {
            Kind::LocalStack => ("STACKCTL_TEST_LOCALSTACK", "http://127.0.0.1:4566"),
            Kind::MiniStack => ("STACKCTL_TEST_MINISTACK", "http://127.0.0.1:4567"),
        };
        let endpoint = std::env::var(var).unwrap_or_else(|_| default.to_string());
        let addr = endpoint.trim_start_matches("http://").trim_end_matches('/');
        let reachable = addr
            .parse()
            .ok()
            .and_then(|a| {
                std::net::TcpStream::connect_timeout(&a, std::time::Duration::from_secs(2)).ok()
            })
            .is_some();
        assert!(
            reachable,
            "{kind:?} is not reachable at {endpoint} (set {var} to override).\n\
             Start it with `scripts/emulators.sh start`, or run the whole suite with `scripts/test.sh`."
        );
        Emulator { kind, endpoint }
    }

    async fn sdk_config(&self) -> aws_config::SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(&self.endpoint)
            .credentials_provider(aws_sdk_sts::config::Credentials::new(
                "test", "test", None, None, "tests",
            ))
            .load()
            .await
    }

    pub async fn lambda(&self) -> aws_sdk_lambda::Client {
        aws_sdk_lambda::Client::new(&self.sdk_config().await)
    }
    pub async fn apigw(&self) -> aws_sdk_apigateway::Client {
        aws_sdk_apigateway::Client::new(&self.sdk_config().await)
    }
    pub async fn iam(&self) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::new(&self.sdk_config().await)
    }
    pub async fn logs(&self) -> aws_sdk_cloudwatchlogs::Client {
        aws_sdk_cloudwatchlogs::Client::new(&self.sdk_config().await)
    }
    /// Event sources (issue 11): the tests create the queues stackctl only references.
    pub async fn sqs(&self) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::new(&self.sdk_config().await)
    }
    pub async fn eventbridge(&self) -> aws_sdk_eventbridge::Client {
        aws_sdk_eventbridge::Client::new(&self.sdk_config().await)
    }
    pub async fn sns(&self) -> aws_sdk_sns::Client {
        aws_sdk_sns::Client::new(&self.sdk_config().await)
    }
    /// The tables and streams stackctl only references (streams.rs).
    pub async fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.sdk_config().await)
    }
    pub async fn kinesis(&self) -> aws_sdk_kinesis::Client {
        aws_sdk_kinesis::Client::new(&self.sdk_config().await)
    }
    pub async fn s3(&self) -> aws_sdk_s3::Client {
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&self.sdk_config().await)
                .force_path_style(true)
                .build(),
        )
    }
}

/// A scratch copy of an example directory whose stack name is made unique for this test.
pub struct Stack {
    pub emu: Emulator,
    pub dir: PathBuf,
    pub name: String,
    pub call_log: PathBuf,
}

static SEQ: AtomicUsize = AtomicUsize::new(0);

fn unique_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{:x}{:x}{}",
        std::process::id() % 0xfff,
        nanos % 0xffff,
        SEQ.fetch_add(1, Ordering::SeqCst)
    )
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

impl Stack {
    /// Copies `examples/<example>` and renames its stack to `<prefix>-<unique>`.
    pub fn from_example(emu: &Emulator, example: &str, prefix: &str) -> Stack {
        let name = format!("{prefix}-{}", unique_suffix());
        assert!(name.len() <= 32, "stack name {name} too long");
        let dir = std::env::temp_dir().join(format!("stackctl-it-{name}"));
        let _ = std::fs::remove_dir_all(&dir);
        copy_dir(&repo().join("examples").join(example), &dir);
        let stack = Stack {
            emu: emu.clone(),
            call_log: dir.join("calls.jsonl"),
            dir,
            name,
        };
        let text = stack.read_file();
        let renamed = replace_table_name(&text, "[stack]", &stack.name);
        // REST API names are not unique: give each test its own, so look-alikes do not collide.
        let renamed = if renamed.contains("\n[api]") {
            replace_table_name(&renamed, "[api]", &stack.api_name())
        } else {
            renamed
        };
        stack.write_file(&renamed);
        stack
    }

    pub fn api_name(&self) -> String {
        format!("{}-api", self.name)
    }

    pub fn file(&self) -> PathBuf {
        self.dir.join("stack.toml")
    }

    pub fn read_file(&self) -> String {
        std::fs::read_to_string(self.file()).unwrap()
    }

    pub fn write_file(&self, text: &str) {
        std::fs::write(self.file(), text).unwrap();
    }

    /// Replaces `from` with `to` in stack.toml, failing if `from` is not there.
    pub fn edit(&self, from: &str, to: &str) {
        let text = self.read_file();
        assert!(text.contains(from), "stack.toml has no {from:?}:\n{text}");
        self.write_file(&text.replacen(from, to, 1));
    }

    pub fn function(&self, key: &str) -> String {
        format!("{}-{key}", self.name)
    }

    /// Runs stackctl against this stack's file and emulator; returns the output with stdout,
    /// stderr and exit code, and the AWS calls it made.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, |_| {})
    }

    /// Like [`Stack::run`], with the command adjusted first (an environment variable, say).
    pub fn run_with(&self, args: &[&str], adjust: impl FnOnce(&mut Command)) -> Run {
        let _ = std::fs::remove_file(&self.call_log);
        // `import` writes the stack directory itself: the log's directory must exist first.
        std::fs::create_dir_all(self.call_log.parent().unwrap()).unwrap();
        let mut cmd = stackctl_command(&self.emu);
        cmd.arg("-f").arg(self.file()).args(args);
        cmd.env("STACKCTL_CALL_LOG", &self.call_log);
        adjust(&mut cmd);
        let output = cmd.output().expect("stackctl runs");
        // stackctl creates the log when it builds its AWS clients: a command that never did
        // (an offline refusal) leaves none, and `writes()` refuses to read that as "no writes".
        let (calls, call_log) = match std::fs::read_to_string(&self.call_log) {
            Ok(text) => (
                text.lines()
                    .map(|l| serde_json::from_str(l).expect("a call-log line"))
                    .collect(),
                true,
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Vec::new(), false),
            Err(e) => panic!("cannot read the call log {}: {e}", self.call_log.display()),
        };
        Run {
            output,
            calls,
            call_log,
        }
    }

    /// Runs and asserts success.
    pub fn ok(&self, args: &[&str]) -> Run {
        let run = self.run(args);
        assert_eq!(run.code(), 0, "stackctl {args:?} failed:\n{}", run.all());
        run
    }

    pub fn apply(&self) -> Run {
        self.ok(&["apply", "--yes", "--color", "never"])
    }

    pub fn destroy(&self) -> Run {
        self.ok(&["destroy", "--yes", "--color", "never"])
    }

    pub fn plan_json(&self) -> Value {
        let run = self.run(&["plan", "--json"]);
        assert!(run.code() == 0, "plan --json failed:\n{}", run.all());
        serde_json::from_str(&run.stdout()).unwrap()
    }

    /// The plan's steps as "action type name" strings, sorted.
    pub fn plan_steps(&self) -> Vec<String> {
        let plan = self.plan_json();
        let mut steps: Vec<String> = plan["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                format!(
                    "{} {} {}",
                    s["action"].as_str().unwrap(),
                    s["type"].as_str().unwrap(),
                    s["name"].as_str().unwrap()
                )
            })
            .collect();
        steps.sort();
        steps
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Sets `name` in `table` (e.g. `[stack]`), adding it if the table has none.
pub fn replace_table_name(text: &str, table: &str, name: &str) -> String {
    let mut out = Vec::new();
    let mut in_table = false;
    let mut done = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            if in_table && !done {
                out.push(format!("name = \"{name}\""));
                done = true;
            }
            in_table = trimmed == table;
        }
        if in_table && !done && trimmed.starts_with("name") && trimmed.contains('=') {
            out.push(format!("name = \"{name}\""));
            done = true;
        } else {
            out.push(line.to_string());
        }
    }
    if in_table && !done {
        out.push(format!("name = \"{name}\""));
        done = true;
    }
    assert!(done, "no {table} table in the example");
    out.join("\n") + "\n"
}

/// The stackctl binary, pointed at an emulator with test credentials and nothing else from the
/// environment that could steer it elsewhere.
pub fn stackctl_command(emu: &Emulator) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stackctl"));
    cmd.env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("STACKCTL_ENV")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", REGION)
        .env("AWS_ENDPOINT_URL", &emu.endpoint)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    cmd
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct Call {
    pub service: String,
    pub operation: String,
    pub attempts: u32,
    pub ok: bool,
}

impl Call {
    pub fn is_write(&self) -> bool {
        !["Get", "List", "Describe", "Filter", "StartLiveTail"]
            .iter()
            .any(|p| self.operation.starts_with(p))
    }
}

pub struct Run {
    pub output: Output,
    pub calls: Vec<Call>,
    /// Whether stackctl wrote a call log (it does once it builds its AWS clients).
    pub call_log: bool,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
    pub fn all(&self) -> String {
        format!("--- stdout\n{}--- stderr\n{}", self.stdout(), self.stderr())
    }
    /// The write calls made. Panics when no call was logged at all: an empty or missing log
    /// would otherwise read as "no writes" even with call logging broken.
    pub fn writes(&self) -> Vec<String> {
        assert!(
            self.call_log && !self.calls.is_empty(),
            "no AWS call was logged (log written: {}), so \"no writes\" would prove nothing:\n{}",
            self.call_log,
            self.all()
        );
        self.calls
            .iter()
            .filter(|c| c.is_write())
            .map(|c| format!("{}:{}", c.service, c.operation))
            .collect()
    }
}

/// Declares one async test per emulator from a body taking an `Emulator`.
#[macro_export]
macro_rules! on_both {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn localstack() {
                let f = $body;
                f($crate::support::Emulator::get(
                    $crate::support::Kind::LocalStack,
                ))
                .await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn ministack() {
                let f = $body;
                f($crate::support::Emulator::get(
                    $crate::support::Kind::MiniStack,
                ))
                .await;
            }
        }
    };
}

// Independent reads of AWS, to check outcomes without trusting stackctl's own report.

pub const TAG: &str = "stackctl:stack";

pub async fn account_of(emu: &Emulator, function: &str) -> String {
    let f = emu
        .lambda()
        .await
        .get_function()
        .function_name(function)
        .send()
        .await
        .unwrap();
    let arn = f
        .configuration()
        .unwrap()
        .function_arn()
        .unwrap()
        .to_string();
    arn.split(':').nth(4).unwrap().to_string()
}

/// The stack's REST APIs, found by tag.
pub async fn tagged_apis(emu: &Emulator, stack: &str) -> Vec<String> {
    emu.apigw()
        .await
        .get_rest_apis()
        .limit(500)
        .send()
        .await
        .unwrap()
        .items()
        .iter()
        .filter(|a| {
            a.tags()
                .and_then(|t| t.get(TAG))
                .is_some_and(|v| v == stack)
        })
        .map(|a| a.id().unwrap().to_string())
        .collect()
}

/// Methods per path of an API, as "VERB /path" strings.
pub async fn methods(emu: &Emulator, api_id: &str) -> Vec<String> {
    let out = emu
        .apigw()
        .await
        .get_resources()
        .rest_api_id(api_id)
        .embed("methods")
        .limit(500)
        .send()
        .await
        .unwrap();
    let mut all: Vec<String> = out
        .items()
        .iter()
        .flat_map(|r| {
            let path = r.path().unwrap().to_string();
            r.resource_methods()
                .map(|m| m.keys().map(|v| format!("{v} {path}")).collect::<Vec<_>>())
                .unwrap_or_default()
        })
        .collect();
    all.sort();
    all
}

/// Statement id → SourceArn of a function's resource policy.
pub async fn permissions(emu: &Emulator, function: &str) -> BTreeMap<String, String> {
    // No policy (AWS, LocalStack) or no function: no permissions. Any other error fails the test.
    let out = match emu
        .lambda()
        .await
        .get_policy()
        .function_name(function)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            return BTreeMap::new();
        }
        Err(e) => panic!(
            "GetPolicy {function}: {}",
            aws_sdk_lambda::error::DisplayErrorContext(e)
        ),
    };
    let doc: serde_json::Value = serde_json::from_str(out.policy().unwrap()).unwrap();
    doc["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["Sid"].as_str().unwrap().to_string(),
                s["Condition"]["ArnLike"]["AWS:SourceArn"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

pub async fn memory(emu: &Emulator, function: &str) -> i32 {
    emu.lambda()
        .await
        .get_function()
        .function_name(function)
        .send()
        .await
        .unwrap()
        .configuration()
        .unwrap()
        .memory_size()
        .unwrap()
}

/// Whether the function exists; any error but not-found fails the test (an emulator that is down
/// or throttling must not read as "absent").
pub async fn function_exists(emu: &Emulator, name: &str) -> bool {
    match emu
        .lambda()
        .await
        .get_function()
        .function_name(name)
        .send()
        .await
    {
        Ok(_) => true,
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            false
        }
        Err(e) => panic!(
            "GetFunction {name}: {}",
            aws_sdk_lambda::error::DisplayErrorContext(e)
        ),
    }
}

/// Whether the role exists; any error but NoSuchEntity fails the test.
pub async fn role_exists(emu: &Emulator, name: &str) -> bool {
    match emu.iam().await.get_role().role_name(name).send().await {
        Ok(_) => true,
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_no_such_entity_exception()) =>
        {
            false
        }
        Err(e) => panic!(
            "GetRole {name}: {}",
            aws_sdk_iam::error::DisplayErrorContext(e)
        ),
    }
}

/// A minimal zip with one Python handler, built with the zip crate.
pub fn tiny_zip() -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file("index.py", zip::write::SimpleFileOptions::default())
        .unwrap();
    w.write_all(b"def handler(e, c):\n    return {'statusCode': 200, 'body': ''}\n")
        .unwrap();
    w.finish().unwrap().into_inner()
}

/// An IAM policy document as IAM returns it (URL-encoded), parsed.
pub fn decode_policy(doc: &str) -> Value {
    serde_json::from_str(&percent_encoding::percent_decode_str(doc).decode_utf8_lossy()).unwrap()
}

/// The inline policy stackctl gives a function's execution role.
pub async fn execution_policy(emu: &Emulator, function: &str) -> Value {
    let out = emu
        .iam()
        .await
        .get_role_policy()
        .role_name(format!("{function}-exec"))
        .policy_name("stackctl-logs")
        .send()
        .await
        .unwrap();
    decode_policy(out.policy_document())
}

/// The retention of a function's log group (`Some(None)`: never expires); `None` if it has none.
pub async fn log_group(emu: &Emulator, function: &str) -> Option<Option<i32>> {
    let name = format!("/aws/lambda/{function}");
    let out = emu
        .logs()
        .await
        .describe_log_groups()
        .log_group_name_prefix(&name)
        .send()
        .await
        .unwrap();
    out.log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(name.as_str()))
        .map(|g| g.retention_in_days())
}

/// Whether any REST API, tagged or not, has this name.
pub async fn api_named(emu: &Emulator, name: &str) -> bool {
    let out = emu
        .apigw()
        .await
        .get_rest_apis()
        .limit(500)
        .send()
        .await
        .unwrap();
    out.items().iter().any(|a| a.name() == Some(name))
}

/// The function's event source mappings, read with the SDK (one page: tests make a few).
pub async fn event_source_mappings(
    emu: &Emulator,
    function: &str,
) -> Vec<aws_sdk_lambda::types::EventSourceMappingConfiguration> {
    emu.lambda()
        .await
        .list_event_source_mappings()
        .function_name(function)
        .send()
        .await
        .unwrap()
        .event_source_mappings()
        .to_vec()
}
