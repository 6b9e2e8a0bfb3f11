//! Idempotency for records: each promise of `lambda_batch::idempotency`,
//! checked through the real engine with the in-memory store (time is
//! tokio's paused clock, so expiries are tested without waiting).

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use lambda_batch::idempotency::{
    Claim, ClaimAnswer, Completion, Idempotency, Idempotent, Key, MemoryStore, Release, Store, StoreError,
    StoreErrorKind, Stored, key_fn, key_from,
};
use lambda_batch::sqs::{Sqs, SqsConfig, SqsRecord};
use lambda_batch::{
    BatchEvent, BatchPipeline, Context, Json, RecordErrorKind, RecordHandler, RecordOutcome, RecordStatus,
};
use lambda_batch_testkit::sqs::{event, fifo_message, message};

use crate::common::cx;

/// Counts each message's effect; `fail` bodies fail, `slow` bodies take
/// a second of (paused) time.
#[derive(Default)]
pub(crate) struct Effects {
    done: Mutex<Vec<String>>,
}

impl Effects {
    fn done(&self) -> Vec<String> {
        self.done.lock().unwrap().clone()
    }
}

impl RecordHandler<Sqs> for Effects {
    async fn handle(&self, record: &SqsRecord<'_>, _cx: &Context) -> RecordOutcome {
        let body = record.body().unwrap_or_default();
        if body.starts_with("slow") {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        if body.starts_with("fail") {
            return RecordOutcome::failure("scripted failure");
        }
        self.done.lock().unwrap().push(record.message_id().to_owned());
        RecordOutcome::Success
    }
}

fn idempotent(store: MemoryStore) -> Idempotent<Effects, Idempotency<MemoryStore>> {
    Idempotent::new(Effects::default(), Idempotency::new(store))
}

pub(crate) async fn statuses<H: RecordHandler<Sqs>>(
    handler: &H,
    event: &BatchEvent,
    config: SqsConfig,
) -> Vec<RecordStatus> {
    let report = Sqs::process(handler, &config, event, &cx()).await.unwrap();
    report.records().iter().map(|record| record.status().clone()).collect()
}

pub(crate) fn kind(status: &RecordStatus) -> Option<RecordErrorKind> {
    match status {
        RecordStatus::Failed(error) => Some(error.kind()),
        _ => None,
    }
}

pub(crate) fn message_of(status: &RecordStatus) -> String {
    match status {
        RecordStatus::Failed(error) => error.to_string(),
        other => format!("{other:?}"),
    }
}

#[tokio::test]
async fn a_completed_record_is_replayed_not_run_again() {
    let handler = idempotent(MemoryStore::new());
    let batch = event([message("m1", "a"), message("m2", "b")]);
    let first = statuses(&handler, &batch, SqsConfig::new()).await;
    assert_eq!(first, [RecordStatus::Succeeded, RecordStatus::Succeeded]);
    // The whole batch again (a redelivery): nothing runs twice.
    let again = statuses(&handler, &batch, SqsConfig::new()).await;
    assert_eq!(again, [RecordStatus::Replayed, RecordStatus::Replayed]);
    assert_eq!(handler.handler().done(), ["m1", "m2"]);
    let report = Sqs::process(&handler, &SqsConfig::new(), &batch, &cx()).await.unwrap();
    assert_eq!(report.counts().replayed, 2);
    assert!(report.response().failures().next().is_none(), "replayed records are acknowledged");
}

#[tokio::test]
async fn a_failed_record_releases_its_claim_so_the_retry_runs() {
    let store = MemoryStore::new();
    let handler = idempotent(store);
    let failing = event([message("m1", "fail")]);
    assert_eq!(
        kind(&statuses(&handler, &failing, SqsConfig::new()).await[0]),
        Some(RecordErrorKind::Handler)
    );
    assert!(handler.idempotency().store().is_empty(), "the failed record's claim is released");
    // The retry runs the handler again (it fails again: the handler ran).
    let same_body_retry = statuses(&handler, &failing, SqsConfig::new()).await;
    assert_eq!(kind(&same_body_retry[0]), Some(RecordErrorKind::Handler), "the retry ran the handler again");
}

#[tokio::test]
async fn the_same_message_twice_in_one_batch_runs_once() {
    let handler = idempotent(MemoryStore::new());
    let batch = event([message("m1", "a"), message("m2", "b"), message("m1", "a")]);
    let first = statuses(&handler, &batch, SqsConfig::new()).await;
    assert_eq!(first[0], RecordStatus::Succeeded);
    assert_eq!(kind(&first[2]), Some(RecordErrorKind::Idempotency));
    assert!(
        message_of(&first[2]).contains("record 0 of this batch has the same idempotency key"),
        "{first:?}"
    );
    assert_eq!(handler.handler().done(), ["m1", "m2"]);
    // Its retry is replayed.
    let retry = statuses(&handler, &event([message("m1", "a")]), SqsConfig::new()).await;
    assert_eq!(retry, [RecordStatus::Replayed]);
    // The whole batch again: both copies of a completed key are replayed.
    let again = statuses(&handler, &batch, SqsConfig::new()).await;
    assert_eq!(again, [RecordStatus::Replayed, RecordStatus::Replayed, RecordStatus::Replayed]);
}

#[tokio::test(start_paused = true)]
async fn a_duplicate_in_flight_in_another_invocation_fails_and_is_retried_later() {
    let handler = idempotent(MemoryStore::new());
    let batch = event([message("m1", "slow")]);
    let (first, second) = tokio::join!(statuses(&handler, &batch, SqsConfig::new()), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        statuses(&handler, &batch, SqsConfig::new()).await
    });
    assert_eq!(first, [RecordStatus::Succeeded]);
    assert_eq!(kind(&second[0]), Some(RecordErrorKind::Idempotency));
    assert!(message_of(&second[0]).contains("another invocation is handling the same key"), "{second:?}");
    assert_eq!(handler.handler().done(), ["m1"], "never run twice");
    assert_eq!(statuses(&handler, &batch, SqsConfig::new()).await, [RecordStatus::Replayed]);
}

