//! Reading items back: `BatchGetItem`, strongly consistent, 100 keys per
//! call, the calls of one read made at once.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::KeysAndAttributes;
use futures_util::future::join_all;

use super::DynamoDbStore;
use super::error::sdk_error;
use super::item::Item;
use crate::idempotency::key::Key;
use crate::idempotency::store::{StoreError, StoreErrorKind};

/// DynamoDB's largest `BatchGetItem`: 100 keys.
const MAX_KEYS: usize = 100;
/// Calls per 100 keys before keys DynamoDB keeps leaving unprocessed count
/// as throttled.
const MAX_ATTEMPTS: u32 = 4;
/// The first pause before asking again for unprocessed keys; doubled each
/// time, as DynamoDB's documentation advises for `UnprocessedKeys`.
const FIRST_BACKOFF: Duration = Duration::from_millis(25);

/// The item of each key (in order), `None` where there is none.
///
/// # Errors
/// The first call that failed, or keys DynamoDB would not read.
pub(super) async fn read_items(
    store: &DynamoDbStore,
    keys: &[&Key],
) -> Result<Vec<Option<Item>>, StoreError> {
    // DynamoDB refuses a BatchGetItem naming a key twice.
    let mut unique: Vec<&Key> = keys.to_vec();
    unique.sort();
    unique.dedup();
    let mut found = HashMap::new();
    for chunk in join_all(unique.chunks(MAX_KEYS).map(|chunk| read_chunk(store, chunk))).await {
        found.extend(chunk?);
    }
    Ok(keys.iter().map(|key| found.get(key.as_str()).cloned()).collect())
}

/// The items of at most [`MAX_KEYS`] distinct keys, by stored key.
async fn read_chunk(store: &DynamoDbStore, keys: &[&Key]) -> Result<HashMap<String, Item>, StoreError> {
    let table = store.table.as_str();
    let mut pending: Vec<Item> = keys.iter().map(|key| store.attributes.key_item(key)).collect();
    let mut found = HashMap::with_capacity(keys.len());
    let mut backoff = FIRST_BACKOFF;
    for attempt in 0..MAX_ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(backoff).await;
            backoff *= 2;
        }
        let request =
            KeysAndAttributes::builder().set_keys(Some(pending)).consistent_read(true).build().map_err(
                |error| {
                    StoreError::new(
                        StoreErrorKind::Other,
                        format!("a read of table `{table}` could not be built"),
                    )
                    .with_source(error)
                },
            )?;
        let output = store
            .client
            .batch_get_item()
            .request_items(table, request)
            .send()
            .await
            .map_err(|error| sdk_error(error, table, "reading keys"))?;
        for item in output.responses().and_then(|responses| responses.get(table)).into_iter().flatten() {
            if let Ok(key) = store.attributes.key_of(item) {
                found.insert(key.as_str().to_owned(), item.clone());
            }
        }
        pending = output
            .unprocessed_keys()
            .and_then(|unprocessed| unprocessed.get(table))
            .map(|left| left.keys().to_vec())
            .unwrap_or_default();
        if pending.is_empty() {
            return Ok(found);
        }
    }
    Err(StoreError::new(
        StoreErrorKind::Throttled,
        format!(
            "DynamoDB left {} of {} keys unread after {MAX_ATTEMPTS} calls (table `{table}`): the table is \
             short of read capacity; the records are retried later (raise the capacity, or use on-demand mode)",
            pending.len(),
            keys.len()
        ),
    ))
}
