//! What [`check_all`](super::check_all) found: how many cases, how long,
//! and the first broken case.

use std::fmt;
use std::time::Duration;

use crate::check::{CheckReport, Invariant};
use crate::format::thousands;
use crate::harness::HarnessRun;
use crate::strategy::SourceKind;

/// The first broken case: the run (the batch as the handler got it, the
/// fault plan, the response, the calls) and what [`check_report`](crate::check::check_report)
/// said of it.
#[derive(Debug, Clone)]
pub struct Counterexample {
    /// Its number among the cases run (1 for the first).
    pub case: usize,
    /// The run.
    pub run: HarnessRun,
    /// The invariants: the broken one, those that held before it.
    pub report: CheckReport,
}

impl fmt::Display for Counterexample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some((invariant, message)) = &self.report.broken {
            writeln!(f, "broken: {invariant}: {message}")?;
        }
        writeln!(f, "batch (as the handler got it): {:#?}", self.run.batch)?;
        let faults: Vec<String> =
            self.run.plan.iter().map(|(index, fault)| format!("record {index}: {fault:?}")).collect();
        let faults = if faults.is_empty() { "none".to_owned() } else { faults.join(", ") };
        writeln!(f, "faults: {faults}")?;
        match &self.run.response {
            Ok(response) => writeln!(f, "response: {response}"),
            Err(error) => writeln!(f, "invocation error: {}: {}", error.error_type, error.message),
        }
    }
}

/// What [`check_all`](super::check_all) found. Its `Display` is the summary
/// line, then the first broken case and the invariants that could not be
/// checked, if any.
#[derive(Debug, Clone)]
pub struct Exhaustive {
    /// The source of the batches.
    pub source: SourceKind,
    /// The largest batch enumerated, in records.
    pub records: usize,
    /// How many cases ran.
    pub cases: usize,
    /// How long they took.
    pub elapsed: Duration,
    /// The first broken case (a smallest one), if any.
    pub broken: Option<Counterexample>,
    /// The invariants that apply but could not be checked, and why (each
    /// once).
    pub not_checked: Vec<(Invariant, String)>,
    /// Those of them the rules do not accept unchecked
    /// (`Rules::accepting_unchecked`): the check does not pass with them.
    pub refused: Vec<(Invariant, String)>,
}

impl Exhaustive {
    pub(crate) fn new(source: SourceKind, records: usize) -> Self {
        Exhaustive {
            source,
            records,
            cases: 0,
            elapsed: Duration::ZERO,
            broken: None,
            not_checked: Vec::new(),
            refused: Vec::new(),
        }
    }

    /// Counts a case; `true` when it broke an invariant (the first broken
    /// case is kept).
    pub(crate) fn add(&mut self, run: HarnessRun, report: CheckReport) -> bool {
        self.cases += 1;
        for (invariant, why) in &report.not_checked {
            if !self.not_checked.iter().any(|(known, _)| known == invariant) {
                self.not_checked.push((*invariant, why.clone()));
            }
            let accepted = report.opt_out(*invariant).is_some();
            if !accepted && !self.refused.iter().any(|(known, _)| known == invariant) {
                self.refused.push((*invariant, why.clone()));
            }
        }
        if report.broken.is_none() {
            return false;
        }
        self.broken = Some(Counterexample { case: self.cases, run, report });
        true
    }

    /// Whether every case held, and every invariant that applies was
    /// checked or accepted unchecked by the rules.
    pub fn all_held(&self) -> bool {
        self.broken.is_none() && self.refused.is_empty()
    }

    /// One line: the world, how many cases in how long, and whether all
    /// held or which case broke what.
    pub fn summary(&self) -> String {
        let world = format!("exhaustive {}, 1 to {} records", self.source, self.records);
        let time = format!("{:.2} s", self.elapsed.as_secs_f64());
        let not_checked = if self.not_checked.is_empty() {
            String::new()
        } else {
            let names: Vec<String> =
                self.not_checked.iter().map(|(invariant, _)| invariant.to_string()).collect();
            format!(" (not checked: {})", names.join(", "))
        };
        match &self.broken {
            None if !self.refused.is_empty() => {
                let names: Vec<String> =
                    self.refused.iter().map(|(invariant, _)| invariant.to_string()).collect();
                format!(
                    "{world}: checked {} cases in {time}, none broke, but NOT CHECKED without an opt-out: {}",
                    thousands(self.cases as u64),
                    names.join(", ")
                )
            }
            None => {
                format!(
                    "{world}: checked {} cases in {time}, all held{not_checked}",
                    thousands(self.cases as u64)
                )
            }
            Some(counterexample) => {
                let what = counterexample.report.broken.as_ref().map(|(invariant, _)| invariant.to_string());
                let records = counterexample.run.batch.len();
                format!(
                    "{world}: checked {} cases in {time}, BROKEN at case {} ({records} record{}): {}",
                    thousands(self.cases as u64),
                    thousands(counterexample.case as u64),
                    if records == 1 { "" } else { "s" },
                    what.unwrap_or_default()
                )
            }
        }
    }

    /// Panics with the summary and the first broken case, if a case broke
    /// an invariant or an invariant went unchecked without an opt-out: for
    /// a plain `#[test]`.
    ///
    /// # Panics
    /// When a case broke an invariant, or one was not checked.
    #[allow(clippy::panic, reason = "a failed assertion in a test")]
    pub fn assert_all_held(&self) {
        if !self.all_held() {
            panic!("{self}");
        }
    }
}

impl fmt::Display for Exhaustive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.summary())?;
        if let Some(counterexample) = &self.broken {
            write!(f, "{counterexample}")?;
        }
        for (invariant, why) in &self.not_checked {
            if self.refused.iter().any(|(refused, _)| refused == invariant) {
                writeln!(
                    f,
                    "NOT CHECKED: {invariant}: {why}; or, to accept that it stays unchecked, opt out in the rules: \
                     `.accepting_unchecked({}, \"why\")`",
                    invariant.code()
                )?;
            } else {
                writeln!(f, "not checked (accepted by the rules): {invariant}: {why}")?;
            }
        }
        Ok(())
    }
}
