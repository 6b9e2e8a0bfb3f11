//! One description per source: the engine, the response validator and the
//! testkit read the same identifier and ordering key from the same
//! generated batches, because all of them call the source's own reader
//! (`SourceKind::identify`), and the engine's responses name records by it.

use lambda_batch::BatchPipeline;
use lambda_batch::dynamodb::DynamoDb;
use lambda_batch::kafka::Kafka;
use lambda_batch::kinesis::Kinesis;
use lambda_batch::sqs::Sqs;
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
        SourceKind::Sqs => view(Sqs::read_records(event).unwrap(), false),
        SourceKind::SqsFifo => view(Sqs::read_records(event).unwrap(), true),
        SourceKind::Kinesis => view(Kinesis::read_records(event).unwrap(), true),
        SourceKind::DynamoDb => view(DynamoDb::read_records(event).unwrap(), true),
        SourceKind::Kafka => view(Kafka::read_records(event).unwrap(), true),
        other => panic!("no engine view for {other}"),
    }
}

fn every_source() -> impl Strategy<Value = Batch> {
    let bytes = proptest::collection::vec(any::<u8>(), 0..8);
    prop_oneof![
        sqs_batch("[a-z]{0,4}", 0..12),
        sqs_fifo_batch("[a-z]{0,4}", 0..12, 1..=3),
        kinesis_batch(bytes.clone(), 0..12, 1..=3),
        dynamodb_batch(any::<u16>(), 0..12, 1..=3),
        kafka_batch(bytes, 0..12, 1..=4),
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
        let stream = StreamConfig::new()
            .with_stream_policy(StreamPolicy::Continue)
            .with_all_failed_policy(AllFailedPolicy::ReportAll);
        let queue = sqs::SqsConfig::new().with_all_failed_policy(AllFailedPolicy::ReportAll);
        Box::pin(async move {
            match kind {
                SourceKind::Kinesis => Kinesis::handle(&Fail, &stream, event).await,
                SourceKind::DynamoDb => DynamoDb::handle(&Fail, &stream, event).await,
                SourceKind::Kafka => Kafka::handle(&Fail, &stream, event).await,
                _ => Sqs::handle(&Fail, &queue, event).await,
            }
        })
    }
}

/// The simulator agrees with the shared description: every record of every
/// event it renders (SQS standard and FIFO, Kinesis, DynamoDB Streams,
/// Kafka), read by `SourceKind::identify`, carries the identifier (and
/// ordering key) the simulator's model gave it: the message id, the
/// sequence number, `<topic>-<partition>@<offset>`.
#[test]
fn the_simulator_renders_records_named_as_its_model_names_them() {
    use lambda_batch_testkit::sim::{
        self, Invocation, InvocationFaults, InvocationResult, KafkaSimConfig, KafkaSimulation, Payload,
        QueueConfig, SqsSimConfig, SqsSimulation, StreamKind, StreamSimConfig, StreamSimulation,
    };
    use serde_json::json;
    use std::collections::BTreeSet;

    type Named = Vec<(String, Option<String>)>;
    /// What the model delivered in this invocation: identifier and ordering key.
    fn modelled(kind: SourceKind, payload: Payload<'_>) -> Named {
        match payload {
            Payload::Sqs { messages, .. } => messages
                .iter()
                .map(|m| {
                    (
                        m.message_id.to_string(),
                        m.group.as_deref().filter(|_| kind == SourceKind::SqsFifo).map(str::to_owned),
                    )
                })
                .collect(),
            Payload::Kinesis { records, .. } => {
                records.iter().map(|r| (r.sequence_number.to_string(), Some(r.key.to_string()))).collect()
            }
            Payload::DynamoDb { records, .. } => records
                .iter()
                .map(|r| (r.sequence_number.to_string(), Some(json!({"id": {"S": &*r.key}}).to_string())))
                .collect(),
            Payload::Kafka { records } => {
                records.iter().map(|r| (r.item_identifier(), Some(r.partition_key()))).collect()
            }
            other => panic!("not a batch: {other:?}"),
        }
    }
    /// Runs the rendered event through `SourceKind::identify` (inside a
    /// real Lambda handler, on the bytes it receives) and compares with the
    /// model, invocation by invocation; returns every identifier seen.
    fn agreeing(
        kind: SourceKind,
        mismatches: &mut Vec<String>,
    ) -> impl FnMut(&Invocation<'_>) -> InvocationResult {
        let mut rendered = sim::lambda_function(move |event: lambda_batch::LambdaEvent<BatchEvent>| {
            let named: Named = kind
                .identify_event(&event.payload)
                .unwrap()
                .into_iter()
                .map(|identity| (identity.item_identifier, identity.ordering_key))
                .collect();
            async move { Ok::<_, lambda_batch::Error>(json!({ "named": named })) }
        });
        move |invocation: &Invocation<'_>| {
            let InvocationResult::Response(response) = sim::Function::invoke(&mut rendered, invocation)
            else {
                panic!("the handler failed on a rendered {kind} event");
            };
            let named: Named = serde_json::from_value(response["named"].clone()).unwrap();
            let expected = modelled(kind, invocation.payload);
            if named != expected {
                mismatches.push(format!("{kind}: rendered {named:?}, modelled {expected:?}"));
            }
            InvocationResult::all_handled()
        }
    }
    let faults = InvocationFaults { throttle: 0.1, timeout: 0.1, ..InvocationFaults::none() };
    let mut mismatches = Vec::new();

    for (kind, queue) in
        [(SourceKind::Sqs, QueueConfig::standard()), (SourceKind::SqsFifo, QueueConfig::fifo())]
    {
        let mut config = SqsSimConfig::new(queue.with_dlq(5));
        config.faults = faults;
        let mut sqs = SqsSimulation::new(config).unwrap();
        for i in 0..25 {
            sqs.send_fifo(i * 300, &format!("g{}", i % 3), &format!("order {i}"));
        }
        let report = sqs.run(&mut agreeing(kind, &mut mismatches));
        assert!(report.messages.iter().all(|m| m.receive_count >= 1), "{kind}: every message was rendered");
    }
    for (kind, stream) in
        [(SourceKind::Kinesis, StreamKind::Kinesis), (SourceKind::DynamoDb, StreamKind::DynamoDb)]
    {
        let mut config = StreamSimConfig::new(stream);
        config.source.shards = 3;
        config.faults = faults;
        let mut streams = StreamSimulation::new(config).unwrap();
        for i in 0..25 {
            let key = format!("item-{}", i % 7);
            match stream {
                StreamKind::Kinesis => streams.put(i * 300, &key, "{\"n\":1}"),
                StreamKind::DynamoDb => streams.put_item(i * 300, &key, "INSERT", &json!({"id": {"S": key}})),
            }
        }
        let report = streams.run(&mut agreeing(kind, &mut mismatches));
        assert!(report.records.iter().all(|r| r.deliveries >= 1), "{kind}: every record was rendered");
    }
    let mut config = KafkaSimConfig::new("orders", 3);
    config.faults = faults;
    let mut kafka = KafkaSimulation::new(config).unwrap();
    for i in 0..25 {
        kafka.produce(i * 300, (i % 4 > 0).then(|| format!("customer-{i}")).as_deref(), b"{}");
    }
    let report = kafka.run(&mut agreeing(SourceKind::Kafka, &mut mismatches));
    let offsets: BTreeSet<String> = report.records.iter().map(|r| r.item_identifier()).collect();
    assert_eq!(offsets.len(), 25, "offsets are unique per partition");
    assert!(report.records.iter().all(|r| r.deliveries >= 1), "every Kafka record was rendered");
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}
