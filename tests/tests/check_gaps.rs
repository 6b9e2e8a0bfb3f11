//! No silent pass (issue 21, item 5): an invariant the check cannot see
//! fails `check` unless the rules accept it unchecked, by name; the
//! opt-out never hides a broken invariant; `failing_when` sees each
//! source's payload decoded (`RecordView`).

use lambda_batch::aws_events::{SqsBatchResponse, SqsEvent};
use lambda_batch::{Error, LambdaEvent};
use lambda_batch_testkit::prelude::*;
use lambda_batch_testkit::{dynamodb, kafka, kinesis, sqs};
use serde_json::json;

use crate::observe::unobserved;

fn batch(bodies: &[&str]) -> Batch {
    let records = bodies.iter().enumerate().map(|(i, body)| sqs::message(&format!("m{i}"), body)).collect();
    Batch::new(SourceKind::Sqs, records)
}

#[test]
fn an_invariant_not_checked_fails_and_says_how_to_check_it_or_opt_out() {
    let run = run(|event| unobserved(event, false), &batch(&["ok", "bad"]), &FaultPlan::none());
    let error = check(&run, Rules::sqs()).expect_err("nothing observed, no predicate: no silent pass");
    let message = error.to_string();
    assert!(message.contains("exactly the failed records are reported: NOT CHECKED"), "{message}");
    assert!(message.contains("lambda_batch::observe(id, work)"), "{message}");
    assert!(message.contains("Rules::failing_when"), "{message}");
    assert!(
        message.contains(".accepting_unchecked(Invariant::ExactlyTheFailedReported, \"why\")"),
        "{message}"
    );

    // With a predicate, what is left is call order, named as such.
    let predicted = Rules::sqs().failing_when(|record| record["body"] == "bad");
    let error = check(&run, predicted.clone()).expect_err("call order is still unseen");
    assert!(
        error.to_string().contains(".accepting_unchecked(Invariant::CallsKeepOrder, \"why\")"),
        "{error}"
    );

    let accepted = predicted.accepting_unchecked(Invariant::CallsKeepOrder, "reviewed by hand");
    assert!(check(&run, accepted.clone()).is_ok());
    let report = check_report(&run, accepted);
    assert_eq!(report.opt_out(Invariant::CallsKeepOrder), Some("reviewed by hand"));
    assert!(
        report.to_string().contains("not checked (opted out: reviewed by hand): calls keep order: "),
        "{report}"
    );
}

#[test]
fn an_opt_out_hides_nothing_that_can_be_checked() {
    let rules = || {
        Rules::sqs()
            .failing_when(|record| record["body"] == "bad")
            .accepting_unchecked(Invariant::CallsKeepOrder, "reviewed by hand")
            .accepting_unchecked(Invariant::ExactlyTheFailedReported, "not meant to hide over-reporting")
    };
    let over_reporting = run(|event| unobserved(event, true), &batch(&["ok", "bad"]), &FaultPlan::none());
    let report = check_report(&over_reporting, rules());
    assert_eq!(
        report.broken.as_ref().map(|(i, _)| *i),
        Some(Invariant::ExactlyTheFailedReported),
        "{report}"
    );
    assert!(
        report.opted_out.iter().all(|(invariant, _)| *invariant == Invariant::CallsKeepOrder),
        "{report}"
    );

    // An observed handler: the opt-out is not used, nothing is listed.
    let observed = run(
        |event: LambdaEvent<SqsEvent>| async move {
            for message in &event.payload.records {
                let id = message.message_id.clone().unwrap_or_default();
                lambda_batch::observe(&id, async { Ok::<(), Error>(()) }).await?;
            }
            Ok::<_, Error>(SqsBatchResponse::default())
        },
        &batch(&["ok", "ok"]),
        &FaultPlan::none(),
    );
    let report = check_report(&observed, rules());
    assert!(report.not_checked.is_empty() && report.opted_out.is_empty(), "{report}");
    assert!(report.result().is_ok(), "{report}");
}

