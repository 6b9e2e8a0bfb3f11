use lambda_batch::sqs::{SqsMessage, SqsRecord};
use lambda_batch::{batch_handler, Context, Json, RecordMeta};

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

fn main() {
    let _ = lambda_runtime::service_fn(handle);
}