#[tokio::test]
async fn the_same_key_with_a_different_payload_is_an_error_naming_the_key() {
    #[derive(serde::Deserialize)]
    struct Order {
        id: u64,
    }
    let settings = Idempotency::new(MemoryStore::new())
        .with_key(key_from(|Json(order): Json<Order>| order.id.to_string()));
    let handler = Idempotent::new(Effects::default(), settings);
    let first =
        statuses(&handler, &event([message("m1", r#"{"id":7,"amount":10}"#)]), SqsConfig::new()).await;
    assert_eq!(first, [RecordStatus::Succeeded]);
    // The same order, another message: replayed.
    let same = statuses(&handler, &event([message("m2", r#"{"id":7,"amount":10}"#)]), SqsConfig::new()).await;
    assert_eq!(same, [RecordStatus::Replayed]);
    // The same order id, a different body: refused, with the key named.
    let changed =
        statuses(&handler, &event([message("m3", r#"{"id":7,"amount":99}"#)]), SqsConfig::new()).await;
    assert_eq!(kind(&changed[0]), Some(RecordErrorKind::Idempotency));
    let text = message_of(&changed[0]);
    assert!(text.contains("was already used for a different payload") && text.contains("#"), "{text}");
    assert_eq!(handler.handler().done(), ["m1"]);
}

#[tokio::test]
async fn a_key_function_that_yields_nothing_fails_the_record_with_a_clear_error() {
    let empty =
        Idempotency::new(MemoryStore::new()).with_key(key_fn(|_: &SqsRecord<'_>| Ok::<_, String>("")));
    let handler = Idempotent::new(Effects::default(), empty);
    let result = statuses(&handler, &event([message("m1", "a")]), SqsConfig::new()).await;
    assert!(message_of(&result[0]).contains("no idempotency key (the key is empty)"), "{result:?}");
    let missing = Idempotency::new(MemoryStore::new())
        .with_key(key_fn(|_: &SqsRecord<'_>| Err::<String, _>("no order id in the body")));
    let handler = Idempotent::new(Effects::default(), missing);
    let result = statuses(&handler, &event([message("m1", "a")]), SqsConfig::new()).await;
    assert!(message_of(&result[0]).contains("no order id in the body"), "{result:?}");
    assert!(handler.handler().done().is_empty(), "a record never runs without its claim");
}

#[tokio::test(start_paused = true)]
async fn an_abandoned_claim_expires_at_the_invocation_deadline_by_default() {
    let handler = idempotent(MemoryStore::new());
    let batch = event([message("m1", "slow")]);
    let mut context = cx();
    let now_ms = u64::try_from(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis(),
    )
    .unwrap();
    context.deadline = now_ms + 3_000;
    // The invocation dies mid-record (dropped, as at a function timeout).
    let config = SqsConfig::new();
    let killed =
        tokio::time::timeout(Duration::from_millis(500), Sqs::process(&handler, &config, &batch, &context));
    assert!(killed.await.is_err());
    assert_eq!(handler.idempotency().store().len(), 1, "the claim is left behind");
    // Before the deadline its retry is refused; after it, the retry runs.
    let early = statuses(&handler, &event([message("m1", "slow")]), SqsConfig::new()).await;
    assert_eq!(kind(&early[0]), Some(RecordErrorKind::Idempotency), "{early:?}");
    // Just before the deadline (after the cut-off): still refused.
    tokio::time::sleep(Duration::from_millis(2_400)).await;
    let before_deadline = statuses(&handler, &event([message("m1", "slow")]), SqsConfig::new()).await;
    assert_eq!(kind(&before_deadline[0]), Some(RecordErrorKind::Idempotency), "{before_deadline:?}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let late = statuses(&handler, &batch, SqsConfig::new()).await;
    assert_eq!(late, [RecordStatus::Succeeded]);
}

#[tokio::test(start_paused = true)]
async fn an_in_progress_expiry_can_be_set() {
    let settings = Idempotency::new(MemoryStore::new()).with_in_progress_expiry(Duration::from_secs(60));
    let handler = Idempotent::new(Effects::default(), settings);
    let batch = event([message("m1", "slow")]);
    let killed =
        tokio::time::timeout(Duration::from_millis(500), statuses(&handler, &batch, SqsConfig::new()));
    assert!(killed.await.is_err());
    tokio::time::sleep(Duration::from_secs(59)).await;
    assert_eq!(
        kind(&statuses(&handler, &batch, SqsConfig::new()).await[0]),
        Some(RecordErrorKind::Idempotency)
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(statuses(&handler, &batch, SqsConfig::new()).await, [RecordStatus::Succeeded]);
}

#[tokio::test(start_paused = true)]
async fn completed_keys_expire_after_the_configured_time() {
    let settings = Idempotency::new(MemoryStore::new()).with_completed_expiry(Duration::from_secs(600));
    let handler = Idempotent::new(Effects::default(), settings);
    let batch = event([message("m1", "a")]);
    assert_eq!(statuses(&handler, &batch, SqsConfig::new()).await, [RecordStatus::Succeeded]);
    tokio::time::sleep(Duration::from_secs(599)).await;
    assert_eq!(statuses(&handler, &batch, SqsConfig::new()).await, [RecordStatus::Replayed]);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(statuses(&handler, &batch, SqsConfig::new()).await, [RecordStatus::Succeeded]);
    assert_eq!(handler.handler().done(), ["m1", "m1"]);
}

#[tokio::test]
async fn fifo_order_holds_a_replay_counts_as_success_an_in_flight_duplicate_stops_its_group() {
    let handler = idempotent(MemoryStore::new());
    let done_before = event([fifo_message("m1", "g", "a")]);
    assert_eq!(statuses(&handler, &done_before, SqsConfig::new()).await, [RecordStatus::Succeeded]);
    // m1 replays and its group goes on; m2 and its duplicate: the copy
    // fails, and stops what follows it in the batch.
    let batch = event([
        fifo_message("m1", "g", "a"),
        fifo_message("m2", "g", "b"),
        fifo_message("m2", "g", "b"),
        fifo_message("m3", "g", "c"),
    ]);
    let result = statuses(&handler, &batch, SqsConfig::new()).await;
    assert_eq!(result[0], RecordStatus::Replayed);
    assert_eq!(result[1], RecordStatus::Succeeded);
    assert_eq!(kind(&result[2]), Some(RecordErrorKind::Idempotency));
    assert_eq!(result[3], RecordStatus::Skipped { cause: 2 });
    assert_eq!(handler.handler().done(), ["m1", "m2"]);
    assert_eq!(handler.idempotency().store().len(), 2, "m3's claim was released when it was skipped");
}

/// A store that fails every call, counting them.
#[derive(Default)]
struct Unreachable {
    calls: AtomicUsize,
}

impl Unreachable {
    fn error() -> StoreError {
        StoreError::new(StoreErrorKind::Unreachable, "connection refused (test)")
    }
}

impl Store for Unreachable {
    async fn claim<'a>(&'a self, _claims: &'a [Claim<'a>]) -> Result<Vec<ClaimAnswer>, StoreError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        Err(Self::error())
    }
    async fn complete<'a>(&'a self, _completions: &'a [Completion<'a>]) -> Result<(), StoreError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        Err(Self::error())
    }
    async fn release<'a>(&'a self, _releases: &'a [Release<'a>]) -> Result<(), StoreError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        Err(Self::error())
    }
    async fn read<'a>(&'a self, _keys: &'a [&'a Key]) -> Result<Vec<Option<Stored>>, StoreError> {
        Err(Self::error())
    }
}

#[tokio::test]
async fn a_store_that_cannot_be_reached_fails_the_records_and_runs_none() {
    let handler = Idempotent::new(Effects::default(), Idempotency::new(Unreachable::default()));
    let result = statuses(&handler, &event([message("m1", "a"), message("m2", "b")]), SqsConfig::new()).await;
    for status in &result {
        assert_eq!(kind(status), Some(RecordErrorKind::Idempotency));
        assert!(message_of(status).contains("could not be reached: connection refused"), "{status:?}");
    }
    assert!(handler.handler().done().is_empty());
    // One claim call, then one release giving back whatever the failed call
    // may have claimed; nothing to settle.
    assert_eq!(handler.idempotency().store().calls.load(Ordering::Relaxed), 2);
}

/// A `MemoryStore` that counts its calls.
#[derive(Default)]
struct Counting {
    inner: MemoryStore,
    calls: AtomicUsize,
}

impl Store for Counting {
    async fn claim<'a>(&'a self, claims: &'a [Claim<'a>]) -> Result<Vec<ClaimAnswer>, StoreError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.inner.claim(claims).await
    }
    async fn complete<'a>(&'a self, completions: &'a [Completion<'a>]) -> Result<(), StoreError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.inner.complete(completions).await
    }
    async fn release<'a>(&'a self, releases: &'a [Release<'a>]) -> Result<(), StoreError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.inner.release(releases).await
    }
    async fn read<'a>(&'a self, keys: &'a [&'a Key]) -> Result<Vec<Option<Stored>>, StoreError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.inner.read(keys).await
    }
}

#[tokio::test]
async fn a_batch_claims_in_one_call_and_a_cache_answers_completed_keys() {
    use lambda_batch::idempotency::CachedStore;
    let handler =
        Idempotent::new(Effects::default(), Idempotency::new(CachedStore::new(Counting::default(), 100)));
    let batch = event((0..10).map(|n| message(&format!("m{n}"), "a")));
    statuses(&handler, &batch, SqsConfig::new()).await;
    let calls = || handler.idempotency().store().store().calls.load(Ordering::Relaxed);
    assert_eq!(calls(), 2, "one claim for the whole batch, one completion");
    let again = statuses(&handler, &batch, SqsConfig::new()).await;
    assert!(again.iter().all(|status| *status == RecordStatus::Replayed));
    assert_eq!(calls(), 2, "the duplicates were answered from the cache");
}
