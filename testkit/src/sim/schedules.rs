//! Every fault schedule of a small scenario, instead of a random sample:
//! [`every_fault_schedule`].

use std::fmt;
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use proptest::test_runner::TestCaseError;

use crate::format::thousands;
use crate::sim::core::rng::{Script, follow};

/// [`every_fault_schedule`] stops after this many runs and says so.
pub const MAX_SCHEDULES: u64 = 200_000;

/// One way the faults fell in a run: at each point where a fault could
/// happen, whether it did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FaultSchedule {
    decisions: Vec<(bool, &'static str)>,
}

impl FaultSchedule {
    /// The faults that happened: (decision number from 1, the fault kind,
    /// named as the [`InvocationFaults`](crate::sim::InvocationFaults) field,
    /// or `store.` and the [`StoreFaults`](crate::sim::StoreFaults) field for
    /// a [`FaultyStore`](crate::sim::FaultyStore)'s).
    pub fn faults(&self) -> Vec<(usize, &'static str)> {
        let happened = self.decisions.iter().enumerate().filter(|(_, (yes, _))| *yes);
        happened.map(|(index, (_, fault))| (index + 1, *fault)).collect()
    }

    /// How many faults happened.
    pub fn fault_count(&self) -> usize {
        self.decisions.iter().filter(|(yes, _)| *yes).count()
    }
}

impl fmt::Display for FaultSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let faults = self.faults();
        if faults.is_empty() {
            return f.write_str("no fault");
        }
        let named: Vec<String> =
            faults.iter().map(|(at, fault)| format!("{fault} at decision {at}")).collect();
        write!(f, "{} of {} decisions: {}", faults.len(), self.decisions.len(), named.join(", "))
    }
}

/// What [`every_fault_schedule`] found.
#[derive(Debug, Clone)]
pub struct ScheduleSummary {
    /// Runs made, one per fault schedule.
    pub schedules: u64,
    /// The most faults in one schedule.
    pub max_faults: usize,
    /// Wall time taken.
    pub elapsed: Duration,
    /// The broken schedule with the fewest faults (the first found among
    /// those), and what broke.
    pub broken: Option<(FaultSchedule, String)>,
    /// Every schedule was run (`false` when [`MAX_SCHEDULES`] stopped it).
    pub complete: bool,
}

impl ScheduleSummary {
    /// Panics with the summary unless every schedule ran and held.
    ///
    /// # Panics
    /// A schedule broke, or not every schedule was run.
    pub fn assert_all_held(&self) {
        assert!(self.broken.is_none() && self.complete, "{self}");
    }
}

impl fmt::Display for ScheduleSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "checked {} fault schedules (every one with at most {} faults) in {:.2} s",
            thousands(self.schedules),
            self.max_faults,
            self.elapsed.as_secs_f64()
        )?;
        match (&self.broken, self.complete) {
            (Some((schedule, message)), _) => write!(
                f,
                ": BROKEN with {schedule}: {message}\n(replay it with `sim::replay_schedule(&schedule, scenario)` \
                 to look at its report and trace)"
            ),
            (None, false) => write!(
                f,
                ": NOT all checked: stopped at {} schedules; lower max_faults or make the scenario smaller",
                thousands(MAX_SCHEDULES)
            ),
            (None, true) => f.write_str(": all held"),
        }
    }
}

