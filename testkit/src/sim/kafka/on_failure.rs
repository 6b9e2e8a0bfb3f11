//! The on-failure record of discarded Kafka records: `KafkaBatchInfo`
//! as in AWS's example of a discarded MSK batch, plus the records
//! themselves ([Kafka: retries](lambda_batch::aws_rules#kafka-retries)).

use serde_json::{Value, json};

use crate::sim::core::clock::{Millis, iso8601};
use crate::sim::cursor::on_failure::on_failure_record;
use crate::sim::kafka::report::KafkaRecordFate;

/// The on-failure record of discarded records `first..=last` of one
/// partition: `KafkaBatchInfo` (`recordsInfo` by `<topic>-<partition>`,
/// offsets as text) and `payload`, the discarded records as a Kafka event
/// (the text `payload`): what an S3 destination stores and a Kafka-topic
/// destination receives as records.
pub(crate) fn kafka_on_failure(
    (first, last): (&KafkaRecordFate, &KafkaRecordFate),
    batch_size: usize,
    condition: &str,
    now: Millis,
    payload: &str,
) -> Value {
    let payload_size = payload.len();
    let payload: Value = serde_json::from_str(payload).unwrap_or(Value::Null);
    let mut records_info = serde_json::Map::new();
    records_info.insert(
        first.partition_key(),
        json!({
            "firstRecordOffset": first.offset.to_string(),
            "lastRecordOffset": last.offset.to_string(),
            "firstRecordTimestamp": iso8601(first.produced_at),
            "lastRecordTimestamp": iso8601(last.produced_at),
        }),
    );
    let mut record = on_failure_record(&first.item_identifier(), first.deliveries, condition, now);
    record["KafkaBatchInfo"] = json!({
        "batchSize": batch_size,
        "eventSourceArn": payload["eventSourceArn"],
        "bootstrapServers": payload["bootstrapServers"],
        "payloadSize": payload_size,
        "recordsInfo": records_info,
    });
    record["payload"] = payload;
    record
}
