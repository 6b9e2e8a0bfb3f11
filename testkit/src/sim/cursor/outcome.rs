//! How Lambda reads the end of a stream or Kafka invocation: a function
//! error or a timeout fails the whole batch; a response is read with the
//! runtime's validator when `ReportBatchItemFailures` is on, and is a
//! complete success otherwise.

use lambda_batch::validate::Verdict;
use serde_json::Value;

use crate::sim::core::faults::Ended;
use crate::sim::core::function::invocation::lists_nothing;
use crate::sim::core::world::World;

/// Whether the invocation ran out of time (stopped at the function timeout).
pub(crate) fn out_of_time(ended: &Ended) -> bool {
    matches!(ended, Ended::Failed { out_of_time: true, .. })
}

/// The records of the batch (indices) the engine handed to the poison sink.
pub(crate) fn parked(ended: &Ended) -> &[usize] {
    match ended {
        Ended::Returned { parked, .. } => parked,
        Ended::Failed { .. } => &[],
    }
}

/// The verdict on the batch of invocation `number` (`records` records):
/// `check` reads a response that lists failures; `None` for a function
/// error or timeout, which is recorded here (metrics and trace).
pub(crate) fn verdict<E>(
    ended: Ended,
    (number, records): (u64, usize),
    report_batch_item_failures: bool,
    world: &mut World<E>,
    check: impl FnOnce(&Value) -> Verdict,
) -> Option<Verdict> {
    match ended {
        Ended::Failed { error_type, timed_out, out_of_time } => {
            world.function_failed(number, records, error_type, timed_out, out_of_time);
            None
        }
        Ended::Returned { response, .. } if report_batch_item_failures && !lists_nothing(&response) => {
            Some(check(&response))
        }
        // An empty list, or any response without ReportBatchItemFailures.
        Ended::Returned { .. } => Some(Verdict::CompleteSuccess),
    }
}
