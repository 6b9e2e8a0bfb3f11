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
//! needs [`Rules::failing_when`] and 4 cannot run; [`check`] then says so
//! on standard error (once per invariant and process) and
//! [`check_report`] lists them.

mod facts;
mod invariants;
mod rules;

use std::collections::HashSet;
use std::fmt;
use std::sync::Mutex;

use proptest::test_runner::TestCaseError;

pub use self::rules::Rules;
use crate::harness::HarnessRun;

/// One invariant [`check`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Invariant {
    /// Lambda takes the response as a partial batch response (it does not
    /// treat it as a complete failure), and a FIFO response reports a
    /// failed message and every later one (of its group, per the rules).
    AcceptedByLambda,
    /// No record that must be retried is acknowledged: failed, never
    /// handled, corrupted payload, or no usable identifier.
    NothingAcknowledgedUnhandled,
    /// The records reported are exactly the ones that failed (streams:
    /// Lambda retries from exactly the first failure), and the invocation
    /// fails only when that is the right answer (a record that cannot be
    /// named, every record failed, a record that hangs without a deadline
    /// guard).
    ExactlyTheFailedReported,
    /// Within a FIFO group or a stream key, calls start in batch order,
    /// never overlap, and (FIFO, stream checkpoint) stop after a failure;
    /// no record is called twice; `observe` names records of the batch.
    CallsKeepOrder,
    /// `#[batch_handler]`: no identifier is listed twice.
    NothingReportedTwice,
    /// `#[batch_handler]`: failures are listed in record order (Kafka:
    /// within each partition).
    FailuresInRecordOrder,
}

impl fmt::Display for Invariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Invariant::AcceptedByLambda => "the response is one Lambda takes",
            Invariant::NothingAcknowledgedUnhandled => "nothing is acknowledged that must be retried",
            Invariant::ExactlyTheFailedReported => "exactly the failed records are reported",
            Invariant::CallsKeepOrder => "calls keep order",
            Invariant::NothingReportedTwice => "nothing is reported twice",
            Invariant::FailuresInRecordOrder => "failures are listed in record order",
        })
    }
}

/// What one invariant found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    Held,
    Broken(String),
    /// It applies but could not be checked (why).
    NotChecked(String),
    /// It does not apply to this handler.
    NotApplicable,
}

/// What [`check_report`] found: the invariants that held, the one that
/// broke (checking stops there), and those that could not be checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// The invariants checked that held.
    pub held: Vec<Invariant>,
    /// The invariant broken and what broke it.
    pub broken: Option<(Invariant, String)>,
    /// The invariants that apply but could not be checked, and why.
    pub not_checked: Vec<(Invariant, String)>,
}

impl CheckReport {
    /// `Err` with the broken invariant's message, for proptest.
    ///
    /// # Errors
    /// The broken invariant, if any.
    pub fn result(&self) -> Result<(), TestCaseError> {
        match &self.broken {
            Some((invariant, message)) => Err(TestCaseError::fail(format!("{invariant}: broken: {message}"))),
            None => Ok(()),
        }
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for invariant in &self.held {
            writeln!(f, "held: {invariant}")?;
        }
        if let Some((invariant, message)) = &self.broken {
            writeln!(f, "BROKEN: {invariant}: {message}")?;
        }
        for (invariant, why) in &self.not_checked {
            writeln!(f, "not checked: {invariant}: {why}")?;
        }
        Ok(())
    }
}

/// Runs every invariant that applies to the batch's source and the
/// handler's [`Rules`], stopping at the first one broken. Invariants that
/// apply but cannot be checked (a hand-written handler whose work is not
/// observed) are named on standard error, once per invariant and process.
///
/// # Errors
/// The first invariant broken, with what broke it.
pub fn check(run: &HarnessRun, rules: impl Into<Rules>) -> Result<(), TestCaseError> {
    let report = check_report(run, rules);
    tell_not_checked(&report.not_checked);
    report.result()
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
            Verdict::NotChecked(why) => report.not_checked.push((invariant, why)),
            Verdict::NotApplicable => {}
        }
    }
    report
}

fn tell_not_checked(not_checked: &[(Invariant, String)]) {
    static TOLD: Mutex<Option<HashSet<Invariant>>> = Mutex::new(None);
    let Ok(mut told) = TOLD.lock() else { return };
    let told = told.get_or_insert_with(HashSet::new);
    for (invariant, why) in not_checked {
        if told.insert(*invariant) {
            eprintln!("lambda-batch-testkit: NOT CHECKED: {invariant}: {why}");
        }
    }
}
