//! Arbitrary bytes as a Kinesis event (after one byte that picks the
//! handler variant), through `#[batch_handler(kinesis ...)]` record
//! functions whose outcome the decoded `data` decides; judged by
//! `src/handlers.rs`.
#![no_main]

use lambda_batch::kinesis::KinesisRecord;
use lambda_batch::{BatchError, BatchEvent, BatchResponse, Json, LambdaEvent, RecordOutcome, batch_handler};
use lambda_batch_fuzz::handlers::{self, Src, Variant, block_on, context, record, sink};
use libfuzzer_sys::{fuzz_mutator, fuzz_target};

async fn data(r: &KinesisRecord<'_>) -> RecordOutcome {
    record(r.index(), r.sequence_number(), r.data().ok()).await
}

#[batch_handler(kinesis)]
async fn checkpoint(r: &KinesisRecord<'_>) -> RecordOutcome {
    data(r).await
}

#[batch_handler(kinesis, stream_policy = "continue")]
async fn continue_(r: &KinesisRecord<'_>) -> RecordOutcome {
    data(r).await
}

#[batch_handler(kinesis, all_failed = "report_all")]
async fn checkpoint_report_all(r: &KinesisRecord<'_>) -> RecordOutcome {
    data(r).await
}

#[batch_handler(kinesis, concurrency = 4)]
async fn checkpoint_concurrent(r: &KinesisRecord<'_>) -> RecordOutcome {
    data(r).await
}

#[batch_handler(kinesis, stream_policy = "continue", concurrency = 4)]
async fn continue_concurrent(r: &KinesisRecord<'_>) -> RecordOutcome {
    data(r).await
}

#[batch_handler(kinesis, poison_sink = sink)]
async fn checkpoint_sink(r: &KinesisRecord<'_>) -> RecordOutcome {
    data(r).await
}

#[batch_handler(kinesis)]
async fn checkpoint_json(_value: Json<serde_json::Value>, r: &KinesisRecord<'_>) -> RecordOutcome {
    data(r).await
}

#[batch_handler(kinesis, stream_policy = "continue", all_failed = "report_all")]
async fn continue_json_report_all(_value: Json<serde_json::Value>, r: &KinesisRecord<'_>) -> RecordOutcome {
    data(r).await
}

const VARIANTS: [Variant; 8] = [
    Variant::new("kinesis", Src::Kinesis),
    Variant { continue_: true, ..Variant::new("kinesis, continue", Src::Kinesis) },
    Variant { report_all: true, ..Variant::new("kinesis, report_all", Src::Kinesis) },
    Variant { concurrency: 4, ..Variant::new("kinesis, concurrency = 4", Src::Kinesis) },
    Variant {
        continue_: true,
        concurrency: 4,
        ..Variant::new("kinesis, continue, concurrency = 4", Src::Kinesis)
    },
    Variant { sink: true, ..Variant::new("kinesis, poison_sink", Src::Kinesis) },
    Variant { json: true, ..Variant::new("kinesis, Json<Value>", Src::Kinesis) },
    Variant {
        continue_: true,
        report_all: true,
        json: true,
        ..Variant::new("kinesis, continue, report_all, Json<Value>", Src::Kinesis)
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
