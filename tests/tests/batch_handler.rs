//! What `#[batch_handler]` generates, called the way Lambda calls it.

use crate::common;

use crate::common::ids;

use lambda_batch::sqs::{QueueKind, SqsMessage, SqsRecord};
use lambda_batch::{AllFailedPolicy, BatchEvent, BatchResponse, Context, Json, LambdaEvent, batch_handler};
use lambda_batch_testkit::sqs::{event, fifo_message, message};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Order {
    id: u32,
    quantity: u32,
}

/// Orders with quantity 0 fail.
#[batch_handler(sqs)]
async fn handle_order(Json(order): Json<Order>, message: &SqsMessage, cx: &Context) -> Result<(), String> {
    assert_eq!(cx.request_id, "test-request-id");
    assert!(message.message_id.is_some());
    if order.quantity == 0 { Err(format!("order {} is empty", order.id)) } else { Ok(()) }
}

#[batch_handler(sqs)]
fn sync_body_check(body: &str) -> Result<(), &'static str> {
    if body.contains("bad") { Err("bad body") } else { Ok(()) }
}

#[batch_handler(sqs)]
fn infallible(_cx: &Context, _record: &SqsRecord<'_>) {}

#[batch_handler(sqs_fifo, fifo_policy = "skip_failed_group", all_failed = "report_all")]
async fn fifo_groups(body: &str) -> Result<(), String> {
    if body == "fail" { Err("failed".to_owned()) } else { Ok(()) }
}

#[batch_handler(sqs_fifo)]
async fn fifo_stop(body: &str) -> Result<(), String> {
    if body == "fail" { Err("failed".to_owned()) } else { Ok(()) }
}

#[batch_handler(sqs, all_failed = "report_all")]
async fn panicky(body: &str) {
    if body == "panic" {
        panic!("boom in the handler");
    }
}

/// Type-checks that the handler plugs into `lambda_runtime::run` with no glue
/// (never called: `run` needs a real Lambda environment).
#[allow(dead_code)]
async fn wiring_compiles() -> Result<(), lambda_batch::Error> {
    lambda_runtime::run(lambda_runtime::service_fn(handle_order)).await?;
    lambda_runtime::run(lambda_runtime::service_fn(sync_body_check)).await
}

async fn call<F, Fut>(handler: F, event: BatchEvent) -> Result<Vec<String>, &'static str>
where
    F: Fn(LambdaEvent<BatchEvent>) -> Fut,
    Fut: Future<Output = Result<BatchResponse, lambda_batch::BatchError>>,
{
    common::outcome_ids(handler(LambdaEvent::new(event, lambda_batch_testkit::context())).await)
}

fn order(id: u32, quantity: u32) -> String {
    serde_json::json!({"id": id, "quantity": quantity}).to_string()
}

#[tokio::test]
async fn the_generated_handler_answers_a_batch_with_its_failures() {
    let event =
        event([message("m1", &order(1, 2)), message("m2", &order(2, 0)), message("m3", &order(3, 1))]);
    assert_eq!(call(handle_order, event).await, Ok(ids(&["m2"])));
}

#[tokio::test]
async fn a_bad_body_fails_only_its_record() {
    let event = event([message("m1", "{\"id\": 1}"), message("m2", "not json"), message("m3", &order(3, 1))]);
    assert_eq!(call(handle_order, event).await, Ok(ids(&["m1", "m2"])));
}

#[tokio::test]
async fn sync_functions_and_raw_bodies_work() {
    let event = event([message("m1", "good"), message("m2", "bad")]);
    assert_eq!(call(sync_body_check, event).await, Ok(ids(&["m2"])));
    let event = lambda_batch_testkit::sqs::event([message("m1", "x")]);
    assert_eq!(call(infallible, event).await, Ok(vec![]));
}

#[tokio::test]
async fn fifo_options_are_applied() {
    assert_eq!(fifo_groups::CONFIG.queue_kind(), QueueKind::Fifo);
    assert_eq!(fifo_groups::CONFIG.all_failed_policy(), AllFailedPolicy::ReportAll);
    // Standard ARNs, but `sqs_fifo` forces FIFO rules.
    let records = || {
        let mut records = vec![
            fifo_message("a1", "a", "fail"),
            fifo_message("b1", "b", "ok"),
            fifo_message("a2", "a", "ok"),
        ];
        for record in &mut records {
            record["eventSourceARN"] = serde_json::json!("arn:aws:sqs:eu-west-1:123456789012:plain");
        }
        records
    };
    assert_eq!(call(fifo_groups, event(records())).await, Ok(ids(&["a1", "a2"])));
    assert_eq!(call(fifo_stop, event(records())).await, Ok(ids(&["a1", "b1", "a2"])));
    let all_fail = || event([fifo_message("a1", "a", "fail"), fifo_message("b1", "b", "fail")]);
    assert_eq!(call(fifo_groups, all_fail()).await, Ok(ids(&["a1", "b1"])), "report_all");
    assert_eq!(
        call(fifo_stop, event([fifo_message("a1", "a", "fail")])).await,
        Err("LambdaBatch.AllRecordsFailed")
    );
}

#[tokio::test]
async fn a_panicking_record_fails_alone_through_the_generated_handler() {
    let event = event([message("m1", "ok"), message("m2", "panic"), message("m3", "ok")]);
    assert_eq!(call(panicky, event).await, Ok(ids(&["m2"])));
}

#[tokio::test]
async fn invalid_events_are_invocation_errors() {
    let event = BatchEvent::from(serde_json::json!({"Records": {}}));
    assert_eq!(call(handle_order, event).await, Err("LambdaBatch.InvalidEvent"));
}

#[tokio::test]
async fn the_record_function_stays_callable_for_unit_tests() {
    let mut message = SqsMessage::default();
    message.message_id = Some("m1".to_owned());
    let cx = lambda_batch_testkit::context();
    let ok = handle_order::record(Json(Order { id: 1, quantity: 1 }), &message, &cx).await;
    assert_eq!(ok, Ok(()));
    assert_eq!(sync_body_check::record("bad"), Err("bad body"));
}

#[test]
fn the_handler_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let future = handle_order(LambdaEvent::new(event([]), Context::default()));
    assert_send(&future);
}

