use lambda_batch::dynamodb::{Keys, NewImage, OldImage};
use lambda_batch::kafka::{Headers, Key};
use lambda_batch::sqs::{SqsMessage, SqsRecord};
use lambda_batch::{batch_handler, Context, ExtractError, Json, RecordMeta, RecordOutcome};

#[derive(serde::Deserialize)]
pub struct Order {
    pub id: u64,
}

/// Any order of parameters, destructuring patterns, every SQS extractor.
#[batch_handler(sqs)]
pub async fn handle(
    cx: &Context,
    Json(order): Json<Order>,
    body: &str,
    message: &SqsMessage,
    record: &SqsRecord<'_>,
    meta: RecordMeta<'_>,
) -> Result<(), String> {
    let _ = (cx.request_id.len(), order.id, body.len(), &message.message_id, record.index(), meta.receive_count);
    Ok(())
}

/// The fallible forms: `Option` of a payload extractor, `Result` of any,
/// and `Result<RecordOutcome, E>` with an error type that has causes.
#[batch_handler(sqs)]
pub fn fallible_sqs(
    order: Option<Json<Order>>,
    body: Result<&str, ExtractError>,
    text: Option<&str>,
    message: Result<&SqsMessage, ExtractError>,
) -> Result<RecordOutcome, std::io::Error> {
    let _ = (order.map(|Json(order)| order.id), body.map(str::len).ok(), text, message.is_ok());
    Ok(RecordOutcome::Success)
}

#[batch_handler(kinesis)]
pub fn fallible_kinesis(
    reading: Option<Json<Order>>,
    data: Result<&[u8], ExtractError>,
    bytes: Option<&[u8]>,
    text: Result<&str, ExtractError>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let _ = (reading.is_some(), data?.len(), bytes, text?);
    Ok(())
}

/// `Option<NewImage<T>>` keeps its own meaning (absent image); `Result`
/// wraps it to get a bad image's error too.
#[batch_handler(dynamodb)]
pub fn fallible_dynamodb(
    new: Result<NewImage<Order>, ExtractError>,
    old: Result<Option<OldImage<Order>>, ExtractError>,
    keys: Option<Keys<Order>>,
) -> Result<RecordOutcome, String> {
    let _ = (new.is_ok(), old.map_err(|e| e.to_string())?, keys.is_some());
    Ok(RecordOutcome::retry_later())
}

#[batch_handler(kafka)]
pub async fn fallible_kafka(
    key: Option<Key<'_>>,
    headers: Result<Headers<'_>, ExtractError>,
    value: Option<Json<Order>>,
    raw: Option<&[u8]>,
    text: Option<&str>,
) {
    let _ = (key, headers.is_ok(), value.is_some(), raw, text);
}

fn main() {
    let _ = lambda_runtime::service_fn(handle);
    let _ = lambda_runtime::service_fn(fallible_sqs);
    let _ = lambda_runtime::service_fn(fallible_kinesis);
    let _ = lambda_runtime::service_fn(fallible_dynamodb);
    let _ = lambda_runtime::service_fn(fallible_kafka);
}
