//! `DynamoDbStore` facing answers moto's server never gives: a transaction
//! cancelled for a `TransactionConflict`, a failed condition without the
//! item (`ALL_OLD` not honoured), a second cancellation, throttling. An HTTP
//! client in this file answers each request with the next canned DynamoDB
//! response (the wire format of DynamoDB's JSON protocol) and records what
//! was asked. No server needed: these always run.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorFuture, SharedHttpConnector, http_client_fn,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use lambda_batch::idempotency::aws_sdk_dynamodb::config::retry::RetryConfig;
use lambda_batch::idempotency::aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use lambda_batch::idempotency::aws_sdk_dynamodb::{Client, Config};
use lambda_batch::idempotency::{
    Claim, ClaimAnswer, Completion, DynamoDbStore, Key, Store, StoreErrorKind, Stored, StoredState,
};
use serde_json::{Value, json};

const TABLE: &str = "idempotency";

/// One request the store sent: the operation and its JSON body.
#[derive(Debug, Clone)]
struct Asked {
    operation: String,
    body: Value,
}

/// Answers each request with the next canned response, in order.
#[derive(Debug, Clone, Default)]
struct Canned {
    answers: Arc<Mutex<VecDeque<(u16, Value)>>>,
    asked: Arc<Mutex<Vec<Asked>>>,
}

impl HttpConnector for Canned {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let target = request.headers().get("x-amz-target").unwrap_or_default();
        let operation = target.rsplit('.').next().unwrap_or_default().to_owned();
        let body = serde_json::from_slice(request.body().bytes().unwrap_or_default()).unwrap_or(Value::Null);
        self.asked.lock().unwrap().push(Asked { operation, body });
        let (status, answer) =
            self.answers.lock().unwrap().pop_front().expect("a canned answer for each request");
        let mut response =
            HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::from(answer.to_string()));
        response.headers_mut().insert("content-type", "application/x-amz-json-1.0");
        HttpConnectorFuture::ready(Ok(response))
    }
}

impl Canned {
    fn answering(answers: impl IntoIterator<Item = (u16, Value)>) -> (Canned, DynamoDbStore) {
        let canned =
            Canned { answers: Arc::new(Mutex::new(answers.into_iter().collect())), ..Canned::default() };
        let connector = canned.clone();
        let config = Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "lambda-batch-tests"))
            .endpoint_url("http://127.0.0.1:1")
            .retry_config(RetryConfig::disabled())
            .http_client(http_client_fn(move |_, _| SharedHttpConnector::new(connector.clone())))
            .build();
        (canned, DynamoDbStore::new(Client::from_conf(config), TABLE))
    }

    fn asked(&self) -> Vec<Asked> {
        self.asked.lock().unwrap().clone()
    }
}

/// A `TransactionCanceledException` with these reasons.
fn cancelled(reasons: Value) -> (u16, Value) {
    let message = "Transaction cancelled, please refer cancellation reasons for specific reasons";
    (
        400,
        json!({
            "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
            "Message": message,
            "CancellationReasons": reasons,
        }),
    )
}

fn ok() -> (u16, Value) {
    (200, json!({}))
}

/// An in-progress item held by `token`, as DynamoDB's JSON writes it.
fn in_progress(key: &Key, token: &str) -> Value {
    json!({
        "id": {"S": key.as_str()},
        "status": {"S": "IN_PROGRESS"},
        "expiration": {"N": "2000000000"},
        "expires_at_ms": {"N": "2000000000000"},
        "payload_hash": {"S": "hash"},
        "token": {"S": token},
    })
}

fn keys(count: usize) -> Vec<Key> {
    (0..count).map(|n| Key::new("tests", &format!("m{n}"))).collect()
}

fn claims(keys: &[Key]) -> Vec<Claim<'_>> {
    keys.iter()
        .map(|key| Claim {
            key,
            payload_hash: "hash",
            token: "mine/1/0",
            now_ms: 1_000,
            expires_at_ms: 31_000,
        })
        .collect()
}

/// The keys (`id`) of the puts or deletes of a `TransactWriteItems` body.
fn transacted(asked: &Asked) -> Vec<String> {
    asked.body["TransactItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|action| {
            let write = action.get("Put").map_or_else(|| &action["Delete"]["Key"], |put| &put["Item"]);
            write["id"]["S"].as_str().unwrap().to_owned()
        })
        .collect()
}

