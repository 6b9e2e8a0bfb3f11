use lambda_batch::kafka::{Headers, KafkaEventRecord, KafkaRecord, Key};
use lambda_batch::{batch_handler, Context, Json, RecordMeta};

#[derive(serde::Deserialize)]
struct Click {
    page: String,
}

#[batch_handler(kafka)]
async fn kafka_all(
    Json(click): Json<Click>,
    bytes: &[u8],
    text: &str,
    Key(key): Key<'_>,
    headers: Headers<'_>,
    full: &KafkaEventRecord,
    view: &KafkaRecord<'_>,
    meta: RecordMeta<'_>,
    cx: &Context,
) -> Result<(), String> {
    let _ = (click.page, bytes.len(), text.len(), key, headers.get("h"), full.offset, view.offset(), meta.id);
    let _ = &cx.request_id;
    Ok(())
}

// Inferred as Kafka from `&KafkaRecord`.
#[batch_handler(stream_policy = "continue", concurrency = 8)]
fn kafka_inferred(record: &KafkaRecord<'_>) {
    let _ = record.partition_key();
}

fn main() {
    let _ = lambda_runtime::service_fn(kafka_all);
    let _ = lambda_runtime::service_fn(kafka_inferred);
}
