//! Turning SDK errors into messages that name the failing call and say what to do, and the few
//! error-code predicates the engine branches on.

use aws_credential_types::provider::error::CredentialsError;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::fmt;
use std::sync::OnceLock;

/// Where calls go, for messages about an endpoint that does not answer: set once by
/// [`super::Aws::connect`] (the custom endpoint, or "AWS in <region>").
static TARGET: OnceLock<String> = OnceLock::new();

pub(super) fn set_target(target: String) {
    let _ = TARGET.set(target);
}

/// A failed AWS call: which call, AWS's error code and message, and a hint for the user (shown
/// by `render::Printer::error`, not by `Display`).
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
        Ok(())
    }
}

impl std::error::Error for AwsError {}

/// The codes each service uses for "no such resource": Lambda, DynamoDB, Kinesis, EventBridge
/// and CloudWatch Logs `ResourceNotFoundException`; IAM `NoSuchEntity`; API Gateway
/// `NotFoundException`; SNS `NotFound`; S3 `NoSuchBucket`; SQS `QueueDoesNotExist` (its JSON
/// protocol) or `AWS.SimpleQueueService.NonExistentQueue` (its query protocol).
const NOT_FOUND: [&str; 8] = [
    "ResourceNotFoundException",
    "NoSuchEntity",
    "NoSuchEntityException",
    "NotFoundException",
    "NotFound",
    "NoSuchBucket",
    "QueueDoesNotExist",
    "AWS.SimpleQueueService.NonExistentQueue",
];

impl AwsError {
    /// The resource does not exist, whatever the service calls it.
    pub fn is_not_found(&self) -> bool {
        self.code.as_deref().is_some_and(|c| NOT_FOUND.contains(&c))
    }

    /// Lambda refuses a role IAM has not propagated yet (`InvalidParameterValueException`, "The
    /// role defined for the function cannot be assumed by Lambda"); it is retried. Lambda has
    /// no code of its own for it, so the message is read.
    pub fn is_role_not_ready(&self) -> bool {
        self.code.as_deref() == Some("InvalidParameterValueException")
            && self.message.contains("cannot be assumed")
    }

    /// Lambda's "an update is in progress": the function is settling from an earlier write
    /// (ours or another client's); the write is retried. "Already exists" shares the code
    /// (`ResourceConflictException`) and is a different conflict, never retried.
    pub fn is_busy(&self) -> bool {
        self.code.as_deref() == Some("ResourceConflictException")
            && !self.message.contains("already exist")
    }

    /// Lambda's "the event source mapping is busy" (`ResourceInUseException`): it is still
    /// Creating, Updating or Deleting; the write is retried.
    pub fn is_in_use(&self) -> bool {
        self.code.as_deref() == Some("ResourceInUseException")
    }

    /// Lambda refuses an event source mapping whose role's new permissions have not reached its
    /// poller yet (`InvalidParameterValueException`, "The provided execution role does not have
    /// permissions to call ReceiveMessage on SQS", and the Kinesis and DynamoDB forms) or whose
    /// role cannot be assumed yet; it is retried. No code of its own: the message is read.
    pub fn is_permission_not_ready(&self) -> bool {
        self.code.as_deref() == Some("InvalidParameterValueException")
            && (self.message.contains("does not have permissions")
                || self.message.contains("cannot be assumed"))
    }

    /// S3 refuses a notification configuration whose Lambda destination it cannot invoke yet
    /// ("Unable to validate the following destination configurations"): the function's new
    /// permission for `s3.amazonaws.com` is still propagating; retried.
    pub fn is_destination_not_ready(&self) -> bool {
        self.message
            .contains("Unable to validate the following destination")
    }

    /// API Gateway refuses a logging role IAM has not propagated yet (`BadRequestException`,
    /// "The role ARN does not have required permissions…"); it is retried.
    pub fn is_role_propagating(&self) -> bool {
        self.code.as_deref() == Some("BadRequestException") && self.message.contains("role ARN")
    }

    /// The caller's credentials may not make this call (IAM's `AccessDenied`, most services'
    /// `AccessDeniedException`).
    pub fn is_access_denied(&self) -> bool {
        matches!(
            self.code.as_deref(),
            Some("AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation")
        )
    }

    /// The endpoint does not implement the operation (an emulator, or a partition without it).
    pub fn is_unsupported(&self) -> bool {
        matches!(
            self.code.as_deref(),
            Some("InvalidAction" | "NotImplemented" | "UnknownOperationException")
        )
    }

    /// The resource exists already (a create that lost the race or was sent twice), whatever
    /// each service calls it; Lambda's `ResourceConflictException` also means "busy", told apart
    /// by its message.
    pub fn is_already_exists(&self) -> bool {
        match self.code.as_deref() {
            Some(
                "EntityAlreadyExists" | "ResourceAlreadyExistsException" | "ConflictException",
            ) => true,
            Some("ResourceConflictException") => self.message.contains("already exist"),
            _ => false,
        }
    }
}

/// The AWS error code of a failed call, if AWS answered with one.
pub fn code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> Option<&str> {
    match err {
        SdkError::ServiceError(e) => e.err().code(),
        _ => None,
    }
}

/// Not-found, whatever each service calls it.
pub fn is_not_found<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    code(err).is_some_and(|c| NOT_FOUND.contains(&c))
}

