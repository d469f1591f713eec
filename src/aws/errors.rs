//! Turning SDK errors into messages that name the failing call and say what to do, and the few
//! error-code predicates the engine branches on.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::fmt;

/// A failed AWS call: which call, AWS's error code and message, and a hint for the user.
#[derive(Debug)]
pub struct AwsError {
    pub call: String,
    pub code: Option<String>,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed: ", self.call)?;
        match &self.code {
            Some(code) => write!(f, "{code}: {}", self.message)?,
            None => write!(f, "{}", self.message)?,
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  = hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for AwsError {}

/// The AWS error code of a failed call, if AWS answered with one.
pub fn code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> Option<&str> {
    match err {
        SdkError::ServiceError(e) => e.err().code(),
        _ => None,
    }
}

/// Not-found, whatever each service calls it.
pub fn is_not_found<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    matches!(
        code(err),
        Some(
            "ResourceNotFoundException"
                | "NoSuchEntity"
                | "NoSuchEntityException"
                | "NotFoundException"
        )
    )
}

pub trait CallExt<T> {
    /// Names the call (e.g. `lambda:CreateFunction hello-api`) in the error, with a hint.
    fn ctx(self, call: impl fmt::Display) -> anyhow::Result<T>;
}

impl<T, E, R> CallExt<T> for Result<T, SdkError<E, R>>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: fmt::Debug + Send + Sync + 'static,
{
    fn ctx(self, call: impl fmt::Display) -> anyhow::Result<T> {
        self.map_err(|e| anyhow::Error::new(describe(call.to_string(), &e)))
    }
}

pub fn describe<E, R>(call: String, err: &SdkError<E, R>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: fmt::Debug + Send + Sync + 'static,
{
    let (code, message) = match err {
        SdkError::ServiceError(e) => (
            e.err().code().map(str::to_string),
            e.err()
                .message()
                .map(str::to_string)
                .unwrap_or_else(|| DisplayErrorContext(err).to_string()),
        ),
        _ => (None, DisplayErrorContext(err).to_string()),
    };
    let hint = hint(err, code.as_deref());
    AwsError {
        call,
        code,
        message,
        hint,
    }
}

fn hint<E, R>(err: &SdkError<E, R>, code: Option<&str>) -> Option<String> {
    let text = match (err, code) {
        (SdkError::DispatchFailure(_) | SdkError::TimeoutError(_), _) => {
            "AWS could not be reached: check the network, --endpoint-url / AWS_ENDPOINT_URL, \
             or start the local emulator (scripts/emulators.sh start)"
        }
        (_, Some("AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation")) => {
            "the credentials in use lack this permission: grant it to the caller's role or user, \
             or choose another profile with --profile"
        }
        (
            _,
            Some(
                "UnrecognizedClientException"
                | "InvalidClientTokenId"
                | "ExpiredToken"
                | "ExpiredTokenException"
                | "SignatureDoesNotMatch",
            ),
        ) => {
            "the credentials are invalid or expired: run `aws sso login`, or check AWS_PROFILE / AWS_ACCESS_KEY_ID"
        }
        (_, Some("TooManyRequestsException" | "ThrottlingException" | "Throttling")) => {
            "AWS kept throttling after retries: wait a minute and run the command again"
        }
        (_, Some("LimitExceededException")) => {
            "an AWS quota was reached: raise it in Service Quotas or remove unused resources"
        }
        (_, Some("ResourceConflictException")) => {
            "the function is being updated by someone else or is still settling: run the command again"
        }
        (_, Some("PreconditionFailedException")) => {
            "the resource changed since it was read: run `stackctl plan` again to see the new state"
        }
        _ => return None,
    };
    Some(text.to_string())
}
