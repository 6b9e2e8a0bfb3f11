//! What stream and Kafka on-failure records share: the invocation record
//! around the source's batch information ([Streams: retries, bisection and
//! discarding](lambda_batch::aws_rules#streams-retries-bisection-and-discarding), [Kafka:
//! retries](lambda_batch::aws_rules#kafka-retries)).

use serde_json::{Value, json};

use crate::sim::core::clock::{Millis, iso8601};
use crate::sim::core::stable_hash::fnv;

/// The function every simulation invokes (its unqualified ARN).
const FUNCTION_ARN: &str = "arn:aws:lambda:eu-west-1:123456789012:function:test-function";

/// The on-failure record of records given up at `now` for `condition`,
/// without the source's batch information: `first_id` names the first
/// record (it seeds the request id), `invocations` is how many invocations
/// carried it. The caller adds its `KinesisBatchInfo`, `DDBStreamBatchInfo`
/// or `KafkaBatchInfo`.
pub(crate) fn on_failure_record(first_id: &str, invocations: u32, condition: &str, now: Millis) -> Value {
    let request_id =
        format!("{:08x}-0000-4000-8000-{:012x}", now, fnv(first_id.as_bytes()) & 0xffff_ffff_ffff);
    json!({
        "requestContext": {
            "requestId": request_id,
            "functionArn": FUNCTION_ARN,
            "condition": condition,
            "approximateInvokeCount": invocations,
        },
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "version": "1.0",
        "timestamp": iso8601(now),
    })
}
