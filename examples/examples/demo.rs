//! The demo: runs the example handlers on SQS standard and FIFO batches,
//! a Kinesis batch, a DynamoDB Streams batch and a Kafka batch, with failures, a panic,
//! poison records and records to retry later, and prints what happened to
//! each record and the exact response Lambda gets. Then it runs the order
//! handler, made idempotent, on a simulated FIFO queue with a DLQ,
//! timeouts and throttles, and writes the timeline page (replayed
//! deliveries in their own colour) and the trace.

use lambda_batch::dynamodb::DynamoDb;
use lambda_batch::idempotency::{Idempotency, Idempotent, MemoryStore};
use lambda_batch::kafka::Kafka;
use lambda_batch::kinesis::Kinesis;
use lambda_batch::sqs::{self, FifoPolicy, Sqs};
use lambda_batch::stream::StreamPolicy;
use lambda_batch::{BatchError, BatchEvent, BatchPipeline, BatchReport, RecordStatus};
use lambda_batch_examples::clicks::count_click;
use lambda_batch_examples::inventory::{Projection, project_order};
use lambda_batch_examples::orders::handle_order;
use lambda_batch_examples::telemetry::store_reading;
use lambda_batch_testkit::sim::{
    self, InvocationFaults, Millis, Progress, QueueConfig, SqsSimConfig, SqsSimulation, lambda_function,
};
use lambda_batch_testkit::{
    context, dynamodb as ddb_events, kafka as kafka_events, kinesis as kinesis_events, sqs as events,
};
use serde_json::json;

fn order(id: u64, quantity: u32, warehouse: usize) -> String {
    json!({"id": id, "sku": "BOOK-42", "quantity": quantity, "warehouse": warehouse}).to_string()
}

async fn run(title: &str, event: BatchEvent, config: &sqs::SqsConfig) {
    println!("== {title}");
    print_report(Sqs::process(&handle_order {}, config, &event, &context()).await);
}

