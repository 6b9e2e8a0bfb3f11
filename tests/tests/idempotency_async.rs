//! Idempotency for asynchronous invocations: the `tower` layer over a
//! `lambda_runtime` service, keyed on the request id.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use lambda_batch::idempotency::{Idempotency, IdempotentLayer, MemoryStore, event_key_fn, idempotent};
use lambda_batch::{Context, LambdaEvent};
use lambda_runtime::tower::{Layer, Service, ServiceExt};
use serde_json::{Value, json};

fn invocation(request_id: &str, payload: Value) -> LambdaEvent<Value> {
    let mut context = Context::default();
    context.request_id = request_id.to_owned();
    LambdaEvent::new(payload, context)
}

/// A handler that counts its runs and answers with the run number;
/// `{"fail": true}` fails, `{"slow": true}` takes a second.
/// What the counting handler's futures are.
type Answer =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Value, lambda_runtime::Error>> + Send>>;

fn counting(runs: Arc<AtomicUsize>) -> impl Fn(LambdaEvent<Value>) -> Answer + Clone {
    move |event: LambdaEvent<Value>| {
        let runs = Arc::clone(&runs);
        Box::pin(async move {
            if event.payload["slow"] == true {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            let run = runs.fetch_add(1, Ordering::SeqCst) + 1;
            if event.payload["fail"] == true {
                return Err("scripted failure".into());
            }
            Ok(json!({ "run": run }))
        })
    }
}

#[tokio::test]
async fn a_retry_with_the_same_request_id_gets_the_stored_response() {
    let runs = Arc::new(AtomicUsize::new(0));
    let mut service = idempotent(Idempotency::new(MemoryStore::new()), counting(Arc::clone(&runs)));
    let first = service.ready().await.unwrap().call(invocation("r-1", json!({"amount": 5}))).await.unwrap();
    let retry = service.ready().await.unwrap().call(invocation("r-1", json!({"amount": 5}))).await.unwrap();
    assert_eq!(first, json!({"run": 1}));
    assert_eq!(retry, first, "the stored response is replayed");
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    let other = service.ready().await.unwrap().call(invocation("r-2", json!({"amount": 5}))).await.unwrap();
    assert_eq!(other, json!({"run": 2}), "another request id runs");
}

#[tokio::test]
async fn a_failed_invocation_releases_its_claim_so_lambdas_retry_runs() {
    let runs = Arc::new(AtomicUsize::new(0));
    let mut service = idempotent(Idempotency::new(MemoryStore::new()), counting(Arc::clone(&runs)));
    let event = json!({"fail": true});
    let first = service.ready().await.unwrap().call(invocation("r-1", event.clone())).await;
    assert_eq!(first.unwrap_err().to_string(), "scripted failure");
    let retry = service.ready().await.unwrap().call(invocation("r-1", event)).await;
    assert!(retry.is_err());
    assert_eq!(runs.load(Ordering::SeqCst), 2, "the retry ran the handler");
}

#[tokio::test(start_paused = true)]
async fn the_same_event_delivered_twice_at_once_runs_once() {
    let runs = Arc::new(AtomicUsize::new(0));
    let layer = IdempotentLayer::new(Idempotency::new(MemoryStore::new()));
    let service = layer.layer(lambda_runtime::service_fn(counting(Arc::clone(&runs))));
    let (first, second) =
        tokio::join!(service.clone().oneshot(invocation("r-1", json!({"slow": true}))), async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            service.clone().oneshot(invocation("r-1", json!({"slow": true}))).await
        });
    assert_eq!(first.unwrap(), json!({"run": 1}));
    let diagnostic = lambda_runtime::Diagnostic::from(second.unwrap_err());
    assert_eq!(diagnostic.error_type, "LambdaBatch.Idempotency.InProgress");
    assert!(
        diagnostic.error_message.contains("another invocation is handling the same key"),
        "{diagnostic:?}"
    );
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn the_same_key_for_a_different_event_is_an_error_not_a_replay() {
    let runs = Arc::new(AtomicUsize::new(0));
    let by_order = Idempotency::new(MemoryStore::new())
        .with_key(event_key_fn(|event: &Value| event["order"].as_str().map(str::to_owned).ok_or("no order")));
    let mut service = idempotent(by_order, counting(Arc::clone(&runs)));
    service
        .ready()
        .await
        .unwrap()
        .call(invocation("r-1", json!({"order": "o-7", "amount": 5})))
        .await
        .unwrap();
    let changed =
        service.ready().await.unwrap().call(invocation("r-2", json!({"order": "o-7", "amount": 6}))).await;
    let error = changed.unwrap_err().to_string();
    assert!(error.contains("was already used for a different event"), "{error}");
    let no_key = service.ready().await.unwrap().call(invocation("r-3", json!({"amount": 6}))).await;
    assert!(no_key.unwrap_err().to_string().contains("no idempotency key (no order)"));
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_panicking_handler_releases_its_claim_and_the_panic_goes_on() {
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&runs);
    let panicking = move |_event: LambdaEvent<Value>| {
        let runs = Arc::clone(&counted);
        async move {
            if runs.fetch_add(1, Ordering::SeqCst) == 0 {
                panic!("first run panics");
            }
            Ok::<_, lambda_runtime::Error>(json!("second run"))
        }
    };
    let service = idempotent(Idempotency::new(MemoryStore::new()), panicking);
    let first = tokio::spawn(service.clone().oneshot(invocation("r-1", json!({})))).await;
    assert!(first.unwrap_err().is_panic());
    let retry = service.oneshot(invocation("r-1", json!({}))).await.unwrap();
    assert_eq!(retry, json!("second run"));
}

#[tokio::test]
async fn a_panic_while_making_the_future_also_releases_the_claim() {
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&runs);
    // The closure panics before it returns a future: inside `Service::call`.
    let panicking = move |_event: LambdaEvent<Value>| {
        if counted.fetch_add(1, Ordering::SeqCst) == 0 {
            panic!("first call panics before its future exists");
        }
        std::future::ready(Ok::<_, lambda_runtime::Error>(json!("second run")))
    };
    let service = idempotent(Idempotency::new(MemoryStore::new()), panicking);
    let first = tokio::spawn(service.clone().oneshot(invocation("r-1", json!({})))).await;
    assert!(first.unwrap_err().is_panic());
    let retry = service.oneshot(invocation("r-1", json!({}))).await.unwrap();
    assert_eq!(retry, json!("second run"), "the claim was given back, so Lambda's retry ran");
}

