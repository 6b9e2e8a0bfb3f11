//! Idempotency on every path in: the macro option, a stream replaying
//! from its checkpoint, and FIFO's deduplication id as the key.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use lambda_batch::idempotency::{Idempotency, Idempotent, MemoryStore};
use lambda_batch::sqs::SqsConfig;
use lambda_batch::{BatchPipeline, Context, RecordErrorKind, RecordStatus};
use lambda_batch_testkit::sqs::{event, fifo_message, message};

use crate::common::cx;
use crate::idempotency::{Effects, kind, message_of, statuses};

static CHARGED: AtomicUsize = AtomicUsize::new(0);

fn charge_idempotency() -> &'static Idempotency<MemoryStore> {
    static SETTINGS: std::sync::LazyLock<Idempotency<MemoryStore>> =
        std::sync::LazyLock::new(|| Idempotency::new(MemoryStore::new()));
    &SETTINGS
}

#[lambda_batch::batch_handler(sqs, idempotency = charge_idempotency)]
async fn charge(body: &str) -> Result<(), String> {
    if body == "fail" {
        return Err("card declined".to_owned());
    }
    CHARGED.fetch_add(1, Ordering::SeqCst);
    Ok(())
}

#[tokio::test]
async fn the_macro_option_makes_the_generated_handler_idempotent() {
    let invocation = || {
        let batch = event([message("c1", "ok"), message("c2", "fail")]);
        lambda_batch::LambdaEvent::new(batch, cx())
    };
    let first = charge(invocation()).await.unwrap();
    let second = charge(invocation()).await.unwrap();
    let failures = |response: &lambda_batch::BatchResponse| {
        response.failures().map(|id| id.as_str().to_owned()).collect::<Vec<_>>()
    };
    assert_eq!(failures(&first), ["c2"]);
    assert_eq!(failures(&second), ["c2"], "the failed record runs (and fails) again");
    assert_eq!(CHARGED.load(Ordering::SeqCst), 1, "the charged record is replayed, not charged twice");
}

#[tokio::test]
async fn a_stream_replays_from_its_checkpoint_without_running_records_twice() {
    use lambda_batch::kinesis::{Kinesis, KinesisRecord};
    use lambda_batch::stream::StreamConfig;
    use lambda_batch_testkit::kinesis::{event as stream_event, record, sequence_number};
    let runs = Mutex::new(Vec::new());
    let handler = Idempotent::new(
        lambda_batch::handler_fn(|record: &KinesisRecord<'_>, _cx: &Context| {
            runs.lock().unwrap().push(record.sequence_number().to_owned());
            if record.data() == Ok(b"fail".as_slice()) { Err("scripted") } else { Ok(()) }
        }),
        Idempotency::new(MemoryStore::new()),
    );
    let batch = |third: &[u8]| {
        stream_event([
            record(&sequence_number(1), "k", b"a"),
            record(&sequence_number(2), "k", b"b"),
            record(&sequence_number(3), "k", third),
        ])
    };
    let failing = batch(b"fail");
    let first = Kinesis::process(&handler, &StreamConfig::new(), &failing, &cx()).await.unwrap();
    assert_eq!(first.counts().succeeded, 2);
    // Lambda retries from the failed record on; here the whole batch comes
    // back (as after a failed invocation): the first two are replayed.
    let again = Kinesis::process(&handler, &StreamConfig::new(), &failing, &cx()).await.unwrap();
    assert_eq!(again.counts().replayed, 2);
    assert_eq!(runs.lock().unwrap().len(), 4, "records 1 and 2 ran once, record 3 twice");
}

#[tokio::test]
async fn a_fifo_message_can_be_keyed_on_its_deduplication_id() {
    use lambda_batch::idempotency::DeduplicationIdKey;
    let with_dedup = |id: &str, dedup: &str| {
        let mut record = fifo_message(id, "g", "a");
        record["attributes"]["MessageDeduplicationId"] = serde_json::json!(dedup);
        record
    };
    let handler = Idempotent::new(
        Effects::default(),
        Idempotency::new(MemoryStore::new()).with_key(DeduplicationIdKey),
    );
    // The sender sent the same order twice: two message ids, one deduplication id.
    let batch = event([with_dedup("m1", "order-7"), with_dedup("m2", "order-7")]);
    let result = statuses(&handler, &batch, SqsConfig::new()).await;
    assert_eq!(result[0], RecordStatus::Succeeded);
    assert_eq!(kind(&result[1]), Some(RecordErrorKind::Idempotency));
    let standard = statuses(&handler, &event([message("m3", "a")]), SqsConfig::new()).await;
    assert!(message_of(&standard[0]).contains("no `MessageDeduplicationId` attribute"), "{standard:?}");
}