/// The failed call `call` (e.g. `lambda:GetFunction hello-hello`) as an [`AwsError`]: AWS's code
/// and message, or for failures before AWS answered (no credentials, a refused connection) what
/// happened in plain words; with a hint saying what to do. Never the error's `Debug` form.
pub fn describe<E, R>(call: String, err: &SdkError<E, R>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: fmt::Debug + Send + Sync + 'static,
{
    if let Some(cause) = Cause::of(err) {
        return AwsError {
            call,
            code: None,
            message: cause.message(),
            hint: Some(cause.hint().to_string()),
        };
    }
    let (code, message) = match err {
        SdkError::ServiceError(e) => (
            e.err().code().map(str::to_string),
            e.err()
                .message()
                .map(str::to_string)
                .unwrap_or_else(|| chain(err)),
        ),
        _ => (None, chain(err)),
    };
    let hint = hint(err, code.as_deref());
    AwsError {
        call,
        code,
        message,
        hint,
    }
}

/// The error and its causes, each by its `Display`, joined with ": " (repeats dropped). The SDK's
/// own `DisplayErrorContext` appends the `Debug` form, which no user should have to read.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// A failure that happened before AWS could answer, recognised in the error's causes.
enum Cause {
    /// The provider chain found no credentials at all.
    NoCredentials,
    /// Credentials were configured but could not be loaded (SSO expired, a bad profile).
    Credentials(String),
    /// Nothing listens on the endpoint.
    Refused,
}

impl Cause {
    fn of(err: &(dyn std::error::Error + 'static)) -> Option<Cause> {
        let mut next = Some(err);
        while let Some(e) = next {
            if let Some(c) = e.downcast_ref::<CredentialsError>() {
                let why = chain(c);
                // The default chain reaches the instance metadata service (IMDS) only after the
                // environment, the profile files, web identity and the container have none: off
                // EC2 its failure means no credentials are configured at all.
                return Some(match c {
                    CredentialsError::CredentialsNotLoaded(_) => Cause::NoCredentials,
                    _ if why.contains("IMDS") => Cause::NoCredentials,
                    _ => Cause::Credentials(why),
                });
            }
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
            {
                return Some(Cause::Refused);
            }
            next = e.source();
        }
        None
    }

    fn message(&self) -> String {
        match self {
            Cause::NoCredentials => "no AWS credentials were found".to_string(),
            Cause::Credentials(why) => format!("the AWS credentials could not be loaded: {why}"),
            Cause::Refused => format!(
                "nothing is listening on {} (connection refused)",
                TARGET.get().map_or("the endpoint", String::as_str)
            ),
        }
    }

    fn hint(&self) -> &'static str {
        match self {
            Cause::NoCredentials => {
                "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, pass --profile NAME, or run \
                 `aws sso login`; an emulator accepts any dummy values (or use `stackctl --local`)"
            }
            Cause::Credentials(_) => {
                "run `aws sso login` (or `aws configure`) for this profile, or choose another with --profile"
            }
            Cause::Refused => {
                "check --endpoint-url / AWS_ENDPOINT_URL, or start the emulator; \
                 `stackctl --local` starts MiniStack on 127.0.0.1:4567 for you"
            }
        }
    }
}

/// True when the error is a refused connection: retrying cannot help, so calls fail at once.
pub fn is_refused(err: &(dyn std::error::Error + 'static)) -> bool {
    matches!(Cause::of(err), Some(Cause::Refused))
}

fn hint<E, R>(err: &SdkError<E, R>, code: Option<&str>) -> Option<String> {
    let text = match (err, code) {
        (SdkError::DispatchFailure(_) | SdkError::TimeoutError(_), _) => {
            "AWS could not be reached: check the network and --endpoint-url / AWS_ENDPOINT_URL"
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

#[cfg(test)]
mod tests {
    use super::AwsError;

    fn err(code: &str, message: &str) -> AwsError {
        AwsError {
            call: "lambda:CreateEventSourceMapping f ← s".into(),
            code: Some(code.into()),
            message: message.into(),
            hint: None,
        }
    }

    #[test]
    fn the_event_source_predicates_read_each_services_answer() {
        // Lambda's poller, for each source type, while the role's new policy propagates.
        for source in [
            "ReceiveMessage on SQS",
            "GetRecords on Kinesis",
            "GetRecords on DynamoDB",
        ] {
            let e = err(
                "InvalidParameterValueException",
                &format!("The provided execution role does not have permissions to call {source}"),
            );
            assert!(e.is_permission_not_ready(), "{source}");
        }
        assert!(
            !err("InvalidParameterValueException", "Invalid batch size").is_permission_not_ready()
        );
        assert!(
            err(
                "ResourceInUseException",
                "Cannot update the event source mapping"
            )
            .is_in_use()
        );
        assert!(
            err(
                "InvalidArgument",
                "Unable to validate the following destination configurations"
            )
            .is_destination_not_ready()
        );
        // Not found, whatever each service calls it; a conflict is not.
        for code in [
            "ResourceNotFoundException",
            "NotFound",
            "NoSuchBucket",
            "QueueDoesNotExist",
            "AWS.SimpleQueueService.NonExistentQueue",
        ] {
            assert!(err(code, "").is_not_found(), "{code}");
        }
        assert!(!err("ResourceConflictException", "").is_not_found());
    }
}
