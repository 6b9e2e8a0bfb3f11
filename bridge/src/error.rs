//! What can stop the bridge: a setting it cannot use, or an SQS call that
//! failed, each with what to do about it.

use std::fmt::Debug;

use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};

use crate::config::ConfigError;

/// Why the bridge could not go on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BridgeError {
    /// A setting SQS or Lambda would refuse.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// An SQS call failed.
    #[error("SQS {operation} on {queue_url} failed: {detail}; {advice}")]
    Sqs {
        /// The SQS operation, such as `ReceiveMessage`.
        operation: &'static str,
        /// The queue.
        queue_url: String,
        /// The SDK's error with its causes, in one line.
        detail: String,
        /// What to do about it.
        advice: &'static str,
        /// The SDK's error.
        #[source]
        source: Box<aws_sdk_sqs::Error>,
    },
    /// The endpoint answered `GetQueueAttributes` without the queue's ARN.
    #[error(
        "GetQueueAttributes on {queue_url} returned no usable QueueArn ({found:?}); the endpoint does not answer \
         like SQS: check the endpoint URL"
    )]
    NoQueueArn {
        /// The queue.
        queue_url: String,
        /// What came instead, if anything.
        found: Option<String>,
    },
}

/// The bridge's error for a failed SQS call.
pub(crate) fn sqs_error<E, R>(operation: &'static str, queue_url: &str, error: SdkError<E, R>) -> BridgeError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    SdkError<E, R>: std::error::Error + 'static,
    R: Debug + Send + Sync + 'static,
    aws_sdk_sqs::Error: From<SdkError<E, R>>,
{
    let detail = causes(&error);
    let advice = advice(&error, &detail);
    BridgeError::Sqs {
        operation,
        queue_url: queue_url.to_owned(),
        detail,
        advice,
        source: Box::new(aws_sdk_sqs::Error::from(error)),
    }
}

/// An error and its causes in one line: `a: b: c`.
fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

fn advice<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>, detail: &str) -> &'static str {
    if detail.contains("credentials") {
        return "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (any values work for a local emulator) or call \
                ClientSettings::static_credentials";
    }
    match error {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
            "the endpoint did not answer: check the endpoint URL and that the server (moto, ElasticMQ, LocalStack) \
             is running"
        }
        SdkError::ResponseError(_) => {
            "the answer is not SQS's: check that the endpoint URL points to an SQS API"
        }
        SdkError::ServiceError(_) => match error.code() {
            Some(code) if code.contains("NonExistentQueue") || code.contains("QueueDoesNotExist") => {
                "the queue does not exist at this endpoint: create it, or check the queue URL and the endpoint URL"
            }
            Some(code) if code.contains("AccessDenied") || code.contains("InvalidClientTokenId") => {
                "the endpoint refused these credentials: check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the \
                 region"
            }
            _ => "the SQS API refused the request: read its message above",
        },
        _ => "the request could not be built: read the cause above",
    }
}
