//! Asynchronous invocation: Lambda's internal queue, retries, the DLQ and
//! destinations (rule R-6 of SEMANTICS.md).

use std::sync::Arc;

use serde_json::{Value, json};

use super::async_config::AsyncConfig;
use super::clock::{Agenda, EPOCH_MS, Millis};
use super::error::ConfigError;
use super::faults::{Drawn, Ended};
use super::function::{Function, Invocation, Payload};
use super::metrics::Metrics;
use super::progress::{Progress, ProgressFn, Ticker};
use super::rng::SimRng;
use super::trace::{Trace, TraceEvent};

const FUNCTION_ARN: &str = "arn:aws:lambda:eu-west-1:123456789012:function:test-function:$LATEST";

/// How an asynchronous event ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AsyncEventEnd {
    /// An attempt succeeded.
    Succeeded(Millis),
    /// Given up: `condition` is `RetriesExhausted` or the event-age condition.
    Failed {
        /// When.
        at: Millis,
        /// Why.
        condition: Arc<str>,
    },
    /// Not done when the run stopped.
    Pending,
}

/// One asynchronous event's history.
#[derive(Debug, Clone, PartialEq)]
pub struct AsyncEventFate {
    /// The request id (the same on every attempt).
    pub request_id: Arc<str>,
    /// The event.
    pub event: Value,
    /// When it was queued.
    pub queued_at: Millis,
    /// Function invocations for it (retries and duplicates included).
    pub invocations: u32,
    /// How it ended.
    pub end: AsyncEventEnd,
}

/// The result of an asynchronous-invocation run.
#[derive(Debug, Clone)]
pub struct AsyncReport {
    /// Every event, in the order of the `invoke` calls.
    pub events: Vec<AsyncEventFate>,
    /// DLQ messages: `{"body": <event>, "attributes": {"RequestID", "ErrorCode", "ErrorMessage"}}`.
    pub dead_letters: Vec<Value>,
    /// Invocation records sent to the on-success destination (S-3.9 shape).
    pub on_success: Vec<Value>,
    /// Invocation records sent to the on-failure destination.
    pub on_failure: Vec<Value>,
    /// The metrics.
    pub metrics: Metrics,
    /// The trace.
    pub trace: Trace,
    /// Function invocations made.
    pub invocations: u64,
    /// Virtual time at the end.
    pub ended_at: Millis,
}

struct Event {
    fate: AsyncEventFate,
    /// Attempts that ran the function (duplicates not counted).
    attempts: u32,
    throttles: u32,
    last_error: Option<(Arc<str>, String)>,
    ended: Option<Ended>,
}

enum Step {
    Attempt(u32),
    Duplicate(u32),
    Complete(u32),
}

/// Lambda's asynchronous invocation in virtual time.
///
/// ```
/// use lambda_batch_testkit::sim::{AsyncConfig, AsyncSimulation, FunctionResult, Invocation};
/// let mut sim = AsyncSimulation::new(AsyncConfig::default()).unwrap();
/// sim.invoke(0, serde_json::json!({"order": 1}));
/// let report = sim.run(&mut |_: &Invocation<'_>| FunctionResult::error("Boom", "always"));
/// assert_eq!(report.events[0].invocations, 3); // the first attempt and 2 retries
/// assert_eq!(report.dead_letters.len(), 1);
/// assert_eq!(report.on_failure[0]["requestContext"]["condition"], "RetriesExhausted");
/// ```
pub struct AsyncSimulation {
    config: AsyncConfig,
    rng: SimRng,
    agenda: Agenda<Step>,
    events: Vec<Event>,
    dead_letters: Vec<Value>,
    on_success: Vec<Value>,
    on_failure: Vec<Value>,
    metrics: Metrics,
    trace: Trace,
    finished: usize,
}

impl AsyncSimulation {
    /// A simulation with this configuration.
    ///
    /// # Errors
    /// A setting AWS would refuse (e.g. `MaximumRetryAttempts` of 3).
    pub fn new(config: AsyncConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(AsyncSimulation {
            rng: SimRng::new(config.seed),
            trace: Trace::new(config.trace),
            config,
            agenda: Agenda::new(),
            events: Vec::new(),
            dead_letters: Vec::new(),
            on_success: Vec::new(),
            on_failure: Vec::new(),
            metrics: Metrics::default(),
            finished: 0,
        })
    }

