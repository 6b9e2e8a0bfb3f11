//! The invariants' names and what a check found: [`Invariant`],
//! [`CheckReport`].

use std::fmt;

use proptest::test_runner::TestCaseError;

/// One invariant [`check`](super::check) runs.
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

impl Invariant {
    /// The variant as code (`Invariant::CallsKeepOrder`), for messages
    /// that show how to opt out.
    pub fn code(self) -> &'static str {
        match self {
            Invariant::AcceptedByLambda => "Invariant::AcceptedByLambda",
            Invariant::NothingAcknowledgedUnhandled => "Invariant::NothingAcknowledgedUnhandled",
            Invariant::ExactlyTheFailedReported => "Invariant::ExactlyTheFailedReported",
            Invariant::CallsKeepOrder => "Invariant::CallsKeepOrder",
            Invariant::NothingReportedTwice => "Invariant::NothingReportedTwice",
            Invariant::FailuresInRecordOrder => "Invariant::FailuresInRecordOrder",
        }
    }
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
    /// It applies but could not be checked (why, and what would let it).
    NotChecked(String),
    /// It does not apply to this handler.
    NotApplicable,
}

/// What [`check_report`](super::check_report) found: the invariants that
/// held, the one that broke (checking stops there), those that could not
/// be checked, and which of those the rules accept unchecked.
///
/// [`CheckReport::result`] (what [`check`](super::check) returns) fails for
/// a broken invariant and for one not checked that the rules do not accept
/// with [`Rules::accepting_unchecked`](super::Rules::accepting_unchecked):
/// a test that cannot see a defect must not pass as if it had looked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// The invariants checked that held.
    pub held: Vec<Invariant>,
    /// The invariant broken and what broke it.
    pub broken: Option<(Invariant, String)>,
    /// The invariants that apply but could not be checked, and why.
    pub not_checked: Vec<(Invariant, String)>,
    /// The invariants of `not_checked` the rules accept unchecked, with the
    /// reason given to `Rules::accepting_unchecked`.
    pub opted_out: Vec<(Invariant, String)>,
}

impl CheckReport {
    /// `Err` with the broken invariant's message, or, when none broke, with
    /// the first invariant not checked that the rules do not accept
    /// unchecked (what is wrong and the ways to fix it).
    ///
    /// # Errors
    /// The broken invariant, or the first one not checked without an
    /// opt-out.
    pub fn result(&self) -> Result<(), TestCaseError> {
        if let Some((invariant, message)) = &self.broken {
            return Err(TestCaseError::fail(format!("{invariant}: broken: {message}")));
        }
        match self.refused() {
            Some((invariant, why)) => Err(TestCaseError::fail(format!(
                "{invariant}: NOT CHECKED, so this test would pass whatever the handler does here: {why}; \
                 or, to accept that it stays unchecked, opt out in the rules: \
                 `.accepting_unchecked({}, \"why\")`",
                invariant.code()
            ))),
            None => Ok(()),
        }
    }

    /// The first invariant not checked that the rules do not accept.
    fn refused(&self) -> Option<&(Invariant, String)> {
        self.not_checked.iter().find(|(invariant, _)| self.opt_out(*invariant).is_none())
    }

    /// The reason given for accepting `invariant` unchecked, if it was.
    pub fn opt_out(&self, invariant: Invariant) -> Option<&str> {
        self.opted_out.iter().find(|(opted, _)| *opted == invariant).map(|(_, reason)| reason.as_str())
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
            match self.opt_out(*invariant) {
                Some(reason) => writeln!(f, "not checked (opted out: {reason}): {invariant}: {why}")?,
                None => writeln!(f, "NOT CHECKED (no opt-out: the test fails): {invariant}: {why}")?,
            }
        }
        Ok(())
    }
}
