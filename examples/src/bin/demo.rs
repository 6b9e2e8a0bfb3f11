//! The demo: runs the example order handler on a standard batch and on FIFO
//! batches with failures and a panic, and prints what happened to each record
//! and the exact response Lambda gets.

use lambda_batch::sqs::{self, FifoPolicy};
use lambda_batch::{BatchEvent, RecordStatus};
use lambda_batch_examples::orders::handle_order;
use lambda_batch_testkit::{context, sqs as events};
use serde_json::json;

fn order(id: u64, quantity: u32, warehouse: usize) -> String {
    json!({"id": id, "sku": "BOOK-42", "quantity": quantity, "warehouse": warehouse}).to_string()
}

async fn run(title: &str, event: BatchEvent, config: &sqs::SqsConfig) {
    println!("== {title}");
    let cx = context();
    let report = match sqs::process(&handle_order {}, config, &event, &cx).await {
        Ok(report) => report,
        Err(error) => {
            println!("   invocation error {}: {error}\n", error.error_type());
            return;
        }
    };
    for (index, record) in report.records().iter().enumerate() {
        let what = match record.status() {
            RecordStatus::Succeeded => "handled".to_owned(),
            RecordStatus::Failed(error) => format!("FAILED  {error}"),
            RecordStatus::Skipped { cause } => {
                format!("skipped (FIFO: record {cause} failed before it)")
            }
            other => format!("{other:?}"),
        };
        println!("   record {index} {:<4} {what}", record.id());
    }
    match report.into_response() {
        Ok(response) => println!("   response: {}", serde_json::to_string(&response).unwrap_or_default()),
        Err(error) => println!("   invocation error {}: {error}", error.error_type()),
    }
    println!();
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // Panics are caught per record; keep the default hook's message short.
    std::panic::set_hook(Box::new(|info| eprintln!("   (panic caught by lambda-batch: {info})")));

    let standard = events::event([
        events::message("m1", &order(1, 2, 0)),
        events::message("m2", &order(2, 0, 0)),
        events::message("m3", "not json"),
        events::message("m4", &order(4, 1, 7)),
        events::message("m5", &order(5, 3, 1)),
    ]);
    run("standard queue: every record is handled, failures are listed", standard, &handle_order::CONFIG)
        .await;

    let fifo = || {
        events::event([
            events::fifo_message("f1", "customer-a", &order(10, 1, 0)),
            events::fifo_message("f2", "customer-b", &order(11, 500, 0)),
            events::fifo_message("f3", "customer-a", &order(12, 1, 1)),
            events::fifo_message("f4", "customer-b", &order(13, 1, 0)),
            events::fifo_message("f5", "customer-c", &order(14, 1, 9)),
            events::fifo_message("f6", "customer-c", &order(15, 1, 0)),
        ])
    };
    run("FIFO queue (.fifo ARN): stop at the first failure", fifo(), &handle_order::CONFIG).await;
    let skip_group = handle_order::CONFIG.fifo_policy(FifoPolicy::SkipFailedGroup);
    run("FIFO queue, skip only the failing message group", fifo(), &skip_group).await;

    let all_failed = events::event([events::message("x1", "{}"), events::message("x2", &order(21, 0, 0))]);
    run("every record fails: an invocation error, so Lambda backs off", all_failed, &handle_order::CONFIG)
        .await;

    let no_id = BatchEvent::from(json!({"Records": [{"body": "{}"}]}));
    run("a record without messageId: the batch fails, nothing is acknowledged", no_id, &handle_order::CONFIG)
        .await;
}
