//! The business every handler of the suite does: decode an order, fail
//! the empty ones.

use lambda_batch::{Error, RecordOutcome};
use lambda_batch_testkit::prelude::*;
use serde::{Deserialize, Serialize};

/// An order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Order {
    pub(crate) id: u32,
    pub(crate) quantity: u8,
}

/// Orders, about one in six empty; they shrink towards orders that
/// succeed, so a counterexample's failures are the ones that matter.
pub(crate) fn orders() -> impl Strategy<Value = Order> {
    (any::<u32>(), 0u8..6).prop_map(|(id, quantity)| Order { id, quantity: (quantity + 1) % 6 })
}

/// SQS bodies: the JSON of an order.
pub(crate) fn bodies() -> BoxedStrategy<String> {
    json_body(orders())
}

/// Kinesis data: the JSON of an order.
pub(crate) fn data() -> BoxedStrategy<Vec<u8>> {
    json_data(orders())
}

/// The business rule: an empty order fails.
/// [`decide`] as a `#[batch_handler]`'s outcome.
pub(crate) fn outcome_of(order: &Order) -> RecordOutcome {
    match decide(order) {
        Ok(()) => RecordOutcome::Success,
        Err(error) => RecordOutcome::failure(error),
    }
}

pub(crate) fn decide(order: &Order) -> Result<(), Error> {
    if order.quantity == 0 { Err(format!("order {} is empty", order.id).into()) } else { Ok(()) }
}

/// The records every handler of the suite fails on its own, for
/// `Rules::failing_when`: an empty order, whatever the source (the
/// `RecordView` decodes each source's payload).
pub(crate) fn empty_order(record: &RecordView<'_>) -> bool {
    record.json::<Order>().is_some_and(|order| order.quantity == 0)
}