#[tokio::test]
async fn a_response_that_cannot_be_stored_still_completes_its_key() {
    use std::collections::HashMap;
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&runs);
    // A map with non-string keys: serde_json cannot write it.
    let unwritable = move |_event: LambdaEvent<Value>| {
        counted.fetch_add(1, Ordering::SeqCst);
        std::future::ready(Ok::<_, lambda_runtime::Error>(HashMap::from([((1_u8, 2_u8), 3_u8)])))
    };
    let service = idempotent(Idempotency::new(MemoryStore::new()), unwritable);
    assert!(service.clone().oneshot(invocation("r-1", json!({}))).await.is_ok());
    let retry = service.oneshot(invocation("r-1", json!({}))).await;
    let diagnostic = lambda_runtime::Diagnostic::from(retry.unwrap_err());
    assert_eq!(diagnostic.error_type, "LambdaBatch.Idempotency.StoredResponse");
    assert_eq!(
        runs.load(Ordering::SeqCst),
        1,
        "the effect happened once: the retry fails instead of running"
    );
}

/// An event with a map, as S3's `responseElements` or SNS's message
/// attributes are: its order changes from one deserialization to the next.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Tagged {
    attributes: std::collections::HashMap<String, u32>,
}

#[tokio::test]
async fn the_same_event_hashes_the_same_whatever_the_order_of_its_maps() {
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&runs);
    let handler = move |_event: LambdaEvent<Tagged>| {
        let run = counted.fetch_add(1, Ordering::SeqCst) + 1;
        std::future::ready(Ok::<_, lambda_runtime::Error>(json!({ "run": run })))
    };
    let mut service = idempotent(Idempotency::new(MemoryStore::new()), handler);
    let tagged = |order: &mut dyn Iterator<Item = u32>| Tagged {
        attributes: order.map(|n| (format!("attribute-{n}"), n)).collect(),
    };
    let (first, again) = (tagged(&mut (0..32)), tagged(&mut (0..32).rev()));
    assert_ne!(
        serde_json::to_string(&first).unwrap(),
        serde_json::to_string(&again).unwrap(),
        "the two maps must serialize in different orders for this test to mean anything"
    );
    let mut context = Context::default();
    context.request_id = "r-1".to_owned();
    service.ready().await.unwrap().call(LambdaEvent::new(first, context.clone())).await.unwrap();
    let retry = service.ready().await.unwrap().call(LambdaEvent::new(again, context)).await;
    assert_eq!(retry.unwrap(), json!({"run": 1}), "replayed, not refused as another payload");
}