#[test]
fn a_record_view_decodes_every_source_payload() {
    let sqs_record = sqs::message("m0", r#"{"quantity": 3}"#);
    let view = RecordView::new(SourceKind::Sqs, &sqs_record);
    assert_eq!(view.body(), Some(r#"{"quantity": 3}"#));
    assert_eq!(view.json::<serde_json::Value>(), Some(json!({"quantity": 3})));
    assert_eq!(view["messageId"], "m0");

    let kinesis_record = kinesis::record("42", "key-1", br#"{"quantity": 4}"#);
    let view = RecordView::new(SourceKind::Kinesis, &kinesis_record);
    assert_eq!(view.data().as_deref(), Some(&br#"{"quantity": 4}"#[..]));
    assert_eq!(view.text().as_deref(), Some(r#"{"quantity": 4}"#));
    assert_eq!(view.json::<serde_json::Value>(), Some(json!({"quantity": 4})));

    let kafka_record = kafka::record("orders", 0, 7, Some(b"user-1"), Some(br#"{"quantity": 5}"#));
    let view = RecordView::new(SourceKind::Kafka, &kafka_record);
    assert_eq!(view.value().as_deref(), Some(&br#"{"quantity": 5}"#[..]));
    assert_eq!(view.key().as_deref(), Some(&b"user-1"[..]));
    assert_eq!(view.json::<serde_json::Value>(), Some(json!({"quantity": 5})));

    let image = json!({"pk": {"S": "item-1"}, "quantity": {"N": "6"}});
    let insert = dynamodb::record("100", "INSERT", json!({"pk": {"S": "item-1"}}), Some(image.clone()), None);
    let view = RecordView::new(SourceKind::DynamoDb, &insert);
    assert_eq!(view.image(), Some(json!({"pk": "item-1", "quantity": 6})));
    assert_eq!(view.json::<serde_json::Value>(), Some(json!({"pk": "item-1", "quantity": 6})));
    assert!(view.old_image().is_none());
    let remove = dynamodb::record("101", "REMOVE", json!({"pk": {"S": "item-1"}}), None, Some(image));
    let view = RecordView::new(SourceKind::DynamoDb, &remove);
    assert!(view.payload().is_none() && view.json::<serde_json::Value>().is_none());
    assert_eq!(view.old_image(), Some(json!({"pk": "item-1", "quantity": 6})));

    // A payload that does not decode reads as none, never as a panic.
    let mut bad = kinesis::record("43", "key-1", b"{}");
    bad["kinesis"]["data"] = json!("not base64!");
    assert!(RecordView::new(SourceKind::Kinesis, &bad).payload().is_none());
}

#[test]
fn a_timeout_is_told_to_add_a_deadline_guard_not_to_report_less() {
    // Observed, one message after another, no deadline guard: a slow
    // message takes the invocation past its deadline.
    let handler = |event: LambdaEvent<SqsEvent>| async move {
        for message in &event.payload.records {
            let id = message.message_id.clone().unwrap_or_default();
            lambda_batch::observe(&id, async { Ok::<(), Error>(()) }).await?;
        }
        Ok::<_, Error>(SqsBatchResponse::default())
    };
    let plan = FaultPlan::none().with(1, RecordFault::Slow(std::time::Duration::from_secs(16 * 60)));
    let timed_out = run(handler, &batch(&["ok", "ok", "ok"]), &plan);
    assert_eq!(
        timed_out.response.as_ref().map_err(|error| error.error_type.as_str()),
        Err("Sandbox.Timedout")
    );
    let error = check(&timed_out, Rules::sqs()).expect_err("m0 was handled, and a timeout retries it");
    assert!(error.to_string().contains("add a deadline guard"), "{error}");
    assert!(!error.to_string().contains("report only the records that failed"), "{error}");
}
