//! `DynamoDbStore` against a real DynamoDB API: moto's server, started by
//! `.ci/idempotency_store.sh`, which exports its address as
//! `LAMBDA_BATCH_DYNAMODB_ENDPOINT`. Without it every test here says
//! SKIPPED and passes.
//!
//! Each test makes its own table, runs SQS batches through the real engine
//! (`Idempotent` around a handler, `Sqs::process`) or calls the store
//! directly, and reads the table back. A client interceptor counts the HTTP
//! requests the store sends, so the round trips per batch are asserted, not
//! assumed.

use std::collections::HashSet;
use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_batch::idempotency::aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use lambda_batch::idempotency::aws_sdk_dynamodb::config::{
    BehaviorVersion, ConfigBag, Credentials, Intercept, Region, RuntimeComponents,
};
use lambda_batch::idempotency::aws_sdk_dynamodb::error::BoxError;
use lambda_batch::idempotency::aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use lambda_batch::idempotency::aws_sdk_dynamodb::{Client, Config};
use lambda_batch::idempotency::{
    Claim, ClaimAnswer, Completion, DynamoDbStore, Idempotency, Idempotent, IdempotentLayer, Key, Release,
    Store, StoreErrorKind, Stored, StoredState, hash_hex,
};
use lambda_batch::sqs::{Sqs, SqsConfig, SqsRecord};
use lambda_batch::{BatchEvent, BatchPipeline, Context, LambdaEvent, RecordStatus, handler_fn};
use lambda_runtime::service_fn;
use lambda_runtime::tower::{Layer, ServiceExt};
use serde_json::{Value, json};

use crate::common::capture_logs;

const ENDPOINT_VARIABLE: &str = "LAMBDA_BATCH_DYNAMODB_ENDPOINT";
/// The key prefix of every test (instead of the function's name).
const PREFIX: &str = "tests";

/// The endpoint, or `None` after saying loudly that the test is skipped
/// (straight to stderr: the test harness would swallow `eprintln!` of a
/// passing test).
fn endpoint(test: &str) -> Option<String> {
    match std::env::var(ENDPOINT_VARIABLE) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: {test} needs a DynamoDB API; set {ENDPOINT_VARIABLE} (e.g. http://127.0.0.1:5000 for \
                 moto_server) or run .ci/idempotency_store.sh, which starts moto's server and runs these tests"
            );
            None
        }
    }
}

/// Counts the HTTP requests a client sends: every attempt, the SDK's own
/// retries included.
#[derive(Debug, Clone, Default)]
struct RoundTrips(Arc<AtomicUsize>);

impl RoundTrips {
    /// The requests since the last call.
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

/// A fresh table, a store in it, and its request counter (at 0).
struct Table {
    store: DynamoDbStore,
    client: Client,
    round_trips: RoundTrips,
}

/// A table name no other test or run uses.
fn unique(prefix: &str) -> String {
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{prefix}-{}-{nanos}-{}", std::process::id(), COUNT.fetch_add(1, Ordering::Relaxed))
}

async fn table(endpoint: &str) -> Table {
    let round_trips = RoundTrips::default();
    let config = Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "lambda-batch-tests"))
        .endpoint_url(endpoint)
        .http_client(DynamoDbStore::http_client())
        .interceptor(round_trips.clone())
        .build();
    let client = Client::from_conf(config);
    let name = unique("idempotency");
    client
        .create_table()
        .table_name(&name)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(KeySchemaElement::builder().attribute_name("id").key_type(KeyType::Hash).build().unwrap())
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    round_trips.take();
    Table { store: DynamoDbStore::new(client.clone(), name), client, round_trips }
}

/// An SQS batch of `(message id, body)`.
fn event<'a>(messages: impl IntoIterator<Item = (&'a str, &'a str)>) -> BatchEvent {
    lambda_batch_testkit::sqs::event(
        messages.into_iter().map(|(id, body)| lambda_batch_testkit::sqs::message(id, body)),
    )
}

/// `count` messages `m0`, `m1`, ... with body `order <n>`.
fn numbered(count: usize) -> (Vec<String>, BatchEvent) {
    let ids: Vec<String> = (0..count).map(|n| format!("m{n}")).collect();
    let bodies: Vec<String> = (0..count).map(|n| format!("order {n}")).collect();
    let event = event(ids.iter().map(String::as_str).zip(bodies.iter().map(String::as_str)));
    (ids, event)
}

