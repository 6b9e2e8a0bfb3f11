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
//! when the invocation ends in virtual time. A real handler's invocations
//! (`Function::clocked`) take time of their own and run together between events. State every simulation needs
//! (clock, seeded generator, metrics, trace) lives in a [`World`] the loop
//! lends to each callback.
//!
//! (The trait is not called `Source`: in lambda-batch an event source is
//! `lambda_batch::Source` / `SourceKind`, what a batch comes from.)

use crate::sim::core::clock::Millis;
use crate::sim::core::faults::Ended;
use crate::sim::core::function::invocation::Function;
use crate::sim::core::progress::{Progress, ProgressFn, Ticker};
use crate::sim::core::world::{Call, InFlight, Step, World};

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
///
/// A clocked function (`Function::clocked`)'s invocations run between the agenda's events:
/// before the next event is due, they run until then, and one that ends
/// first ends there.
pub(crate) fn run<S: Simulated>(
    mut simulation: S,
    mut world: World<S::Event>,
    function: &mut impl Function,
    until: Millis,
    progress: Option<ProgressFn<'_>>,
) -> S::Report {
    simulation.start(&mut world);
    if let Some(clocked) = function.clocked() {
        clocked.restart();
    }
    let mut ticker = Ticker::new(progress);
    let mut slots = Slots::default();
    loop {
        if let Some(clocked) = function.clocked().filter(|clocked| clocked.running()) {
            let next = world.agenda.next_time().map_or(until, |next| next.min(until));
            if let Some((slot, result, at)) = clocked.run_until(next) {
                if let Some(flight) = slots.in_flight[slot].take() {
                    let elapsed = at.saturating_sub(flight.started_at);
                    if world.finish(slot, flight, result, elapsed, &mut slots.ended) {
                        slots.free.push(slot);
                    }
                }
                continue;
            }
        }
        let Some(step) = world.agenda.next(until) else { break };
        match step {
            Step::Event(event) => {
                if let Some(call) = simulation.on_event(event, &mut world) {
                    let slot = slots.take();
                    match world.start(call, function, slot) {
                        (flight, None) => slots.in_flight[slot] = Some(flight),
                        (flight, Some(result)) => {
                            if world.finish(slot, flight, Some(result), 0, &mut slots.ended) {
                                slots.free.push(slot);
                            }
                        }
                    }
                }
            }
            Step::Ended(slot) => {
                if let Some((ticket, ended)) = slots.ended[slot].take() {
                    slots.free.push(slot);
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

/// The loop's invocation slots: each is taken from an invocation's start
/// until its end is handed to the simulation (or forgotten).
struct Slots<T> {
    in_flight: Vec<Option<InFlight<T>>>,
    ended: Vec<Option<(T, Ended)>>,
    free: Vec<usize>,
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Slots { in_flight: Vec::new(), ended: Vec::new(), free: Vec::new() }
    }
}

impl<T> Slots<T> {
    fn take(&mut self) -> usize {
        self.free.pop().unwrap_or_else(|| {
            self.in_flight.push(None);
            self.ended.push(None);
            self.in_flight.len() - 1
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::sim::InvocationResult;
    use crate::sim::core::faults::{InvocationFaults, Timing};
    use crate::sim::core::function::invocation::Invocation;
    use crate::sim::core::function::payload::Payload;
    use crate::sim::core::world::{ARRIVALS, Completion};

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
            self.outcomes.push((ticket, world.now(), matches!(ended, Ended::Returned { .. })));
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
