//! Arbitrary bytes as a DynamoDB Streams event (after one byte that picks
//! the handler variant), through `#[batch_handler(dynamodb ...)]` record
//! functions whose outcome the `eventName` decides; judged by
//! `src/handlers.rs`.
#![no_main]

use lambda_batch::dynamodb::DynamoDbRecord;
use lambda_batch::{BatchError, BatchEvent, BatchResponse, LambdaEvent, RecordOutcome, batch_handler};
use lambda_batch_fuzz::handlers::{self, Src, Variant, block_on, context, record, sink};
use libfuzzer_sys::{fuzz_mutator, fuzz_target};

async fn name(r: &DynamoDbRecord<'_>) -> RecordOutcome {
    record(r.index(), r.sequence_number(), r.event_name().map(str::as_bytes)).await
}

#[batch_handler(dynamodb)]
async fn checkpoint(r: &DynamoDbRecord<'_>) -> RecordOutcome {
    name(r).await
}

#[batch_handler(dynamodb, stream_policy = "continue")]
async fn continue_(r: &DynamoDbRecord<'_>) -> RecordOutcome {
    name(r).await
}

#[batch_handler(dynamodb, all_failed = "report_all")]
async fn checkpoint_report_all(r: &DynamoDbRecord<'_>) -> RecordOutcome {
    name(r).await
}

#[batch_handler(dynamodb, concurrency = 4)]
async fn checkpoint_concurrent(r: &DynamoDbRecord<'_>) -> RecordOutcome {
    name(r).await
}

#[batch_handler(dynamodb, stream_policy = "continue", concurrency = 4)]
async fn continue_concurrent(r: &DynamoDbRecord<'_>) -> RecordOutcome {
    name(r).await
}

#[batch_handler(dynamodb, poison_sink = sink)]
async fn checkpoint_sink(r: &DynamoDbRecord<'_>) -> RecordOutcome {
    name(r).await
}

const VARIANTS: [Variant; 6] = [
    Variant::new("dynamodb", Src::DynamoDb),
    Variant { continue_: true, ..Variant::new("dynamodb, continue", Src::DynamoDb) },
    Variant { report_all: true, ..Variant::new("dynamodb, report_all", Src::DynamoDb) },
    Variant { concurrency: 4, ..Variant::new("dynamodb, concurrency = 4", Src::DynamoDb) },
    Variant {
        continue_: true,
        concurrency: 4,
        ..Variant::new("dynamodb, continue, concurrency = 4", Src::DynamoDb)
    },
    Variant { sink: true, ..Variant::new("dynamodb, poison_sink", Src::DynamoDb) },
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
            _ => checkpoint_sink(event).await,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    handlers::check(data, &VARIANTS, invoke);
});

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    lambda_batch_fuzz::mutate::mutate(data, size, max_size, seed, lambda_batch_fuzz::mutate::Layout::Prefixed)
});