/// Runs `event` through the engine with idempotency in `store`; the
/// handler fails the messages in `fail`. Returns each record's status and
/// how many records the handler ran.
async fn run(store: &DynamoDbStore, event: &BatchEvent, fail: &[&str]) -> (Vec<RecordStatus>, usize) {
    let ran = AtomicUsize::new(0);
    let fail: HashSet<&str> = fail.iter().copied().collect();
    let handler = handler_fn(|record: &SqsRecord<'_>, _cx: &Context| {
        ran.fetch_add(1, Ordering::SeqCst);
        if fail.contains(record.message_id()) { Err("scripted failure") } else { Ok(()) }
    });
    let guarded = Idempotent::new(handler, Idempotency::new(store.clone()).with_prefix(PREFIX));
    let cx = lambda_batch_testkit::context();
    let report = Sqs::process(&guarded, &SqsConfig::new(), event, &cx).await.unwrap();
    let statuses = report.records().iter().map(|record| record.status().clone()).collect();
    (statuses, ran.load(Ordering::SeqCst))
}

fn key(message_id: &str) -> Key {
    Key::new(PREFIX, message_id)
}

fn now_ms() -> u64 {
    u64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis()).unwrap()
}

/// What the table holds for `message_id`.
async fn stored(store: &DynamoDbStore, message_id: &str) -> Option<Stored> {
    let key = key(message_id);
    store.read(&[&key]).await.unwrap().pop().unwrap()
}

fn is_completed(stored: &Option<Stored>) -> bool {
    matches!(stored, Some(Stored { state: StoredState::Completed { .. }, .. }))
}

/// Claims `message_id` (body `body`) as another invocation would, with
/// `token`, live from `from_ms` to `until_ms`.
async fn claim_elsewhere(
    store: &DynamoDbStore,
    message_id: &str,
    body: &str,
    token: &str,
    from_ms: u64,
    until_ms: u64,
) -> ClaimAnswer {
    let key = key(message_id);
    let payload_hash = hash_hex(body.as_bytes());
    let claim =
        Claim { key: &key, payload_hash: &payload_hash, token, now_ms: from_ms, expires_at_ms: until_ms };
    store.claim(&[claim]).await.unwrap().pop().unwrap()
}

fn failure(status: &RecordStatus) -> &str {
    match status {
        RecordStatus::Failed(error) => error.message(),
        other => panic!("expected a failed record, got {other:?}"),
    }
}

#[tokio::test]
async fn a_batch_is_claimed_and_settled_in_two_round_trips_and_replayed_after() {
    let Some(endpoint) = endpoint("a_batch_is_claimed_and_settled_in_two_round_trips_and_replayed_after")
    else {
        return;
    };
    let table = table(&endpoint).await;
    let (ids, event) = numbered(10);

    let (statuses, ran) = run(&table.store, &event, &[]).await;
    assert_eq!(statuses, vec![RecordStatus::Succeeded; 10]);
    assert_eq!(ran, 10);
    assert_eq!(table.round_trips.take(), 2, "one TransactWriteItems to claim, one to settle");
    for id in &ids {
        assert!(is_completed(&stored(&table.store, id).await), "{id} is completed");
    }
    table.round_trips.take();

    let (statuses, ran) = run(&table.store, &event, &[]).await;
    assert_eq!(statuses, vec![RecordStatus::Replayed; 10], "the redelivered batch is replayed");
    assert_eq!(ran, 0);
    assert_eq!(table.round_trips.take(), 1, "one claim (cancelled, items returned); nothing to settle");
}

#[tokio::test]
async fn a_key_in_progress_elsewhere_fails_its_record_and_not_the_others() {
    let Some(endpoint) = endpoint("a_key_in_progress_elsewhere_fails_its_record_and_not_the_others") else {
        return;
    };
    let table = table(&endpoint).await;
    let (_, event) = numbered(5);
    let now = now_ms();
    let elsewhere = claim_elsewhere(&table.store, "m2", "order 2", "other/1/0", now, now + 60_000).await;
    assert_eq!(elsewhere, ClaimAnswer::Claimed);
    table.round_trips.take();

    let (statuses, ran) = run(&table.store, &event, &[]).await;
    assert_eq!(ran, 4, "every record but the one in flight ran");
    assert!(
        failure(&statuses[2]).contains("another invocation is handling the same key"),
        "{:?}",
        statuses[2]
    );
    assert!(statuses.iter().enumerate().all(|(n, status)| n == 2 || *status == RecordStatus::Succeeded));
    assert_eq!(table.round_trips.take(), 3, "a cancelled claim, its retry without m2, the settling");
    let m2 = stored(&table.store, "m2").await.unwrap();
    assert_eq!(m2.state, StoredState::InProgress { token: "other/1/0".to_owned() }, "the other claim stands");
}

#[tokio::test]
async fn the_same_key_with_another_payload_is_refused_not_replayed() {
    let Some(endpoint) = endpoint("the_same_key_with_another_payload_is_refused_not_replayed") else {
        return;
    };
    let table = table(&endpoint).await;
    let (statuses, _) = run(&table.store, &event([("m1", "pay 10 EUR")]), &[]).await;
    assert_eq!(statuses, vec![RecordStatus::Succeeded]);

    let (statuses, ran) = run(&table.store, &event([("m1", "pay 99 EUR")]), &[]).await;
    assert_eq!(ran, 0);
    assert!(failure(&statuses[0]).contains("was already used for a different payload"), "{statuses:?}");
}

