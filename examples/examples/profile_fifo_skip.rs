//! Profiling aid: the FIFO short-circuit path (record 0 fails, the rest are
//! skipped), or with the argument `standard` a standard batch with 10%
//! failing, run many times on an already-read event. Not a benchmark; see
//! `benches/event_path.rs`. Use with `perf record` on an unstripped build.

use lambda_batch::{BatchEvent, Json, batch_handler};
use serde_json::json;

#[batch_handler(sqs_fifo, all_failed = "report_all")]
fn fail_first(Json(order): Json<serde_json::Value>) -> Result<(), &'static str> {
    if order["fail"] == json!(true) { Err("rejected") } else { Ok(()) }
}

fn main() {
    let records: Vec<_> = (0..10_000)
        .map(|i| {
            let standard = std::env::args().any(|a| a == "standard");
            let body = json!({"order": i, "fail": if standard { i % 10 == 9 } else { i == 0 }, "items": (0..5).map(|k| json!({"sku": format!("SKU-{i:08}-{k}"), "quantity": k + 1, "price_cents": 1999})).collect::<Vec<_>>()}).to_string();
            if standard {
                lambda_batch_testkit::sqs::message(&format!("id-{i:08}"), &body)
            } else {
                lambda_batch_testkit::sqs::fifo_message(&format!("id-{i:08}"), &format!("g{}", i % 10), &body)
            }
        })
        .collect();
    let bytes = serde_json::to_vec(&json!({ "Records": records })).expect("bytes");
    let event = BatchEvent::from_slice(&bytes).expect("event");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let cx = lambda_batch::Context::default();
    for _ in 0..200 {
        let report = runtime
            .block_on(lambda_batch::sqs::process(&fail_first {}, &fail_first::CONFIG, &event, &cx))
            .expect("report");
        std::hint::black_box(report.into_response().expect("response"));
    }
}
