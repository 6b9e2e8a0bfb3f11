//! lambda-batch proved with its own testkit: random real-shaped batches and
//! fault plans, every invariant checked, for every source and policy.
//! `PROPTEST_CASES` sets the number of cases (proptest's default: 256).

use lambda_batch::aws_events::{SqsBatchResponse, SqsEvent};
use lambda_batch::dynamodb::NewImage;
use lambda_batch::{Json, LambdaEvent, RecordOutcome, batch_handler};
use lambda_batch_testkit::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Order {
    id: u32,
    quantity: u8,
}

fn order() -> impl Strategy<Value = Order> {
    (any::<u32>(), 0u8..10).prop_map(|(id, quantity)| Order { id, quantity })
}

/// Fails orders of quantity 0, retries 9s later, drops 8s as poison.
fn decide(order: &Order) -> RecordOutcome {
    match order.quantity {
        0 => RecordOutcome::failure("empty order"),
        9 => RecordOutcome::retry_later(),
        8 => RecordOutcome::poison("quantity 8 is never valid"),
        _ => RecordOutcome::Success,
    }
}

#[batch_handler(sqs)]
async fn sqs_orders(Json(order): Json<Order>) -> RecordOutcome {
    decide(&order)
}

#[batch_handler(sqs, concurrency = 8, all_failed = "report_all")]
async fn sqs_orders_concurrent(Json(order): Json<Order>) -> RecordOutcome {
    decide(&order)
}

#[batch_handler(sqs)]
async fn fifo_stop(Json(order): Json<Order>) -> RecordOutcome {
    decide(&order)
}

#[batch_handler(sqs_fifo, fifo_policy = "skip_failed_group", concurrency = 4)]
async fn fifo_skip(Json(order): Json<Order>) -> RecordOutcome {
    decide(&order)
}

#[batch_handler(kinesis)]
async fn kinesis_checkpoint(Json(order): Json<Order>) -> RecordOutcome {
    decide(&order)
}

#[batch_handler(kinesis, stream_policy = "continue", concurrency = 8)]
async fn kinesis_continue(Json(order): Json<Order>) -> RecordOutcome {
    decide(&order)
}

#[batch_handler(kafka)]
async fn kafka_checkpoint(Json(order): Json<Order>) -> RecordOutcome {
    decide(&order)
}

#[batch_handler(kafka, stream_policy = "continue", concurrency = 8, all_failed = "report_all")]
async fn kafka_continue(Json(order): Json<Order>) -> RecordOutcome {
    decide(&order)
}

#[batch_handler(kafka, concurrency = 4)]
async fn kafka_concurrent(Json(order): Json<Order>) -> RecordOutcome {
    decide(&order)
}

#[batch_handler(dynamodb, concurrency = 4)]
async fn dynamodb_checkpoint(image: Option<NewImage<Order>>) -> RecordOutcome {
    image.map_or(RecordOutcome::Success, |NewImage(order)| decide(&order))
}

/// `decide` after ~50 µs of blocking work, so `parallel` moves it to
/// worker threads (past its first, inline record).
fn decide_on_a_worker(order: &Order) -> RecordOutcome {
    std::thread::sleep(std::time::Duration::from_micros(50));
    decide(order)
}

#[batch_handler(sqs, parallel, all_failed = "report_all")]
fn sqs_orders_parallel(Json(order): Json<Order>) -> RecordOutcome {
    decide_on_a_worker(&order)
}

#[batch_handler(sqs_fifo, fifo_policy = "skip_failed_group", parallel)]
fn fifo_skip_parallel(Json(order): Json<Order>) -> RecordOutcome {
    decide_on_a_worker(&order)
}

#[batch_handler(kinesis, parallel)]
fn kinesis_checkpoint_parallel(Json(order): Json<Order>) -> RecordOutcome {
    decide_on_a_worker(&order)
}

#[batch_handler(sqs_fifo, fifo_policy = "skip_failed_group", parallel = "engine_helps")]
fn fifo_skip_engine_helps(Json(order): Json<Order>) -> RecordOutcome {
    decide_on_a_worker(&order)
}

#[batch_handler(kinesis, parallel = "engine_helps")]
fn kinesis_checkpoint_engine_helps(Json(order): Json<Order>) -> RecordOutcome {
    decide_on_a_worker(&order)
}

fn bodies() -> BoxedStrategy<String> {
    json_body(order())
}

