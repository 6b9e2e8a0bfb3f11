//! The SDK's errors as [`StoreError`]s: the kind the engine acts on, a
//! message saying what went wrong and what to do, and the SDK's error kept
//! as the source.

use std::error::Error as StdError;

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::idempotency::key::Key;
use crate::idempotency::store::{StoreError, StoreErrorKind};

/// Error codes DynamoDB answers when it refuses for load; a later attempt
/// may succeed (the SDK has already retried these a few times).
const THROTTLING: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "ThrottlingException",
    "TransactionInProgressException",
];

/// Error codes that mean the table cannot be used as configured: it does
/// not exist here, or the credentials may not use it.
const UNUSABLE: &[&str] = &[
    "ResourceNotFoundException",
    "AccessDeniedException",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "IncompleteSignatureException",
    "MissingAuthenticationTokenException",
    "ExpiredTokenException",
    "InvalidClientTokenId",
];

/// `error`, which happened while the store was `doing` something to
/// `table`, as a [`StoreError`] with the SDK's error as its source.
pub(super) fn sdk_error<E, R>(error: SdkError<E, R>, table: &str, doing: &str) -> StoreError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let (kind, message) = match &error {
        SdkError::ServiceError(_) => service_error(&error, table, doing),
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => (
            StoreErrorKind::Unreachable,
            format!(
                "DynamoDB could not be reached while {doing} (table `{table}`): {}; check the endpoint, the \
                 network path to it (a function in a VPC needs a DynamoDB endpoint or a NAT), and the region",
                DisplayErrorContext(&error)
            ),
        ),
        SdkError::ConstructionFailure(_) => (
            StoreErrorKind::Unreachable,
            format!(
                "the request could not be made while {doing} (table `{table}`): {}; check that a region and \
                 credentials are configured (AWS_REGION, the function's role)",
                DisplayErrorContext(&error)
            ),
        ),
        _ => (
            StoreErrorKind::Other,
            format!(
                "DynamoDB's answer could not be read while {doing} (table `{table}`): {}",
                DisplayErrorContext(&error)
            ),
        ),
    };
    StoreError::new(kind, message).with_source(error)
}

fn service_error(error: &impl ProvideErrorMetadata, table: &str, doing: &str) -> (StoreErrorKind, String) {
    let code = error.code().unwrap_or("an unnamed error");
    let said = error.message().unwrap_or("no message");
    let what = format!("DynamoDB answered {code} while {doing} (table `{table}`: {said})");
    if THROTTLING.contains(&code) {
        let advice = "the records are retried later; if this lasts, raise the table's capacity or use \
                      on-demand mode";
        (StoreErrorKind::Throttled, format!("{what}; {advice}"))
    } else if code == "ResourceNotFoundException" {
        let advice = "create the table (partition key `id`, a String, or the name given to \
                      with_key_attribute) in this account and region, or fix the table name";
        (StoreErrorKind::Unreachable, format!("{what}; {advice}"))
    } else if UNUSABLE.contains(&code) {
        let advice = "allow the function's role dynamodb:PutItem, dynamodb:DeleteItem and dynamodb:BatchGetItem \
                      on the table (the actions inside the store's transactions, and its reads), and check its \
                      credentials";
        (StoreErrorKind::Unreachable, format!("{what}; {advice}"))
    } else {
        (StoreErrorKind::Other, what)
    }
}

/// A store error about one key's item that cannot be read.
pub(super) fn corrupt(key: &Key, table: &str, problem: &str) -> StoreError {
    StoreError::new(
        StoreErrorKind::Corrupt,
        format!(
            "the item of key {key} in table `{table}` cannot be read ({problem}); it is not one this store \
             wrote: delete it (the key is then new), or give the store a table of its own"
        ),
    )
}

/// A store error about names the store was configured with.
pub(super) fn misconfigured(table: &str, problem: String) -> StoreError {
    StoreError::new(
        StoreErrorKind::Other,
        format!("the DynamoDB store for table `{table}` is misconfigured: {problem}"),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a test fails loudly on what it does not expect")]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::error::ErrorMetadata;
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;

    fn service(code: &str) -> SdkError<TransactWriteItemsError, ()> {
        let meta = ErrorMetadata::builder().code(code).message("said so").build();
        SdkError::service_error(TransactWriteItemsError::generic(meta), ())
    }

    #[test]
    fn throttling_and_missing_tables_have_their_kinds_and_keep_the_source() {
        let throttled = sdk_error(service("ProvisionedThroughputExceededException"), "t", "claiming keys");
        assert_eq!(throttled.kind(), StoreErrorKind::Throttled);
        assert!(throttled.source().is_some());
        let missing = sdk_error(service("ResourceNotFoundException"), "t", "claiming keys");
        assert_eq!(missing.kind(), StoreErrorKind::Unreachable);
        assert!(missing.message().contains("create the table"), "{}", missing.message());
        let denied = sdk_error(service("AccessDeniedException"), "t", "claiming keys");
        assert!(denied.message().contains("allow the function's role"), "{}", denied.message());
        let other = sdk_error(service("ValidationException"), "t", "claiming keys");
        assert_eq!(other.kind(), StoreErrorKind::Other);
        assert!(other.message().contains("ValidationException while claiming keys (table `t`: said so)"));
    }

    #[test]
    fn an_endpoint_that_does_not_answer_is_unreachable() {
        let error: SdkError<TransactWriteItemsError, ()> = SdkError::timeout_error("no answer in 3 s");
        let store_error = sdk_error(error, "t", "claiming keys");
        assert_eq!(store_error.kind(), StoreErrorKind::Unreachable);
        assert!(store_error.message().contains("no answer in 3 s"), "{}", store_error.message());
    }
}
