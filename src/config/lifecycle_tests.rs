//! The runtime table's dates, and what the lifecycle checks say on a given day (the day is a
//! parameter, so these never rot).

use super::*;
use crate::config::aws_limits::RUNTIMES;
use crate::config::{ConfigError, StackConfig};
use std::path::PathBuf;

/// The day this table was last checked against the Lambda guide.
const CHECKED: &str = "2026-12-01";

/// A stack with one function `f` on `runtime`, parsed (the text kept for rendering).
fn stack(runtime: &str) -> StackConfig {
    let dir = std::env::temp_dir().join(format!(
        "stackctl-lifecycle-{}-{:x}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(dir.join("fn")).unwrap();
    std::fs::write(
        dir.join("fn/index.js"),
        "exports.handler = async () => 1;\n",
    )
    .unwrap();
    let text = format!(
        "[stack]\nname = \"s\"\n\n[functions.f]\nsource = \"fn\"\nruntime = \"{runtime}\"\nhandler = \"index.handler\"\n"
    );
    let path: PathBuf = dir.join("stack.toml");
    let config = StackConfig::parse(&path, &text).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    StackConfig {
        path: PathBuf::from("stack.toml"),
        ..config
    }
}

/// (errors, warnings) rendered, for `runtime` on `today` when the plan does `intent`.
fn verdict(runtime: &str, today: &str, intent: Intent) -> (String, String) {
    let config = stack(runtime);
    let found = check(&config, today, |_| intent);
    let render = |ds: Vec<crate::config::Diagnostic>| {
        ConfigError::new(&config.path, &config.text, ds).to_string()
    };
    (render(found.errors), render(found.warnings))
}

#[test]
fn dates_are_ordered_deprecation_then_block_create_then_block_update() {
    // Before 2021 AWS blocked creation ahead of deprecation; kept as AWS published them.
    let historic = [
        "nodejs4.3",
        "nodejs4.3-edge",
        "nodejs6.10",
        "nodejs8.10",
        "dotnetcore2.0",
    ];
    for r in RUNTIMES {
        let l = &r.lifecycle;
        for d in [l.deprecated, l.block_create, l.block_update] {
            assert!(
                d.len() == 10 && d.as_bytes()[4] == b'-' && d.as_bytes()[7] == b'-',
                "{}: {d:?}",
                r.id
            );
        }
        assert!(l.block_create <= l.block_update, "{}", r.id);
        if !historic.contains(&r.id) {
            assert!(l.deprecated <= l.block_create, "{}", r.id);
        }
    }
}

#[test]
fn every_successor_is_supported_and_deprecated_no_earlier() {
    let mut ids = std::collections::BTreeSet::new();
    for r in RUNTIMES {
        assert!(ids.insert(r.id), "{} twice", r.id);
        match r.successor {
            Some(s) => {
                let s = runtime(s).unwrap_or_else(|| panic!("{}'s successor {s} is unknown", r.id));
                assert_eq!(s.phase(CHECKED), Phase::Supported, "{} → {}", r.id, s.id);
                assert!(s.lifecycle.deprecated >= r.lifecycle.deprecated, "{}", r.id);
            }
            // The newest of a language is the one without a successor.
            None => assert_eq!(r.phase(CHECKED), Phase::Supported, "{}", r.id),
        }
    }
}

#[test]
fn phases_follow_the_three_dates() {
    let r = runtime("nodejs20.x").unwrap();
    assert_eq!(r.phase("2026-04-29"), Phase::Supported);
    assert_eq!(r.phase("2026-04-30"), Phase::Deprecated);
    assert_eq!(r.phase("2027-01-31"), Phase::Deprecated);
    assert_eq!(r.phase("2027-02-01"), Phase::CreateBlocked);
    assert_eq!(r.phase("2027-03-03"), Phase::UpdateBlocked);
    // No published block date: blocked from the deprecation date (the policy's rule).
    let r = runtime("dotnet7").unwrap();
    assert_eq!(r.phase("2024-05-14"), Phase::UpdateBlocked);
}

#[test]
fn a_runtime_lambda_no_longer_creates_is_refused_for_a_new_function_with_its_successor() {
    for intent in [Intent::Create, Intent::Unknown] {
        let (errors, warnings) = verdict("go1.x", CHECKED, intent);
        assert!(
            errors.contains("runtime \"go1.x\" cannot create function f: Lambda blocks creating functions with it since 2024-02-08 (today is 2026-12-01"),
            "{errors}"
        );
        assert!(
            errors.contains("hint: set runtime = \"provided.al2023\""),
            "{errors}"
        );
        assert!(errors.contains("stack.toml:6:11"), "{errors}");
        assert_eq!(warnings, "");
    }
    // The same runtime on an existing function that the plan updates: updates still work.
    let (errors, warnings) = verdict("go1.x", CHECKED, Intent::Update);
    assert_eq!(errors, "");
    assert!(
        warnings.starts_with("warning: runtime \"go1.x\": function f exists"),
        "{warnings}"
    );
    assert!(
        warnings.contains("updating them from 2027-03-03"),
        "{warnings}"
    );
}

#[test]
fn an_update_past_block_update_is_refused_and_leaving_the_function_alone_warns() {
    let (errors, _) = verdict("python3.6", CHECKED, Intent::Update);
    assert!(
        errors.contains("this plan updates function f's code or configuration, which Lambda blocks since 2022-08-29 (today is 2026-12-01"),
        "{errors}"
    );
    assert!(
        errors.contains("hint: set runtime = \"python3.13\""),
        "{errors}"
    );
    let (errors, warnings) = verdict("python3.6", CHECKED, Intent::Unchanged);
    assert_eq!(errors, "");
    assert!(
        warnings.contains("any change to its code or configuration will be refused"),
        "{warnings}"
    );
    let (errors, _) = verdict("python3.6", CHECKED, Intent::Unknown);
    assert!(
        errors.contains("and updating them since 2022-08-29"),
        "{errors}"
    );
}

#[test]
fn a_deprecated_runtime_not_yet_blocked_warns_whatever_the_plan_does() {
    for intent in [
        Intent::Create,
        Intent::Update,
        Intent::Unchanged,
        Intent::Unknown,
    ] {
        let (errors, warnings) = verdict("nodejs20.x", CHECKED, intent);
        assert_eq!(errors, "");
        insta::assert_snapshot!("deprecated_warning", warnings);
    }
}

#[test]
fn a_date_moves_a_runtime_through_its_phases() {
    let at = |today| verdict("nodejs20.x", today, Intent::Unknown);
    assert_eq!(at("2026-04-29"), (String::new(), String::new()));
    assert!(at("2026-04-30").1.starts_with("warning:"));
    assert!(at("2027-02-01").0.starts_with("error:"));
    assert!(
        at("2027-03-03")
            .0
            .contains("updating them since 2027-03-03")
    );
    assert_eq!(
        verdict("nodejs24.x", CHECKED, Intent::Unknown),
        (String::new(), String::new())
    );
}

#[test]
fn refusal_message() {
    insta::assert_snapshot!(
        "blocked_create_error",
        verdict("python3.7", CHECKED, Intent::Unknown).0
    );
}

#[test]
fn civil_dates_from_day_numbers() {
    assert_eq!(civil_date(0), "1970-01-01");
    assert_eq!(civil_date(-1), "1969-12-31");
    assert_eq!(civil_date(11_016), "2000-02-29");
    assert_eq!(civil_date(20_788), "2026-12-01");
    assert!(system_today().as_str() >= "2026-12-01");
}