#[tokio::test]
async fn kafka_and_dynamodb_records_are_keyed_on_their_own_identity() {
    use lambda_batch::dynamodb::{DynamoDb, DynamoDbRecord};
    use lambda_batch::kafka::{Kafka, KafkaRecord};
    use lambda_batch::stream::StreamConfig;
    let runs = AtomicUsize::new(0);
    let count = || {
        runs.fetch_add(1, Ordering::SeqCst);
        Ok::<(), String>(())
    };
    let kafka = Idempotent::new(
        lambda_batch::handler_fn(|_: &KafkaRecord<'_>, _cx: &Context| count()),
        Idempotency::new(MemoryStore::new()),
    );
    // The same offset twice is one record; another offset is another.
    let clicks = lambda_batch_testkit::kafka::event([
        lambda_batch_testkit::kafka::record("clicks", 0, 7, None, Some(b"a")),
        lambda_batch_testkit::kafka::record("clicks", 0, 8, None, Some(b"a")),
    ]);
    Kafka::process(&kafka, &StreamConfig::new(), &clicks, &cx()).await.unwrap();
    let again = Kafka::process(&kafka, &StreamConfig::new(), &clicks, &cx()).await.unwrap();
    assert_eq!(again.counts().replayed, 2);
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    let dynamodb = Idempotent::new(
        lambda_batch::handler_fn(|_: &DynamoDbRecord<'_>, _cx: &Context| count()),
        Idempotency::new(MemoryStore::new()),
    );
    let changes = lambda_batch_testkit::dynamodb::event([lambda_batch_testkit::dynamodb::record(
        "100",
        "INSERT",
        serde_json::json!({"id": {"S": "o-1"}}),
        Some(serde_json::json!({"id": {"S": "o-1"}})),
        None,
    )]);
    DynamoDb::process(&dynamodb, &StreamConfig::new(), &changes, &cx()).await.unwrap();
    let again = DynamoDb::process(&dynamodb, &StreamConfig::new(), &changes, &cx()).await.unwrap();
    assert_eq!(again.records()[0].status(), &RecordStatus::Replayed);
    assert_eq!(runs.load(Ordering::SeqCst), 3);
}

#[tokio::test(start_paused = true)]
async fn records_running_concurrently_keep_their_claims_apart() {
    use lambda_batch::Limits;
    let handler = Idempotent::new(Effects::default(), Idempotency::new(MemoryStore::new()));
    let concurrent = SqsConfig::new().with_limits(Limits::new().with_concurrency(4));
    let batch = event([
        message("m1", "slow"),
        message("m2", "slow"),
        message("m1", "slow"),
        message("m3", "fail"),
        message("m4", "slow"),
    ]);
    let first = statuses(&handler, &batch, concurrent).await;
    assert_eq!(first[0], RecordStatus::Succeeded);
    assert_eq!(
        kind(&first[2]),
        Some(RecordErrorKind::Idempotency),
        "the copy of m1 ran beside it: {first:?}"
    );
    assert!(matches!(first[3], RecordStatus::Failed(_)));
    let again = statuses(&handler, &batch, concurrent).await;
    let replayed = again.iter().filter(|status| **status == RecordStatus::Replayed).count();
    assert_eq!(replayed, 4, "m1 (both copies), m2 and m4 are replayed: {again:?}");
    assert!(
        matches!(again[3], RecordStatus::Failed(_)),
        "m3's claim was released, so it ran (and failed) again"
    );
}

#[tokio::test]
async fn a_poison_record_gives_its_key_back_so_a_copy_sent_again_runs() {
    let runs = AtomicUsize::new(0);
    let handler = Idempotent::new(
        lambda_batch::handler_fn(|record: &lambda_batch::sqs::SqsRecord<'_>, _cx: &Context| {
            runs.fetch_add(1, Ordering::SeqCst);
            if record.body() == Some("bad") {
                lambda_batch::RecordOutcome::poison("cannot be charged")
            } else {
                lambda_batch::RecordOutcome::Success
            }
        }),
        Idempotency::new(MemoryStore::new()),
    );
    let batch = event([message("m1", "bad")]);
    assert!(matches!(statuses(&handler, &batch, SqsConfig::new()).await[0], RecordStatus::Poison { .. }));
    assert!(handler.idempotency().store().is_empty(), "the poison record's claim is released, not completed");
    statuses(&handler, &batch, SqsConfig::new()).await;
    assert_eq!(runs.load(Ordering::SeqCst), 2, "a copy of a poison record runs: its effect never happened");
}
