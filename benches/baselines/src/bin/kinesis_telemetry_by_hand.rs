//! `kinesis_telemetry` written by hand on `lambda_runtime` and
//! `aws_lambda_events`: the cold-start bench's baseline for that function
//! (the same readings, the same answers). Not deployed.

use aws_lambda_events::kinesis::{KinesisEvent, KinesisEventRecord};
use aws_lambda_events::streams::KinesisEventResponse;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde::Deserialize;

/// One sensor reading.
#[derive(Debug, Deserialize)]
struct Reading {
    sensor: String,
    celsius: f64,
}

const PLAUSIBLE: std::ops::RangeInclusive<f64> = -90.0..=60.0;

/// What became of one record.
enum Stored {
    Yes,
    /// Impossible reading: acknowledged, never retried.
    Poison(String),
    /// To be retried from this record.
    Retry(String),
}

fn store(record: &KinesisEventRecord) -> Result<Stored, serde_json::Error> {
    let reading: Reading = serde_json::from_slice(&record.kinesis.data)?;
    if !PLAUSIBLE.contains(&reading.celsius) {
        return Ok(Stored::Poison(format!("{} reported {} °C", reading.sensor, reading.celsius)));
    }
    if reading.sensor.starts_with("calibrating-") {
        return Ok(Stored::Retry("sensor still calibrating".to_owned()));
    }
    tracing::info!(
        sensor = reading.sensor,
        celsius = reading.celsius,
        shard_key = record.kinesis.partition_key,
        "stored"
    );
    Ok(Stored::Yes)
}

/// Records in order; the first that must be retried stops the batch and is
/// the only one reported (Lambda retries from its sequence number).
async fn handle(event: LambdaEvent<KinesisEvent>) -> Result<KinesisEventResponse, Error> {
    let mut response = KinesisEventResponse::default();
    for record in &event.payload.records {
        let id = &record.kinesis.sequence_number;
        match store(record) {
            Ok(Stored::Yes) => {}
            Ok(Stored::Poison(reason)) => tracing::warn!(id, reason, "record dropped as poison"),
            Ok(Stored::Retry(reason)) => {
                tracing::info!(reason, "record to be retried later");
                response.add_failure(id);
                break;
            }
            Err(error) => {
                tracing::error!(record_id = id, error = %error, "record failed");
                response.add_failure(id);
                break;
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
