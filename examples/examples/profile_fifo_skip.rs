//! Profiling aid for the event path, run many times on an already-read
//! event: by default the FIFO short-circuit (record 0 fails, the other
//! 9,999 are skipped); with the argument `standard`, a standard batch of
//! 1,000 with 10% failing, bodies parsed into a typed order. Not a
//! benchmark (see `benches/event_path.rs`). Use with `perf record` on an
//! unstripped build:
//! `CARGO_PROFILE_RELEASE_STRIP=none CARGO_PROFILE_RELEASE_DEBUG=line-tables-only cargo build --release -p lambda-batch-examples --example profile_fifo_skip`.

use lambda_batch::BatchPipeline;
use lambda_batch::sqs::Sqs;
use lambda_batch::{BatchEvent, Json, batch_handler};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
struct Order {
    fail: bool,
    #[serde(rename = "items")]
    _items: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    #[serde(rename = "sku")]
    _sku: String,
    #[serde(rename = "quantity")]
    _quantity: u32,
}

#[batch_handler(sqs_fifo, all_failed = "report_all")]
fn fail_first(Json(order): Json<Order>) -> Result<(), &'static str> {
    if order.fail { Err("rejected") } else { Ok(()) }
}

#[batch_handler(sqs, all_failed = "report_all")]
fn standard_orders(Json(order): Json<Order>) -> Result<(), &'static str> {
    if order.fail { Err("rejected") } else { Ok(()) }
}

fn main() {
    let standard = std::env::args().any(|a| a == "standard");
    let count = if standard { 1_000 } else { 10_000 };
    let records: Vec<_> = (0..count)
        .map(|i| {
            let body = json!({"order": i, "fail": if standard { i % 10 == 9 } else { i == 0 }, "items": (0..5).map(|k| json!({"sku": format!("SKU-{i:08}-{k}"), "quantity": k + 1, "price_cents": 1999})).collect::<Vec<_>>()}).to_string();
            if standard {
                lambda_batch_testkit::sqs::message(&format!("id-{i:08}"), &body)
            } else {
                lambda_batch_testkit::sqs::fifo_message(&format!("id-{i:08}"), &format!("g{}", i % 10), &body)
            }
        })
        .collect();
    let bytes = lambda_batch_testkit::sqs::event_json(records).into_bytes();
    let event = BatchEvent::from_slice(&bytes).expect("event");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let cx = lambda_batch::Context::default();
    for _ in 0..2_000 {
        let report = if standard {
            runtime.block_on(Sqs::process(&standard_orders {}, &standard_orders::CONFIG, &event, &cx))
        } else {
            runtime.block_on(Sqs::process(&fail_first {}, &fail_first::CONFIG, &event, &cx))
        }
        .expect("report");
        std::hint::black_box(serde_json::to_vec(&report.into_response().expect("response")).expect("bytes"));
    }
}
