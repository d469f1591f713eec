//! Interrupted and concurrent applies against LocalStack: kill -9 at random points then re-apply,
//! Ctrl-C (SIGINT) mid-apply, and two applies of one stack at once. Whatever happens, the next
//! plan sees everything, the next apply finishes it, and nothing is duplicated or lost.

use crate::faults::{baseline, snapshot};
use crate::proxy::{Fault, Proxy};
use crate::support::*;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

fn spawn(s: &Stack, args: &[&str]) -> Child {
    let mut cmd = stackctl_command(&s.emu);
    cmd.arg("-f")
        .arg(s.file())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.spawn().expect("stackctl starts")
}

/// Applies and destroys killed with SIGKILL at random moments until ten kills landed while the
/// process was running, then one apply that must converge with nothing duplicated, and a destroy
/// that must leave nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_points_then_reapply_converges() {
    let emu = Emulator::get(Kind::LocalStack);
    let s = Stack::from_example(&emu, "tutorial", "kill");
    // How long an uninterrupted apply and destroy take here, to spread the kill points over them.
    let timed = |args: &[&str]| {
        let start = Instant::now();
        s.ok(args);
        start.elapsed()
    };
    let full_apply = timed(&["apply", "--yes"]);
    let full_destroy = timed(&["destroy", "--yes"]);
    let seed = fastrand::u64(..);
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut points = Vec::new();
    for i in 0..30 {
        if points.len() == 10 {
            break;
        }
        // Mostly applies, with destroys in between so later kills still land mid-work.
        let (args, full): (&[&str], Duration) = if i % 3 == 2 {
            (&["destroy", "--yes"], full_destroy)
        } else {
            (&["apply", "--yes"], full_apply)
        };
        let after = full.mul_f64(rng.f64());
        let mut child = spawn(&s, args);
        std::thread::sleep(after);
        let running = child.try_wait().unwrap().is_none();
        child.kill().unwrap();
        child.wait().unwrap();
        if running {
            points.push(format!("{} at {}ms", args[0], after.as_millis()));
        }
    }
    println!(
        "KILL9 seed {seed}: full apply {}ms, destroy {}ms; killed {:?}",
        full_apply.as_millis(),
        full_destroy.as_millis(),
        points
    );
    assert_eq!(points.len(), 10, "fewer than 10 kills landed mid-run");

    let applied = s.run(&["apply", "--yes"]);
    assert_eq!(
        applied.code(),
        0,
        "re-apply after kills failed (seed {seed}):\n{}",
        applied.all()
    );
    let noop = s.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(noop.code(), 0, "{}", noop.all());
    // Exactly one API, one deployment, every statement and log group once.
    snapshot(&emu, &s).await;
    s.destroy();
    assert!(
        !api_named(&emu, &s.api_name()).await,
        "a REST API was left behind"
    );
}

/// Ctrl-C after the first step finished: no new steps start, the ones in flight finish, and the
/// summary says what is done and what is not; the next apply finishes the job.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_stops_scheduling_and_says_what_is_left() {
    let emu = Emulator::get(Kind::LocalStack);
    let proxy = Proxy::start(&emu);
    // Slow API Gateway writes so the interrupt lands while steps remain.
    proxy.inject("PutMethod", Fault::Slow(1500), 10);
    let s = Stack::from_example(&proxy.emulator(), "tutorial", "sigint");
    let mut child = spawn(&s, &["apply", "--yes", "--color", "never"]);
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut lines = Vec::new();
    let mut sent = false;
    for line in stderr.lines() {
        let line = line.unwrap();
        if !sent && line.contains('✓') {
            let status = std::process::Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status()
                .unwrap();
            assert!(status.success());
            sent = true;
        }
        lines.push(line);
    }
    let status = child.wait().unwrap();
    let text = lines.join("\n");
    assert!(sent, "no step finished:\n{text}");
    println!("SIGINT output:\n{text}");
    assert_eq!(status.code(), Some(1), "{text}");
    assert!(text.contains("finishing the steps in flight"), "{text}");
    assert!(text.contains("interrupted"), "{text}");
    assert!(text.contains("steps done"), "{text}");
    assert!(text.contains("not started"), "{text}");
    assert!(text.contains("stackctl apply"), "{text}");

    let plan = s.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code(), 2, "the rest is planned:\n{}", plan.all());
    s.apply();
    let noop = s.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(noop.code(), 0, "{}", noop.all());
    snapshot(&emu, &s).await;
    s.destroy();
}

