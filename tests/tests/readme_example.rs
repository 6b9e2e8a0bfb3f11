//! The property test shown in the README, kept compiling and passing.

use lambda_batch::{Json, RecordOutcome, batch_handler};
use lambda_batch_testkit::prelude::*;

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Order {
    id: u32,
    quantity: u8,
}

#[batch_handler(sqs_fifo, fifo_policy = "skip_failed_group", concurrency = 4)]
async fn handle_order(Json(order): Json<Order>) -> RecordOutcome {
    if order.quantity == 0 { RecordOutcome::failure("empty order") } else { RecordOutcome::Success }
}

// --- README begins
fn orders() -> impl Strategy<Value = Order> {
    (any::<u32>(), 0u8..5).prop_map(|(id, quantity)| Order { id, quantity })
}

proptest! {
    #[test]
    fn handle_order_keeps_every_promise(
        batch in sqs_fifo_batch(1..10, 1..=3, json_body(orders())),
        faults in fault_plan(10, 0.2),
    ) {
        let run = run(handle_order, &batch, &faults);
        check(&run, handle_order::CONFIG)?;
    }
}
// --- README ends
