//! `sqs_orders` written by hand on `lambda_runtime` and `aws_lambda_events`,
//! the way a careful user writes it without lambda-batch: the cold-start
//! bench's baseline for that function (the same orders, the same answers).
//! Not deployed: `cargo lambda build -p lambda-batch-examples` never builds
//! this package.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde::Deserialize;

/// One order message.
#[derive(Debug, Deserialize)]
struct Order {
    id: u64,
    sku: String,
    quantity: u32,
    warehouse: usize,
}

/// Why a message fails.
#[derive(Debug, thiserror::Error)]
enum OrderError {
    #[error("the body is not valid JSON for an order")]
    Body(#[source] serde_json::Error),
    #[error("order {0} has quantity 0")]
    Empty(u64),
    #[error("order {id}: only {available} of {sku} left, {wanted} wanted")]
    OutOfStock { id: u64, sku: String, available: u32, wanted: u32 },
}

const WAREHOUSES: [&str; 2] = ["dublin", "frankfurt"];
const STOCK: u32 = 100;

fn reserve(message: &SqsMessage, request_id: &str) -> Result<(), OrderError> {
    let order: Order =
        serde_json::from_str(message.body.as_deref().unwrap_or_default()).map_err(OrderError::Body)?;
    if order.quantity == 0 {
        return Err(OrderError::Empty(order.id));
    }
    if order.quantity > STOCK {
        return Err(OrderError::OutOfStock {
            id: order.id,
            sku: order.sku,
            available: STOCK,
            wanted: order.quantity,
        });
    }
    let warehouse = WAREHOUSES[order.warehouse];
    tracing::info!(
        order = order.id,
        warehouse,
        receive_count = message.attributes.get("ApproximateReceiveCount").map(String::as_str),
        request_id,
        "reserved"
    );
    Ok(())
}

/// Every message is tried; a failed one is logged and reported. On a FIFO
/// queue the first failure stops the batch: it and every later message
/// are reported.
async fn handle(event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, Error> {
    let (event, context) = event.into_parts();
    let fifo = event
        .records
        .first()
        .and_then(|m| m.event_source_arn.as_deref())
        .is_some_and(|arn| arn.ends_with(".fifo"));
    let mut response = SqsBatchResponse::default();
    let mut stopped = false;
    for message in &event.records {
        let id = message.message_id.clone().unwrap_or_default();
        if stopped {
            response.add_failure(id);
            continue;
        }
        if let Err(error) = reserve(message, &context.request_id) {
            let cause = std::error::Error::source(&error).map(ToString::to_string);
            tracing::error!(record_id = id, error = %error, causes = cause, "record failed");
            response.add_failure(id);
            stopped = fifo;
        }
    }
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    lambda_runtime::run(service_fn(handle)).await
}
