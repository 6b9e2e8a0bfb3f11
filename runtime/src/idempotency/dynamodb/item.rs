//! The table's items: what a claim and a result look like as DynamoDB
//! attributes, how they are read back, and how large they are.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::idempotency::key::Key;
use crate::idempotency::store::{Claim, Completion, Stored, StoredState};

/// A DynamoDB item: attribute name to value.
pub(super) type Item = HashMap<String, AttributeValue>;

/// `status` of a claim that has not completed.
pub(super) const IN_PROGRESS: &str = "IN_PROGRESS";
/// `status` of a completed key.
pub(super) const COMPLETED: &str = "COMPLETED";
/// The state of the key.
pub(super) const STATUS: &str = "status";
/// When the item expires, exactly (milliseconds since the Unix epoch): what
/// the store's conditions compare, since the TTL attribute is in seconds
/// and DynamoDB deletes expired items late.
pub(super) const EXPIRES_AT_MS: &str = "expires_at_ms";
/// The payload hash the key was claimed with.
pub(super) const PAYLOAD_HASH: &str = "payload_hash";
/// Who holds an in-progress claim.
pub(super) const TOKEN: &str = "token";
/// The stored response of a completed asynchronous invocation.
pub(super) const RESPONSE: &str = "response";

/// DynamoDB's largest item: 400 KB, attribute names included.
pub(super) const MAX_ITEM_BYTES: usize = 400 * 1024;

/// The two attribute names a table decides (its partition key and its TTL
/// attribute); the others are the store's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Attributes {
    /// The partition key (String): the hashed idempotency key.
    pub(super) key: String,
    /// The TTL attribute (Number, epoch seconds).
    pub(super) ttl: String,
}

impl Default for Attributes {
    fn default() -> Self {
        Attributes { key: "id".to_owned(), ttl: "expiration".to_owned() }
    }
}

impl Attributes {
    /// Why these names cannot be used, if they cannot: a name the store
    /// already writes for something else, or an empty one.
    pub(super) fn problem(&self) -> Option<String> {
        let own = [STATUS, EXPIRES_AT_MS, PAYLOAD_HASH, TOKEN, RESPONSE];
        for (what, name) in [("key", &self.key), ("TTL", &self.ttl)] {
            if name.is_empty() {
                return Some(format!("the {what} attribute's name is empty: give it a name"));
            }
            if own.contains(&name.as_str()) {
                return Some(format!(
                    "the {what} attribute is named `{name}`, a name the store uses for its own attribute: \
                     choose another name (the store's own are {})",
                    own.join(", ")
                ));
            }
        }
        (self.key == self.ttl).then(|| {
            format!("the key and the TTL attribute are both named `{}`: give them different names", self.key)
        })
    }

    /// The item naming `key` alone (for a delete or a read).
    pub(super) fn key_item(&self, key: &Key) -> Item {
        HashMap::from([(self.key.clone(), AttributeValue::S(key.as_str().to_owned()))])
    }

    /// The item of a new in-progress claim.
    pub(super) fn in_progress(&self, claim: &Claim<'_>) -> Item {
        let mut item = self.common(claim.key, claim.payload_hash, claim.expires_at_ms);
        item.insert(STATUS.to_owned(), AttributeValue::S(IN_PROGRESS.to_owned()));
        item.insert(TOKEN.to_owned(), AttributeValue::S(claim.token.to_owned()));
        item
    }

    /// The item of a completed key (no token: nobody holds it any more).
    pub(super) fn completed(&self, completion: &Completion<'_>) -> Item {
        let mut item = self.common(completion.key, completion.payload_hash, completion.expires_at_ms);
        item.insert(STATUS.to_owned(), AttributeValue::S(COMPLETED.to_owned()));
        if let Some(response) = completion.response {
            item.insert(RESPONSE.to_owned(), AttributeValue::S(response.to_owned()));
        }
        item
    }

    fn common(&self, key: &Key, payload_hash: &str, expires_at_ms: u64) -> Item {
        HashMap::from([
            (self.key.clone(), AttributeValue::S(key.as_str().to_owned())),
            (self.ttl.clone(), AttributeValue::N(expiration_seconds(expires_at_ms).to_string())),
            (EXPIRES_AT_MS.to_owned(), AttributeValue::N(expires_at_ms.to_string())),
            (PAYLOAD_HASH.to_owned(), AttributeValue::S(payload_hash.to_owned())),
        ])
    }

    /// The key an item is stored under.
    ///
    /// # Errors
    /// What is wrong, when the item has no string partition key.
    pub(super) fn key_of(&self, item: &Item) -> Result<Key, String> {
        string(item, &self.key).map(Key::from_stored)
    }
}

/// The TTL attribute's value for an expiry in milliseconds: epoch seconds,
/// rounded up so DynamoDB never deletes an item before it expires.
pub(super) fn expiration_seconds(expires_at_ms: u64) -> u64 {
    expires_at_ms.div_ceil(1000)
}

/// What an item says about its key.
///
/// # Errors
/// What is wrong with the item, for a message naming its key.
pub(super) fn decode(item: &Item) -> Result<Stored, String> {
    let payload_hash = string(item, PAYLOAD_HASH)?;
    let expires = string_of(item, EXPIRES_AT_MS, AttributeValue::as_n)?;
    let expires_at_ms = expires
        .parse::<u64>()
        .map_err(|_| format!("`{EXPIRES_AT_MS}` is {expires}, not a whole number of milliseconds"))?;
    let state = match string(item, STATUS)?.as_str() {
        IN_PROGRESS => StoredState::InProgress { token: string(item, TOKEN)? },
        COMPLETED => StoredState::Completed {
            response: match item.get(RESPONSE) {
                None => None,
                Some(_) => Some(string(item, RESPONSE)?),
            },
        },
        other => {
            return Err(format!("`{STATUS}` is \"{other}\", neither \"{IN_PROGRESS}\" nor \"{COMPLETED}\""));
        }
    };
    Ok(Stored { state, payload_hash, expires_at_ms })
}

