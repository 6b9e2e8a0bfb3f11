//! What idempotency costs.
//!
//! (a) Per record, in this process: 1,000-record SQS batches through the
//! engine with a handler that does nothing, without idempotency and with
//! `MemoryStore` (a first delivery: every key claimed and completed; a
//! redelivery: every record replayed), interleaved in 5 blocks, each the
//! fastest of its runs, the median block printed. The handler does nothing
//! so the overhead is as large a share as it can be.
//!
//! (b) Round trips to DynamoDB per SQS batch of 10, 100 and 250 records
//! with `DynamoDbStore`, counted by an SDK interceptor (every HTTP request,
//! retries included): needs a DynamoDB API in
//! `LAMBDA_BATCH_DYNAMODB_ENDPOINT` (`.ci/idempotency_store.sh` starts
//! moto's server and runs this), else it says SKIPPED.
//!
//! Run: `cargo bench -p lambda-batch-examples --bench idempotency`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lambda_batch::idempotency::aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use lambda_batch::idempotency::aws_sdk_dynamodb::config::{
    BehaviorVersion, ConfigBag, Credentials, Intercept, Region, RuntimeComponents,
};
use lambda_batch::idempotency::aws_sdk_dynamodb::error::BoxError;
use lambda_batch::idempotency::aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use lambda_batch::idempotency::aws_sdk_dynamodb::{Client, Config};
use lambda_batch::idempotency::{DynamoDbStore, Idempotency, Idempotent, MemoryStore, Store};
use lambda_batch::sqs::{Sqs, SqsConfig, SqsRecord};
use lambda_batch::{BatchCounts, BatchEvent, BatchPipeline, Context, RecordHandler, handler_fn};

const ENDPOINT_VARIABLE: &str = "LAMBDA_BATCH_DYNAMODB_ENDPOINT";
const RECORDS: usize = 1_000;
const BLOCKS: usize = 5;
const RUNS_PER_BLOCK: usize = 20;

/// `count` SQS messages with distinct ids and ~100-byte JSON bodies.
fn event(count: usize, run: usize) -> BatchEvent {
    lambda_batch_testkit::sqs::event((0..count).map(|n| {
        let body = format!(
            r#"{{"order_id":"order-{run:04}-{n:06}","customer":"c-{:05}","amount_cents":{}}}"#,
            n % 977,
            100 + n
        );
        lambda_batch_testkit::sqs::message(&format!("{run:04}-{n:08x}-4000-8000-000000000000"), &body)
    }))
}

fn handler() -> impl RecordHandler<Sqs> {
    handler_fn(|record: &SqsRecord<'_>, _cx: &Context| {
        std::hint::black_box(record.body());
        Ok::<(), &str>(())
    })
}

async fn process(handler: &impl RecordHandler<Sqs>, event: &BatchEvent) -> BatchCounts {
    let cx = lambda_batch_testkit::context();
    Sqs::process(handler, &SqsConfig::new(), event, &cx).await.expect("a valid event").counts()
}

fn idempotent<St: Store>(store: St) -> impl RecordHandler<Sqs> {
    Idempotent::new(handler(), Idempotency::new(store).with_prefix("bench"))
}

/// Nanoseconds per record: the fastest of `RUNS_PER_BLOCK` runs, each
/// timing itself (so its set-up is not counted).
fn fastest(mut run: impl FnMut() -> Duration) -> f64 {
    (0..RUNS_PER_BLOCK).map(|_| run().as_nanos() as f64 / RECORDS as f64).fold(f64::INFINITY, f64::min)
}

