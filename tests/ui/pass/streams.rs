use lambda_batch::dynamodb::{DynamoDbRecord, EventName, EventRecord, Keys, NewImage, OldImage};
use lambda_batch::kinesis::{KinesisEventRecord, KinesisRecord};
use lambda_batch::{batch_handler, Context, Json};

#[derive(serde::Deserialize)]
struct Reading {
    value: f64,
}

#[derive(serde::Deserialize)]
struct Item {
    id: String,
}

#[batch_handler(kinesis)]
async fn kinesis_all(
    Json(reading): Json<Reading>,
    bytes: &[u8],
    text: &str,
    full: &KinesisEventRecord,
    view: &KinesisRecord<'_>,
    cx: &Context,
) -> Result<(), String> {
    let _ = (reading.value, bytes.len(), text.len(), &full.event_id, view.sequence_number(), &cx.request_id);
    Ok(())
}

// Inferred as Kinesis from `&KinesisRecord`.
#[batch_handler(stream_policy = "continue")]
fn kinesis_inferred(record: &KinesisRecord<'_>) {
    let _ = record.partition_key();
}

#[batch_handler(dynamodb, stream_policy = "checkpoint", all_failed = "report_all")]
async fn dynamodb_all(
    name: EventName,
    Keys(key): Keys<Item>,
    new: Option<NewImage<Item>>,
    old: Option<OldImage<Item>>,
    full: &EventRecord,
    view: &DynamoDbRecord<'_>,
) {
    let _ = (name, key.id, new.map(|n| n.0.id), old.map(|o| o.0.id), &full.event_id, view.sequence_number());
}

// Inferred as DynamoDB from `NewImage`.
#[batch_handler]
async fn dynamodb_inferred(NewImage(item): NewImage<Item>) -> Result<(), String> {
    let _ = item.id;
    Ok(())
}

fn main() {
    let _ = lambda_runtime::service_fn(kinesis_all);
    let _ = lambda_runtime::service_fn(kinesis_inferred);
    let _ = lambda_runtime::service_fn(dynamodb_all);
    let _ = lambda_runtime::service_fn(dynamodb_inferred);
}
