//! The on-failure record of discarded stream records: the batch's
//! metadata (`KinesisBatchInfo` or `DDBStreamBatchInfo`), no data ([Streams: retries,
//! bisection and
//! discarding](lambda_batch::aws_rules#streams-retries-bisection-and-discarding)).

use serde_json::{Value, json};

use crate::sim::core::clock::{Millis, iso8601};
use crate::sim::cursor::on_failure::on_failure_record;
use crate::sim::stream::config::StreamKind;
use crate::sim::stream::report::StreamRecordFate;

/// The on-failure record of discarded records `first..=last` of shard
/// `shard_id`.
pub(crate) fn stream_on_failure(
    kind: StreamKind,
    shard_id: &str,
    (first, last): (&StreamRecordFate, &StreamRecordFate),
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
    let mut record = on_failure_record(&first.sequence_number, first.deliveries, condition, now);
    record[kind.batch_info_key()] = info;
    record
}
