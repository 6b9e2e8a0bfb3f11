//! One description per source: the engine, the response validator and the
//! testkit read the same identifier and ordering key from the same
//! generated batches, because all of them call the source's own reader
//! (`SourceKind::identify`), and the engine's responses name records by it.

use lambda_batch::validate::BatchView;
use lambda_batch::{BatchEvent, BatchRecord, SourceKind, dynamodb, kafka, kinesis, sqs};
use lambda_batch_testkit::prelude::*;

/// What the engine reads: every record's identifier and ordering key, as
/// the engine's own `read_records` gives them.
fn engine_view(kind: SourceKind, event: &BatchEvent) -> Vec<(String, Option<String>)> {
    fn view<R: BatchRecord>(records: Vec<R>, keyed: bool) -> Vec<(String, Option<String>)> {
        records
            .iter()
            .map(|r| (r.item_identifier().to_owned(), r.ordering_key().filter(|_| keyed).map(str::to_owned)))
            .collect()
    }
    match kind {
        SourceKind::Sqs => view(sqs::read_records(event).unwrap(), false),
        SourceKind::SqsFifo => view(sqs::read_records(event).unwrap(), true),
        SourceKind::Kinesis => view(kinesis::read_records(event).unwrap(), true),
        SourceKind::DynamoDb => view(dynamodb::read_records(event).unwrap(), true),
        SourceKind::Kafka => view(kafka::read_records(event).unwrap(), true),
        other => panic!("no engine view for {other}"),
    }
}

fn every_source() -> impl Strategy<Value = Batch> {
    let bytes = proptest::collection::vec(any::<u8>(), 0..8);
    prop_oneof![
        sqs_batch(0..12, "[a-z]{0,4}"),
        sqs_fifo_batch(0..12, 1..=3, "[a-z]{0,4}"),
        kinesis_batch(0..12, 1..=3, bytes.clone()),
        dynamodb_batch(0..12, 1..=3, any::<u16>()),
        kafka_batch(0..12, 1..=4, bytes),
    ]
}

proptest! {
    #[test]
    fn engine_validator_and_testkit_agree_on_identifiers_and_ordering_keys(batch in every_source()) {
        let kind = batch.source;
        let engine = engine_view(kind, &batch.to_event());
        let validator: Vec<(String, Option<String>)> = BatchView::read(kind, &batch.to_event())
            .records()
            .map(|(id, key)| (id.to_owned(), key.map(str::to_owned)))
            .collect();
        let testkit: Vec<(String, Option<String>)> = batch
            .identities()
            .into_iter()
            .map(|identity| {
                let identity = identity.expect("generated records can be named");
                (identity.item_identifier, identity.ordering_key)
            })
            .collect();
        prop_assert_eq!(&engine, &validator, "engine and validator, {}", kind);
        prop_assert_eq!(&engine, &testkit, "engine and testkit, {}", kind);
        prop_assert!(engine.iter().all(|(id, _)| !id.is_empty()));
        if kind.is_stream() {
            prop_assert!(engine.iter().all(|(_, key)| key.is_some()), "every stream record has an ordering key");
        }
    }

    /// Failing every record under "continue" and "report all" makes the
    /// engine report every record: the response names exactly the
    /// identifiers the shared description reads.
    #[test]
    fn the_engine_reports_records_by_the_shared_identifier(batch in every_source()) {
        let outcome = run(fail_everything(batch.source), &batch, &FaultPlan::none());
        let reported = outcome.reported();
        let expected: Vec<String> =
            batch.identities().into_iter().map(|identity| identity.unwrap().item_identifier).collect();
        let mut unique = expected.clone();
        unique.dedup();
        prop_assert_eq!(reported, unique);
    }
}

type Answer = std::pin::Pin<
    Box<dyn Future<Output = Result<lambda_batch::BatchResponse, lambda_batch::BatchError>> + Send>,
>;

/// A handler of `kind` that fails every record and reports each one.
fn fail_everything(kind: SourceKind) -> impl Fn(lambda_batch::LambdaEvent<BatchEvent>) -> Answer {
    use lambda_batch::stream::{StreamConfig, StreamPolicy};
    use lambda_batch::{AllFailedPolicy, RecordOutcome};
    struct Fail;
    macro_rules! fail_for {
        ($($source:ty),*) => {$(
            impl lambda_batch::RecordHandler<$source> for Fail {
                fn handle<'a>(
                    &'a self,
                    _record: &'a <$source as lambda_batch::Source>::Record<'a>,
                    _cx: &'a lambda_batch::Context,
                ) -> impl Future<Output = RecordOutcome> + Send + 'a {
                    std::future::ready(RecordOutcome::failure("fails on purpose"))
                }
            }
        )*};
    }
    fail_for!(sqs::Sqs, kinesis::Kinesis, dynamodb::DynamoDb, kafka::Kafka);
    move |event| {
        let stream =
            StreamConfig::new().policy(StreamPolicy::Continue).all_failed(AllFailedPolicy::ReportAll);
        let queue = sqs::SqsConfig::new().all_failed(AllFailedPolicy::ReportAll);
        Box::pin(async move {
            match kind {
                SourceKind::Kinesis => kinesis::handle(&Fail, &stream, event).await,
                SourceKind::DynamoDb => dynamodb::handle(&Fail, &stream, event).await,
                SourceKind::Kafka => kafka::handle(&Fail, &stream, event).await,
                _ => sqs::handle(&Fail, &queue, event).await,
            }
        })
    }
}