mod renamed {
    use renamed_lambda_batch::{Json, batch_handler};
    extern crate lambda_batch as renamed_lambda_batch;

    #[batch_handler(sqs, crate = "renamed_lambda_batch")]
    pub(super) fn count(Json(n): Json<u32>) -> Result<(), String> {
        if n == 0 { Err("zero".into()) } else { Ok(()) }
    }
}

#[tokio::test]
async fn a_renamed_crate_path_is_used() {
    let event = event([message("m1", "1"), message("m2", "0")]);
    assert_eq!(call(renamed::count, event).await, Ok(ids(&["m2"])));
}

#[tokio::test(flavor = "current_thread")]
async fn each_record_gets_a_span_with_its_message_id_and_the_batch_a_summary() {
    let (logs, _guard) = common::capture_logs();

    let event = event([message("m1", &order(1, 1)), message("m2", "not json")]);
    assert_eq!(call(handle_order, event).await, Ok(ids(&["m2"])));

    let text = logs.text();
    assert!(text.contains("record{message_id=m1 index=0}"), "{text}");
    assert!(text.contains("record{message_id=m2 index=1}"), "{text}");
    let failure = text.lines().find(|l| l.contains("record failed")).expect("a failure event");
    assert!(
        failure.contains("message_id=m2") && failure.contains("expected ident"),
        "serde error logged: {failure}"
    );
    let summary = text.lines().find(|l| l.contains("batch handled")).expect("a summary event");
    for field in ["source=\"SQS\"", "records=2", "succeeded=1", "failed=1", "skipped=0"] {
        assert!(summary.contains(field), "{summary}");
    }
}
