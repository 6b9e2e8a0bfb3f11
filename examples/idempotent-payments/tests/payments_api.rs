//! The idempotent payment function, unchanged, against the loopback Lambda
//! Runtime API (`lambda_batch_cold_start::runtime_api`) and a real DynamoDB
//! API (moto's server, started by `.ci/idempotency_store.sh`, which exports
//! its address as `LAMBDA_BATCH_DYNAMODB_ENDPOINT`; without it the test
//! says SKIPPED and passes). A payment sent twice, in two messages of two invocations, is
//! charged once; the same payment id with another amount is refused.

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_batch::idempotency::DynamoDbStore;
use lambda_batch::idempotency::aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use lambda_batch::idempotency::aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use lambda_batch::idempotency::aws_sdk_dynamodb::{Client, Config};
use lambda_batch_cold_start::function::{Function, lambda_command};
use lambda_batch_cold_start::runtime_api::RuntimeApi;

const ENDPOINT_VARIABLE: &str = "LAMBDA_BATCH_DYNAMODB_ENDPOINT";

async fn create_table(endpoint: &str) -> String {
    let config = Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "payments-api-test"))
        .endpoint_url(endpoint)
        .http_client(DynamoDbStore::http_client())
        .build();
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").subsec_nanos();
    let name = format!("payments-{}-{nanos}", std::process::id());
    let key = AttributeDefinition::builder().attribute_name("id").attribute_type(ScalarAttributeType::S);
    Client::from_conf(config)
        .create_table()
        .table_name(&name)
        .attribute_definitions(key.build().expect("attribute"))
        .key_schema(
            KeySchemaElement::builder().attribute_name("id").key_type(KeyType::Hash).build().expect("key"),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("create the table");
    name
}

fn payment(id: &str, amount_cents: u64) -> String {
    format!(
        r#"{{\"id\":\"{id}\",\"account\":\"acc-9\",\"amount_cents\":{amount_cents},\"currency\":\"EUR\"}}"#
    )
}

fn batch(messages: &[(&str, String)]) -> String {
    let records: Vec<String> = messages
        .iter()
        .map(|(id, body)| {
            format!(
                r#"{{"messageId":"{id}","body":"{body}","eventSourceARN":"arn:aws:sqs:us-east-1:123456789012:payments"}}"#
            )
        })
        .collect();
    format!(r#"{{"Records":[{}]}}"#, records.join(","))
}

#[tokio::test]
async fn a_payment_sent_twice_is_charged_once_across_invocations() {
    let endpoint = match std::env::var(ENDPOINT_VARIABLE) {
        Ok(url) if !url.is_empty() => url,
        _ => {
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: a_payment_sent_twice_is_charged_once_across_invocations needs a DynamoDB API; set \
                 {ENDPOINT_VARIABLE} or run .ci/idempotency_store.sh, which starts moto's server and runs it"
            );
            return;
        }
    };
    let table = create_table(&endpoint).await;
    let events = vec![
        batch(&[("m1", payment("p-1", 1250)), ("m2", payment("p-2", 0))]),
        // The producer resent p-1 (a new message), beside a new payment.
        batch(&[("m3", payment("p-1", 1250)), ("m4", payment("p-3", 800))]),
        // The same payment id with another amount: a bug upstream.
        batch(&[("m5", payment("p-1", 9999)), ("m6", payment("p-4", 300))]),
    ];
    let api = RuntimeApi::serve(events).expect("a loopback Runtime API");
    let function = Function::spawn(
        lambda_command(env!("CARGO_BIN_EXE_idempotent_payments"), api.address(), "payments")
            .env("IDEMPOTENCY_TABLE", &table)
            .env("AWS_ENDPOINT_URL_DYNAMODB", &endpoint)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped()),
    )
    .expect("start the payment function");

    let mut answers = Vec::new();
    for _ in 0..3 {
        let posted = api.posted(Duration::from_secs(60)).expect("the function answered");
        assert!(posted.path.ends_with("/response"), "{}: {}", posted.path, posted.body);
        answers.push(posted.body);
    }
    assert_eq!(answers[0], r#"{"batchItemFailures":[{"itemIdentifier":"m2"}]}"#, "the zero payment fails");
    assert_eq!(answers[1], r#"{"batchItemFailures":[]}"#, "p-1 replayed, p-3 charged");
    assert_eq!(answers[2], r#"{"batchItemFailures":[{"itemIdentifier":"m5"}]}"#, "another amount is refused");

    let logs = function.stop().expect("the function's logs");
    let charged = |id: &str| {
        logs.lines()
            .filter(|line| line.contains("charged") && line.contains(&format!("payment={id}")))
            .count()
    };
    let counts = [charged("p-1"), charged("p-2"), charged("p-3"), charged("p-4")];
    assert_eq!(counts, [1, 0, 1, 1], "each good payment charged once:\n{logs}");
    assert!(logs.contains("already used for a different payload"), "{logs}");
}
