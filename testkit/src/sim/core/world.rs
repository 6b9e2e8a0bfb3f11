//! The state every simulation shares, lent to it at every step of the run
//! loop: the clock and its agenda, the seeded generator, faults and timing,
//! metrics and the trace; and how an invocation starts and ends in it.

use std::sync::Arc;

use crate::sim::core::clock::{Agenda, Millis};
use crate::sim::core::faults::{Drawn, Ended, InvocationFaults, Timing};
use crate::sim::core::function::invocation::{Completed, Function, Invocation};
use crate::sim::core::function::payload::Payload;
use crate::sim::core::metrics::Metrics;
use crate::sim::core::rng::SimRng;
use crate::sim::core::trace::{Trace, TraceEvent};

/// The agenda lane for arrivals (sends, puts), scheduled in time order.
pub(crate) const ARRIVALS: usize = 0;
/// The agenda lane for timers of a fixed length (visibility timeouts).
pub(crate) const TIMERS: usize = 1;

/// What sits on the agenda: an event of the simulation, or the end of an
/// invocation the loop made (an index into its in-flight outcomes).
pub(crate) enum Step<E> {
    Event(E),
    Ended(usize),
}

/// What every simulation shares, lent to it at every step.
pub(crate) struct World<E> {
    pub(crate) agenda: Agenda<Step<E>>,
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
    /// timeout (`Errors` and its trace entry; `out_of_time` when the
    /// function itself overran the timeout); `retried` records come back.
    pub(crate) fn function_failed(
        &mut self,
        number: u64,
        retried: usize,
        error_type: Arc<str>,
        timed_out: bool,
        out_of_time: bool,
    ) {
        let now = self.now();
        self.metrics.errored(now);
        let outcome = match (timed_out, out_of_time) {
            (true, true) => "out_of_time",
            (true, false) => "timeout",
            (false, _) => "function_error",
        };
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

    /// Draws the faults, starts the invocation in `slot` and records it.
    /// A function that runs at once has ended: its result comes back; a
    /// clocked one (`Function::clocked`) runs on until the loop sees it end.
    pub(crate) fn start<T>(
        &mut self,
        call: Call<'_, T>,
        function: &mut impl Function,
        slot: usize,
    ) -> (InFlight<T>, Option<Completed>) {
        let now = self.now();
        let records = call.payload.records();
        let drawn = Drawn::draw(&self.faults, &self.timing, &mut self.rng, records);
        let fresh;
        let request_id: &str = match call.request_id {
            Some(id) => id,
            None => {
                fresh = self.rng.request_id();
                &fresh
            }
        };
        let invocation = Invocation {
            request_id,
            attempt: call.attempt,
            started_at: now,
            timeout: call.timeout,
            payload: call.payload,
            failing_records: &drawn.failing_records,
            record_delays: &drawn.record_delays,
        };
        let result = match function.clocked() {
            Some(clocked) => {
                clocked.start(slot, &invocation);
                None
            }
            None => Some(function.invoke(&invocation).into()),
        };
        // An asynchronous event counts as one record for timing and trace.
        let counted = records.max(1);
        let (number, attempt, timeout) = (call.number, call.attempt, call.timeout);
        self.trace.push(now, || TraceEvent::Invoked {
            invocation: number,
            request_id: call.request_id.map_or_else(|| request_id.into(), Arc::clone),
            records: u32::try_from(counted).unwrap_or(u32::MAX),
            timeout,
            attempt,
        });
        self.metrics.invoked(now);
        self.records_delivered += records as u64;
        let flight =
            InFlight { then: call.then, drawn, records: counted, timeout: call.timeout, started_at: now };
        (flight, result)
    }

    /// An invocation ended (`result`, or `None` if killed at its timeout)
    /// after the function ran `elapsed` ms: settles the drawn faults and
    /// schedules its end. Returns whether `slot` is free again.
    pub(crate) fn finish<T>(
        &mut self,
        slot: usize,
        flight: InFlight<T>,
        result: Option<Completed>,
        elapsed: Millis,
        ended: &mut [Option<(T, Ended)>],
    ) -> bool {
        let settled =
            Ended::settle(result, elapsed, &flight.drawn, &self.timing, flight.records, flight.timeout);
        let (outcome, took) = settled;
        let at = flight.started_at + took;
        match flight.then {
            Completion::Report(ticket) => {
                ended[slot] = Some((ticket, outcome));
                self.agenda.at(at, Step::Ended(slot));
                false
            }
            Completion::Forget => {
                if matches!(outcome, Ended::Failed { .. }) {
                    self.metrics.errored(at);
                }
                true
            }
        }
    }
}

/// An invocation started and not yet ended: what the loop needs at its end.
pub(crate) struct InFlight<T> {
    then: Completion<T>,
    drawn: Drawn,
    /// Records, for timing (an asynchronous event counts as one).
    records: usize,
    timeout: Millis,
    /// When it started (virtual ms).
    pub(crate) started_at: Millis,
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
