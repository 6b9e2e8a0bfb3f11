//! What Lambda sends to the DLQ and the destinations when it gives up on
//! (or finishes) an asynchronous event: [Asynchronous invocation: retries and
//! destinations](lambda_batch::aws_rules#asynchronous-invocation-retries-and-destinations).

use serde_json::{Value, json};

use crate::sim::async_invoke::report::AsyncEventFate;
use crate::sim::core::clock::{Millis, iso8601};

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