/// Two people apply different edits to one stack at the same moment. Both plans read the same
/// function revision; the first write wins and the second is refused (RevisionId), so neither
/// edit is silently overwritten; the loser's next plan shows the winner's change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_applies_lose_no_update() {
    let emu = Emulator::get(Kind::LocalStack);
    let proxy = Proxy::start(&emu);
    let s = Stack::from_example(&proxy.emulator(), "tutorial", "conc");
    s.apply();
    let hello = s.function("hello");

    // A second working copy of the same stack with another edit.
    let other_dir = s.dir.with_file_name(format!("stackctl-it-{}-b", s.name));
    let _ = std::fs::remove_dir_all(&other_dir);
    copy_dir(&s.dir, &other_dir);
    let other_file = other_dir.join("stack.toml");
    let text = std::fs::read_to_string(&other_file).unwrap();
    std::fs::write(
        &other_file,
        text.replacen("timeout_s = 3", "timeout_s = 10", 1),
    )
    .unwrap();
    s.edit("memory_mb = 128", "memory_mb = 256");

    // Both plans are read before either write lands. The writes reach LocalStack 600 ms apart:
    // its RevisionId check is not atomic for requests arriving in the same instant (AWS's is).
    proxy.inject("UpdateFunctionConfiguration", Fault::Slow(2000), 1);
    proxy.inject("UpdateFunctionConfiguration", Fault::Slow(2600), 1);
    let start = Instant::now();
    let a = spawn(&s, &["apply", "--yes"]);
    let mut b_cmd = stackctl_command(&s.emu);
    b_cmd
        .arg("-f")
        .arg(&other_file)
        .args(["apply", "--yes"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let b = b_cmd.spawn().unwrap();
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    println!(
        "CONCURRENT both applies took {:.1}s",
        start.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&other_dir);
    let text = |o: &std::process::Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    let (a_ok, b_ok) = (a.status.success(), b.status.success());
    assert!(
        a_ok != b_ok,
        "exactly one apply must win:\n--- A\n{}\n--- B\n{}",
        text(&a),
        text(&b)
    );
    let loser = if a_ok { &b } else { &a };
    assert!(
        text(loser).contains("PreconditionFailed") || text(loser).contains("changed since"),
        "the loser is refused for a stale revision:\n{}",
        text(loser)
    );
    let f = emu
        .lambda()
        .await
        .get_function_configuration()
        .function_name(&hello)
        .send()
        .await
        .unwrap();
    // The winner's file, whole: never a mix in which the loser overwrote the winner's edit.
    let live = (f.memory_size(), f.timeout());
    let expected = if a_ok {
        (Some(256), Some(3))
    } else {
        (Some(128), Some(10))
    };
    assert_eq!(live, expected);
    println!(
        "CONCURRENT loser said: {}",
        text(loser)
            .lines()
            .find(|l| l.contains("PreconditionFailed"))
            .unwrap_or_default()
            .trim()
    );
    println!(
        "CONCURRENT winner {}",
        if a_ok { "A (memory)" } else { "B (timeout)" }
    );

    // The loser's edit is still wanted and shows as a change; applying the winner's file again is a no-op.
    if a_ok {
        let noop = s.run(&["plan", "--detailed-exitcode"]);
        assert_eq!(noop.code(), 0, "{}", noop.all());
    } else {
        let plan = s.plan_json();
        let changes = plan["steps"].to_string();
        assert!(changes.contains("memory_mb"), "{changes}");
    }
    snapshot_counts(&emu, &s).await;
    s.destroy();
}

/// No duplicate API or permission statement after the race.
async fn snapshot_counts(emu: &Emulator, s: &Stack) {
    let apis = emu
        .apigw()
        .await
        .get_rest_apis()
        .limit(500)
        .send()
        .await
        .unwrap();
    let ours = apis
        .items()
        .iter()
        .filter(|a| a.name() == Some(s.api_name().as_str()))
        .count();
    assert_eq!(ours, 1);
    let policy = emu
        .lambda()
        .await
        .get_policy()
        .function_name(s.function("hello"))
        .send()
        .await
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    assert_eq!(doc["Statement"].as_array().unwrap().len(), 1, "{doc}");
}

/// Two first applies of one new stack at once: both create a REST API, both then agree on the
/// older one and the other is deleted. Writes inside that one API can still collide (both put the
/// same method at once), so one apply may fail cleanly; at least one finishes, a follow-up apply
/// converges, and the stack is what one clean apply makes: one API, nothing twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_applies_leave_one_api() {
    let emu = Emulator::get(Kind::LocalStack);
    let proxy = Proxy::start(&emu);
    // Both processes plan "create" before either API exists.
    proxy.inject("CreateRestApi", Fault::Slow(1500), 2);
    proxy.aws_resource_conflicts();
    let s = Stack::from_example(&proxy.emulator(), "tutorial", "twin");
    let a = spawn(&s, &["apply", "--yes"]);
    let b = spawn(&s, &["apply", "--yes"]);
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let outcome = |o: &std::process::Output| {
        format!(
            "exit {:?}\n{}{}",
            o.status.code(),
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    println!(
        "TWIN A: {}\nTWIN B: {}",
        outcome(&a).lines().last().unwrap_or_default(),
        outcome(&b).lines().last().unwrap_or_default()
    );
    assert!(
        a.status.success() || b.status.success(),
        "neither apply finished:\n--- A\n{}\n--- B\n{}",
        outcome(&a),
        outcome(&b)
    );
    for o in [&a, &b] {
        let text = outcome(o);
        assert!(!text.contains("panicked"), "{text}");
    }
    s.apply();
    let noop = s.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(noop.code(), 0, "{}", noop.all());
    assert_eq!(&snapshot(&emu, &s).await, baseline(&emu).await);
    s.destroy();
}
