//! `kafka_clicks` written by hand on `lambda_runtime` and
//! `aws_lambda_events` (keys and values decoded with `base64`; the batch
//! response written out, since `aws_lambda_events` has none for Kafka):
//! the cold-start bench's baseline for that function (the same clicks, the
//! same answers). Not deployed.

use aws_lambda_events::kafka::{KafkaEvent, KafkaRecord};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde::{Deserialize, Serialize};

/// One click.
#[derive(Debug, Deserialize)]
struct Click {
    page: String,
    dwell_ms: u64,
}

/// `{"batchItemFailures": [{"itemIdentifier": {"partition": .., "offset": ..}}]}`.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct KafkaBatchResponse {
    batch_item_failures: Vec<KafkaFailure>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct KafkaFailure {
    item_identifier: Position,
}

#[derive(Debug, Serialize)]
struct Position {
    partition: String,
    offset: i64,
}

/// What became of one record.
enum Counted {
    Yes,
    /// Acknowledged, never retried.
    Poison(&'static str),
}

fn count(partition: &str, record: &KafkaRecord) -> Result<Counted, String> {
    let value =
        STANDARD.decode(record.value.as_deref().unwrap_or_default()).map_err(|error| error.to_string())?;
    let click: Click = serde_json::from_slice(&value).map_err(|error| error.to_string())?;
    let user = record
        .key
        .as_deref()
        .map(|key| STANDARD.decode(key))
        .transpose()
        .map_err(|error| error.to_string())?;
    let Some(user) = user else { return Ok(Counted::Poison("click without a user key")) };
    if click.page.is_empty() {
        return Err("click on an empty page name".to_owned());
    }
    let producer = record.headers.iter().find_map(|header| header.get("source")).map(|bytes| {
        let bytes: Vec<u8> = bytes.iter().map(|&byte| byte as u8).collect();
        String::from_utf8_lossy(&bytes).into_owned()
    });
    tracing::info!(
        user = %String::from_utf8_lossy(&user),
        page = click.page,
        dwell_ms = click.dwell_ms,
        producer,
        partition,
        offset = record.offset,
        "click counted"
    );
    Ok(Counted::Yes)
}

/// Each partition in order; the first failure of a partition stops that
/// partition and is reported; other partitions go on.
async fn handle(event: LambdaEvent<KafkaEvent>) -> Result<KafkaBatchResponse, Error> {
    let mut response = KafkaBatchResponse::default();
    for (partition, records) in &event.payload.records {
        for record in records {
            match count(partition, record) {
                Ok(Counted::Yes) => {}
                Ok(Counted::Poison(reason)) => {
                    tracing::warn!(partition, offset = record.offset, reason, "record dropped as poison");
                }
                Err(error) => {
                    tracing::error!(partition, offset = record.offset, error, "record failed");
                    let position = Position { partition: partition.clone(), offset: record.offset };
                    response.batch_item_failures.push(KafkaFailure { item_identifier: position });
                    break;
                }
            }
        }
    }
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    lambda_runtime::run(service_fn(handle)).await
}
