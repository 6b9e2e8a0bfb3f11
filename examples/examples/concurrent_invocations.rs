//! Lambda Managed Instances: one execution environment receives several
//! invocations at once. A `#[batch_handler]` function serves them unchanged:
//! give it to `lambda_runtime::run_concurrent` instead of `run`, with its
//! state in an `Arc` (each runtime worker holds a clone of the service).
//!
//! `run_concurrent` needs lambda_runtime's `concurrency-tokio` feature, which
//! this crate's `managed-instances` feature turns on:
//!
//!     cargo run -p lambda-batch-examples --example concurrent_invocations --features managed-instances
//!
//! In Lambda (`AWS_LAMBDA_RUNTIME_API` set) it polls for invocations with
//! `AWS_LAMBDA_MAX_CONCURRENCY` workers (one at a time when that is unset
//! or 1, as on classic Lambda). Anywhere else it runs a few invocations at
//! once through the same service, each with its own batch, request id and
//! deadline, and prints what each one answered.

use std::sync::Arc;

use lambda_batch::{BatchError, BatchEvent, BatchResponse, LambdaEvent};
use lambda_batch_examples::inventory::{Projection, project_order};
use lambda_batch_testkit::dynamodb as events;
use lambda_runtime::tower::ServiceExt;
use lambda_runtime::{Service, service_fn};
use serde_json::json;
use tracing::Instrument;

#[tokio::main]
async fn main() -> Result<(), lambda_batch::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    // Created once per execution environment, shared by every invocation.
    let projection = Arc::new(Projection::default());
    let handler = service_fn({
        let projection = Arc::clone(&projection);
        move |event: LambdaEvent<BatchEvent>| {
            let projection = Arc::clone(&projection);
            async move { project_order(&projection, event).await }
        }
    });
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        return lambda_runtime::run_concurrent(handler).await;
    }
    println!("AWS_LAMBDA_RUNTIME_API is not set: running 4 invocations at once locally\n");
    locally(handler, &projection).await;
    Ok(())
}

/// Four invocations at the same time, each on its own task (as the runtime's
/// workers run them), each with its own orders; the third has a record
/// whose image does not match its key.
async fn locally<S>(handler: S, projection: &Projection)
where
    S: Service<LambdaEvent<BatchEvent>, Response = BatchResponse, Error = BatchError>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let key = |id: &str| json!({"id": {"S": id}});
    let item = |id: &str, units: u32| json!({"id": {"S": id}, "units": {"N": units.to_string()}});
    let tasks: Vec<_> = (1..=4)
        .map(|n| {
            let (first, second) = (format!("order-{n}a"), format!("order-{n}b"));
            let image_id = if n == 3 { "someone-else".to_owned() } else { second.clone() };
            let event = events::event([
                events::record(&format!("{n}01"), "INSERT", key(&first), Some(item(&first, n)), None),
                events::record(
                    &format!("{n}02"),
                    "INSERT",
                    key(&second),
                    Some(item(&image_id, 10 * n)),
                    None,
                ),
            ]);
            let mut cx = lambda_batch_testkit::context();
            cx.request_id = format!("request-{n}");
            // In Lambda the runtime opens this span (`requestId`) around each
            // invocation, so interleaved log lines still tell them apart.
            let span = tracing::info_span!("Lambda runtime invoke", requestId = %cx.request_id);
            let invocation = handler.clone().oneshot(LambdaEvent::new(event, cx)).instrument(span);
            (n, tokio::spawn(invocation))
        })
        .collect();
    for (n, task) in tasks {
        match task.await {
            Ok(Ok(response)) => {
                let failures: Vec<&str> = response.failures().map(|id| id.as_str()).collect();
                println!("request-{n}: batchItemFailures {failures:?}");
            }
            Ok(Err(error)) => println!("request-{n}: invocation error {}: {error}", error.error_type()),
            Err(join) => println!("request-{n}: task failed: {join}"),
        }
    }
    let units = |id: &str| projection.units(id).map_or("-".to_owned(), |u| u.to_string());
    println!(
        "\nshared projection: order-1b {}, order-2b {}, order-3b {}, order-4b {}",
        units("order-1b"),
        units("order-2b"),
        units("order-3b"),
        units("order-4b")
    );
}
