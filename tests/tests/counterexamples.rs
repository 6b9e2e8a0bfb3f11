//! Readable counterexamples (issue 21, item 7): generated SQS message ids
//! are short and differ at a glance, sequence numbers keep their real
//! shape, and a batch's `Debug` (as proptest prints a minimal failing
//! input, `{:#?}`) shows each record on one line with its payload as JSON.

use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

use lambda_batch_testkit::prelude::*;

fn one<S: Strategy>(strategy: S) -> S::Value {
    strategy.new_tree(&mut TestRunner::deterministic()).expect("a value").current()
}

#[test]
fn message_ids_are_short_and_sequence_numbers_real() {
    let batch = one(sqs_batch(Just("{}".to_owned()), 12..=12));
    let ids: Vec<String> = batch.identities().into_iter().map(|id| id.unwrap().item_identifier).collect();
    assert_eq!(ids[..3], ["m-01", "m-02", "m-03"]);
    assert_eq!(ids[11], "m-12");
    let fifo = one(sqs_fifo_batch(Just("{}".to_owned()), 3..=3, 1..=2));
    for record in fifo.records() {
        let sequence = record["attributes"]["SequenceNumber"].as_str().unwrap();
        assert_eq!(sequence.len(), 20, "{sequence}");
    }
}

#[test]
fn a_batch_prints_one_record_a_line_with_json_payloads() {
    let batch = Batch::new(
        SourceKind::Sqs,
        vec![
            lambda_batch_testkit::sqs::message("m-01", r#"{"id":1,"quantity":0}"#),
            lambda_batch_testkit::sqs::message("m-02", r#"{"corrupt"#),
        ],
    );
    let shown = format!("{batch:#?}");
    assert!(shown.contains("\n        m-01 body={\"id\":1,\"quantity\":0},\n"), "{shown}");
    // Text that is not JSON stays a quoted string, so it cannot pass for JSON.
    assert!(shown.contains(r#"m-02 body="{\"corrupt","#), "{shown}");
    let kafka = Batch::new(
        SourceKind::Kafka,
        vec![lambda_batch_testkit::kafka::record("orders", 0, 9, None, Some(br#"{"id":2}"#))],
    );
    assert!(format!("{kafka:?}").contains(r#"orders-0@9 [orders-0] key=null value={"id":2}"#), "{kafka:?}");
}
