//! The example Lambda binary, unchanged, against a stand-in for the Lambda
//! Runtime API on loopback (`lambda_batch_cold_start::runtime_api`): proves
//! `lambda_runtime::run(service_fn(handler))` needs no glue, and shows the
//! exact bytes Lambda would receive.

use std::time::Duration;

use lambda_batch_cold_start::function::{Function, lambda_command};
use lambda_batch_cold_start::runtime_api::{Posted, RuntimeApi};

#[test]
fn the_example_binary_answers_the_runtime_api_with_partial_failures_and_clear_errors() {
    let order = |id: u32, quantity: u32| {
        format!(r#"{{\"id\":{id},\"sku\":\"B\",\"quantity\":{quantity},\"warehouse\":0}}"#)
    };
    let batch = format!(
        r#"{{"Records":[{{"messageId":"m1","body":"{}"}},{{"messageId":"m2","body":"{}"}},{{"messageId":"m3","body":"nope"}}]}}"#,
        order(1, 1),
        order(2, 0)
    );
    let events = vec![batch, r#"{"detail":{}}"#.to_owned()];
    let api = RuntimeApi::serve(events).expect("a loopback Runtime API");
    let _function =
        Function::spawn(&mut lambda_command(env!("CARGO_BIN_EXE_sqs_orders"), api.address(), "orders"))
            .expect("start the example function");

    let wait = || api.posted(Duration::from_secs(60)).expect("the function answered");
    let Posted { path, body, .. } = wait();
    assert_eq!(path, "/2018-06-01/runtime/invocation/request-0/response");
    assert_eq!(body, r#"{"batchItemFailures":[{"itemIdentifier":"m2"},{"itemIdentifier":"m3"}]}"#);

    let Posted { path, body, .. } = wait();
    assert_eq!(path, "/2018-06-01/runtime/invocation/request-1/error");
    let error: serde_json::Value = serde_json::from_str(&body).expect("error JSON");
    assert_eq!(error["errorType"], "LambdaBatch.InvalidEvent");
    assert!(error["errorMessage"].as_str().unwrap_or_default().contains("no `Records` array"), "{error}");
}
