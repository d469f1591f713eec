//! What a new user sees when something is wrong (issue 13): each message as a snapshot, run
//! through the real binary. Credentials, profiles and a dead endpoint need no emulator; the
//! "not deployed" and "never ran" answers run on MiniStack.

use crate::support::*;
use clap::Parser;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn scratch(label: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let dir = std::env::temp_dir().join(format!(
        "stackctl-it-msg-{label}-{:x}",
        nanos ^ std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// stackctl with nothing from the caller's environment: no credentials, no profile, an empty
/// HOME (a new user's machine), and no instance metadata to wait for.
fn bare(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stackctl"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir.join("home"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .current_dir(dir)
        .stdin(Stdio::null());
    cmd
}

fn text(out: &Output) -> String {
    let text = format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The template's dependency install takes a different time on every run.
    text.lines()
        .map(|l| match l.rsplit_once(" in ") {
            Some((head, _)) if l.starts_with("Installed the dependencies") => {
                format!("{head} in [time]\n")
            }
            _ => format!("{l}\n"),
        })
        .collect()
}

/// A directory with `stackctl init`'s stack in it (named `msgs`).
fn initialised(label: &str) -> PathBuf {
    let dir = scratch(label);
    let out = bare(&dir)
        .args(["init", ".", "--name", "msgs"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    dir
}

fn error_count(out: &Output) -> usize {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.starts_with("error:"))
        .count()
}

/// Without `--env`, validate checks every environment: a mistake in the base is one mistake,
/// reported once, not once per environment; an override's mistake is reported where it is.
#[test]
fn a_base_error_is_reported_once_across_environments() {
    let dir = initialised("env-once");
    let original = std::fs::read_to_string(dir.join("stack.toml")).unwrap();
    assert!(original.contains("memory_mb = 128"));
    let file = original.replace("memory_mb = 128", "memory_mb = 99999")
        + "\n[env.dev]\nfunctions.hello.timeout_s = 0\n\n[env.prod]\nfunctions.hello.timeout_s = 5\n";
    std::fs::write(dir.join("stack.toml"), file).unwrap();
    let out = bare(&dir).arg("validate").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for message in [
        "memory_mb = 99999 is out of range",
        "timeout_s = 0 is out of range",
    ] {
        assert_eq!(stderr.matches(message).count(), 1, "{}", text(&out));
    }
    assert!(
        stderr.contains("environment dev, prod of stack.toml is not valid"),
        "{}",
        text(&out)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn one_bad_value_gives_exactly_one_error() {
    let dir = initialised("one-error");
    let original = std::fs::read_to_string(dir.join("stack.toml")).unwrap();
    for (from, to) in [
        ("memory_mb = 128", "memory_mb = 99999"),
        ("timeout_s = 3", "timeout_s = 0"),
        ("log_retention_days = 14", "log_retention_days = 15"),
    ] {
        assert!(original.contains(from));
        std::fs::write(dir.join("stack.toml"), original.replace(from, to)).unwrap();
        let out = bare(&dir).arg("validate").output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{to}: {}", text(&out));
        assert_eq!(error_count(&out), 1, "{to}: {}", text(&out));
        assert!(!text(&out).contains("not defined"), "{to}: {}", text(&out));
    }
    // A route naming a function in a file that defines none: the hint says so (it listed nothing).
    let routes_only = original
        .split("[functions.hello]")
        .next()
        .unwrap()
        .to_string()
        + original
            .split("[api]")
            .nth(1)
            .map(|a| format!("[api]{a}"))
            .unwrap()
            .as_str();
    std::fs::write(dir.join("stack.toml"), routes_only).unwrap();
    let out = bare(&dir).arg("validate").output().unwrap();
    assert_eq!(error_count(&out), 1, "{}", text(&out));
    insta::assert_snapshot!("route_without_functions", text(&out));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn toml_errors_are_in_plain_words() {
    let dir = initialised("toml");
    let original = std::fs::read_to_string(dir.join("stack.toml")).unwrap();
    let cases = [
        ("type", "memory_mb = 128", "memory_mb = \"big\""),
        ("missing_value", "memory_mb = 128", "memory_mb = "),
        (
            "duplicate_key",
            "timeout_s = 3",
            "timeout_s = 3\nmemory_mb = 256",
        ),
        ("unknown_key", "memory_mb = 128", "memroy_mb = 128"),
        ("unknown_value", "logging = \"OFF\"", "logging = \"info\""),
    ];
    for (name, from, to) in cases {
        std::fs::write(dir.join("stack.toml"), original.replace(from, to)).unwrap();
        let out = bare(&dir).arg("validate").output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{name}: {}", text(&out));
        insta::assert_snapshot!(format!("toml_{name}"), text(&out));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn no_credentials_says_how_to_provide_them() {
    let dir = initialised("nocreds");
    let out = bare(&dir)
        .args(["plan", "--region", "us-east-1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    // Which read fails first depends on scheduling; the message does not.
    let filters = vec![(r"error: \S+ \S+ failed", "error: [call] failed")];
    insta::with_settings!({ filters => filters }, {
        insta::assert_snapshot!("no_credentials", text(&out));
    });
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_missing_profile_lists_the_profiles_there_are() {
    let dir = initialised("profile");
    let aws = dir.join("home/.aws");
    std::fs::create_dir_all(&aws).unwrap();
    std::fs::write(
        aws.join("config"),
        "[default]\nregion = us-east-1\n[profile prod]\nregion = eu-west-1\n",
    )
    .unwrap();
    std::fs::write(
        aws.join("credentials"),
        "[staging]\naws_access_key_id = a\naws_secret_access_key = b\n",
    )
    .unwrap();
    let out = bare(&dir)
        .args(["plan", "--profile", "dev"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    insta::assert_snapshot!("missing_profile", text(&out));
    // AWS_PROFILE is checked the same way.
    let out = bare(&dir)
        .env("AWS_PROFILE", "dev")
        .arg("plan")
        .output()
        .unwrap();
    assert!(
        text(&out).contains("profile dev (AWS_PROFILE) is not in"),
        "{}",
        text(&out)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A port nobody listens on: bound, then released.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn a_refused_endpoint_fails_at_once_and_is_named() {
    let dir = initialised("refused");
    let port = closed_port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let log = dir.join("calls.jsonl");
    let out = bare(&dir)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("STACKCTL_CALL_LOG", &log)
        .args(["plan", "--endpoint-url", &endpoint])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let all = text(&out);
    assert!(all.contains(&endpoint), "{all}");
    assert!(
        !all.contains("DispatchFailure") && !all.contains("ConnectorError"),
        "{all}"
    );
    // Every call that was sent was tried once: no retries against a closed port.
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(!calls.trim().is_empty(), "no call recorded");
    for line in calls.lines() {
        let call: Call = serde_json::from_str(line).unwrap();
        assert_eq!(call.attempts, 1, "{line}");
    }
    let port = port.to_string();
    let filters = vec![
        (port.as_str(), "[port]"),
        (r"error: \S+ \S+ failed", "error: [call] failed"),
    ];
    insta::with_settings!({ filters => filters }, {
        insta::assert_snapshot!("refused_endpoint", all);
    });
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn since_says_which_forms_it_takes() {
    let dir = scratch("since");
    let out = bare(&dir)
        .args(["logs", "--since", "banana"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!("since_banana", text(&out));
    let t = stackctl::cli::parse_since("2000-01-01T00:00:00Z").unwrap();
    assert!(t.as_secs() > 25 * 365 * 86_400);
    assert_eq!(stackctl::cli::parse_since("1h30m").unwrap().as_secs(), 5400);
}

fn parse(args: &[&str]) -> stackctl::cli::Cli {
    stackctl::cli::Cli::try_parse_from(args)
        .unwrap()
        .resolved()
        .unwrap()
}

#[test]
fn logs_dash_f_follows_and_the_file_flag_still_works() {
    use stackctl::cli::Command as C;
    let cli = parse(&["stackctl", "-f", "x.toml", "logs", "-f"]);
    assert_eq!(cli.global.file, Path::new("x.toml"));
    assert!(matches!(cli.command, C::Logs(ref a) if a.follow));
    let cli = parse(&["stackctl", "logs", "--file", "y.toml", "--follow"]);
    assert_eq!(cli.global.file, Path::new("y.toml"));
    // Every earlier form of the file and AWS flags still parses, before or after the command.
    let cli = parse(&["stackctl", "plan", "-f", "a.toml", "--region", "eu-west-1"]);
    assert_eq!(cli.global.file, Path::new("a.toml"));
    assert_eq!(cli.global.region.as_deref(), Some("eu-west-1"));
    let cli = parse(&[
        "stackctl",
        "--profile",
        "dev",
        "--parallelism",
        "3",
        "destroy",
        "--yes",
    ]);
    assert_eq!(cli.global.profile.as_deref(), Some("dev"));
    assert_eq!(cli.global.parallelism, 3);
    let cli = parse(&["stackctl", "validate", "-f", "v.toml"]);
    assert_eq!(cli.global.file, Path::new("v.toml"));
    assert_eq!(parse(&["stackctl", "outputs"]).global.parallelism, 10);
    for clash in [
        &["stackctl", "--local", "plan", "--profile", "dev"][..],
        &[
            "stackctl",
            "--endpoint-url",
            "http://127.0.0.1:1",
            "plan",
            "--local",
        ][..],
    ] {
        let e = stackctl::cli::Cli::try_parse_from(clash)
            .unwrap()
            .resolved()
            .unwrap_err();
        assert!(e.to_string().contains("cannot be used with it"), "{e}");
    }
    // The old `logs -f FILE` is refused with a pointer, not read as a function name.
    let dir = scratch("logs-f");
    let out = bare(&dir)
        .args(["logs", "-f", "stack.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!("logs_dash_f_file", text(&out));
}

#[test]
fn offline_commands_list_no_aws_flags() {
    let dir = scratch("help");
    for args in [
        ["validate", "--help"],
        ["completions", "--help"],
        ["init", "--help"],
    ] {
        let out = bare(&dir).args(args).output().unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        for flag in [
            "--profile",
            "--region",
            "--endpoint-url",
            "--parallelism",
            "--local",
        ] {
            assert!(!help.contains(flag), "{args:?} lists {flag}:\n{help}");
        }
    }
}

#[test]
fn init_says_where_the_name_came_from() {
    let dir = scratch("init-name");
    let out = bare(&dir).args(["init", "123abc"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    insta::assert_snapshot!("init_named_after", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_destroy_outputs_and_logs_say_not_deployed() {
    let emu = Emulator::get(Kind::MiniStack);
    let s = Stack::from_example(&emu, "tutorial", "msg");
    s.edit("logging = \"INFO\"", "logging = \"OFF\"");
    s.apply();
    // Deployed, never invoked: each function's group exists and has no stream.
    let fresh = s.ok(&["logs"]);
    let never_ran = fresh.stderr();
    assert!(
        fresh.stderr().contains(&format!(
            "{}: has never run: its log group /aws/lambda/{} has no log streams",
            s.function("hello"),
            s.function("hello")
        )),
        "{}",
        fresh.all()
    );
    let api_off = s.run(&["logs", "--api"]);
    assert_eq!(api_off.code(), 1, "{}", api_off.all());
    s.destroy();
    let outputs = s.run(&["outputs"]);
    let logs = s.run(&["logs"]);
    let filters = vec![
        (s.name.as_str(), "[stack]"),
        (r"/tmp/\S+/stack.toml", "[file]"),
    ];
    insta::with_settings!({ filters => filters }, {
        insta::assert_snapshot!("logs_never_ran", never_ran);
        insta::assert_snapshot!("logs_api_logging_off", api_off.stderr());
        insta::assert_snapshot!("outputs_after_destroy", format!("exit {}\n{}", outputs.code(), outputs.all()));
        insta::assert_snapshot!("logs_after_destroy", format!("exit {}\n{}", logs.code(), logs.all()));
    });
    let _ = std::fs::remove_dir_all(&s.dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_out_is_private_and_the_header_names_the_endpoint() {
    let emu = Emulator::get(Kind::LocalStack);
    let s = Stack::from_example(&emu, "tutorial", "msgout");
    let out = s.dir.join("plan.json");
    let run = s.ok(&["plan", "--out", out.to_str().unwrap()]);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "plan file mode {mode:o}");
    assert!(
        run.stderr().contains("(mode 0600: only you can read it"),
        "{}",
        run.all()
    );
    assert!(
        run.stdout()
            .contains(&format!("endpoint {}): ", emu.endpoint)),
        "{}",
        run.all()
    );
    // An existing, world-readable file is made private too.
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).unwrap();
    s.ok(&["plan", "--out", out.to_str().unwrap()]);
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "rewritten plan file mode {mode:o}");
    let _ = std::fs::remove_dir_all(&s.dir);
}

/// `--local` with MiniStack already answering on 127.0.0.1:4567 (the shared test emulator):
/// reused as it is, with dummy credentials and no AWS variable set.
#[test]
fn local_reuses_a_running_ministack() {
    let emu = Emulator::get(Kind::MiniStack);
    assert_eq!(
        emu.endpoint.trim_end_matches('/'),
        "http://127.0.0.1:4567",
        "--local uses 127.0.0.1:4567; run this test with MiniStack there"
    );
    let dir = initialised("local");
    let out = bare(&dir).args(["--local", "plan"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with(
            "Stack msgs in us-east-1 (account 000000000000, endpoint http://127.0.0.1:4567): "
        ),
        "{}",
        text(&out)
    );
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("Started MiniStack"),
        "{}",
        text(&out)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--local` with nothing on its port starts MiniStack itself, on 127.0.0.1 only, and the next
/// command reuses it. Two commands started together take turns: one starts it, the other reuses
/// it. Uses its own port (`STACKCTL_LOCAL_PORT`) so the shared emulator on 4567 is never touched;
/// the test stops what it started, by process group.
#[test]
fn local_starts_ministack_on_loopback_when_none_runs() {
    let venv = repo().join(".emulators/ministack");
    assert!(
        venv.join("bin/ministack").is_file(),
        "no MiniStack venv at {}: run `scripts/emulators.sh install ministack`",
        venv.display()
    );
    let dir = initialised("local-start");
    let port = closed_port();
    let command = || {
        let mut c = bare(&dir);
        c.env("STACKCTL_LOCAL_PORT", port.to_string())
            .env("STACKCTL_MINISTACK_VENV", &venv)
            .env("XDG_DATA_HOME", dir.join("data"))
            .args(["--local", "plan"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        c
    };
    let run = || command().output().unwrap();
    // Two at once: whichever starts MiniStack is `first`, the one that waited for it `together`.
    let (a, b) = (command().spawn().unwrap(), command().spawn().unwrap());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let started =
        |o: &std::process::Output| String::from_utf8_lossy(&o.stderr).contains("Started MiniStack");
    assert!(
        started(&a) != started(&b),
        "exactly one of two commands started together starts MiniStack:\n{}\n{}",
        text(&a),
        text(&b)
    );
    let (first, together) = if started(&a) { (a, b) } else { (b, a) };
    let stderr = String::from_utf8_lossy(&first.stderr).into_owned();
    let pid: i32 = stderr
        .split("(pid ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no pid announced: {}", text(&first)));
    let listening = listeners(port);
    let second = run();
    // Its own process group (pgid = pid): the whole group goes, handlers included.
    let killed = Command::new("kill")
        .args(["-TERM", "--", &format!("-{pid}")])
        .status()
        .unwrap();
    assert!(killed.success(), "could not stop MiniStack (pid {pid})");
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    assert!(
        stderr.contains(&format!(
            "Started MiniStack 1.5.33 on http://127.0.0.1:{port} (pid {pid}, log "
        )),
        "{stderr}"
    );
    assert!(
        String::from_utf8_lossy(&first.stdout)
            .contains(&format!("endpoint http://127.0.0.1:{port}): ")),
        "{}",
        text(&first)
    );
    assert_eq!(
        listening,
        vec!["0100007F".to_string()],
        "listeners on {port}"
    );
    assert_eq!(together.status.code(), Some(0), "{}", text(&together));
    assert_eq!(second.status.code(), Some(0), "{}", text(&second));
    assert!(
        !String::from_utf8_lossy(&second.stderr).contains("Started MiniStack"),
        "{}",
        text(&second)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The local addresses (hex, as /proc/net/tcp{,6} write them) listening on `port`.
fn listeners(port: u16) -> Vec<String> {
    let mut out = Vec::new();
    for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(table) = std::fs::read_to_string(file) else {
            continue;
        };
        for line in table.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state)) = (cols.get(1), cols.get(3)) else {
                continue;
            };
            let Some((addr, p)) = local.split_once(':') else {
                continue;
            };
            if *state == "0A" && u16::from_str_radix(p, 16) == Ok(port) {
                out.push(addr.to_string());
            }
        }
    }
    out
}

/// A file that names its region pins it: a different --region is refused before any AWS call,
/// instead of making a second copy of the stack in another region.
#[test]
fn a_region_flag_against_the_files_region_is_refused() {
    let dir = initialised("region");
    let file = dir.join("stack.toml");
    let original = std::fs::read_to_string(&file).unwrap();
    let pinned = original.replacen("[stack]\n", "[stack]\nregion = \"eu-west-1\"\n", 1);
    assert_ne!(original, pinned, "the template has a [stack] table");
    std::fs::write(&file, pinned).unwrap();
    let out = bare(&dir)
        .args(["plan", "--region", "us-east-1"])
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env(
            "AWS_ENDPOINT_URL",
            format!("http://127.0.0.1:{}", closed_port()),
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "--region us-east-1 (or STACKCTL_REGION) disagrees with region = \"eu-west-1\""
        ),
        "{err}"
    );
    assert!(
        !err.contains("nothing is listening"),
        "an AWS call was tried: {err}"
    );
}

/// The package managers' settings (an .npmrc with a registry token) never ship in the zip.
#[test]
fn installer_settings_stay_out_of_the_package() {
    let dir = initialised("npmrc");
    std::fs::write(
        dir.join("hello/.npmrc"),
        "//registry.npmjs.org/:_authToken=npm_SECRET\n",
    )
    .unwrap();
    let out = bare(&dir).args(["build"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let zip = std::fs::File::open(dir.join(".stackctl/build/hello.zip")).unwrap();
    let mut archive = zip::ZipArchive::new(zip).unwrap();
    let names: Vec<String> = (0..archive.len())
        .map(|i| archive.by_index(i).unwrap().name().unwrap().to_string())
        .collect();
    assert!(names.iter().any(|n| n == "index.js"), "{names:?}");
    assert!(!names.iter().any(|n| n.ends_with(".npmrc")), "{names:?}");
}
