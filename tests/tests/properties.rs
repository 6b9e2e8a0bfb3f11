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

#[batch_handler(dynamodb, concurrency = 4)]
async fn dynamodb_checkpoint(image: Option<NewImage<Order>>) -> RecordOutcome {
    image.map_or(RecordOutcome::Success, |NewImage(order)| decide(&order))
}

fn bodies() -> BoxedStrategy<String> {
    json_body(order())
}

proptest! {
    #[test]
    fn sqs_standard(batch in sqs_batch(0..30, bodies()), plan in fault_plan(30, 0.2)) {
        check(&run(sqs_orders, &batch, &plan), sqs_orders::CONFIG)?;
    }

    #[test]
    fn sqs_standard_concurrent(batch in sqs_batch(0..30, bodies()), plan in fault_plan(30, 0.2)) {
        check(&run(sqs_orders_concurrent, &batch, &plan), sqs_orders_concurrent::CONFIG)?;
    }

    #[test]
    fn sqs_fifo_stop_at_first_failure(batch in sqs_fifo_batch(0..10, 1..=3, bodies()), plan in fault_plan(10, 0.2)) {
        check(&run(fifo_stop, &batch, &plan), fifo_stop::CONFIG)?;
    }

    #[test]
    fn sqs_fifo_skip_failed_group(batch in sqs_fifo_batch(0..10, 1..=4, bodies()), plan in fault_plan(10, 0.2)) {
        check(&run(fifo_skip, &batch, &plan), fifo_skip::CONFIG)?;
    }

    #[test]
    fn kinesis_checkpointing(batch in kinesis_batch(0..30, 1..=4, json_data(order())), plan in fault_plan(30, 0.2)) {
        check(&run(kinesis_checkpoint, &batch, &plan), kinesis_checkpoint::CONFIG)?;
    }

    #[test]
    fn kinesis_continuing(batch in kinesis_batch(0..30, 1..=4, json_data(order())), plan in fault_plan(30, 0.2)) {
        check(&run(kinesis_continue, &batch, &plan), kinesis_continue::CONFIG)?;
    }

    #[test]
    fn dynamodb_checkpointing(batch in dynamodb_batch(0..30, 1..=5, order()), plan in fault_plan(30, 0.2)) {
        check(&run(dynamodb_checkpoint, &batch, &plan), dynamodb_checkpoint::CONFIG)?;
    }

    #[test]
    fn generated_events_fit_the_aws_lambda_events_types(
        sqs in sqs_batch(0..10, bodies()),
        fifo in sqs_fifo_batch(0..10, 1..=3, bodies()),
        kinesis in kinesis_batch(0..10, 1..=3, json_data(order())),
        dynamodb in dynamodb_batch(0..10, 1..=3, order()),
    ) {
        let sqs_event: SqsEvent = serde_json::from_value(sqs.event.clone()).unwrap();
        prop_assert_eq!(sqs_event.records.len(), sqs.len());
        let fifo_event: SqsEvent = serde_json::from_value(fifo.event.clone()).unwrap();
        for message in &fifo_event.records {
            prop_assert!(message.attributes.contains_key("MessageGroupId"));
            prop_assert!(message.event_source_arn.as_deref().unwrap().ends_with(".fifo"));
        }
        let kinesis_event: lambda_batch::aws_events::KinesisEvent = serde_json::from_value(kinesis.event.clone()).unwrap();
        for record in &kinesis_event.records {
            prop_assert_eq!(record.kinesis.sequence_number.len(), 56);
        }
        let dynamodb_event: lambda_batch::aws_events::DynamoDbEvent = serde_json::from_value(dynamodb.event.clone()).unwrap();
        prop_assert_eq!(dynamodb_event.records.len(), dynamodb.len());
    }
}

/// A hand-written handler of the kind users have today: reports bodies that
/// do not parse, handles the rest. Correct, so `check` passes.
async fn hand_written(event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, lambda_batch::Error> {
    let mut response = SqsBatchResponse::default();
    for message in event.payload.records {
        let body = message.body.unwrap_or_default();
        if serde_json::from_str::<Order>(&body).is_err() {
            response.add_failure(message.message_id.unwrap_or_default());
        }
    }
    Ok(response)
}

/// The same with the classic bug: a bad body is logged and acknowledged.
async fn hand_written_buggy(event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, lambda_batch::Error> {
    let _ = event;
    Ok(SqsBatchResponse::default())
}

proptest! {
    #[test]
    fn a_hand_written_handler_can_be_checked_too(batch in sqs_batch(0..20, bodies()), plan in fault_plan(20, 0.3)) {
        let config = lambda_batch::sqs::SqsConfig::new();
        check(&run(hand_written, &batch, &plan), config)?;
    }
}

#[test]
fn check_catches_a_handler_that_acknowledges_bad_bodies() {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(64));
    let result = runner.run(&(sqs_batch(1..20, bodies()), fault_plan(20, 0.3)), |(batch, plan)| {
        check(&run(hand_written_buggy, &batch, &plan), lambda_batch::sqs::SqsConfig::new())
    });
    let error = result.expect_err("the buggy handler must be caught");
    assert!(error.to_string().contains("bad payload but would not be retried"), "{error}");
}