#[tokio::test]
async fn a_failed_record_releases_its_claim_so_its_retry_runs() {
    let Some(endpoint) = endpoint("a_failed_record_releases_its_claim_so_its_retry_runs") else { return };
    let table = table(&endpoint).await;
    let event = event([("m1", "order 1"), ("m2", "order 2")]);

    let (statuses, _) = run(&table.store, &event, &["m2"]).await;
    assert_eq!(statuses[0], RecordStatus::Succeeded);
    assert!(failure(&statuses[1]).contains("scripted failure"));
    assert_eq!(table.round_trips.take(), 2, "the completion and the release share one transaction");
    assert_eq!(stored(&table.store, "m2").await, None, "released: no item left");

    let (statuses, ran) = run(&table.store, &event, &[]).await;
    assert_eq!(statuses, vec![RecordStatus::Replayed, RecordStatus::Succeeded]);
    assert_eq!(ran, 1, "only the released record ran again");
}

#[tokio::test]
async fn an_expired_claim_is_taken_over() {
    let Some(endpoint) = endpoint("an_expired_claim_is_taken_over") else { return };
    let table = table(&endpoint).await;
    let now = now_ms();
    // An invocation that died a minute ago: its claim expired, and TTL has
    // not deleted it (it never does on moto, and late on DynamoDB).
    let dead = claim_elsewhere(&table.store, "m1", "order 1", "dead/1/0", now - 120_000, now - 60_000).await;
    assert_eq!(dead, ClaimAnswer::Claimed);

    let (statuses, ran) = run(&table.store, &event([("m1", "order 1")]), &[]).await;
    assert_eq!((statuses, ran), (vec![RecordStatus::Succeeded], 1));
    assert!(is_completed(&stored(&table.store, "m1").await));
}

#[tokio::test]
async fn a_batch_of_250_records_is_claimed_100_keys_per_transaction() {
    let Some(endpoint) = endpoint("a_batch_of_250_records_is_claimed_100_keys_per_transaction") else {
        return;
    };
    let table = table(&endpoint).await;
    let (ids, event) = numbered(250);

    let (statuses, ran) = run(&table.store, &event, &[]).await;
    assert_eq!((statuses.iter().filter(|s| **s == RecordStatus::Succeeded).count(), ran), (250, 250));
    assert_eq!(table.round_trips.take(), 6, "3 claim transactions (100 + 100 + 50) and 3 settling ones");
    let keys: Vec<Key> = ids.iter().map(|id| key(id)).collect();
    let refs: Vec<&Key> = keys.iter().collect();
    let read = table.store.read(&refs).await.unwrap();
    assert!(read.iter().all(is_completed), "every key completed");
    assert_eq!(table.round_trips.take(), 3, "a read of 250 keys is 3 BatchGetItem calls");

    let (statuses, ran) = run(&table.store, &event, &[]).await;
    assert_eq!((statuses.iter().filter(|s| **s == RecordStatus::Replayed).count(), ran), (250, 0));
}

#[tokio::test]
async fn a_result_whose_claim_was_taken_over_is_dropped() {
    let Some(endpoint) = endpoint("a_result_whose_claim_was_taken_over_is_dropped") else { return };
    let table = table(&endpoint).await;
    let now = now_ms();
    let late = claim_elsewhere(&table.store, "m1", "order 1", "late/1/0", now - 120_000, now - 60_000).await;
    let taker = claim_elsewhere(&table.store, "m1", "order 1", "taker/1/0", now, now + 60_000).await;
    assert_eq!(
        (late, taker),
        (ClaimAnswer::Claimed, ClaimAnswer::Claimed),
        "the expired claim was taken over"
    );
    table.round_trips.take();

    let key = key("m1");
    let hash = hash_hex(b"order 1");
    let completion = |token| Completion {
        key: &key,
        token,
        payload_hash: &hash,
        response: None,
        expires_at_ms: now + 3_600_000,
    };
    let (logs, _guard) = capture_logs();
    table.store.complete(&[completion("late/1/0")]).await.unwrap();
    assert!(
        logs.text().contains("another invocation took the key before this result was written"),
        "{}",
        logs.text()
    );
    assert_eq!(table.round_trips.take(), 1, "cancelled, and nothing left to retry");
    table.store.release(&[Release { key: &key, token: "late/1/0" }]).await.unwrap();
    let held = stored(&table.store, "m1").await.unwrap();
    assert_eq!(
        held.state,
        StoredState::InProgress { token: "taker/1/0".to_owned() },
        "the taker's claim stands"
    );

    table.store.complete(&[completion("taker/1/0")]).await.unwrap();
    assert!(is_completed(&stored(&table.store, "m1").await));
}

