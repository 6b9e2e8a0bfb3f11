//! What a response reports: the `itemIdentifier`s of its
//! `batchItemFailures`, read leniently as text, in the form of
//! [`ItemIdentifier::as_str`](crate::ItemIdentifier::as_str).
//!
//! For tests and tools that read a response any handler returned (the
//! validator, [`validate`](crate::validate), says whether Lambda takes it).

use serde_json::Value;

/// The identifiers `response` lists in `batchItemFailures`, in order, as
/// text: a string as it is, Kafka's `{"partition": "<topic>-<partition>",
/// "offset": n}` as `<topic>-<partition>@<offset>`. Entries of another shape
/// are left out; a response without a `batchItemFailures` array lists none.
///
/// ```
/// use lambda_batch::reported;
/// let response = serde_json::json!({"batchItemFailures": [
///     {"itemIdentifier": "m2"},
///     {"itemIdentifier": {"partition": "orders-0", "offset": 7}},
/// ]});
/// assert_eq!(reported::identifiers(&response), ["m2", "orders-0@7"]);
/// ```
pub fn identifiers(response: &Value) -> Vec<String> {
    let Some(entries) = response["batchItemFailures"].as_array() else { return Vec::new() };
    entries.iter().filter_map(|entry| identifier_text(&entry["itemIdentifier"])).collect()
}

/// A Kafka identifier's text form, `<topic>-<partition>@<offset>`, split
/// into its partition (`<topic>-<partition>`) and offset.
///
/// ```
/// assert_eq!(lambda_batch::reported::kafka_position("orders-0@7"), Some(("orders-0", 7)));
/// assert_eq!(lambda_batch::reported::kafka_position("m2"), None);
/// ```
pub fn kafka_position(id: &str) -> Option<(&str, i64)> {
    crate::response::split_kafka_identifier(id)
}

fn identifier_text(id: &Value) -> Option<String> {
    match id {
        Value::String(id) => Some(id.clone()),
        Value::Object(position) => {
            let partition = position.get("partition")?.as_str()?;
            let offset = position.get("offset")?.as_i64()?;
            Some(format!("{partition}@{offset}"))
        }
        _ => None,
    }
}
