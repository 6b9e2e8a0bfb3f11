//! The fix each class of defect needs, in words, for the invariants'
//! messages: one place, so that two invariants never advise differently
//! for the same cause.

use lambda_batch::OrderingRule;
use lambda_batch::sqs::FifoPolicy;

use super::facts::Facts;
use super::rules::{HeldBack, Rules};

/// How to let the checks see a hand-written handler's work.
pub(crate) const OBSERVE: &str = "wrap each record's work (decoding included) in \
     `lambda_batch::observe(id, work)`, with the record's identifier; in your Lambda build it is just \
     `work.await`";

/// A record acknowledged although its work did not run to the end.
pub(crate) const REPORT_UNHANDLED: &str = "report every record whose work did not succeed or did not run: \
     a deadline guard reports the records it did not start and the ones it gave up on";

/// The invocation ran past its deadline.
pub(crate) fn timed_out(engine: bool) -> &'static str {
    if engine {
        "the invocation ran past its deadline although the engine's deadline guard stops starting records \
         `deadline_margin_ms` before it: a record's work that blocks the thread (`std::thread::sleep`, \
         blocking I/O) keeps the guard from running; await instead, or move blocking work to \
         `tokio::task::spawn_blocking`"
    } else {
        "the invocation ran past its deadline, and a timeout makes Lambda retry the whole batch: add a \
         deadline guard (read the deadline from the `Context`; from a margin before it, start no record, \
         report the ones not started and give up on a record still running, reporting it), or use \
         `#[batch_handler]`, which has one (`deadline_margin_ms`)"
    }
}

/// A panic out of one record's work failed the invocation.
pub(crate) const CATCH_PANICS: &str = "a panic in one record's work fails the whole invocation: catch it per \
     record (`futures_util::FutureExt::catch_unwind` around the observed work, or a tokio task per record \
     spawned with `lambda_batch::observed_task`) and report that record";

/// The handler returned an error for the whole batch.
pub(crate) const REPORT_NOT_FAIL: &str = "return `Ok` with the failed records in batchItemFailures: fail \
     the invocation only when a record cannot be named or every record failed";

/// A record reported although it was handled. `waited`: the invocation
/// took time on the harness's clock (without it no deadline guard could
/// have stopped the handler).
pub(crate) fn over_reported(rules: &Rules, facts: &Facts, waited: bool) -> String {
    let mut hint = "report only the records that failed (and, where the rules say so, the ones after a \
                    failure that were not run): Lambda delivers every reported record again"
        .to_owned();
    if waited
        && rules.failing_when.is_some()
        && rules.deadline_margin.is_none()
        && facts.observed_by.is_none()
    {
        hint.push_str(
            "; if your handler stops starting records near the deadline and reports those, say so with \
             `Rules::guarding_deadline(margin)`",
        );
    }
    if rules.fifo(facts.batch_is_fifo).is_some() && facts.observed_by.is_some() {
        hint.push_str("; if these ran after a failure of their FIFO batch or group: ");
        hint.push_str(stop_after_failure(rules, facts));
    }
    if rules.failing_when.is_some() && facts.observed_by.is_none() {
        hint.push_str("; if your handler does fail these records, correct your `failing_when` predicate");
    }
    hint
}

/// The checkpoint a stream or Kafka response must set.
pub(crate) fn checkpoint(facts: &Facts) -> &'static str {
    if facts.source.ordering() == OrderingRule::KafkaPartition {
        "report, for each partition, the first record that failed (its offset): Lambda retries the partition \
         from the lowest offset listed, so a later one skips records and an earlier one repeats handled ones"
    } else {
        "report the first record that failed (its sequence number): Lambda retries from the lowest sequence \
         number listed, so a later one skips records and an earlier one repeats handled ones"
    }
}

/// A record of a FIFO group or stream key ran after an earlier one failed.
pub(crate) fn stop_after_failure(rules: &Rules, facts: &Facts) -> &'static str {
    let standard_stop = rules.fifo(facts.batch_is_fifo).is_none()
        && rules.held_back(facts.batch_is_fifo) == HeldBack::Everything;
    if standard_stop {
        return "your rules stop at the first failure (`StandardPolicy::StopAtFirstFailure`): report the failed \
                message and every later message of the batch without running them, or follow `Rules::sqs` if \
                going on is intended";
    }
    match (facts.source.ordering(), rules.fifo(facts.batch_is_fifo)) {
        (_, Some(FifoPolicy::SkipFailedGroup)) => {
            "after a failure, run no later message of its group: report the failed message and every later \
             message of its group without running them (other groups may go on)"
        }
        (_, Some(_)) => {
            "at the first failure, stop: report the failed message and every later message of the batch \
             without running them"
        }
        (OrderingRule::KafkaPartition, None) => {
            "at a partition's first failure, stop that partition: report its offset and run no later record \
             of the partition (other partitions may go on), or follow `Rules::stream_continue` if going on is \
             intended"
        }
        _ => {
            "at the first failure, stop: report its sequence number and run no later record (Lambda delivers \
             them again from there), or follow `Rules::stream_continue` if going on is intended"
        }
    }
}

/// Records of one FIFO group or stream key ran out of order or at once.
pub(crate) const ONE_AT_A_TIME: &str = "run the records of one FIFO message group, stream partition key or \
     Kafka partition one after another in batch order, each awaited before the next starts (run different \
     keys concurrently if you like)";

/// A promise of the engine's response writer broke.
pub(crate) const ENGINE_BUG: &str = "this is a promise of lambda-batch's own engine, not of your code: please \
     report it with this counterexample";

/// Why calls keep order cannot be checked without observed calls, what
/// would pass unseen, and how to let the check see the calls.
pub(crate) fn unobserved_calls(rules: &Rules, facts: &Facts) -> String {
    let unseen = if rules.fifo(facts.batch_is_fifo).is_some() {
        "a FIFO handler that goes on running messages after a failure (out of order with the retried one) \
         would pass"
    } else if facts.source.ordering() == OrderingRule::KafkaPartition && rules.checkpoint() {
        "a Kafka handler that goes on running a partition's records after that partition's failure would pass"
    } else if rules.checkpoint() {
        "a stream handler that goes on running records after a failure would pass"
    } else {
        "a handler that runs a record twice, or records of one key out of order, would pass"
    };
    format!(
        "no per-record calls were observed, so the order of the handler's work cannot be seen (nor whether a \
         record it acknowledged was run at all): {unseen}: {}",
        OBSERVE
    )
}
