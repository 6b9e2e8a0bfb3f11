//! What Lambda sends to a DLQ or a destination when it gives up on (or
//! finishes) an asynchronous event, a stream batch or Kafka records:
//! `docs/aws-rules.md#asynchronous-invocation-retries-and-destinations`,
//! `docs/aws-rules.md#streams-retries-bisection-and-discarding`,
//! `docs/aws-rules.md#kafka-retries`.

use serde_json::{Value, json};

use crate::sim::core::clock::{EPOCH_MS, Millis};
use crate::sim::core::fates::{AsyncEventFate, KafkaRecordFate, RecordFate};
use crate::sim::core::stable_hash::fnv;
use crate::sim::stream::config::StreamKind;

const FUNCTION_ARN: &str = "arn:aws:lambda:eu-west-1:123456789012:function:test-function";
/// The function version asynchronous invocations run.
const VERSION_ARN: &str = "arn:aws:lambda:eu-west-1:123456789012:function:test-function:$LATEST";

/// The invocation record an asynchronous event's destinations receive.
pub(crate) fn invocation_record(
    fate: &AsyncEventFate,
    now: Millis,
    condition: &str,
    function_error: Option<&str>,
    response: Value,
) -> Value {
    let mut response_context = json!({ "statusCode": 200, "executedVersion": "$LATEST" });
    if let Some(error) = function_error {
        response_context["functionError"] = json!(error);
    }
    json!({
        "version": "1.0",
        "timestamp": iso8601(now),
        "requestContext": {
            "requestId": &*fate.request_id,
            "functionArn": VERSION_ARN,
            "condition": condition,
            "approximateInvokeCount": fate.invocations,
        },
        "requestPayload": fate.event,
        "responseContext": response_context,
        "responsePayload": response,
    })
}

/// The DLQ message of an asynchronous event: the event as the body, the
/// request id and error as message attributes.
pub(crate) fn dead_letter(event: &Value, request_id: &str, error_message: &str) -> Value {
    let error_message: String = error_message.chars().take(1024).collect();
    json!({
        "body": event,
        "attributes": {
            "RequestID": {"DataType": "String", "StringValue": request_id},
            "ErrorCode": {"DataType": "Number", "StringValue": "200"},
            "ErrorMessage": {"DataType": "String", "StringValue": error_message},
        }
    })
}

/// The on-failure record of discarded stream records `first..=last`:
/// metadata only, no data.
pub(crate) fn stream_on_failure(
    kind: StreamKind,
    shard_id: &str,
    (first, last): (&RecordFate, &RecordFate),
    batch_size: usize,
    condition: &str,
    now: Millis,
) -> Value {
    let info = json!({
        "shardId": shard_id,
        "startSequenceNumber": &*first.sequence_number,
        "endSequenceNumber": &*last.sequence_number,
        "approximateArrivalOfFirstRecord": iso8601(first.arrived_at),
        "approximateArrivalOfLastRecord": iso8601(last.arrived_at),
        "batchSize": batch_size,
        "streamArn": kind.arn(),
    });
    let info_key = match kind {
        StreamKind::Kinesis => "KinesisBatchInfo",
        StreamKind::DynamoDb => "DDBStreamBatchInfo",
    };
    let request_id = format!(
        "{:08x}-0000-4000-8000-{:012x}",
        now,
        fnv(first.sequence_number.as_bytes()) & 0xffff_ffff_ffff
    );
    let mut record = json!({
        "requestContext": {
            "requestId": request_id,
            "functionArn": FUNCTION_ARN,
            "condition": condition,
            "approximateInvokeCount": first.deliveries,
        },
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "version": "1.0",
        "timestamp": iso8601(now),
    });
    record[info_key] = info;
    record
}

/// The on-failure record of discarded Kafka records `first..=last` of one
/// partition: `KafkaBatchInfo` (`recordsInfo` by `<topic>-<partition>`,
/// offsets as text) as in AWS's example of a discarded MSK batch, plus
/// `payload`, the discarded records as a Kafka event: what an S3
/// destination stores and a Kafka-topic destination receives as records.
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
    let request_id = format!(
        "{:08x}-0000-4000-8000-{:012x}",
        now,
        fnv(first.item_identifier().as_bytes()) & 0xffff_ffff_ffff
    );
    json!({
        "requestContext": {
            "requestId": request_id,
            "functionArn": FUNCTION_ARN,
            "condition": condition,
            "approximateInvokeCount": first.deliveries,
        },
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "version": "1.0",
        "timestamp": iso8601(now),
        "KafkaBatchInfo": {
            "batchSize": batch_size,
            "eventSourceArn": payload["eventSourceArn"],
            "bootstrapServers": payload["bootstrapServers"],
            "payloadSize": payload_size,
            "recordsInfo": records_info,
        },
        "payload": payload,
    })
}

/// Virtual time as ISO 8601 UTC with milliseconds.
pub(crate) fn iso8601(at: Millis) -> String {
    let millis = i64::try_from(EPOCH_MS + at).unwrap_or(i64::MAX);
    chrono::DateTime::from_timestamp_millis(millis)
        .map(|time| time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}