proptest! {
    #[test]
    fn sqs_standard(batch in sqs_batch(bodies(), 0..30), plan in fault_plan(30, 0.2)) {
        check(&run(sqs_orders, &batch, &plan), sqs_orders::CONFIG)?;
    }

    #[test]
    fn sqs_standard_concurrent(batch in sqs_batch(bodies(), 0..30), plan in fault_plan(30, 0.2)) {
        check(&run(sqs_orders_concurrent, &batch, &plan), sqs_orders_concurrent::CONFIG)?;
    }

    #[test]
    fn sqs_fifo_stop_at_first_failure(batch in sqs_fifo_batch(bodies(), 0..10, 1..=3), plan in fault_plan(10, 0.2)) {
        check(&run(fifo_stop, &batch, &plan), fifo_stop::CONFIG)?;
    }

    #[test]
    fn sqs_fifo_skip_failed_group(batch in sqs_fifo_batch(bodies(), 0..10, 1..=4), plan in fault_plan(10, 0.2)) {
        check(&run(fifo_skip, &batch, &plan), fifo_skip::CONFIG)?;
    }

    #[test]
    fn kinesis_checkpointing(batch in kinesis_batch(json_data(order()), 0..30, 1..=4), plan in fault_plan(30, 0.2)) {
        check(&run(kinesis_checkpoint, &batch, &plan), kinesis_checkpoint::CONFIG)?;
    }

    #[test]
    fn kinesis_continuing(batch in kinesis_batch(json_data(order()), 0..30, 1..=4), plan in fault_plan(30, 0.2)) {
        check(&run(kinesis_continue, &batch, &plan), kinesis_continue::CONFIG)?;
    }

    #[test]
    fn dynamodb_checkpointing(batch in dynamodb_batch(order(), 0..30, 1..=5), plan in fault_plan(30, 0.2)) {
        check(&run(dynamodb_checkpoint, &batch, &plan), dynamodb_checkpoint::CONFIG)?;
    }

    #[test]
    fn kafka_checkpointing(batch in kafka_batch(json_data(order()), 0..30, 1..=4), plan in fault_plan(30, 0.2)) {
        check(&run(kafka_checkpoint, &batch, &plan), kafka_checkpoint::CONFIG)?;
    }

    #[test]
    fn kafka_continuing(batch in kafka_batch(json_data(order()), 0..30, 1..=4), plan in fault_plan(30, 0.2)) {
        check(&run(kafka_continue, &batch, &plan), kafka_continue::CONFIG)?;
    }

    #[test]
    fn kafka_checkpointing_concurrently(batch in kafka_batch(json_data(order()), 0..30, 1..=4), plan in fault_plan(30, 0.2)) {
        check(&run(kafka_concurrent, &batch, &plan), kafka_concurrent::CONFIG)?;
    }

    #[test]
    fn sqs_standard_parallel(batch in sqs_batch(bodies(), 0..30), plan in fault_plan(30, 0.2)) {
        check(&run(sqs_orders_parallel, &batch, &plan), sqs_orders_parallel::CONFIG)?;
    }

    #[test]
    fn sqs_fifo_skip_failed_group_parallel(batch in sqs_fifo_batch(bodies(), 0..10, 1..=4), plan in fault_plan(10, 0.2)) {
        check(&run(fifo_skip_parallel, &batch, &plan), fifo_skip_parallel::CONFIG)?;
        check(&run(fifo_skip_engine_helps, &batch, &plan), fifo_skip_engine_helps::CONFIG)?;
    }

    #[test]
    fn kinesis_checkpointing_parallel(batch in kinesis_batch(json_data(order()), 0..30, 1..=4), plan in fault_plan(30, 0.2)) {
        check(&run(kinesis_checkpoint_parallel, &batch, &plan), kinesis_checkpoint_parallel::CONFIG)?;
        check(&run(kinesis_checkpoint_engine_helps, &batch, &plan), kinesis_checkpoint_engine_helps::CONFIG)?;
    }

    #[test]
    fn generated_events_fit_the_aws_lambda_events_types(
        sqs in sqs_batch(bodies(), 0..10),
        fifo in sqs_fifo_batch(bodies(), 0..10, 1..=3),
        kinesis in kinesis_batch(json_data(order()), 0..10, 1..=3),
        dynamodb in dynamodb_batch(order(), 0..10, 1..=3),
        kafka in kafka_batch(json_data(order()), 0..10, 1..=3),
    ) {
        let sqs_event: SqsEvent = serde_json::from_str(&sqs.json()).unwrap();
        prop_assert_eq!(sqs_event.records.len(), sqs.len());
        let fifo_event: SqsEvent = serde_json::from_str(&fifo.json()).unwrap();
        for message in &fifo_event.records {
            prop_assert!(message.attributes.contains_key("MessageGroupId"));
            prop_assert!(message.event_source_arn.as_deref().unwrap().ends_with(".fifo"));
        }
        let kinesis_event: lambda_batch::aws_events::KinesisEvent = serde_json::from_str(&kinesis.json()).unwrap();
        for record in &kinesis_event.records {
            prop_assert!(record.kinesis.sequence_number.bytes().all(|b| b.is_ascii_digit()));
        }
        // Sequence numbers change digit count within a batch, so comparing
        // them as text is caught.
        if let [first, .., last] = kinesis_event.records.as_slice() {
            prop_assert!(first.kinesis.sequence_number.len() < last.kinesis.sequence_number.len());
        }
        let dynamodb_event: lambda_batch::aws_events::DynamoDbEvent = serde_json::from_str(&dynamodb.json()).unwrap();
        prop_assert_eq!(dynamodb_event.records.len(), dynamodb.len());
        let kafka_event: lambda_batch::aws_events::KafkaEvent = serde_json::from_str(&kafka.json()).unwrap();
        prop_assert_eq!(kafka_event.records.values().map(Vec::len).sum::<usize>(), kafka.len());
        for (partition, records) in &kafka_event.records {
            for record in records {
                prop_assert_eq!(format!("{}-{}", record.topic.as_deref().unwrap(), record.partition), partition.clone());
            }
        }
    }
}

