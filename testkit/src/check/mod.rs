//! Invariant checks over a [`HarnessRun`]: [`check`] returns
//! `Result<(), TestCaseError>` so proptest shrinks the failing input, and
//! [`check_report`] says which invariants held, which broke and which
//! could not be checked, and why.
//!
//! The invariants ([`Invariant`]), in the order they run:
//! 1. Lambda takes the response as a partial batch response, and a FIFO
//!    response keeps the queue's order;
//! 2. nothing is acknowledged that must be retried: a record that failed,
//!    was never handled, carries a corrupted payload, or has no usable
//!    identifier (then the invocation must fail, or the response retry it
//!    some other way);
//! 3. exactly the failed records are reported (no over-reporting; streams:
//!    retried from exactly the first failure), and an invocation error
//!    only where it is the right answer;
//! 4. calls keep order within a FIFO group or a stream key, never overlap
//!    there, stop after a failure where the rules say so, and no record is
//!    called twice;
//! 5. for `#[batch_handler]`s, the engine's own promises: nothing reported
//!    twice, failures listed in record order.
//!
//! Invariants 3 and 4 need to know what the handler did with each record:
//! the engine's calls (`#[batch_handler]`), or a hand-written handler's
//! per-record work wrapped in `lambda_batch::observe`. Without those, 3
//! needs [`Rules::failing_when`] and 4 cannot run. No silent pass: an
//! invariant that applies but cannot be checked fails [`check`] (the
//! message says how to make it checkable) unless the rules accept it
//! unchecked with [`Rules::accepting_unchecked`]; [`check_report`] lists
//! both, the opt-outs with their reasons.

mod facts;
mod hints;
mod invariants;
mod report;
mod rules;
mod view;

use proptest::test_runner::TestCaseError;

use self::report::Verdict;
pub use self::report::{CheckReport, Invariant};
pub use self::rules::Rules;
pub use self::view::RecordView;
use crate::harness::HarnessRun;

/// Runs every invariant that applies to the batch's source and the
/// handler's [`Rules`], stopping at the first one broken. An invariant that
/// applies but cannot be checked (a hand-written handler whose work is not
/// observed) fails too, unless the rules accept it unchecked
/// ([`Rules::accepting_unchecked`]).
///
/// # Errors
/// The first invariant broken, with what broke it; else the first one not
/// checked without an opt-out, with the ways to check it.
pub fn check(run: &HarnessRun, rules: impl Into<Rules>) -> Result<(), TestCaseError> {
    check_report(run, rules).result()
}

/// Runs every invariant that applies, like [`check`], and says which held,
/// which broke and which could not be checked.
pub fn check_report(run: &HarnessRun, rules: impl Into<Rules>) -> CheckReport {
    let rules = rules.into();
    let facts = facts::Facts::read(run, &rules);
    let judged = [
        (Invariant::AcceptedByLambda, invariants::accepted_by_lambda as invariants::Judge),
        (Invariant::NothingAcknowledgedUnhandled, invariants::nothing_acknowledged_unhandled),
        (Invariant::ExactlyTheFailedReported, invariants::exactly_the_failed_reported),
        (Invariant::CallsKeepOrder, invariants::calls_keep_order),
        (Invariant::NothingReportedTwice, invariants::nothing_reported_twice),
        (Invariant::FailuresInRecordOrder, invariants::failures_in_record_order),
    ];
    let mut report = CheckReport::default();
    for (invariant, judge) in judged {
        match judge(run, &rules, &facts) {
            Verdict::Held => report.held.push(invariant),
            Verdict::Broken(message) => {
                report.broken = Some((invariant, message));
                break;
            }
            Verdict::NotChecked(why) => {
                if let Some(reason) = rules.unchecked_reason(invariant) {
                    report.opted_out.push((invariant, reason.to_owned()));
                }
                report.not_checked.push((invariant, why));
            }
            Verdict::NotApplicable => {}
        }
    }
    report
}