/// Runs `scenario` once for every fault schedule with at most
/// `max_faults` faults, the broken schedule with the fewest faults kept as
/// the counterexample, and says what it found. A panic in the scenario
/// counts as broken.
///
/// A simulation draws its faults (a record failure, a timeout, a function
/// error, a throttle, a lost delete, a duplicate) from its seed, each with
/// its probability in [`InvocationFaults`](crate::sim::InvocationFaults);
/// a [`FaultyStore`](crate::sim::FaultyStore) draws its own (unreachable,
/// throttled, slow, lost write) as the handler calls it.
/// This runs a scenario once per way those faults can fall instead: every fault kind with a probability above 0 may happen at
/// every point where the simulation would draw it, and the runs cover
/// every combination of up to `max_faults` of them (a probability of 1
/// means "always", 0 "never"). Everything else (ids, jitter) still comes
/// from the seed, so the scenario must be deterministic: the same
/// simulation built the same way on each call.
///
/// ```
/// use lambda_batch_testkit::sim::{self, InvocationFaults, InvocationResult, QueueConfig, SqsSimConfig, SqsSimulation};
///
/// let summary = sim::every_fault_schedule(2, || {
///     let mut config = SqsSimConfig::new(QueueConfig::standard().with_dlq(3));
///     config.faults = InvocationFaults { function_error: 0.5, lost_delete: 0.5, ..InvocationFaults::none() };
///     let mut sim = SqsSimulation::new(config).unwrap();
///     sim.send(0, "a");
///     sim.send(0, "b");
///     let report = sim.run(&mut |_: &sim::Invocation<'_>| InvocationResult::all_handled());
///     sim::check::nothing_lost(&report)
/// });
/// // "checked N fault schedules (every one with at most 2 faults) in 0.01 s: all held"
/// assert!(summary.to_string().ends_with(": all held"), "{summary}");
/// summary.assert_all_held();
/// ```
pub fn every_fault_schedule<F>(max_faults: usize, mut scenario: F) -> ScheduleSummary
where
    F: FnMut() -> Result<(), TestCaseError>,
{
    let started = Instant::now();
    let mut summary =
        ScheduleSummary { schedules: 0, max_faults, elapsed: Duration::ZERO, broken: None, complete: true };
    let mut planned: Vec<bool> = Vec::new();
    loop {
        if summary.schedules == MAX_SCHEDULES {
            summary.complete = false;
            break;
        }
        let (result, schedule) = run_once(&planned, &mut scenario);
        summary.schedules += 1;
        if let Err(message) = result {
            let fewer =
                summary.broken.as_ref().is_none_or(|(kept, _)| schedule.fault_count() < kept.fault_count());
            if fewer {
                summary.broken = Some((schedule.clone(), message));
            }
        }
        match next_plan(&schedule, max_faults) {
            Some(next) => planned = next,
            None => break,
        }
    }
    summary.elapsed = started.elapsed();
    summary
}

/// Runs `scenario` once, its faults falling as in `schedule` (from
/// [`ScheduleSummary::broken`]), to look at that run again.
pub fn replay_schedule<R>(schedule: &FaultSchedule, scenario: impl FnOnce() -> R) -> R {
    let planned = schedule.decisions.iter().map(|(yes, _)| *yes).collect();
    let following = follow(Script { planned, taken: Vec::new() });
    let result = scenario();
    drop(following);
    result
}

/// One run following `planned`: what the scenario said, and the schedule
/// it took.
fn run_once<F>(planned: &[bool], scenario: &mut F) -> (Result<(), String>, FaultSchedule)
where
    F: FnMut() -> Result<(), TestCaseError>,
{
    let following = follow(Script { planned: planned.to_vec(), taken: Vec::new() });
    let result = std::panic::catch_unwind(AssertUnwindSafe(&mut *scenario));
    let schedule = FaultSchedule { decisions: following.finish().taken };
    let result = match result {
        Ok(Ok(())) => Ok(()),
        Ok(Err(TestCaseError::Fail(reason) | TestCaseError::Reject(reason))) => {
            Err(reason.message().to_owned())
        }
        Err(panic) => Err(format!(
            "the scenario panicked: {}",
            panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)")
        )),
    };
    (result, schedule)
}

/// The next schedule in depth-first order: the last "no" that may still
/// become a fault turns "yes", and what came after it is decided afresh.
fn next_plan(schedule: &FaultSchedule, max_faults: usize) -> Option<Vec<bool>> {
    let decisions: Vec<bool> = schedule.decisions.iter().map(|(yes, _)| *yes).collect();
    let mut faults_before: Vec<usize> = Vec::with_capacity(decisions.len());
    let mut count = 0;
    for &yes in &decisions {
        faults_before.push(count);
        count += usize::from(yes);
    }
    let flip = (0..decisions.len()).rev().find(|&i| !decisions[i] && faults_before[i] < max_faults)?;
    let mut next = decisions[..flip].to_vec();
    next.push(true);
    Some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(decisions: &[bool]) -> FaultSchedule {
        FaultSchedule { decisions: decisions.iter().map(|&yes| (yes, "timeout")).collect() }
    }

    #[test]
    fn the_plans_cover_every_schedule_with_at_most_the_faults_allowed() {
        // Three decision points, at most one fault: 000, 001, 010, 100.
        let mut seen = vec![vec![false, false, false]];
        let mut current = schedule(&[false, false, false]);
        while let Some(mut next) = next_plan(&current, 1) {
            next.resize(3, false);
            seen.push(next.clone());
            current = schedule(&next);
        }
        assert_eq!(
            seen,
            [[false, false, false], [false, false, true], [false, true, false], [true, false, false]]
        );
    }
}
