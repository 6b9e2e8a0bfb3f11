//! Lambda's internal queue of asynchronous events and what it does with
//! them: attempts, retries after a function error, throttle backoff, the
//! maximum event age, spontaneous duplicates, the DLQ and destinations.
//!
//! The rules modelled: [Asynchronous invocation: retries and
//! destinations](lambda_batch::aws_rules#asynchronous-invocation-retries-and-destinations).

use std::sync::Arc;

use serde_json::{Value, json};

use crate::sim::async_invoke::config::AsyncConfig;
use crate::sim::async_invoke::destinations::{dead_letter, invocation_record};
use crate::sim::async_invoke::report::{AsyncEventEnd, AsyncEventFate, AsyncReport};
use crate::sim::core::clock::Millis;
use crate::sim::core::faults::Ended;
use crate::sim::core::function::payload::Payload;
use crate::sim::core::run_loop::Simulated;
use crate::sim::core::trace::TraceEvent;
use crate::sim::core::world::{ARRIVALS, Call, Completion, World};

/// One queued event and its attempts.
struct Event {
    fate: AsyncEventFate,
    /// Attempts that ran the function (duplicates not counted).
    attempts: u32,
    throttles: u32,
    last_error: Option<(Arc<str>, String)>,
}

/// What the asynchronous invoker schedules on the agenda.
pub(crate) enum Step {
    /// Try the event (its first attempt, or a retry).
    Attempt(u32),
    /// Deliver the event once more, unasked (a spontaneous duplicate).
    Duplicate(u32),
}

/// Lambda's internal queue of events and what it does with them.
pub(crate) struct Invoker {
    config: AsyncConfig,
    events: Vec<Event>,
    dead_letters: Vec<Value>,
    on_success: Vec<Value>,
    on_failure: Vec<Value>,
    finished: usize,
}

impl Invoker {
    /// An empty queue with this configuration.
    pub(crate) fn new(config: AsyncConfig) -> Self {
        Invoker {
            config,
            events: Vec::new(),
            dead_letters: Vec::new(),
            on_success: Vec::new(),
            on_failure: Vec::new(),
            finished: 0,
        }
    }

    /// Queues `event` at virtual time `at` (`Invoke` returns 202); returns
    /// the request id every attempt will carry.
    pub(crate) fn queue(&mut self, at: Millis, event: Value, world: &mut World<Step>) -> Arc<str> {
        let index = u32::try_from(self.events.len()).unwrap_or(u32::MAX);
        let request_id: Arc<str> = world.rng.request_id().into();
        self.events.push(Event {
            fate: AsyncEventFate {
                request_id: Arc::clone(&request_id),
                event,
                queued_at: at,
                invocations: 0,
                end: AsyncEventEnd::Pending,
            },
            attempts: 0,
            throttles: 0,
            last_error: None,
        });
        world.schedule_in_lane(ARRIVALS, at, Step::Attempt(index));
        request_id
    }
}

impl Simulated for Invoker {
    type Event = Step;
    type Ticket = u32;
    type Report = AsyncReport;

    fn on_event(&mut self, step: Step, world: &mut World<Step>) -> Option<Call<'_, u32>> {
        match step {
            Step::Attempt(event) => self.attempt(event, world, false),
            Step::Duplicate(event) => self.attempt(event, world, true),
        }
    }

    fn on_outcome(&mut self, index: u32, ended: Ended, world: &mut World<Step>) {
        self.complete(index, ended, world);
    }

    fn progress(&self) -> (usize, usize) {
        (self.finished, self.events.len())
    }

    fn report(self, world: World<Step>) -> AsyncReport {
        AsyncReport {
            events: self.events.into_iter().map(|e| e.fate).collect(),
            dead_letters: self.dead_letters,
            on_success: self.on_success,
            on_failure: self.on_failure,
            invocations: world.metrics.invocations,
            ended_at: world.now(),
            metrics: world.metrics,
            trace: world.trace,
        }
    }
}