fn timed(
    runtime: &tokio::runtime::Runtime,
    handler: &impl RecordHandler<Sqs>,
    event: &BatchEvent,
) -> (Duration, BatchCounts) {
    let start = Instant::now();
    let counts = runtime.block_on(process(handler, event));
    (start.elapsed(), counts)
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn memory_overhead(runtime: &tokio::runtime::Runtime) {
    let event = event(RECORDS, 0);
    let plain_handler = handler();
    // Completed once: every later run of it is a redelivery.
    let redelivery_handler = idempotent(MemoryStore::new());
    assert_eq!(timed(runtime, &redelivery_handler, &event).1.succeeded, RECORDS);
    let (mut plain, mut fresh, mut replayed) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..BLOCKS {
        plain.push(fastest(|| {
            let (elapsed, counts) = timed(runtime, &plain_handler, &event);
            assert_eq!(counts.succeeded, RECORDS);
            elapsed
        }));
        fresh.push(fastest(|| {
            let first_delivery_handler = idempotent(MemoryStore::new());
            let (elapsed, counts) = timed(runtime, &first_delivery_handler, &event);
            assert_eq!(counts.succeeded, RECORDS);
            elapsed
        }));
        replayed.push(fastest(|| {
            let (elapsed, counts) = timed(runtime, &redelivery_handler, &event);
            assert_eq!(counts.replayed, RECORDS);
            elapsed
        }));
    }
    let (plain, fresh, replayed) = (median(plain), median(fresh), median(replayed));
    println!(
        "idempotency with MemoryStore, {RECORDS}-record SQS batches, a handler that does nothing; ns per record \
         (median of {BLOCKS} interleaved blocks, each the fastest of {RUNS_PER_BLOCK} runs)"
    );
    println!("{:<36} {:>9} {:>11} {:>8}", "", "ns/record", "over none", "ratio");
    println!("{:<36} {plain:>9.0} {:>11} {:>7.2}x", "no idempotency", "-", 1.0);
    for (name, ns) in
        [("first delivery (claim + complete)", fresh), ("redelivery (every record replayed)", replayed)]
    {
        println!("{name:<36} {ns:>9.0} {:>9.0}ns {:>7.2}x", ns - plain, ns / plain);
    }
}

/// Counts the HTTP requests a client sends.
#[derive(Debug, Clone, Default)]
struct RoundTrips(Arc<AtomicUsize>);

impl RoundTrips {
    fn take(&self) -> usize {
        self.0.swap(0, Ordering::SeqCst)
    }
}

impl Intercept for RoundTrips {
    fn name(&self) -> &'static str {
        "RoundTrips"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// A new table (a name no other run uses) on `endpoint`, and a store in it
/// whose client counts its requests.
async fn table(endpoint: &str, round_trips: &RoundTrips) -> DynamoDbStore {
    let config = Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "lambda-batch-bench"))
        .endpoint_url(endpoint)
        .http_client(DynamoDbStore::http_client())
        .interceptor(round_trips.clone())
        .build();
    let client = Client::from_conf(config);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().subsec_nanos();
    let name = format!("bench-idempotency-{}-{nanos}", std::process::id());
    let key =
        AttributeDefinition::builder().attribute_name("id").attribute_type(ScalarAttributeType::S).build();
    let schema = KeySchemaElement::builder().attribute_name("id").key_type(KeyType::Hash).build();
    client
        .create_table()
        .table_name(&name)
        .attribute_definitions(key.expect("an attribute definition"))
        .key_schema(schema.expect("a key schema"))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap_or_else(|error| panic!("cannot create table {name} at {endpoint}: {error:?}"));
    DynamoDbStore::new(client, name)
}

async fn dynamodb_round_trips(endpoint: &str) {
    let round_trips = RoundTrips::default();
    let store = table(endpoint, &round_trips).await;
    println!(
        "DynamoDbStore: HTTP requests per SQS batch (an SDK interceptor counts each, retries included), against \
         {endpoint}"
    );
    println!(
        "{:>8} {:>15} {:>11} {:>27}",
        "records", "first delivery", "redelivery", "one claim + one completion"
    );
    for (run, count) in [10, 100, 250].into_iter().enumerate() {
        let event = event(count, run + 1);
        let handler = idempotent(store.clone());
        round_trips.take();
        assert_eq!(process(&handler, &event).await.succeeded, count);
        let first = round_trips.take();
        assert_eq!(process(&handler, &event).await.replayed, count);
        let again = round_trips.take();
        println!("{count:>8} {first:>15} {again:>11} {:>27}", 2 * count);
    }
}

fn main() {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
    memory_overhead(&runtime);
    match std::env::var(ENDPOINT_VARIABLE) {
        Ok(endpoint) if !endpoint.is_empty() => runtime.block_on(dynamodb_round_trips(&endpoint)),
        _ => println!(
            "SKIPPED: DynamoDbStore round trips need a DynamoDB API: set {ENDPOINT_VARIABLE} (e.g. \
             http://127.0.0.1:5000 for moto_server), or run .ci/idempotency_store.sh, which starts moto's server and runs this"
        ),
    }
}
