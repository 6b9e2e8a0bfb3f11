//! Arbitrary bytes as an SQS event (after one byte that picks the handler
//! variant), through `#[batch_handler(sqs ...)]` record functions whose
//! outcome the body decides; judged by `src/handlers.rs`.
#![no_main]

use lambda_batch::sqs::SqsRecord;
use lambda_batch::{BatchError, BatchEvent, BatchResponse, Json, LambdaEvent, RecordOutcome, batch_handler};
use lambda_batch_fuzz::handlers::{self, Src, Variant, block_on, context, record, sink};
use libfuzzer_sys::{fuzz_mutator, fuzz_target};

async fn body(r: &SqsRecord<'_>) -> RecordOutcome {
    record(r.index(), r.message_id(), r.body().map(str::as_bytes)).await
}

#[batch_handler(sqs)]
async fn sqs_default(r: &SqsRecord<'_>) -> RecordOutcome {
    body(r).await
}

#[batch_handler(sqs, all_failed = "report_all")]
async fn sqs_report_all(r: &SqsRecord<'_>) -> RecordOutcome {
    body(r).await
}

#[batch_handler(sqs, concurrency = 4)]
async fn sqs_concurrent(r: &SqsRecord<'_>) -> RecordOutcome {
    body(r).await
}

#[batch_handler(sqs_fifo)]
async fn fifo_default(r: &SqsRecord<'_>) -> RecordOutcome {
    body(r).await
}

#[batch_handler(sqs_fifo, fifo_policy = "skip_failed_group")]
async fn fifo_skip_group(r: &SqsRecord<'_>) -> RecordOutcome {
    body(r).await
}

#[batch_handler(sqs_fifo, fifo_policy = "skip_failed_group", concurrency = 3)]
async fn fifo_skip_group_concurrent(r: &SqsRecord<'_>) -> RecordOutcome {
    body(r).await
}

#[batch_handler(sqs, poison_sink = sink)]
async fn sqs_sink(r: &SqsRecord<'_>) -> RecordOutcome {
    body(r).await
}

#[batch_handler(sqs, max_receive_count = 2, drop_over_budget)]
async fn sqs_budget(r: &SqsRecord<'_>) -> RecordOutcome {
    body(r).await
}

/// `Json` may read the body straight from the event's escaped text: what it
/// read must be what serde_json reads from the decoded body. A difference
/// aborts the process (a panic here would be contained as the record's
/// failure), so libFuzzer reports it as a crash.
fn same_as_serde_json(value: &serde_json::Value, r: &SqsRecord<'_>) {
    let expected = r.body().and_then(|body| serde_json::from_str::<serde_json::Value>(body).ok());
    if expected.as_ref() != Some(value) {
        eprintln!("Json read {value:?}; serde_json reads {expected:?} from the body {:?}", r.body());
        std::process::abort();
    }
}

#[batch_handler(sqs)]
async fn sqs_json(Json(value): Json<serde_json::Value>, r: &SqsRecord<'_>) -> RecordOutcome {
    same_as_serde_json(&value, r);
    body(r).await
}

#[batch_handler(sqs_fifo, fifo_policy = "skip_failed_group", all_failed = "report_all")]
async fn fifo_json_report_all(Json(value): Json<serde_json::Value>, r: &SqsRecord<'_>) -> RecordOutcome {
    same_as_serde_json(&value, r);
    body(r).await
}

const VARIANTS: [Variant; 10] = [
    Variant::new("sqs", Src::Sqs),
    Variant { report_all: true, ..Variant::new("sqs, all_failed = report_all", Src::Sqs) },
    Variant { concurrency: 4, ..Variant::new("sqs, concurrency = 4", Src::Sqs) },
    Variant { forced_fifo: true, ..Variant::new("sqs_fifo", Src::Sqs) },
    Variant { forced_fifo: true, skip_group: true, ..Variant::new("sqs_fifo, skip_failed_group", Src::Sqs) },
    Variant {
        forced_fifo: true,
        skip_group: true,
        concurrency: 3,
        ..Variant::new("sqs_fifo, skip_failed_group, concurrency = 3", Src::Sqs)
    },
    Variant { sink: true, ..Variant::new("sqs, poison_sink", Src::Sqs) },
    Variant { budget: Some(2), ..Variant::new("sqs, max_receive_count = 2, drop_over_budget", Src::Sqs) },
    Variant { json: true, ..Variant::new("sqs, Json<Value>", Src::Sqs) },
    Variant {
        forced_fifo: true,
        skip_group: true,
        report_all: true,
        json: true,
        ..Variant::new("sqs_fifo, skip_failed_group, report_all, Json<Value>", Src::Sqs)
    },
];

fn invoke(which: usize, event: BatchEvent) -> Result<BatchResponse, BatchError> {
    let event = LambdaEvent::new(event, context());
    block_on(async move {
        match which {
            0 => sqs_default(event).await,
            1 => sqs_report_all(event).await,
            2 => sqs_concurrent(event).await,
            3 => fifo_default(event).await,
            4 => fifo_skip_group(event).await,
            5 => fifo_skip_group_concurrent(event).await,
            6 => sqs_sink(event).await,
            7 => sqs_budget(event).await,
            8 => sqs_json(event).await,
            _ => fifo_json_report_all(event).await,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    handlers::check(data, &VARIANTS, invoke);
});

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    lambda_batch_fuzz::mutate::mutate(data, size, max_size, seed, lambda_batch_fuzz::mutate::Layout::Prefixed)
});