impl Invoker {
    fn attempt(&mut self, index: u32, world: &mut World<Step>, duplicate: bool) -> Option<Call<'_, u32>> {
        let now = world.now();
        let event = &mut self.events[index as usize];
        if !duplicate && event.attempts == 0 && event.throttles == 0 {
            world.metrics.async_events_received += 1;
            let request_id = Arc::clone(&event.fate.request_id);
            world.trace.push(event.fate.queued_at, || TraceEvent::Queued { request_id });
            if self.config.reserved_concurrency_zero {
                // Reserved concurrency 0: straight to the DLQ or the
                // on-failure destination, with no attempt.
                event.last_error =
                    Some(("TooManyRequestsException".into(), "Reserved concurrency is 0".to_owned()));
                self.give_up(index, "RetriesExhausted".into(), world);
                return None;
            }
        }
        let queued_at = self.events[index as usize].fate.queued_at;
        if !duplicate && now > queued_at + self.config.maximum_event_age {
            let condition: Arc<str> = self.config.event_age_condition.as_str().into();
            self.give_up(index, condition, world);
            return None;
        }
        world.metrics.async_event_age_max_ms = world.metrics.async_event_age_max_ms.max(now - queued_at);
        if !duplicate && world.rng.chance(world.faults.throttle, "throttle") {
            // Throttles back off from 1 s to 5 min and spend no retry.
            world.metrics.throttled(now);
            let event = &mut self.events[index as usize];
            event.throttles += 1;
            let delay = (1_000u64 << (event.throttles - 1).min(9)).min(300_000);
            self.retry_after_throttle(index, delay, world);
            return None;
        }
        let event = &mut self.events[index as usize];
        if !duplicate {
            event.attempts += 1;
            // Delivered once more, unasked, while this first attempt may
            // still run: a real handler runs both at once.
            if event.attempts == 1 && world.rng.chance(world.faults.duplicate, "duplicate") {
                let after = 1 + world.rng.below(self.config.function_timeout);
                world.schedule(now + after, Step::Duplicate(index));
            }
        }
        event.fate.invocations += 1;
        Some(Call {
            number: world.metrics.invocations + 1,
            request_id: Some(&event.fate.request_id),
            attempt: event.attempts,
            timeout: self.config.function_timeout,
            payload: Payload::Async { event: &event.fate.event },
            // A duplicate's outcome changes nothing: the event already has one.
            then: if duplicate { Completion::Forget } else { Completion::Report(index) },
        })
    }

    fn retry_after_throttle(&mut self, index: u32, delay: Millis, world: &mut World<Step>) {
        let now = world.now();
        let event = &self.events[index as usize];
        let deadline = event.fate.queued_at + self.config.maximum_event_age;
        let request_id = Arc::clone(&event.fate.request_id);
        let attempt = event.attempts + 1;
        let at = (now + delay).min(deadline + 1);
        world.schedule(at, Step::Attempt(index));
        world.trace.push(now, || TraceEvent::RetryScheduled { request_id, attempt, at, cause: "throttle" });
    }

    fn complete(&mut self, index: u32, ended: Ended, world: &mut World<Step>) {
        let now = world.now();
        let event = &mut self.events[index as usize];
        match ended {
            Ended::Returned { response, .. } => {
                event.fate.end = AsyncEventEnd::Succeeded(now);
                self.finished += 1;
                if self.config.on_success {
                    let record = invocation_record(&event.fate, now, "Success", None, response);
                    self.on_success.push(record);
                    let id = Arc::clone(&event.fate.request_id);
                    world.trace.push(now, || TraceEvent::Destination {
                        id,
                        target: "on_success",
                        condition: "Success".into(),
                    });
                }
            }
            Ended::Failed { error_type, timed_out, .. } => {
                world.metrics.errored(now);
                let message =
                    if timed_out { "Task timed out".to_owned() } else { format!("{error_type} raised") };
                event.last_error = Some((Arc::clone(&error_type), message));
                if event.attempts <= self.config.maximum_retry_attempts {
                    // Retries come after about 1 and 2 minutes.
                    let base = self.config.retry_delays[(event.attempts as usize - 1).min(1)];
                    let delay = base + world.rng.below(self.config.retry_jitter + 1);
                    let deadline = event.fate.queued_at + self.config.maximum_event_age;
                    let (request_id, attempt) = (Arc::clone(&event.fate.request_id), event.attempts + 1);
                    let at = (now + delay).min(deadline + 1);
                    world.trace.push(now, || TraceEvent::RetryScheduled {
                        request_id,
                        attempt,
                        at,
                        cause: "function_error",
                    });
                    world.schedule(at, Step::Attempt(index));
                } else {
                    self.give_up(index, "RetriesExhausted".into(), world);
                }
            }
        }
    }

    /// The event failed for good: to the DLQ and the on-failure destination.
    fn give_up(&mut self, index: u32, condition: Arc<str>, world: &mut World<Step>) {
        let now = world.now();
        let event = &mut self.events[index as usize];
        event.fate.end = AsyncEventEnd::Failed { at: now, condition: Arc::clone(&condition) };
        self.finished += 1;
        world.metrics.async_events_dropped += 1;
        let (error_type, message) = event
            .last_error
            .clone()
            .unwrap_or_else(|| ("EventAgeExceeded".into(), "event too old".to_owned()));
        let id = Arc::clone(&event.fate.request_id);
        if self.config.dead_letter_queue {
            if self.config.dead_letter_queue_fails {
                // The event is deleted; `DeadLetterErrors` counts it.
                world.metrics.dead_letter_errors += 1;
                let request_id = Arc::clone(&id);
                world.trace.push(now, || TraceEvent::Dropped { request_id, reason: "dead_letter_error" });
            } else {
                self.dead_letters.push(dead_letter(&event.fate.event, &id, &message));
                world.metrics.dlq_messages_visible += 1;
                let (id, condition) = (Arc::clone(&id), Arc::clone(&condition));
                world.trace.push(now, || TraceEvent::Destination { id, target: "dlq", condition });
            }
        }
        if self.config.on_failure {
            let error = json!({ "errorMessage": message, "errorType": &*error_type });
            let record = invocation_record(&event.fate, now, &condition, Some("Unhandled"), error);
            self.on_failure.push(record);
            world.trace.push(now, || TraceEvent::Destination { id, target: "on_failure", condition });
        } else if !self.config.dead_letter_queue {
            world.trace.push(now, || TraceEvent::Dropped { request_id: id, reason: "no_destination" });
        }
    }
}
