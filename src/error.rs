//! stackctl's typed errors. A mistake the user can fix carries what to do as a field
//! ([`Hinted`], [`crate::aws::AwsError`], [`crate::config::ConfigError`]); a bug in stackctl is an
//! [`Internal`]; a run stopped by Ctrl-C is [`Interrupted`]. `render::Printer::error` is the one place
//! they are turned into text, and `main` the one place they become an exit code.

/// A mistake the user can fix: what is wrong, and what to do about it.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Hinted {
    pub message: String,
    /// What to do next, shown as `= hint: …` under the message.
    pub hint: String,
}

impl Hinted {
    pub fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Hinted {
            message: message.into(),
            hint: hint.into(),
        }
    }
}

/// A bug in stackctl (a state the code should never reach), told apart from the user's mistakes.
#[derive(Debug, thiserror::Error)]
#[error("internal error: {0}")]
pub struct Internal(pub String);

/// The user stopped the run with a second Ctrl-C; `main` exits with 130 (128 + SIGINT).
#[derive(Debug, thiserror::Error)]
#[error("interrupted")]
pub struct Interrupted;

/// The hint of the first error in `e`'s chain that carries one.
pub fn hint(e: &anyhow::Error) -> Option<&str> {
    e.chain().find_map(|cause| {
        if let Some(h) = cause.downcast_ref::<Hinted>() {
            Some(h.hint.as_str())
        } else {
            cause
                .downcast_ref::<crate::aws::AwsError>()
                .and_then(|a| a.hint.as_deref())
        }
    })
}

/// `anyhow::Error` for a mistake the user can fix:
/// `hinted!("{} is missing", path; hint = "run `stackctl init`")`.
#[macro_export]
macro_rules! hinted {
    ($($msg:expr),+ ; hint = $($hint:expr),+ $(,)?) => {
        anyhow::Error::new($crate::error::Hinted {
            message: format!($($msg),+),
            hint: format!($($hint),+),
        })
    };
}

/// Returns early with a [`hinted!`] error.
#[macro_export]
macro_rules! bail_hint {
    ($($t:tt)*) => {
        return Err($crate::hinted!($($t)*).into())
    };
}

/// Returns early with an [`Internal`] error (a bug).
#[macro_export]
macro_rules! bail_internal {
    ($($t:tt)*) => {
        return Err(anyhow::Error::new($crate::error::Internal(format!($($t)*))).into())
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn the_hint_is_found_under_context() {
        let e: anyhow::Result<()> = Err(crate::hinted!("no {}", "file"; hint = "run {}", "init"));
        let e = e.context("reading").unwrap_err();
        assert_eq!(format!("{e:#}"), "reading: no file");
        assert_eq!(hint(&e), Some("run init"));
        assert_eq!(hint(&anyhow::anyhow!("plain")), None);
    }
}