#[tokio::test]
async fn a_response_over_400_kb_is_refused_naming_the_key() {
    let Some(endpoint) = endpoint("a_response_over_400_kb_is_refused_naming_the_key") else { return };
    let table = table(&endpoint).await;
    let now = now_ms();
    claim_elsewhere(&table.store, "r1", "{}", "big/1/0", now, now + 60_000).await;
    let key = key("r1");
    let hash = hash_hex(b"{}");
    let response = "x".repeat(500 * 1024);
    let completion = Completion {
        key: &key,
        token: "big/1/0",
        payload_hash: &hash,
        response: Some(&response),
        expires_at_ms: now,
    };
    let error = table.store.complete(&[completion]).await.unwrap_err();
    assert!(error.message().contains(key.as_str()) && error.message().contains("400 KB"), "{error}");
    let held = stored(&table.store, "r1").await.unwrap();
    assert_eq!(
        held.state,
        StoredState::InProgress { token: "big/1/0".to_owned() },
        "nothing cut short was stored"
    );
}

#[tokio::test]
async fn an_item_the_store_did_not_write_is_corrupt_naming_its_key() {
    let Some(endpoint) = endpoint("an_item_the_store_did_not_write_is_corrupt_naming_its_key") else {
        return;
    };
    let table = table(&endpoint).await;
    let key = key("m1");
    table
        .client
        .put_item()
        .table_name(table.store.table())
        .item("id", AttributeValue::S(key.as_str().to_owned()))
        .item("status", AttributeValue::S("DONE".to_owned()))
        .send()
        .await
        .unwrap();
    let error = table.store.read(&[&key]).await.unwrap_err();
    assert_eq!(error.kind(), StoreErrorKind::Corrupt);
    assert!(error.message().contains(key.as_str()), "{error}");

    let now = now_ms();
    match claim_elsewhere(&table.store, "m1", "order 1", "t/1/0", now, now + 60_000).await {
        ClaimAnswer::Failed(error) => {
            assert_eq!(error.kind(), StoreErrorKind::Corrupt);
            assert!(error.message().contains(key.as_str()), "{error}");
        }
        other => panic!("expected a corrupt item, got {other:?}"),
    }
}

#[tokio::test]
async fn a_missing_table_is_unreachable_and_keeps_the_sdk_error() {
    let Some(endpoint) = endpoint("a_missing_table_is_unreachable_and_keeps_the_sdk_error") else { return };
    let table = table(&endpoint).await;
    let missing = DynamoDbStore::new(table.client.clone(), "no-such-table");
    let now = now_ms();
    let key = key("m1");
    let claim =
        Claim { key: &key, payload_hash: "h", token: "t/1/0", now_ms: now, expires_at_ms: now + 1_000 };
    let error = missing.claim(&[claim]).await.unwrap_err();
    assert_eq!(error.kind(), StoreErrorKind::Unreachable);
    assert!(error.message().contains("create the table"), "{error}");
    assert!(std::error::Error::source(&error).is_some(), "the SDK's error is kept");
}

#[tokio::test]
async fn the_asynchronous_layer_replays_the_stored_response() {
    let Some(endpoint) = endpoint("the_asynchronous_layer_replays_the_stored_response") else { return };
    let table = table(&endpoint).await;
    let charged = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&charged);
    let charge = service_fn(move |event: LambdaEvent<Value>| {
        let counter = Arc::clone(&counter);
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            Ok::<_, lambda_runtime::Error>(json!({ "charged": event.payload["amount"] }))
        }
    });
    let service =
        IdempotentLayer::new(Idempotency::new(table.store.clone()).with_prefix(PREFIX)).layer(charge);
    let cx = lambda_batch_testkit::context_with_budget(Duration::from_secs(30));

    let first = service.clone().oneshot(LambdaEvent::new(json!({ "amount": 5 }), cx.clone())).await.unwrap();
    assert_eq!(first, json!({ "charged": 5 }));
    assert_eq!(table.round_trips.take(), 2, "one claim, one completion");
    let again = service.oneshot(LambdaEvent::new(json!({ "amount": 5 }), cx.clone())).await.unwrap();
    assert_eq!(again, first, "Lambda's retry of the same request answers the stored response");
    assert_eq!(charged.load(Ordering::SeqCst), 1, "the handler ran once");
    assert_eq!(table.round_trips.take(), 1);

    let stored = stored(&table.store, &cx.request_id).await.unwrap();
    assert_eq!(stored.state, StoredState::Completed { response: Some(r#"{"charged":5}"#.to_owned()) });
}
