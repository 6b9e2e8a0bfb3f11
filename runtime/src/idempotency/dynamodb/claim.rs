//! Claiming a batch's keys: one transaction of conditional puts per 100
//! keys, one after the other, and what to answer for each key when DynamoDB cancels it.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem};

use super::DynamoDbStore;
use super::error::corrupt;
use super::item::{EXPIRES_AT_MS, Item, decode};
use super::read::read_items;
use super::transact::{MAX_ACTIONS, Reason, Sent, transact};
use crate::idempotency::store::{Claim, ClaimAnswer, StoreError, StoreErrorKind, Stored, StoredState};

/// Transactions per group of keys: the first, and one retry for the keys
/// that were not at fault when the first was cancelled.
const ATTEMPTS: usize = 2;

/// One answer per claim, in order; a key claimed twice in one call is
/// claimed once, and the later copy sees it taken (in progress).
///
/// # Errors
/// When no transaction could be sent at all; a group of 100 keys that
/// failed while others went through answers [`ClaimAnswer::Failed`] for
/// each of its keys (so the others' claims are settled, not left hanging).
pub(super) async fn claim(
    store: &DynamoDbStore,
    claims: &[Claim<'_>],
) -> Result<Vec<ClaimAnswer>, StoreError> {
    let mut first_of_key = HashMap::new();
    let mut unique = Vec::new();
    let mut copy_of = vec![None; claims.len()];
    for (index, claim) in claims.iter().enumerate() {
        match first_of_key.entry(claim.key) {
            Entry::Occupied(first) => copy_of[index] = Some(*first.get()),
            Entry::Vacant(vacant) => {
                vacant.insert(index);
                unique.push(index);
            }
        }
    }
    let groups: Vec<Vec<&Claim<'_>>> =
        unique.chunks(MAX_ACTIONS).map(|group| group.iter().map(|&index| &claims[index]).collect()).collect();
    // One group after the other: rarely more than one (a batch of over 100
    // records), and moto's server, which the tests run against, corrupts a
    // table under concurrent transactions.
    let mut results = Vec::with_capacity(groups.len());
    for group in &groups {
        results.push(claim_group(store, group).await);
    }
    if let Some(Err(first)) = results.iter().find(|result| result.is_err())
        && results.iter().all(Result::is_err)
    {
        return Err(first.clone());
    }
    let mut answers: Vec<Option<ClaimAnswer>> = vec![None; claims.len()];
    for (group, result) in unique.chunks(MAX_ACTIONS).zip(results) {
        match result {
            Ok(group_answers) => {
                for (&index, answer) in group.iter().zip(group_answers) {
                    answers[index] = Some(answer);
                }
            }
            Err(error) => {
                group.iter().for_each(|&index| answers[index] = Some(ClaimAnswer::Failed(error.clone())))
            }
        }
    }
    for (index, first) in copy_of.iter().enumerate() {
        if let Some(first) = *first {
            answers[index] = answers[first].as_ref().map(|answer| as_seen_by_a_copy(&claims[first], answer));
        }
    }
    Ok(answers
        .into_iter()
        .map(|answer| answer.unwrap_or_else(|| ClaimAnswer::Failed(not_answered(store))))
        .collect())
}

/// What a second claim of a key in the same call finds after the first.
fn as_seen_by_a_copy(first: &Claim<'_>, answer: &ClaimAnswer) -> ClaimAnswer {
    match answer {
        ClaimAnswer::Claimed => ClaimAnswer::Taken(Stored {
            state: StoredState::InProgress { token: first.token.to_owned() },
            payload_hash: first.payload_hash.to_owned(),
            expires_at_ms: first.expires_at_ms,
        }),
        other => other.clone(),
    }
}

/// Claims at most [`MAX_ACTIONS`] distinct keys.
async fn claim_group(store: &DynamoDbStore, claims: &[&Claim<'_>]) -> Result<Vec<ClaimAnswer>, StoreError> {
    let mut answers: Vec<Option<ClaimAnswer>> = vec![None; claims.len()];
    let mut pending: Vec<usize> = (0..claims.len()).collect();
    let mut unread = Vec::new();
    for attempt in 0..ATTEMPTS {
        let actions =
            pending.iter().map(|&index| claim_action(store, claims[index])).collect::<Result<_, _>>()?;
        let reasons = match transact(&store.client, &store.table, actions, "claiming keys").await {
            Ok(Sent::Done) => {
                pending.drain(..).for_each(|index| answers[index] = Some(ClaimAnswer::Claimed));
                break;
            }
            Ok(Sent::Cancelled(reasons)) => reasons,
            Err(error) if attempt == 0 => return Err(error),
            Err(error) => {
                pending.drain(..).for_each(|index| answers[index] = Some(ClaimAnswer::Failed(error.clone())));
                break;
            }
        };
        let mut retry = Vec::new();
        for (&index, reason) in pending.iter().zip(reasons) {
            match reason {
                Reason::None => retry.push(index),
                Reason::ConditionFailed(None) => unread.push(index),
                Reason::ConditionFailed(Some(item)) => {
                    answers[index] = Some(taken(store, claims[index], &item))
                }
                other => answers[index] = Some(ClaimAnswer::Failed(refused(store, claims[index], &other))),
            }
        }
        pending = retry;
        if pending.is_empty() {
            break;
        }
    }
    for index in pending {
        answers[index] = Some(ClaimAnswer::Failed(cancelled_twice(store, claims[index])));
    }
    if !unread.is_empty() {
        read_taken(store, claims, &unread, &mut answers).await;
    }
    Ok(answers
        .into_iter()
        .map(|answer| answer.unwrap_or_else(|| ClaimAnswer::Failed(not_answered(store))))
        .collect())
}

/// The put of one claim: only if the key has no item, or an expired one.
fn claim_action(store: &DynamoDbStore, claim: &Claim<'_>) -> Result<TransactWriteItem, StoreError> {
    // `<=`: an item is live while now < its expiry (`Stored::is_live`), so
    // one whose expiry is now is free, as in every store.
    let put = Put::builder()
        .table_name(&store.table)
        .set_item(Some(store.attributes.in_progress(claim)))
        .condition_expression("attribute_not_exists(#key) OR #expires <= :now")
        .expression_attribute_names("#key", &store.attributes.key)
        .expression_attribute_names("#expires", EXPIRES_AT_MS)
        .expression_attribute_values(":now", AttributeValue::N(claim.now_ms.to_string()))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .build()
        .map_err(|error| store.build_error(error))?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// The answer for a key whose condition failed, from the item found.
fn taken(store: &DynamoDbStore, claim: &Claim<'_>, item: &Item) -> ClaimAnswer {
    match decode(item) {
        // Our own claim: the SDK resent a transaction DynamoDB had applied.
        Ok(Stored { state: StoredState::InProgress { token }, .. }) if token == claim.token => {
            ClaimAnswer::Claimed
        }
        Ok(stored) => ClaimAnswer::Taken(stored),
        Err(problem) => ClaimAnswer::Failed(corrupt(claim.key, &store.table, &problem)),
    }
}

/// Reads the items of the keys whose condition failed when DynamoDB did
/// not return them (an emulator without `ALL_OLD`): one `BatchGetItem`.
async fn read_taken(
    store: &DynamoDbStore,
    claims: &[&Claim<'_>],
    unread: &[usize],
    answers: &mut [Option<ClaimAnswer>],
) {
    let keys: Vec<_> = unread.iter().map(|&index| claims[index].key).collect();
    match read_items(store, &keys).await {
        Ok(items) => {
            for (&index, item) in unread.iter().zip(items) {
                answers[index] = Some(match item {
                    Some(item) => taken(store, claims[index], &item),
                    None => ClaimAnswer::Failed(vanished(store, claims[index])),
                });
            }
        }
        Err(error) => {
            unread.iter().for_each(|&index| answers[index] = Some(ClaimAnswer::Failed(error.clone())))
        }
    }
}

/// A key DynamoDB refused for a reason of its own.
fn refused(store: &DynamoDbStore, claim: &Claim<'_>, reason: &Reason) -> StoreError {
    let (key, table) = (claim.key, &store.table);
    match reason {
        // Not `Taken`: the other writer's item is unknown (its payload hash,
        // whether it completes), and a made-up one could report a payload
        // mismatch that is not there. A failure makes the record fail and be
        // retried, and replayed then if the other invocation completed it.
        Reason::Conflict => StoreError::new(
            StoreErrorKind::Throttled,
            format!(
                "another invocation was writing key {key} at the same moment (DynamoDB: TransactionConflict, \
                 table `{table}`), so it was not claimed; the record fails and is retried, and is replayed then \
                 if the other invocation completed it"
            ),
        ),
        Reason::Other { code, message } => StoreError::new(
            if reason.is_throttled() { StoreErrorKind::Throttled } else { StoreErrorKind::Other },
            format!(
                "DynamoDB refused to claim key {key} ({code}: {message}, table `{table}`); the record fails and \
                 is retried"
            ),
        ),
        Reason::None | Reason::ConditionFailed(_) => not_answered(store),
    }
}

fn cancelled_twice(store: &DynamoDbStore, claim: &Claim<'_>) -> StoreError {
    StoreError::new(
        StoreErrorKind::Other,
        format!(
            "key {} was not claimed: DynamoDB cancelled its transaction twice because of other keys in it (table \
             `{}`); the record fails and is retried",
            claim.key, store.table
        ),
    )
}

fn vanished(store: &DynamoDbStore, claim: &Claim<'_>) -> StoreError {
    StoreError::new(
        StoreErrorKind::Other,
        format!(
            "the item of key {} changed while it was being claimed (its condition failed, then it was gone when \
             read back, table `{}`): not claimed; the record fails and is retried",
            claim.key, store.table
        ),
    )
}

fn not_answered(store: &DynamoDbStore) -> StoreError {
    StoreError::new(
        StoreErrorKind::Other,
        format!(
            "a claim got no answer from the DynamoDB store (table `{}`): a bug in lambda-batch, please report \
             it; the record fails and is retried",
            store.table
        ),
    )
}
