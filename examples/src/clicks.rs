//! A click-stream function fed by a Kafka topic (Amazon MSK or
//! self-managed): one JSON click per record, keyed by user.

use lambda_batch::kafka::{Headers, KafkaRecord, Key};
use lambda_batch::{Json, RecordOutcome, batch_handler};
use serde::Deserialize;

/// One click (the record's `value`, base64-decoded JSON).
#[derive(Debug, Deserialize)]
pub struct Click {
    /// The page clicked.
    pub page: String,
    /// Milliseconds the user spent on the page before the click.
    pub dwell_ms: u64,
}

/// Counts one click.
///
/// The default checkpoint policy stops a partition at its first failure and
/// reports that record's partition and offset, so Lambda commits just
/// before it and retries from there; other partitions go on.
#[batch_handler(kafka)]
pub async fn count_click(
    Json(click): Json<Click>,
    Key(user): Key<'_>,
    headers: Headers<'_>,
    record: &KafkaRecord<'_>,
) -> RecordOutcome {
    let Some(user) = user else {
        // A click nobody made cannot be counted, now or later.
        return RecordOutcome::poison("click without a user key");
    };
    if click.page.is_empty() {
        return RecordOutcome::failure("click on an empty page name");
    }
    tracing::info!(
        user = %String::from_utf8_lossy(user),
        page = click.page,
        dwell_ms = click.dwell_ms,
        producer = headers.get("source").map(String::from_utf8_lossy).as_deref(),
        partition = record.partition_key(),
        offset = record.offset(),
        "click counted"
    );
    RecordOutcome::Success
}