/// Prints each record's fate and the exact response (or invocation error).
fn print_report(result: Result<BatchReport<'_>, BatchError>) {
    let report = match result {
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
            RecordStatus::Skipped { cause } => format!("skipped (record {cause} failed before it)"),
            RecordStatus::RetryLater { reason } => {
                format!("retry later ({})", reason.as_deref().unwrap_or(""))
            }
            RecordStatus::Poison { reason } => format!("dropped as poison: {reason}"),
            RecordStatus::Replayed => "replayed: handled in an earlier delivery, not run again".to_owned(),
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

fn reading(sensor: &str, celsius: f64) -> Vec<u8> {
    json!({"sensor": sensor, "celsius": celsius}).to_string().into_bytes()
}

async fn streams() {
    let event = kinesis_events::event([
        kinesis_events::record("101", "s1", &reading("s1", 21.5)),
        kinesis_events::record("102", "s2", &reading("s2", 999.0)),
        kinesis_events::record("103", "s3", b"not json"),
        kinesis_events::record("104", "s1", &reading("s1", 21.7)),
    ]);
    println!("== Kinesis, checkpoint: stop at the first failure, report only its sequence number");
    print_report(Kinesis::process(&store_reading {}, &store_reading::CONFIG, &event, &context()).await);
    println!("== Kinesis, continue: handle everything, report every failure");
    let config = store_reading::CONFIG.with_stream_policy(StreamPolicy::Continue);
    print_report(Kinesis::process(&store_reading {}, &config, &event, &context()).await);

    let key = |id: &str| json!({"id": {"S": id}});
    let item = |id: &str, units: u32| json!({"id": {"S": id}, "units": {"N": units.to_string()}});
    let event = ddb_events::event([
        ddb_events::record("111", "INSERT", key("o-1"), Some(item("o-1", 3)), None),
        ddb_events::record("222", "MODIFY", key("o-1"), Some(item("o-1", 5)), Some(item("o-1", 3))),
        ddb_events::record("333", "INSERT", key("o-2"), Some(item("o-9", 1)), None),
        ddb_events::record("444", "REMOVE", key("o-1"), None, Some(item("o-1", 5))),
    ]);
    println!("== DynamoDB Streams, images decoded with serde_dynamo, shared state");
    let projection = Projection::default();
    print_report(
        DynamoDb::process(
            &project_order::with_state(&projection),
            &project_order::CONFIG,
            &event,
            &context(),
        )
        .await,
    );
    println!("   projection: o-1 = {:?} (inserted, then modified to 5)\n", projection.units("o-1"));

    let click = |page: &str| json!({"page": page, "dwell_ms": 900}).to_string().into_bytes();
    let event = kafka_events::event([
        kafka_events::record("clicks", 0, 41, Some(b"ada"), Some(&click("/home"))),
        kafka_events::record("clicks", 0, 42, Some(b"ada"), Some(&click(""))),
        kafka_events::record("clicks", 0, 43, Some(b"ada"), Some(&click("/cart"))),
        kafka_events::record("clicks", 1, 7, None, Some(&click("/home"))),
        kafka_events::record("clicks", 1, 8, Some(b"bob"), Some(&click("/help"))),
    ]);
    println!("== Kafka, checkpoint: a failure stops its partition only; partition and offset reported");
    print_report(Kafka::process(&count_click {}, &count_click::CONFIG, &event, &context()).await);
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
    let skip_group = handle_order::CONFIG.with_fifo_policy(FifoPolicy::SkipFailedGroup);
    run("FIFO queue, skip only the failing message group", fifo(), &skip_group).await;

    let all_failed = events::event([events::message("x1", "{}"), events::message("x2", &order(21, 0, 0))]);
    run("every record fails: an invocation error, so Lambda backs off", all_failed, &handle_order::CONFIG)
        .await;

    let no_id = BatchEvent::from(json!({"Records": [{"body": "{}"}]}));
    run("a record without messageId: the batch fails, nothing is acknowledged", no_id, &handle_order::CONFIG)
        .await;
    streams().await;
    // The simulator runs handlers on its own runtime: not from async code.
    if std::thread::spawn(simulated_queue).join().is_err() {
        println!("   the simulation failed");
    }
}

/// The order handler, unchanged but made idempotent, behind a simulated
/// FIFO queue (DLQ after 4 receives) with 5% timeouts and 5% throttles: a
/// batch that timed out after its work comes back, and its orders already
/// reserved are replayed, not reserved again. Writes the timeline page and
/// the JSON-lines trace under `target/lambda-batch-demo/`.
fn simulated_queue() {
    println!("== Simulated FIFO queue: 3 customers, 24 orders, one order that always fails; idempotent");
    let mut config = SqsSimConfig::new(QueueConfig::fifo().with_dlq(4));
    config.seed = 2026;
    config.mapping.batch_size = 3;
    config.faults = InvocationFaults { timeout: 0.05, throttle: 0.05, ..InvocationFaults::none() };
    let mut simulation = SqsSimulation::new(config).expect("a configuration AWS accepts");
    for i in 0..24u64 {
        let customer = ["customer-a", "customer-b", "customer-c"][(i % 3) as usize];
        // Order 7 asks for more than is in stock: it fails every time.
        let quantity = if i == 7 { 500 } else { 1 + (i % 4) as u32 };
        simulation.send_fifo(i * 2_000, customer, &order(100 + i, quantity, (i % 2) as usize));
    }
    let mut progress = |p: &Progress| println!("   ... {} events, {} invocations", p.events, p.invocations);
    let orders = Idempotent::new(handle_order {}, Idempotency::new(MemoryStore::new()));
    let mut function = lambda_function(|event| Sqs::handle(&orders, &handle_order::CONFIG, event));
    let report = simulation.run_until(&mut function, Millis::MAX, Some(&mut progress));
    let verdict = match sim::check::nothing_lost(&report).and_then(|()| sim::check::fifo_order(&report)) {
        Ok(()) => "nothing lost, FIFO order kept".to_owned(),
        Err(error) => format!("PROPERTY BROKEN: {error}"),
    };
    let m = &report.metrics;
    let replayed: u32 = report.messages.iter().map(|message| message.replayed).sum();
    println!(
        "   {} invocations ({} errors, {} throttles) over {:.1} virtual minutes: {} deleted, {} in the DLQ, \
         {replayed} deliveries replayed (reserved before, not reserved again); {verdict}",
        m.invocations,
        m.errors,
        m.throttles,
        report.ended_at as f64 / 60_000.0,
        m.messages_deleted,
        m.dlq_messages_visible,
    );
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/lambda-batch-demo");
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| {
            std::fs::write(
                dir.join("timeline.html"),
                sim::timeline::html(&report, "lambda-batch demo: FIFO orders"),
            )
        })
        .and_then(|()| std::fs::write(dir.join("trace.jsonl"), report.trace.to_jsonl()));
    match written.and_then(|()| dir.canonicalize()) {
        Ok(dir) => {
            println!("   timeline (open in a browser): {}", dir.join("timeline.html").display());
            println!(
                "   trace ({} JSON lines):        {}",
                report.trace.entries().len(),
                dir.join("trace.jsonl").display()
            );
        }
        Err(error) => println!("   could not write the timeline under {}: {error}", dir.display()),
    }
}