#[tokio::test]
async fn a_conflict_fails_its_key_a_condition_without_the_item_is_read_back_and_the_rest_is_retried() {
    let keys = keys(3);
    let other = in_progress(&keys[2], "other/1/0");
    let (canned, store) = Canned::answering([
        cancelled(json!([
            {"Code": "None"},
            {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"},
            {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"},
        ])),
        ok(),
        (200, json!({"Responses": {TABLE: [other]}, "UnprocessedKeys": {}})),
    ]);
    let answers = store.claim(&claims(&keys)).await.unwrap();

    assert_eq!(answers[0], ClaimAnswer::Claimed);
    match &answers[1] {
        ClaimAnswer::Failed(error) => {
            assert_eq!(error.kind(), StoreErrorKind::Throttled);
            assert!(
                error.message().contains("TransactionConflict") && error.message().contains(keys[1].as_str())
            );
        }
        other => panic!("a conflict is a failure (the record is retried), got {other:?}"),
    }
    let expected = Stored {
        state: StoredState::InProgress { token: "other/1/0".to_owned() },
        payload_hash: "hash".to_owned(),
        expires_at_ms: 2_000_000_000_000,
    };
    assert_eq!(answers[2], ClaimAnswer::Taken(expected));

    let asked = canned.asked();
    let operations: Vec<&str> = asked.iter().map(|asked| asked.operation.as_str()).collect();
    assert_eq!(operations, ["TransactWriteItems", "TransactWriteItems", "BatchGetItem"]);
    assert_eq!(transacted(&asked[1]), [keys[0].as_str()], "only the key that was not at fault is retried");
    let put = &asked[0].body["TransactItems"][0]["Put"];
    assert_eq!(put["ConditionExpression"], "attribute_not_exists(#key) OR #expires <= :now");
    assert_eq!(put["ReturnValuesOnConditionCheckFailure"], "ALL_OLD");
    assert_eq!(asked[2].body["RequestItems"][TABLE]["ConsistentRead"], true, "read back strongly consistent");
}

#[tokio::test]
async fn a_key_cancelled_twice_by_others_fails_and_our_own_claim_found_again_is_ours() {
    let keys = keys(3);
    let (canned, store) = Canned::answering([
        cancelled(json!([
            {"Code": "None"},
            {"Code": "None"},
            // The SDK resent a transaction DynamoDB had applied: the item is ours.
            {"Code": "ConditionalCheckFailed", "Item": in_progress(&keys[2], "mine/1/0")},
        ])),
        cancelled(
            json!([{"Code": "None"}, {"Code": "ConditionalCheckFailed", "Item": in_progress(&keys[1], "x/1/0")}]),
        ),
    ]);
    let answers = store.claim(&claims(&keys)).await.unwrap();

    match &answers[0] {
        ClaimAnswer::Failed(error) => {
            assert!(error.message().contains("cancelled its transaction twice"), "{error}")
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    assert!(
        matches!(&answers[1], ClaimAnswer::Taken(Stored { state: StoredState::InProgress { token }, .. }) if token == "x/1/0")
    );
    assert_eq!(answers[2], ClaimAnswer::Claimed, "a claim with our own token is ours");
    assert_eq!(canned.asked().len(), 2, "one retry, no more");
}

#[tokio::test]
async fn throttling_fails_the_call_as_throttled_with_the_sdk_error_kept() {
    let keys = keys(1);
    let (_canned, store) = Canned::answering([(
        400,
        json!({
            "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
            "message": "The level of configured provisioned throughput for the table was exceeded",
        }),
    )]);
    let error = store.claim(&claims(&keys)).await.unwrap_err();
    assert_eq!(error.kind(), StoreErrorKind::Throttled);
    assert!(error.message().contains("ProvisionedThroughputExceededException"), "{error}");
    assert!(std::error::Error::source(&error).is_some());
}

#[tokio::test]
async fn a_settling_retries_a_conflict_and_drops_a_result_whose_claim_was_taken() {
    let keys = keys(2);
    let (canned, store) = Canned::answering([
        cancelled(json!([{"Code": "TransactionConflict"}, {"Code": "ConditionalCheckFailed"}])),
        ok(),
    ]);
    let completions: Vec<Completion<'_>> = keys
        .iter()
        .map(|key| Completion {
            key,
            token: "mine/1/0",
            payload_hash: "hash",
            response: None,
            expires_at_ms: 9_000,
        })
        .collect();
    store.settle(&completions, &[]).await.unwrap();

    let asked = canned.asked();
    assert_eq!(asked.len(), 2);
    assert_eq!(
        transacted(&asked[1]),
        [keys[0].as_str()],
        "the conflicting write is retried, the lost one dropped"
    );
    let put = &asked[0].body["TransactItems"][0]["Put"];
    assert_eq!(put["ConditionExpression"], "#token = :token OR attribute_not_exists(#key)");
    assert_eq!(put["Item"]["status"]["S"], "COMPLETED");
    assert_eq!(put["Item"]["expiration"]["N"], "9", "epoch seconds for TTL");
}
