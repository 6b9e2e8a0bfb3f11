//! Settling a batch: the results of the keys that completed and the
//! releases of the others, in one transaction per 100 keys (or 4 MB), each
//! write conditional on the claim still being the caller's.

use std::collections::HashSet;

use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};

use super::DynamoDbStore;
use super::item::{MAX_ITEM_BYTES, TOKEN, item_size};
use super::transact::{Reason, Sent, chunks, transact};
use crate::idempotency::key::Key;
use crate::idempotency::store::{Completion, Release, StoreError, StoreErrorKind};

/// Transactions per group of writes: the first, and one retry for the
/// writes that were not at fault when the first was cancelled.
const ATTEMPTS: usize = 2;

/// One write of the settling.
struct Write<'a> {
    key: &'a Key,
    action: TransactWriteItem,
    /// The item's size, to keep a transaction under 4 MB.
    size: usize,
    /// A result (`true`) or a release.
    completes: bool,
}

/// Writes each completion and deletes each release, if the claim is still
/// the caller's; a write whose claim was taken over is dropped (logged).
/// A key named twice is written once (its first mention).
///
/// # Errors
/// A response too large for an item (the others are still written), or
/// writes DynamoDB did not apply.
pub(super) async fn settle(
    store: &DynamoDbStore,
    completions: &[Completion<'_>],
    releases: &[Release<'_>],
) -> Result<(), StoreError> {
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    let mut writes = Vec::with_capacity(completions.len() + releases.len());
    for completion in completions.iter().filter(|completion| seen.insert(completion.key)) {
        let item = store.attributes.completed(completion);
        let size = item_size(&item);
        if size > MAX_ITEM_BYTES {
            problems.push(too_large(store, completion.key, size));
            continue;
        }
        let action = complete_action(store, completion.token, item)?;
        writes.push(Write { key: completion.key, action, size, completes: true });
    }
    for release in releases.iter().filter(|release| seen.insert(release.key)) {
        let key_item = store.attributes.key_item(release.key);
        let size = item_size(&key_item);
        let action = release_action(store, release.token, key_item)?;
        writes.push(Write { key: release.key, action, size, completes: false });
    }
    let sizes: Vec<usize> = writes.iter().map(|write| write.size).collect();
    // One group after the other, as the claims are.
    for group in chunks(&sizes) {
        if let Err(problem) = settle_group(store, &writes[group]).await {
            problems.push(problem);
        }
    }
    combine(problems)
}

/// The put of a result: only if the claim is still the caller's, or the
/// item is gone (the claim expired and DynamoDB's TTL deleted it, nobody
/// claimed the key since: the result still holds).
fn complete_action(
    store: &DynamoDbStore,
    token: &str,
    item: super::item::Item,
) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(&store.table)
        .set_item(Some(item))
        .condition_expression("#token = :token OR attribute_not_exists(#key)")
        .expression_attribute_names("#token", TOKEN)
        .expression_attribute_names("#key", &store.attributes.key)
        .expression_attribute_values(":token", AttributeValue::S(token.to_owned()))
        .build()
        .map_err(|error| store.build_error(error))?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// The delete of a claim: only if it is still the caller's (deleting an
/// item that is gone changes nothing, so that passes too).
fn release_action(
    store: &DynamoDbStore,
    token: &str,
    key: super::item::Item,
) -> Result<TransactWriteItem, StoreError> {
    let delete = Delete::builder()
        .table_name(&store.table)
        .set_key(Some(key))
        .condition_expression("attribute_not_exists(#key) OR #token = :token")
        .expression_attribute_names("#token", TOKEN)
        .expression_attribute_names("#key", &store.attributes.key)
        .expression_attribute_values(":token", AttributeValue::S(token.to_owned()))
        .build()
        .map_err(|error| store.build_error(error))?;
    Ok(TransactWriteItem::builder().delete(delete).build())
}

/// Writes at most 100 distinct keys (4 MB).
async fn settle_group(store: &DynamoDbStore, writes: &[Write<'_>]) -> Result<(), StoreError> {
    let mut pending: Vec<usize> = (0..writes.len()).collect();
    let mut refused = Vec::new();
    for _ in 0..ATTEMPTS {
        let actions = pending.iter().map(|&index| writes[index].action.clone()).collect();
        let reasons = match transact(&store.client, &store.table, actions, "writing results").await? {
            Sent::Done => {
                pending.clear();
                break;
            }
            Sent::Cancelled(reasons) => reasons,
        };
        let mut retry = Vec::new();
        for (&index, reason) in pending.iter().zip(reasons) {
            let write = &writes[index];
            match reason {
                Reason::None | Reason::Conflict => retry.push(index),
                Reason::ConditionFailed(_) => dropped(store, write),
                Reason::Other { code, message } => {
                    refused.push(format!("key {}: {code}: {message}", write.key))
                }
            }
        }
        pending = retry;
        if pending.is_empty() {
            break;
        }
    }
    if pending.is_empty() && refused.is_empty() {
        return Ok(());
    }
    let left: Vec<String> = pending.iter().map(|&index| writes[index].key.to_string()).collect();
    Err(StoreError::new(
        StoreErrorKind::Other,
        format!(
            "{} of {} results and releases were not written (table `{}`): {}{}; their keys stay in progress until \
             their claims expire",
            refused.len() + left.len(),
            writes.len(),
            store.table,
            refused.join("; "),
            if left.is_empty() {
                String::new()
            } else {
                format!(
                    "{}cancelled twice by other keys' conflicts: {}",
                    if refused.is_empty() { "" } else { "; " },
                    left.join(", ")
                )
            },
        ),
    ))
}

/// Logs a write dropped because its claim was no longer the caller's.
fn dropped(store: &DynamoDbStore, write: &Write<'_>) {
    if write.completes {
        tracing::warn!(
            key = %write.key,
            table = %store.table,
            "the claim had expired and another invocation took the key before this result was written: the \
             result is dropped and the other invocation's claim stands (raise the in-progress expiry if records \
             run longer than it)"
        );
    } else {
        tracing::warn!(
            key = %write.key,
            table = %store.table,
            "the claim had expired and another invocation took the key before it was released: it is left to \
             that invocation"
        );
    }
}

fn too_large(store: &DynamoDbStore, key: &Key, size: usize) -> StoreError {
    StoreError::new(
        StoreErrorKind::Other,
        format!(
            "the response of key {key} makes an item of about {size} bytes, over DynamoDB's 400 KB item limit \
             (table `{}`): it is not stored (a response is never cut short), so the key stays in progress until \
             its claim expires; return a smaller response, such as where the full result is kept",
            store.table
        ),
    )
}

/// The problems of one settling as one error (the first kept as the source).
fn combine(mut problems: Vec<StoreError>) -> Result<(), StoreError> {
    if problems.len() <= 1 {
        return problems.pop().map_or(Ok(()), Err);
    }
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    let first = problems.swap_remove(0);
    Err(StoreError::new(
        first.kind(),
        format!("{} problems while writing the results: {}", text.len(), text.join("; ")),
    )
    .with_source(first))
}
