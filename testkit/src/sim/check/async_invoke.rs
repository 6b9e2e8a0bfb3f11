//! The asynchronous-invocation invariant.

use std::collections::HashMap;

use proptest::test_runner::TestCaseError;

use crate::sim::async_invoke::report::{AsyncEventEnd, AsyncReport};
use crate::sim::check::common::{MAKE_IDEMPOTENT, fail};

/// Asynchronous invocation: every event ended, the DLQ / destinations hold
/// exactly the failed ones, and per request id the function's effects
/// (`effects`: request id -> times the effect happened) happened at most
/// once, and exactly once for every event that succeeded.
pub fn effects_exactly_once(
    report: &AsyncReport,
    effects: &HashMap<String, u32>,
) -> Result<(), TestCaseError> {
    let mut failed = 0;
    for event in &report.events {
        let done = effects.get(&*event.request_id).copied().unwrap_or(0);
        if done > 1 {
            return fail(format!(
                "request {}: the effect happened {done} times ({} invocations with this request id: retries, \
                 and copies Lambda delivered again, maybe while an attempt still ran): {MAKE_IDEMPOTENT}",
                event.request_id, event.invocations
            ));
        }
        match &event.end {
            AsyncEventEnd::Succeeded(_) if done != 1 => {
                return fail(format!(
                    "request {} succeeded but its effect happened {done} times",
                    event.request_id
                ));
            }
            AsyncEventEnd::Succeeded(_) => {}
            AsyncEventEnd::Failed { .. } => failed += 1,
            AsyncEventEnd::Pending => return fail(format!("request {} never ended", event.request_id)),
        }
    }
    if report.metrics.async_events_dropped != failed {
        return fail(format!(
            "{failed} events failed but AsyncEventsDropped is {}",
            report.metrics.async_events_dropped
        ));
    }
    Ok(())
}
