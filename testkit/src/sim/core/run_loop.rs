//! The one run loop every simulation uses: the virtual clock and its
//! agenda, invoking the [`Function`], timing, progress and the trace.
//!
//! A simulation is [`Simulated`]: a queue, stream, Kafka topic or Lambda's
//! internal event queue together with what reads it (an event source
//! mapping, or the asynchronous invoker). The loop knows nothing of
//! messages, records or retries. It takes the next due event off the agenda
//! and hands it to the simulation; when the simulation answers with a
//! [`Call`], the loop draws the run's faults, invokes the function, records
//! the invocation, and hands the outcome back (`Simulated::on_outcome`)
//! when the invocation ends in virtual time. State every simulation needs
//! (clock, seeded generator, metrics, trace) lives in a [`World`] the loop
//! lends to each callback.
//!
//! (The trait is not called `Source`: in lambda-batch an event source is
//! `lambda_batch::Source` / `SourceKind`, what a batch comes from.)

use std::sync::Arc;

use crate::sim::core::clock::{Agenda, Millis};
use crate::sim::core::faults::{Drawn, Ended, InvocationFaults, Timing};
use crate::sim::core::function::invocation::{Function, Invocation};
use crate::sim::core::function::payload::Payload;
use crate::sim::core::metrics::Metrics;
use crate::sim::core::progress::{Progress, ProgressFn, Ticker};
use crate::sim::core::rng::SimRng;
use crate::sim::core::trace::{Trace, TraceEvent};

/// The agenda lane for arrivals (sends, puts), scheduled in time order.
pub(crate) const ARRIVALS: usize = 0;
/// The agenda lane for timers of a fixed length (visibility timeouts).
pub(crate) const TIMERS: usize = 1;

/// What sits on the agenda: an event of the simulation, or the end of an
/// invocation the loop made (an index into its in-flight outcomes).
enum Step<E> {
    Event(E),
    Ended(usize),
}

/// What every simulation shares, lent to it at every step.
pub(crate) struct World<E> {
    agenda: Agenda<Step<E>>,
    /// The run's only source of randomness.
    pub(crate) rng: SimRng,
    /// What goes wrong (read by the loop for each invocation, and by the
    /// simulations for their own faults: throttles, lost deletes, duplicates).
    pub(crate) faults: InvocationFaults,
    timing: Timing,
    /// The CloudWatch-style metrics.
    pub(crate) metrics: Metrics,
    /// The trace.
    pub(crate) trace: Trace,
    /// Records handed to the function, over all invocations.
    pub(crate) records_delivered: u64,
}

impl<E> World<E> {
    /// A world at virtual time 0.
    pub(crate) fn new(seed: u64, faults: InvocationFaults, timing: Timing, trace: bool) -> Self {
        World {
            agenda: Agenda::new(),
            rng: SimRng::new(seed),
            faults,
            timing,
            metrics: Metrics::default(),
            trace: Trace::new(trace),
            records_delivered: 0,
        }
    }

    /// The current virtual time.
    pub(crate) fn now(&self) -> Millis {
        self.agenda.now()
    }

    /// Schedules `event` at `at` (never before now); events at the same
    /// time happen in the order they were scheduled.
    pub(crate) fn schedule(&mut self, at: Millis, event: impl Into<E>) {
        self.agenda.at(at, Step::Event(event.into()));
    }

    /// Schedules `event` in an in-order lane ([`ARRIVALS`], [`TIMERS`]):
    /// the same order as [`World::schedule`], cheaper when a lane's events
    /// come in time order.
    pub(crate) fn schedule_in_lane(&mut self, lane: usize, at: Millis, event: impl Into<E>) {
        self.agenda.at_in_lane(lane, at, Step::Event(event.into()));
    }

    /// Records that invocation `number` ended in a function error or a
    /// timeout (`Errors` and its trace entry); `retried` records come back.
    pub(crate) fn function_failed(
        &mut self,
        number: u64,
        retried: usize,
        error_type: Arc<str>,
        timed_out: bool,
    ) {
        let now = self.now();
        self.metrics.errored(now);
        let outcome = if timed_out { "timeout" } else { "function_error" };
        let retried = u32::try_from(retried).unwrap_or(u32::MAX);
        self.trace.push(now, || TraceEvent::Response {
            invocation: number,
            outcome,
            retried,
            error: Some(error_type),
        });
    }

