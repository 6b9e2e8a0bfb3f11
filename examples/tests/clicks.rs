//! The Kafka click counter on a real-shaped MSK event.

use lambda_batch::LambdaEvent;
use lambda_batch_examples::clicks::count_click;
use lambda_batch_testkit::kafka::{event, record};

#[tokio::test]
async fn a_bad_click_is_retried_from_its_offset_and_a_keyless_click_is_dropped() {
    let click = |page: &str| format!(r#"{{"page": "{page}", "dwell_ms": 1200}}"#).into_bytes();
    let event = event([
        record("clicks", 0, 100, Some(b"ada"), Some(&click("/home"))),
        record("clicks", 0, 101, Some(b"ada"), Some(&click(""))),
        record("clicks", 0, 102, Some(b"ada"), Some(&click("/cart"))),
        record("clicks", 1, 7, None, Some(&click("/home"))),
        record("clicks", 1, 8, Some(b"bob"), Some(b"not json")),
    ]);
    let response = count_click(LambdaEvent::new(event, lambda_batch_testkit::context())).await.unwrap();
    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        serde_json::json!({"batchItemFailures": [
            {"itemIdentifier": {"partition": "clicks-0", "offset": 101}},
            {"itemIdentifier": {"partition": "clicks-1", "offset": 8}},
        ]})
    );
}