fn string(item: &Item, name: &str) -> Result<String, String> {
    string_of(item, name, AttributeValue::as_s)
}

/// The attribute `name` read with `as_type` (`as_s` or `as_n`).
fn string_of(
    item: &Item,
    name: &str,
    as_type: fn(&AttributeValue) -> Result<&String, &AttributeValue>,
) -> Result<String, String> {
    match item.get(name) {
        None => Err(format!("the item has no `{name}` attribute")),
        Some(value) => as_type(value)
            .cloned()
            .map_err(|value| format!("`{name}` is {}, not the type this store writes", type_name(value))),
    }
}

fn type_name(value: &AttributeValue) -> &'static str {
    match value {
        AttributeValue::S(_) => "a string",
        AttributeValue::N(_) => "a number",
        AttributeValue::B(_) => "binary",
        AttributeValue::Bool(_) => "a boolean",
        AttributeValue::Null(_) => "null",
        AttributeValue::L(_) => "a list",
        AttributeValue::M(_) => "a map",
        _ => "a set",
    }
}

/// An upper bound of the item's size as DynamoDB counts it (names and
/// values in UTF-8 bytes; a number at most 21 bytes). Only the types this
/// store writes are measured exactly.
pub(super) fn item_size(item: &Item) -> usize {
    item.iter().map(|(name, value)| name.len() + value_size(value)).sum()
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(text) => text.len(),
        AttributeValue::N(_) => 21,
        AttributeValue::B(bytes) => bytes.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::L(values) => 3 + values.iter().map(|value| 1 + value_size(value)).sum::<usize>(),
        AttributeValue::M(map) => {
            3 + map.iter().map(|(name, value)| 1 + name.len() + value_size(value)).sum::<usize>()
        }
        AttributeValue::Ss(texts) => texts.iter().map(String::len).sum(),
        AttributeValue::Ns(numbers) => 21 * numbers.len(),
        AttributeValue::Bs(blobs) => blobs.iter().map(|blob| blob.as_ref().len()).sum(),
        _ => MAX_ITEM_BYTES,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a test fails loudly on what it does not expect")]
mod tests {
    use super::*;

    fn claim<'a>(key: &'a Key) -> Claim<'a> {
        Claim { key, payload_hash: "abc", token: "req/1/0", now_ms: 1_000, expires_at_ms: 30_001 }
    }

    #[test]
    fn a_claim_reads_back_as_the_same_in_progress_item() {
        let attributes = Attributes::default();
        let key = Key::new("fn", "message-1");
        let item = attributes.in_progress(&claim(&key));
        assert_eq!(item.get("expiration"), Some(&AttributeValue::N("31".to_owned())), "seconds, rounded up");
        assert_eq!(attributes.key_of(&item), Ok(key));
        let stored = decode(&item).unwrap();
        assert_eq!(stored.state, StoredState::InProgress { token: "req/1/0".to_owned() });
        assert_eq!((stored.payload_hash.as_str(), stored.expires_at_ms), ("abc", 30_001));
    }

    #[test]
    fn a_completion_reads_back_with_its_response_and_no_token() {
        let attributes = Attributes { key: "pk".to_owned(), ttl: "ttl".to_owned() };
        let key = Key::new("fn", "request-1");
        let completion = Completion {
            key: &key,
            token: "req/1/0",
            payload_hash: "abc",
            response: Some("{\"ok\":true}"),
            expires_at_ms: 7_000,
        };
        let item = attributes.completed(&completion);
        assert!(!item.contains_key(TOKEN));
        assert_eq!(item.get("ttl"), Some(&AttributeValue::N("7".to_owned())));
        let stored = decode(&item).unwrap();
        assert_eq!(stored.state, StoredState::Completed { response: Some("{\"ok\":true}".to_owned()) });
    }

    #[test]
    fn items_this_store_did_not_write_say_what_is_wrong() {
        let key = Key::new("fn", "message-1");
        let good = Attributes::default().in_progress(&claim(&key));
        let mut odd_status = good.clone();
        odd_status.insert(STATUS.to_owned(), AttributeValue::S("DONE".to_owned()));
        assert!(decode(&odd_status).unwrap_err().contains("\"DONE\", neither"));
        let mut no_token = good.clone();
        no_token.remove(TOKEN);
        assert_eq!(decode(&no_token).unwrap_err(), "the item has no `token` attribute");
        let mut text_expiry = good;
        text_expiry.insert(EXPIRES_AT_MS.to_owned(), AttributeValue::S("soon".to_owned()));
        assert_eq!(
            decode(&text_expiry).unwrap_err(),
            "`expires_at_ms` is a string, not the type this store writes"
        );
    }

    #[test]
    fn names_that_collide_are_refused() {
        assert_eq!(Attributes::default().problem(), None);
        let status = Attributes { key: "status".to_owned(), ttl: "expiration".to_owned() };
        assert!(status.problem().unwrap().contains("`status`, a name the store uses"));
        let same = Attributes { key: "id".to_owned(), ttl: "id".to_owned() };
        assert!(same.problem().unwrap().contains("both named `id`"));
    }

    #[test]
    fn the_size_counts_names_and_values() {
        let key = Key::new("fn", "message-1");
        let item = Attributes::default().key_item(&key);
        assert_eq!(item_size(&item), "id".len() + key.as_str().len());
    }
}
