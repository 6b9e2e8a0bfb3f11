//! An order-reservation function fed by an SQS queue (standard or FIFO).

use lambda_batch::sqs::SqsMessage;
use lambda_batch::{Context, Json, batch_handler};
use serde::Deserialize;

/// One order message.
#[derive(Debug, Deserialize)]
pub struct Order {
    /// The order number.
    pub id: u64,
    /// What is ordered.
    pub sku: String,
    /// How many.
    pub quantity: u32,
    /// Which warehouse ships it (index into [`WAREHOUSES`]).
    pub warehouse: usize,
}

/// Why an order cannot be reserved.
#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    /// The order asks for nothing.
    #[error("order {0} has quantity 0")]
    Empty(u64),
    /// Not enough stock.
    #[error("order {id}: only {available} of {sku} left, {wanted} wanted")]
    OutOfStock {
        /// The order number.
        id: u64,
        /// The product.
        sku: String,
        /// Stock left.
        available: u32,
        /// Quantity ordered.
        wanted: u32,
    },
}

/// The warehouses an order can ship from.
pub const WAREHOUSES: [&str; 2] = ["dublin", "frankfurt"];

/// Stock per product (the same everywhere, to keep the example short).
const STOCK: u32 = 100;

/// Reserves stock for one order.
///
/// A warehouse number out of range is a bug that panics (indexing past the
/// end); lambda-batch turns that panic into this record's failure only.
#[batch_handler(sqs)]
pub async fn handle_order(
    Json(order): Json<Order>,
    message: &SqsMessage,
    cx: &Context,
) -> Result<(), OrderError> {
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
        request_id = %cx.request_id,
        "reserved"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(quantity: u32, warehouse: usize) -> Json<Order> {
        Json(Order { id: 1, sku: "BOOK-1".to_owned(), quantity, warehouse })
    }

    #[tokio::test]
    async fn record_logic_is_unit_testable() {
        let message = SqsMessage::default();
        let cx = Context::default();
        assert!(handle_order::record(order(2, 0), &message, &cx).await.is_ok());
        assert!(matches!(handle_order::record(order(0, 0), &message, &cx).await, Err(OrderError::Empty(1))));
    }
}