    /// Invokes the function asynchronously at virtual time `at` (`Invoke`
    /// returns 202); returns the request id every attempt will carry.
    pub fn invoke(&mut self, at: Millis, event: Value) -> Arc<str> {
        let index = u32::try_from(self.events.len()).unwrap_or(u32::MAX);
        let request_id: Arc<str> = self.rng.request_id().into();
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
            ended: None,
        });
        self.agenda.at_in_lane(0, at, Step::Attempt(index));
        request_id
    }

    /// Runs until nothing is left to happen.
    pub fn run(self, function: &mut impl Function) -> AsyncReport {
        self.run_until(function, Millis::MAX, None)
    }

    /// Runs until nothing is left to happen or virtual time `until`.
    pub fn run_until(
        mut self,
        function: &mut impl Function,
        until: Millis,
        progress: Option<ProgressFn<'_>>,
    ) -> AsyncReport {
        let mut ticker = Ticker::new(progress);
        while let Some(step) = self.agenda.next(until) {
            match step {
                Step::Attempt(event) => self.attempt(event, function, false),
                Step::Duplicate(event) => self.attempt(event, function, true),
                Step::Complete(event) => self.complete(event),
            }
            ticker.tick(|events| Progress {
                now: self.agenda.now(),
                events,
                invocations: self.metrics.invocations,
                done: self.finished,
                total: self.events.len(),
            });
        }
        let now = self.agenda.finish(until);
        self.metrics.minute(now);
        AsyncReport {
            events: self.events.into_iter().map(|e| e.fate).collect(),
            dead_letters: self.dead_letters,
            on_success: self.on_success,
            on_failure: self.on_failure,
            invocations: self.metrics.invocations,
            metrics: self.metrics,
            trace: self.trace,
            ended_at: now,
        }
    }

    fn attempt(&mut self, index: u32, function: &mut impl Function, duplicate: bool) {
        let now = self.agenda.now();
        let event = &mut self.events[index as usize];
        if !duplicate && event.attempts == 0 && event.throttles == 0 {
            self.metrics.async_events_received += 1;
            let request_id = Arc::clone(&event.fate.request_id);
            self.trace.push(event.fate.queued_at, || TraceEvent::Queued { request_id });
            if self.config.reserved_concurrency_zero {
                event.last_error =
                    Some(("TooManyRequestsException".into(), "Reserved concurrency is 0".to_owned()));
                self.give_up(index, "RetriesExhausted".into());
                return;
            }
        }
        let event = &mut self.events[index as usize];
        if !duplicate && now > event.fate.queued_at + self.config.maximum_event_age {
            let condition: Arc<str> = self.config.event_age_condition.as_str().into();
            self.give_up(index, condition);
            return;
        }
        self.metrics.async_event_age_max_ms =
            self.metrics.async_event_age_max_ms.max(now - event.fate.queued_at);
        if !duplicate && self.rng.chance(self.config.faults.throttle) {
            // Throttles back off from 1 s to 5 min and spend no retry (S-3.5).
            self.metrics.throttled(now);
            let event = &mut self.events[index as usize];
            event.throttles += 1;
            let delay = (1_000u64 << (event.throttles - 1).min(9)).min(300_000);
            self.invocations_throttled(index, now, delay);
            return;
        }
        let event = &mut self.events[index as usize];
        if !duplicate {
            event.attempts += 1;
        }
        event.fate.invocations += 1;
        let attempt = event.attempts;
        let drawn = Drawn::draw(&self.config.faults, &mut self.rng, 0);
        let result = function.invoke(&Invocation {
            request_id: &event.fate.request_id,
            attempt,
            started_at: now,
            timeout: self.config.function_timeout,
            payload: Payload::Async { event: &event.fate.event },
            failing_records: &[],
        });
        self.metrics.invoked(now);
        let number = self.metrics.invocations;
        let request_id = Arc::clone(&event.fate.request_id);
        self.trace.push(now, || TraceEvent::Invoked { invocation: number, request_id, records: 1, attempt });
        let (ended, took) =
            Ended::settle(result, &drawn, &self.config.timing, 1, self.config.function_timeout);
        if duplicate {
            // A duplicate's outcome changes nothing: the event already has one.
            if matches!(ended, Ended::Failed { .. }) {
                self.metrics.errored(now + took);
            }
            return;
        }
        self.events[index as usize].ended = Some(ended);
        self.agenda.at(now + took, Step::Complete(index));
    }

    fn invocations_throttled(&mut self, index: u32, now: Millis, delay: Millis) {
        let event = &self.events[index as usize];
        let deadline = event.fate.queued_at + self.config.maximum_event_age;
        let request_id = Arc::clone(&event.fate.request_id);
        let attempt = event.attempts + 1;
        if now + delay > deadline {
            self.agenda.at(deadline + 1, Step::Attempt(index));
        } else {
            self.agenda.at(now + delay, Step::Attempt(index));
        }
        let at = (now + delay).min(deadline + 1);
        self.trace.push(now, || TraceEvent::RetryScheduled { request_id, attempt, at, cause: "throttle" });
    }

    fn complete(&mut self, index: u32) {
        let now = self.agenda.now();
        let event = &mut self.events[index as usize];
        match event.ended.take() {
            Some(Ended::Returned(response)) => {
                event.fate.end = AsyncEventEnd::Succeeded(now);
                self.finished += 1;
                if self.config.on_success {
                    let record = invocation_record(&event.fate, now, "Success", None, response);
                    self.on_success.push(record);
                    let id = Arc::clone(&event.fate.request_id);
                    self.trace.push(now, || TraceEvent::Destination {
                        id,
                        target: "on_success",
                        condition: "Success".into(),
                    });
                }
                if self.rng.chance(self.config.faults.duplicate) {
                    self.agenda.at(now + 1_000, Step::Duplicate(index));
                }
            }
            Some(Ended::Failed { error_type, timed_out }) => {
                self.metrics.errored(now);
                let message =
                    if timed_out { "Task timed out".to_owned() } else { format!("{error_type} raised") };
                event.last_error = Some((Arc::clone(&error_type), message));
                if event.attempts <= self.config.maximum_retry_attempts {
                    let base = self.config.retry_delays[(event.attempts as usize - 1).min(1)];
                    let delay = base + self.rng.below(self.config.retry_jitter + 1);
                    let event = &self.events[index as usize];
                    let deadline = event.fate.queued_at + self.config.maximum_event_age;
                    let (request_id, attempt) = (Arc::clone(&event.fate.request_id), event.attempts + 1);
                    let at = (now + delay).min(deadline + 1);
                    self.trace.push(now, || TraceEvent::RetryScheduled {
                        request_id,
                        attempt,
                        at,
                        cause: "function_error",
                    });
                    self.agenda.at(at, Step::Attempt(index));
                } else {
                    self.give_up(index, "RetriesExhausted".into());
                }
            }
            None => {}
        }
    }

    /// The event failed for good: DLQ and on-failure destination (S-3.8).
    fn give_up(&mut self, index: u32, condition: Arc<str>) {
        let now = self.agenda.now();
        let event = &mut self.events[index as usize];
        event.fate.end = AsyncEventEnd::Failed { at: now, condition: Arc::clone(&condition) };
        self.finished += 1;
        self.metrics.async_events_dropped += 1;
        let (error_type, message) = event
            .last_error
            .clone()
            .unwrap_or_else(|| ("EventAgeExceeded".into(), "event too old".to_owned()));
        let id = Arc::clone(&event.fate.request_id);
        if self.config.dead_letter_queue {
            if self.config.dead_letter_queue_fails {
                self.metrics.dead_letter_errors += 1;
                let request_id = Arc::clone(&id);
                self.trace.push(now, || TraceEvent::Dropped { request_id, reason: "dead_letter_error" });
            } else {
                let error_message: String = message.chars().take(1024).collect();
                self.dead_letters.push(json!({
                    "body": event.fate.event,
                    "attributes": {
                        "RequestID": {"DataType": "String", "StringValue": &*id},
                        "ErrorCode": {"DataType": "Number", "StringValue": "200"},
                        "ErrorMessage": {"DataType": "String", "StringValue": error_message},
                    }
                }));
                self.metrics.dlq_messages_visible += 1;
                let (id, condition) = (Arc::clone(&id), Arc::clone(&condition));
                self.trace.push(now, || TraceEvent::Destination { id, target: "dlq", condition });
            }
        }
        if self.config.on_failure {
            let error = json!({ "errorMessage": message, "errorType": &*error_type });
            let record = invocation_record(&event.fate, now, &condition, Some("Unhandled"), error);
            self.on_failure.push(record);
            self.trace.push(now, || TraceEvent::Destination { id, target: "on_failure", condition });
        } else if !self.config.dead_letter_queue {
            self.trace.push(now, || TraceEvent::Dropped { request_id: id, reason: "no_destination" });
        }
    }
}

/// The invocation record destinations receive (S-3.9).
fn invocation_record(
    fate: &AsyncEventFate,
    now: Millis,
    condition: &str,
    function_error: Option<&str>,
    response: Value,
) -> Value {
    let mut response_context = json!({ "statusCode": 200, "executedVersion": "$LATEST" });
    if let Some(error) = function_error {
        response_context["functionError"] = json!(error);
    }
    json!({
        "version": "1.0",
        "timestamp": iso8601(now),
        "requestContext": {
            "requestId": &*fate.request_id,
            "functionArn": FUNCTION_ARN,
            "condition": condition,
            "approximateInvokeCount": fate.invocations,
        },
        "requestPayload": fate.event,
        "responseContext": response_context,
        "responsePayload": response,
    })
}

/// Virtual time as ISO 8601 UTC with milliseconds.
pub(crate) fn iso8601(at: Millis) -> String {
    let millis = i64::try_from(EPOCH_MS + at).unwrap_or(i64::MAX);
    chrono::DateTime::from_timestamp_millis(millis)
        .map(|time| time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}
