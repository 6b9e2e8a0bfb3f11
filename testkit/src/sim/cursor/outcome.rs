//! How Lambda reads the end of a stream or Kafka invocation: a function
//! error or a timeout fails the whole batch; a response is read with the
//! runtime's validator when `ReportBatchItemFailures` is on, and is a
//! complete success otherwise.

use lambda_batch::validate::Verdict;
use serde_json::Value;

use crate::sim::core::faults::Ended;
use crate::sim::core::function::invocation::lists_nothing;
use crate::sim::core::trace::TraceEvent;
use crate::sim::core::world::World;
use crate::sim::cursor::logs::Logs;

/// Whether the invocation ran out of time (stopped at the function timeout).
pub(crate) fn out_of_time(ended: &Ended) -> bool {
    matches!(ended, Ended::Failed { out_of_time: true, .. })
}

/// The records of the batch (indices) the engine handed to the poison sink
/// in an invocation that returned (a failed one acknowledges nothing).
pub(crate) fn parked(ended: &Ended) -> &[usize] {
    match ended {
        Ended::Returned { notes, .. } => &notes.parked,
        Ended::Failed { .. } => &[],
    }
}

/// Counts and traces the records invocation `number` replayed (handled in
/// an earlier delivery, not run again); `position` maps an index of the
/// batch to its log and position.
pub(crate) fn note_replays<L: Logs, E>(
    ended: &Ended,
    number: u64,
    position: impl Fn(usize) -> Option<(u32, usize)>,
    logs: &mut L,
    world: &mut World<E>,
) {
    let now = world.now();
    for (log, at) in ended.notes().replayed.iter().filter_map(|&index| position(index)) {
        let id = logs.replayed(log, at);
        world.trace.push(now, || TraceEvent::Replayed { id, invocation: number });
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
        Ended::Failed { error_type, timed_out, out_of_time, .. } => {
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
