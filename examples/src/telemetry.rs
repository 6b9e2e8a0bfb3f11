//! A telemetry function fed by a Kinesis stream: one JSON reading per record.

use lambda_batch::kinesis::KinesisRecord;
use lambda_batch::{Json, RecordOutcome, batch_handler};
use serde::Deserialize;

/// One sensor reading (the record's `data`, base64-decoded JSON).
#[derive(Debug, Deserialize)]
pub struct Reading {
    /// Which sensor sent it.
    pub sensor: String,
    /// Degrees Celsius.
    pub celsius: f64,
}

/// Readings outside this range are physically impossible: poison.
pub const PLAUSIBLE: std::ops::RangeInclusive<f64> = -90.0..=60.0;

/// Stores one reading.
///
/// The default checkpoint policy stops the batch at the first failure and
/// reports only its sequence number, so Lambda retries from there and the
/// readings stored before it are not stored twice.
#[batch_handler(kinesis)]
pub async fn store_reading(Json(reading): Json<Reading>, record: &KinesisRecord<'_>) -> RecordOutcome {
    if !PLAUSIBLE.contains(&reading.celsius) {
        // Retrying can never help: acknowledge it, logged with its reason.
        return RecordOutcome::poison(format!("{} reported {} °C", reading.sensor, reading.celsius));
    }
    if reading.sensor.starts_with("calibrating-") {
        return RecordOutcome::retry_later_because("sensor still calibrating");
    }
    tracing::info!(
        sensor = reading.sensor,
        celsius = reading.celsius,
        shard_key = record.partition_key(),
        "stored"
    );
    RecordOutcome::Success
}