    /// Records how Lambda read the response of invocation `number`
    /// (`complete_success`, `partial_success`, `complete_failure`):
    /// `retried` records come back.
    pub(crate) fn responded(&mut self, number: u64, outcome: &'static str, retried: usize) {
        let retried = u32::try_from(retried).unwrap_or(u32::MAX);
        self.trace.push(self.now(), || TraceEvent::Response {
            invocation: number,
            outcome,
            retried,
            error: None,
        });
    }

    /// Draws the faults, invokes the function and records the invocation;
    /// returns how it ended and how long it took.
    fn invoke<T>(
        &mut self,
        call: Call<'_, T>,
        function: &mut impl Function,
    ) -> (Completion<T>, Ended, Millis) {
        let now = self.now();
        let records = call.payload.records();
        let drawn = Drawn::draw(&self.faults, &mut self.rng, records);
        let fresh;
        let request_id: &str = match call.request_id {
            Some(id) => id,
            None => {
                fresh = self.rng.request_id();
                &fresh
            }
        };
        let result = function.invoke(&Invocation {
            request_id,
            attempt: call.attempt,
            started_at: now,
            timeout: call.timeout,
            payload: call.payload,
            failing_records: &drawn.failing_records,
        });
        // An asynchronous event counts as one record for timing and trace.
        let counted = records.max(1);
        let (number, attempt) = (call.number, call.attempt);
        self.trace.push(now, || TraceEvent::Invoked {
            invocation: number,
            request_id: call.request_id.map_or_else(|| request_id.into(), Arc::clone),
            records: u32::try_from(counted).unwrap_or(u32::MAX),
            attempt,
        });
        self.metrics.invoked(now);
        self.records_delivered += records as u64;
        let (ended, took) = Ended::settle(result, &drawn, &self.timing, counted, call.timeout);
        (call.then, ended, took)
    }
}

/// An invocation a simulation asks the loop to make now.
pub(crate) struct Call<'a, T> {
    /// The invocation number in the trace (the simulation's numbering).
    pub(crate) number: u64,
    /// The request id, or `None` for a new one (drawn after the faults).
    pub(crate) request_id: Option<&'a Arc<str>>,
    /// The attempt number the function sees.
    pub(crate) attempt: u32,
    /// The function timeout (ms).
    pub(crate) timeout: Millis,
    /// What the invocation carries.
    pub(crate) payload: Payload<'a>,
    /// What happens when it ends.
    pub(crate) then: Completion<T>,
}

/// What the loop does with an invocation's outcome.
pub(crate) enum Completion<T> {
    /// Hands it to `Simulated::on_outcome` with this ticket when the
    /// invocation ends in virtual time.
    Report(T),
    /// Drops it: the invocation changes nothing (a spontaneous duplicate).
    /// A function error still counts in `Errors`, when it ends.
    Forget,
}

/// A model of where items wait and what delivers them (an event source
/// mapping or the asynchronous invoker), driven by [`run`].
///
/// The loop calls, in virtual-time order: [`Simulated::on_event`] for each
/// event the simulation scheduled, [`Simulated::on_outcome`] when an
/// invocation it asked for ends, and [`Simulated::instant_over`] whenever
/// nothing else is due at the current time.
pub(crate) trait Simulated {
    /// What the simulation schedules on the agenda.
    type Event;
    /// What the simulation gets back with an outcome (a batch slot, a shard
    /// and the positions it delivered, an event index).
    type Ticket;
    /// The result of a run.
    type Report;

    /// Called once, before the first event.
    fn start(&mut self, _world: &mut World<Self::Event>) {}

    /// `event` is due now. Returns the invocation to make now, if any.
    fn on_event(
        &mut self,
        event: Self::Event,
        world: &mut World<Self::Event>,
    ) -> Option<Call<'_, Self::Ticket>>;

    /// An invocation asked for with [`Completion::Report`] ended now.
    fn on_outcome(&mut self, ticket: Self::Ticket, ended: Ended, world: &mut World<Self::Event>);

    /// Everything due at this instant has happened (e.g. an event source
    /// mapping polls now, so records that arrived together are received
    /// together).
    fn instant_over(&mut self, _world: &mut World<Self::Event>) {}

    /// Items finished and items in the run, for progress reports.
    fn progress(&self) -> (usize, usize);

