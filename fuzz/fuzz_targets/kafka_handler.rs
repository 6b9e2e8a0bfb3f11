//! Arbitrary bytes as a Kafka event (after one byte that picks the handler
//! variant), through `#[batch_handler(kafka ...)]` record functions whose
//! outcome the decoded `value` decides; judged by `src/handlers.rs`.
#![no_main]

use lambda_batch::kafka::KafkaRecord;
use lambda_batch::{BatchError, BatchEvent, BatchResponse, Json, LambdaEvent, RecordOutcome, batch_handler};
use lambda_batch_fuzz::handlers::{self, Src, Variant, block_on, context, record, sink};
use libfuzzer_sys::{fuzz_mutator, fuzz_target};

async fn data(r: &KafkaRecord<'_>) -> RecordOutcome {
    let id = format!("{}-{}@{}", r.topic(), r.partition(), r.offset());
    record(r.index(), &id, r.value().ok()).await
}

#[batch_handler(kafka)]
async fn checkpoint(r: &KafkaRecord<'_>) -> RecordOutcome {
    data(r).await
}

#[batch_handler(kafka, stream_policy = "continue")]
async fn continue_(r: &KafkaRecord<'_>) -> RecordOutcome {
    data(r).await
}

#[batch_handler(kafka, all_failed = "report_all")]
async fn checkpoint_report_all(r: &KafkaRecord<'_>) -> RecordOutcome {
    data(r).await
}

#[batch_handler(kafka, concurrency = 4)]
async fn checkpoint_concurrent(r: &KafkaRecord<'_>) -> RecordOutcome {
    data(r).await
}

#[batch_handler(kafka, stream_policy = "continue", concurrency = 4)]
async fn continue_concurrent(r: &KafkaRecord<'_>) -> RecordOutcome {
    data(r).await
}

#[batch_handler(kafka, poison_sink = sink)]
async fn checkpoint_sink(r: &KafkaRecord<'_>) -> RecordOutcome {
    data(r).await
}

#[batch_handler(kafka)]
async fn checkpoint_json(_value: Json<serde_json::Value>, r: &KafkaRecord<'_>) -> RecordOutcome {
    data(r).await
}

#[batch_handler(kafka, stream_policy = "continue", all_failed = "report_all")]
async fn continue_json_report_all(_value: Json<serde_json::Value>, r: &KafkaRecord<'_>) -> RecordOutcome {
    data(r).await
}

const VARIANTS: [Variant; 8] = [
    Variant::new("kafka", Src::Kafka),
    Variant { continue_: true, ..Variant::new("kafka, continue", Src::Kafka) },
    Variant { report_all: true, ..Variant::new("kafka, report_all", Src::Kafka) },
    Variant { concurrency: 4, ..Variant::new("kafka, concurrency = 4", Src::Kafka) },
    Variant {
        continue_: true,
        concurrency: 4,
        ..Variant::new("kafka, continue, concurrency = 4", Src::Kafka)
    },
    Variant { sink: true, ..Variant::new("kafka, poison_sink", Src::Kafka) },
    Variant { json: true, ..Variant::new("kafka, Json<Value>", Src::Kafka) },
    Variant {
        continue_: true,
        report_all: true,
        json: true,
        ..Variant::new("kafka, continue, report_all, Json<Value>", Src::Kafka)
    },
];

fn invoke(which: usize, event: BatchEvent) -> Result<BatchResponse, BatchError> {
    let event = LambdaEvent::new(event, context());
    block_on(async move {
        match which {
            0 => checkpoint(event).await,
            1 => continue_(event).await,
            2 => checkpoint_report_all(event).await,
            3 => checkpoint_concurrent(event).await,
            4 => continue_concurrent(event).await,
            5 => checkpoint_sink(event).await,
            6 => checkpoint_json(event).await,
            _ => continue_json_report_all(event).await,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    handlers::check(data, &VARIANTS, invoke);
});

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    lambda_batch_fuzz::mutate::mutate(data, size, max_size, seed, lambda_batch_fuzz::mutate::Layout::Prefixed)
});