/// A hand-written handler of the kind users have today: reports bodies that
/// do not parse, handles the rest, and fails the invocation when a message
/// cannot be named. Correct, so `check` passes.
async fn hand_written(event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, lambda_batch::Error> {
    let mut response = SqsBatchResponse::default();
    if event
        .payload
        .records
        .iter()
        .any(|message| message.message_id.as_deref().unwrap_or_default().is_empty())
    {
        return Err("a message has no messageId".into());
    }
    for message in event.payload.records {
        let body = message.body.unwrap_or_default();
        if serde_json::from_str::<Order>(&body).is_err() {
            response.add_failure(message.message_id.unwrap_or_default());
        }
    }
    Ok(response)
}

/// What `hand_written` promises: it fails only the messages whose body is
/// not an order (only the fault plan makes those), and its work is not
/// observed, so the order of its calls is accepted unchecked.
fn hand_written_rules() -> Rules {
    Rules::sqs()
        .failing_when(|record| record.json::<Order>().is_none())
        .accepting_unchecked(Invariant::CallsKeepOrder, "a loop without observe: one pass, in order")
}

/// The same with the classic bug: a bad body is logged and acknowledged.
async fn hand_written_buggy(event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, lambda_batch::Error> {
    let _ = event;
    Ok(SqsBatchResponse::default())
}

proptest! {
    #[test]
    fn a_hand_written_handler_can_be_checked_too(batch in sqs_batch(bodies(), 0..20), plan in payload_fault_plan(20, 0.3)) {
        check(&run(hand_written, &batch, &plan), hand_written_rules())?;
    }
}

#[test]
fn check_catches_a_handler_that_acknowledges_bad_bodies() {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(64));
    let result = runner.run(&(sqs_batch(bodies(), 1..20), payload_fault_plan(20, 0.3)), |(batch, plan)| {
        check(&run(hand_written_buggy, &batch, &plan), hand_written_rules())
    });
    let error = result.expect_err("the buggy handler must be caught");
    // A bad body, or (the plan may also remove an id) a message it cannot
    // name: either way acknowledged without being handled.
    assert!(error.to_string().contains("nothing is acknowledged that must be retried: broken"), "{error}");
}

/// A hand-written Kafka handler: reports the lowest bad offset of each
/// partition (as a number, or as text: the classic bug).
async fn kafka_hand_written(
    event: LambdaEvent<lambda_batch::aws_events::KafkaEvent>,
    offsets_as_text: bool,
) -> Result<serde_json::Value, lambda_batch::Error> {
    use base64::Engine as _;
    let mut failures = Vec::new();
    for (partition, records) in &event.payload.records {
        let bad = records.iter().filter(|record| {
            let value = record.value.as_deref().unwrap_or_default();
            let bytes = base64::engine::general_purpose::STANDARD.decode(value).unwrap_or_default();
            serde_json::from_slice::<Order>(&bytes).is_err()
        });
        let lowest = if offsets_as_text {
            bad.map(|record| record.offset.to_string()).min().map(|text| text.parse::<i64>()).transpose()?
        } else {
            bad.map(|record| record.offset).min()
        };
        if let Some(lowest) = lowest {
            failures.push(serde_json::json!({"itemIdentifier": {"partition": partition, "offset": lowest}}));
        }
    }
    Ok(serde_json::json!({ "batchItemFailures": failures }))
}

/// What `kafka_hand_written` promises: `kafka_checkpoint`'s rules; it fails
/// only values that are not an order; its calls are not observed.
fn kafka_hand_written_rules() -> Rules {
    Rules::from(kafka_checkpoint::CONFIG)
        .failing_when(|record| record.json::<Order>().is_none())
        .accepting_unchecked(
            Invariant::CallsKeepOrder,
            "finds each partition's lowest bad offset, runs nothing",
        )
}

#[test]
fn check_catches_a_kafka_handler_that_compares_offsets_as_text() {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(256));
    let result = runner.run(
        &(kafka_batch(json_data(order()), 1..30, 1..=3), payload_fault_plan(30, 0.4)),
        |(batch, plan)| {
            check(&run(|event| kafka_hand_written(event, true), &batch, &plan), kafka_hand_written_rules())
        },
    );
    let error = result.expect_err("offsets compared as text must be caught");
    assert!(error.to_string().contains("payload cannot be decoded"), "{error}");
}

proptest! {
    #[test]
    fn a_hand_written_kafka_handler_can_be_checked_too(
        batch in kafka_batch(json_data(order()), 0..30, 1..=3),
        plan in payload_fault_plan(30, 0.3),
    ) {
        check(&run(|event| kafka_hand_written(event, false), &batch, &plan), kafka_hand_written_rules())?;
    }
}
