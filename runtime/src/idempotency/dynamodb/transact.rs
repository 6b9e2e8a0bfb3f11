//! One `TransactWriteItems` call and what DynamoDB said about each of its
//! actions when it cancelled the transaction; how a batch is cut into
//! transactions.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{CancellationReason, TransactWriteItem};

use super::error::sdk_error;
use super::item::Item;
use crate::idempotency::store::StoreError;

/// DynamoDB's largest transaction: 100 actions.
pub(super) const MAX_ACTIONS: usize = 100;
/// DynamoDB's largest transaction: 4 MB of items.
pub(super) const MAX_TRANSACTION_BYTES: usize = 4 * 1024 * 1024;

/// What became of a transaction.
#[derive(Debug)]
pub(super) enum Sent {
    /// Every action was applied.
    Done,
    /// Nothing was applied; why, one reason per action, in order.
    Cancelled(Vec<Reason>),
}

/// Why DynamoDB cancelled a transaction, as it says for one action.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Reason {
    /// Nothing wrong with this action: another one cancelled the
    /// transaction.
    None,
    /// The action's condition failed; the item as it was, when DynamoDB
    /// returned it (`ReturnValuesOnConditionCheckFailure = ALL_OLD`).
    ConditionFailed(Option<Item>),
    /// Another transaction or write was changing the same item at the same
    /// moment.
    Conflict,
    /// Anything else (throttling of this item, a validation error).
    Other {
        /// DynamoDB's code.
        code: String,
        /// DynamoDB's message.
        message: String,
    },
}

impl Reason {
    fn from_sdk(reason: &CancellationReason) -> Self {
        match reason.code() {
            None | Some("None") => Reason::None,
            Some("ConditionalCheckFailed") => Reason::ConditionFailed(reason.item().cloned()),
            Some("TransactionConflict") => Reason::Conflict,
            Some(code) => Reason::Other {
                code: code.to_owned(),
                message: reason.message().unwrap_or("no message").to_owned(),
            },
        }
    }

    /// `true` when DynamoDB says the item itself was throttled.
    pub(super) fn is_throttled(&self) -> bool {
        matches!(self, Reason::Other { code, .. } if code.contains("Throttl") || code.contains("ThroughputExceeded"))
    }
}

/// Sends `actions` as one transaction on `table`, `doing` what the caller
/// says (for error messages).
///
/// # Errors
/// Any error but a cancellation (which is [`Sent::Cancelled`]).
pub(super) async fn transact(
    client: &Client,
    table: &str,
    actions: Vec<TransactWriteItem>,
    doing: &str,
) -> Result<Sent, StoreError> {
    let count = actions.len();
    match client.transact_write_items().set_transact_items(Some(actions)).send().await {
        Ok(_) => Ok(Sent::Done),
        Err(SdkError::ServiceError(service)) => {
            let reasons: Option<Vec<Reason>> = match service.err() {
                TransactWriteItemsError::TransactionCanceledException(cancelled) => {
                    Some(cancelled.cancellation_reasons().iter().map(Reason::from_sdk).collect())
                }
                _ => None,
            };
            match reasons {
                Some(reasons) if reasons.len() == count => Ok(Sent::Cancelled(reasons)),
                Some(reasons) => {
                    let error = sdk_error(SdkError::ServiceError(service), table, doing);
                    Err(StoreError::new(
                        error.kind(),
                        format!(
                            "DynamoDB cancelled a transaction of {count} actions giving {} reasons while \
                             {doing} (table `{table}`), so which keys failed is unknown; the records are \
                             retried",
                            reasons.len()
                        ),
                    )
                    .with_source(error))
                }
                None => Err(sdk_error(SdkError::ServiceError(service), table, doing)),
            }
        }
        Err(error) => Err(sdk_error(error, table, doing)),
    }
}

/// Cuts `sizes` (each action's item size, in order) into runs of at most
/// [`MAX_ACTIONS`] actions and [`MAX_TRANSACTION_BYTES`] bytes: the index
/// ranges of the transactions to send.
pub(super) fn chunks(sizes: &[usize]) -> Vec<std::ops::Range<usize>> {
    let mut chunks = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (index, &size) in sizes.iter().enumerate() {
        if index > start && (index - start == MAX_ACTIONS || bytes + size > MAX_TRANSACTION_BYTES) {
            chunks.push(start..index);
            (start, bytes) = (index, 0);
        }
        bytes += size;
    }
    if start < sizes.len() {
        chunks.push(start..sizes.len());
    }
    chunks
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a test fails loudly on what it does not expect")]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::AttributeValue;

    #[test]
    fn batches_are_cut_at_100_actions_and_4_mb() {
        assert_eq!(chunks(&[]), Vec::<std::ops::Range<usize>>::new());
        assert_eq!(chunks(&[10; 250]), vec![0..100, 100..200, 200..250]);
        let big = 400 * 1024;
        // Ten 400 KB items fill 4,000 KB of the 4,096: the eleventh starts a new one.
        assert_eq!(chunks(&[big; 12]), vec![0..10, 10..12]);
        assert_eq!(chunks(&[MAX_TRANSACTION_BYTES + 1, 1]), vec![0..1, 1..2]);
    }

    #[test]
    fn cancellation_reasons_are_read_by_code() {
        let item = Item::from([("id".to_owned(), AttributeValue::S("k".to_owned()))]);
        let reason = |code: &str| CancellationReason::builder().code(code).message("m").build();
        assert_eq!(Reason::from_sdk(&reason("None")), Reason::None);
        assert_eq!(Reason::from_sdk(&CancellationReason::builder().build()), Reason::None);
        let failed =
            CancellationReason::builder().code("ConditionalCheckFailed").set_item(Some(item.clone())).build();
        assert_eq!(Reason::from_sdk(&failed), Reason::ConditionFailed(Some(item)));
        assert_eq!(Reason::from_sdk(&reason("TransactionConflict")), Reason::Conflict);
        let throttled = Reason::from_sdk(&reason("ThrottlingError"));
        assert!(throttled.is_throttled());
        assert!(!Reason::from_sdk(&reason("ValidationError")).is_throttled());
    }
}