    /// The report of a run that ended at `world.now()`.
    fn report(self, world: World<Self::Event>) -> Self::Report;
}

/// Runs `simulation` until nothing is left to happen or virtual time
/// `until`, calling `progress` about every million events.
pub(crate) fn run<S: Simulated>(
    mut simulation: S,
    mut world: World<S::Event>,
    function: &mut impl Function,
    until: Millis,
    progress: Option<ProgressFn<'_>>,
) -> S::Report {
    simulation.start(&mut world);
    let mut ticker = Ticker::new(progress);
    // Outcomes of invocations still running, by slot, and the free slots.
    let mut running: Vec<Option<(S::Ticket, Ended)>> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    while let Some(step) = world.agenda.next(until) {
        match step {
            Step::Event(event) => {
                if let Some(call) = simulation.on_event(event, &mut world) {
                    let now = world.now();
                    match world.invoke(call, function) {
                        (Completion::Report(ticket), ended, took) => {
                            let slot = free.pop().unwrap_or(running.len());
                            if slot == running.len() {
                                running.push(None);
                            }
                            running[slot] = Some((ticket, ended));
                            world.agenda.at(now + took, Step::Ended(slot));
                        }
                        (Completion::Forget, ended, took) => {
                            if matches!(ended, Ended::Failed { .. }) {
                                world.metrics.errored(now + took);
                            }
                        }
                    }
                }
            }
            Step::Ended(slot) => {
                if let Some((ticket, ended)) = running[slot].take() {
                    free.push(slot);
                    simulation.on_outcome(ticket, ended, &mut world);
                }
            }
        }
        if world.agenda.next_time() != Some(world.now()) {
            simulation.instant_over(&mut world);
        }
        ticker.tick(|events| {
            let (done, total) = simulation.progress();
            Progress { now: world.now(), events, invocations: world.metrics.invocations, done, total }
        });
    }
    world.agenda.finish(until);
    let now = world.now();
    world.metrics.minute(now);
    simulation.report(world)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::sim::InvocationResult;

    /// The smallest simulation: each event invokes the function once with an
    /// asynchronous payload; odd events' outcomes are forgotten.
    struct Toy {
        event: Value,
        outcomes: Vec<(u32, Millis, bool)>,
    }

    impl Simulated for Toy {
        type Event = u32;
        type Ticket = u32;
        type Report = (Vec<(u32, Millis, bool)>, World<u32>);

        fn on_event(&mut self, event: u32, _world: &mut World<u32>) -> Option<Call<'_, u32>> {
            Some(Call {
                number: u64::from(event),
                request_id: None,
                attempt: 1,
                timeout: 1_000,
                payload: Payload::Async { event: &self.event },
                then: if event.is_multiple_of(2) { Completion::Report(event) } else { Completion::Forget },
            })
        }

        fn on_outcome(&mut self, ticket: u32, ended: Ended, world: &mut World<u32>) {
            self.outcomes.push((ticket, world.now(), matches!(ended, Ended::Returned(_))));
        }

        fn progress(&self) -> (usize, usize) {
            (self.outcomes.len(), 4)
        }

        fn report(self, world: World<u32>) -> Self::Report {
            (self.outcomes, world)
        }
    }

    #[test]
    fn a_simulation_gets_its_outcomes_when_invocations_end() {
        let mut world = World::new(7, InvocationFaults::none(), Timing::default(), true);
        for event in 0..4u32 {
            world.schedule_in_lane(ARRIVALS, u64::from(event) * 100, event);
        }
        let toy = Toy { event: json!({}), outcomes: Vec::new() };
        let mut function = |invocation: &Invocation<'_>| {
            if invocation.started_at == 0 {
                InvocationResult::all_handled()
            } else {
                InvocationResult::error("Boom", "fails")
            }
        };
        let (outcomes, world) = run(toy, world, &mut function, Millis::MAX, None);
        // 20 ms per invocation and one record's 1 ms; odd events forgotten.
        assert_eq!(outcomes, [(0, 21, true), (2, 221, false)]);
        // The loop counts the forgotten errors (events 1 and 3); a reported
        // outcome is the simulation's to count, and this one does not.
        assert_eq!((world.metrics.invocations, world.metrics.errors), (4, 2));
        assert_eq!(world.trace.entries().len(), 4);
        // The run ends with its last event: a forgotten invocation schedules nothing.
        assert_eq!(world.now(), 300);
    }
}
