//! Lambda's runtime lifecycle applied to a stack: which of the file's functions Lambda would
//! refuse to create or update today (errors) and which run on a deprecated runtime (warnings).
//! Offline `validate` cannot know whether a function exists and checks as if each were new;
//! `plan` knows, and checks what it is about to do (see `engine::make_plan`).

use super::aws_limits::{Phase, Runtime, runtime};
use super::{Diagnostic, StackConfig};

/// The variable that pins "today" (`YYYY-MM-DD`, UTC) for the lifecycle checks. For tests
/// only: it lets them check a date's outcome without waiting for it.
pub const TODAY_VAR: &str = "STACKCTL_TODAY";

/// What a plan does to a function, as far as the runtime checks care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// `CreateFunction` (a new function, or a replacement).
    Create,
    /// `UpdateFunctionCode` and/or `UpdateFunctionConfiguration` on an existing function.
    Update,
    /// The function exists and the plan leaves it alone.
    Unchanged,
    /// Offline: whether the function exists is unknown; checked as a create (the first apply
    /// of the file on a new account creates every function).
    Unknown,
}

/// The lifecycle checks' outcome: errors refuse the command (exit 1), warnings go to stderr.
#[derive(Debug, Default)]
pub struct Findings {
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

/// Today's date (`YYYY-MM-DD`, UTC): [`TODAY_VAR`] when set, else the system clock.
/// Errors: a [`TODAY_VAR`] that is not a `YYYY-MM-DD` date.
pub fn today() -> anyhow::Result<String> {
    match std::env::var(TODAY_VAR) {
        Ok(v) if !v.is_empty() => {
            let b = v.as_bytes();
            let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
            if b.len() == 10
                && b[4] == b'-'
                && b[7] == b'-'
                && digits(0..4)
                && digits(5..7)
                && digits(8..10)
            {
                Ok(v)
            } else {
                crate::bail_hint!("{TODAY_VAR}={v:?} is not a date"; hint = "write it as YYYY-MM-DD, or unset it (it exists for tests)")
            }
        }
        _ => Ok(system_today()),
    }
}

/// The system clock's date (`YYYY-MM-DD`, UTC), ignoring [`TODAY_VAR`].
pub fn system_today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_date((secs / 86_400) as i64)
}

/// The proleptic Gregorian date of a day counted from 1970-01-01 (H. Hinnant's
/// `civil_from_days`), as `YYYY-MM-DD`.
fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Checks every function's runtime against its lifecycle on `today`, given what the plan does
/// with it (`intent`, by function key).
pub fn check(config: &StackConfig, today: &str, intent: impl Fn(&str) -> Intent) -> Findings {
    let mut out = Findings::default();
    for (key, f) in &config.functions {
        let Some(r) = runtime(&f.runtime) else {
            continue;
        };
        let (error, diagnostic) = judge(r, key, today, intent(key));
        if let Some(d) = diagnostic {
            let d = Diagnostic {
                span: f.runtime_span.clone(),
                ..d
            };
            if error {
                out.errors.push(d);
            } else {
                out.warnings.push(d.warning());
            }
        }
    }
    out
}

/// One function's verdict: (is it an error, the message), located by the caller.
fn judge(r: &Runtime, key: &str, today: &str, intent: Intent) -> (bool, Option<Diagnostic>) {
    let l = &r.lifecycle;
    let id = r.id;
    let phase = r.phase(today);
    let hint = match r.successor {
        Some(s) => format!(
            "set runtime = \"{s}\" (Lambda still accepts that update for an existing function)"
        ),
        None => "move to a supported runtime".to_string(),
    };
    let (deprecated, create, update) = (l.deprecated, l.block_create, l.block_update);
    let at = 0..0;
    let (error, message) = match (phase, intent) {
        (Phase::Supported, _) => return (false, None),
        (Phase::Deprecated, _) => (
            false,
            format!(
                "runtime {id:?} is deprecated since {deprecated}: Lambda blocks creating functions with it from {create} and updating them from {update}"
            ),
        ),
        (Phase::CreateBlocked, Intent::Create | Intent::Unknown) => (
            true,
            format!(
                "runtime {id:?} cannot create function {key}: Lambda blocks creating functions with it since {create} (today is {today}; deprecated since {deprecated}, updates blocked from {update})"
            ),
        ),
        (Phase::CreateBlocked, _) => (
            false,
            format!(
                "runtime {id:?}: function {key} exists, but Lambda blocks creating functions with it since {create} and updating them from {update} (deprecated since {deprecated})"
            ),
        ),
        (Phase::UpdateBlocked, Intent::Unchanged) => (
            false,
            format!(
                "runtime {id:?}: Lambda blocks updating function {key} since {update} (today is {today}); it runs as it is, and any change to its code or configuration will be refused"
            ),
        ),
        (Phase::UpdateBlocked, Intent::Update) => (
            true,
            format!(
                "runtime {id:?}: this plan updates function {key}'s code or configuration, which Lambda blocks since {update} (today is {today}; deprecated since {deprecated})"
            ),
        ),
        (Phase::UpdateBlocked, Intent::Create | Intent::Unknown) => (
            true,
            format!(
                "runtime {id:?} cannot create function {key}: Lambda blocks creating functions with it since {create} and updating them since {update} (today is {today}; deprecated since {deprecated})"
            ),
        ),
    };
    (error, Some(Diagnostic::new(message, at).hint(hint)))
}

#[cfg(test)]
#[path = "lifecycle_tests.rs"]
mod tests;
