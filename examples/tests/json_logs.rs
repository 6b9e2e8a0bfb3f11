//! The example function under Lambda's JSON log format
//! (`AWS_LAMBDA_LOG_FORMAT=JSON`, read by
//! `lambda_runtime::tracing::init_default_subscriber`): each failed record
//! is one JSON line with the fields a log query needs.

use std::process::Stdio;
use std::time::Duration;

use lambda_batch_cold_start::function::{Function, lambda_command};
use lambda_batch_cold_start::runtime_api::RuntimeApi;

#[test]
fn under_the_json_log_format_each_failed_record_is_one_json_line_with_its_fields() {
    let order = |id: u32, quantity: u32| {
        format!(r#"{{\"id\":{id},\"sku\":\"B\",\"quantity\":{quantity},\"warehouse\":0}}"#)
    };
    let attributes = r#""attributes":{"ApproximateReceiveCount":"3"}"#;
    let batch = format!(
        r#"{{"Records":[{{"messageId":"m1","body":"{}",{attributes}}},{{"messageId":"m2","body":"{}",{attributes}}},{{"messageId":"m3","body":"nope",{attributes}}}]}}"#,
        order(1, 1),
        order(2, 0)
    );
    let api = RuntimeApi::serve(vec![batch]).expect("a loopback Runtime API");
    let function = Function::spawn(
        lambda_command(env!("CARGO_BIN_EXE_sqs_orders"), api.address(), "orders")
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            .env("AWS_LAMBDA_LOG_LEVEL", "INFO")
            .stdout(Stdio::piped()),
    )
    .expect("start the example function");
    let answered = api.posted(Duration::from_secs(60));
    let logs = function.stop().expect("the function's logs");
    let body = answered.expect("the function answered").body;
    assert_eq!(body, r#"{"batchItemFailures":[{"itemIdentifier":"m2"},{"itemIdentifier":"m3"}]}"#);

    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|error| panic!("not JSON ({error}): {line}")))
        .collect();
    let failed: Vec<&serde_json::Value> =
        lines.iter().filter(|line| line["fields"]["message"] == "record failed").collect();
    assert_eq!(failed.len(), 2, "one line per failed record:\n{logs}");
    let of = |id: &str| failed.iter().find(|line| line["fields"]["record_id"] == id).copied();
    let handler = of("m2").unwrap_or_else(|| panic!("m2's line:\n{logs}"));
    assert_eq!(handler["level"], "ERROR");
    assert_eq!(handler["fields"]["source"], "sqs");
    assert_eq!(handler["fields"]["error_kind"], "handler");
    assert_eq!(handler["fields"]["error"], "order 2 has quantity 0");
    assert_eq!(handler["fields"]["attempt"], 3);
    let extract = of("m3").unwrap_or_else(|| panic!("m3's line:\n{logs}"));
    assert_eq!(extract["fields"]["error_kind"], "extract");
    assert!(
        extract["fields"]["error"]
            .as_str()
            .is_some_and(|error| error.starts_with("the body is not valid JSON")),
        "{extract}"
    );
    assert_eq!(extract["fields"]["causes"], "expected ident at line 1 column 2", "{extract}");
}

#[test]
fn text_logs_carry_no_colour_codes_for_cloudwatch() {
    // CloudWatch shows ANSI colour codes as text (`\x1b[2m...`): the
    // function's default text format must have none.
    let order = r#"{\"id\":1,\"sku\":\"B\",\"quantity\":1,\"warehouse\":0}"#;
    let batch = format!(
        r#"{{"Records":[{{"messageId":"m1","body":"{order}"}},{{"messageId":"m2","body":"nope"}}]}}"#
    );
    let api = RuntimeApi::serve(vec![batch]).expect("a loopback Runtime API");
    let function = Function::spawn(
        lambda_command(env!("CARGO_BIN_EXE_sqs_orders"), api.address(), "orders")
            .env_remove("AWS_LAMBDA_LOG_FORMAT")
            .env_remove("NO_COLOR")
            .env("AWS_LAMBDA_LOG_LEVEL", "INFO")
            .stdout(Stdio::piped()),
    )
    .expect("start the example function");
    let answered = api.posted(Duration::from_secs(60));
    let logs = function.stop().expect("the function's logs");
    assert_eq!(
        answered.expect("the function answered").body,
        r#"{"batchItemFailures":[{"itemIdentifier":"m2"}]}"#
    );
    assert!(logs.contains("record failed"), "the failed record is logged:\n{logs}");
    assert!(!logs.contains('\u{1b}'), "colour codes in the logs:\n{logs:?}");
}
