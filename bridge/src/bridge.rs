//! The poller: receive a batch, invoke the function, apply its response,
//! back off after failures; once, forever, or until the queue is empty.

use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::Message;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::time::Instant;
use tracing::{Instrument as _, info, info_span, warn};

use crate::backoff::BackoffState;
use crate::config::BridgeConfig;
use crate::context::{Function, context};
use crate::error::BridgeError;
use crate::event::{self, Batch, Received, event_text};
use crate::invoke::{Handler, invoke};
use crate::plan::{Plan, PlanVerdict, plan};
use crate::queue::{Queue, QueueCounts, QueueFacts, ToDelete};
use crate::summary::{Counters, DrainLimits, DrainSummary, PollOutcome, PollSummary, StopReason};

/// How many SQS calls in a row may fail before [`Bridge::run_until`] gives up.
const MAX_CONSECUTIVE_SQS_ERRORS: u32 = 5;
/// The pause between short polls within a batching window.
const SHORT_POLL_PAUSE: Duration = Duration::from_millis(200);

/// A local event source mapping for one SQS queue: it receives batches,
/// invokes a handler in process with the event Lambda would send, and
/// applies the response as Lambda does.
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use lambda_batch::{batch_handler, RecordOutcome};
/// use lambda_batch_bridge::{Bridge, BridgeConfig, ClientSettings, DrainLimits};
///
/// #[batch_handler(sqs)]
/// async fn handle(body: &str) -> RecordOutcome {
///     if body.is_empty() { RecordOutcome::failure("empty body") } else { RecordOutcome::Success }
/// }
///
/// let client = ClientSettings::new().endpoint_url("http://127.0.0.1:4566").client().await?;
/// let config = BridgeConfig::new("http://127.0.0.1:4566/000000000000/orders");
/// let mut bridge = Bridge::new(client, config).await?;
/// let summary = bridge.drain(&handle, DrainLimits::default()).await?;
/// println!("{} deleted, {} left for retry", summary.counters.deleted, summary.counters.left_for_retry);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Bridge {
    queue: Queue,
    facts: QueueFacts,
    config: BridgeConfig,
    function: Function,
    backoff: BackoffState,
    totals: Counters,
}

impl Bridge {
    /// Checks the settings, reads the queue's attributes (its ARN, whether
    /// it is FIFO, its visibility timeout) and checks the settings against
    /// them.
    pub async fn new(client: Client, config: BridgeConfig) -> Result<Self, BridgeError> {
        config.validate()?;
        let queue = Queue::new(client, config.queue_url.clone());
        let facts = queue.facts().await?;
        config.validate_for_queue(facts.fifo, facts.visibility_timeout)?;
        info!(
            queue = %facts.arn,
            fifo = facts.fifo,
            visibility_timeout_s = config.visibility_timeout.unwrap_or(facts.visibility_timeout).as_secs(),
            max_receive_count = facts.max_receive_count,
            batch_size = config.batch_size,
            "bridge ready"
        );
        if facts.max_receive_count.is_none() {
            warn!(
                queue = %facts.arn,
                "the queue has no redrive policy: a message that always fails comes back forever; give it a \
                 dead-letter queue (RedrivePolicy with maxReceiveCount)"
            );
        }
        let function = Function {
            name: config.function_name.clone(),
            region: facts.region.clone(),
            account: facts.account.clone(),
            timeout: config.function_timeout,
        };
        Ok(Bridge {
            queue,
            function,
            backoff: BackoffState::new(config.backoff),
            config,
            facts,
            totals: Counters::default(),
        })
    }

    /// The queue's ARN (the records' `eventSourceARN`).
    pub fn queue_arn(&self) -> &str {
        &self.facts.arn
    }

    /// `true` for a FIFO queue.
    pub fn is_fifo(&self) -> bool {
        self.facts.fifo
    }

    /// The counters since the bridge was made.
    pub fn totals(&self) -> &Counters {
        &self.totals
    }

    /// How many messages the queue holds now (SQS's approximate counts).
    pub async fn queue_counts(&self) -> Result<QueueCounts, BridgeError> {
        self.queue.counts().await
    }

    /// One poll: receive a batch (up to the batch size, within the batching
    /// window), invoke `handler` if anything came, apply the response. Does
    /// not pause: [`PollSummary::backoff`] says how long to wait before the
    /// next poll.
    pub async fn poll_once<P, H>(&mut self, handler: &H) -> Result<PollSummary, BridgeError>
    where
        P: DeserializeOwned,
        H: Handler<P>,
    {
        let messages = self.receive_batch().await?;
        Ok(self.process(handler, messages).await)
    }

    /// Polls until `stop` completes (such as `tokio::signal::ctrl_c()`),
    /// pausing after failures. A batch being handled is finished first.
    /// SQS errors are logged and retried after a pause; after 5 in a row
    /// the last one is returned.
    pub async fn run_until<P, H>(
        &mut self,
        handler: &H,
        stop: impl Future<Output = ()>,
    ) -> Result<Counters, BridgeError>
    where
        P: DeserializeOwned,
        H: Handler<P>,
    {
        let mut stop = pin!(stop);
        let mut failed_calls = 0;
        loop {
            let received = tokio::select! {
                biased;
                () = &mut stop => break,
                received = self.receive_batch() => received,
            };
            let pause = match received {
                Ok(messages) => {
                    failed_calls = 0;
                    self.process(handler, messages).await.backoff
                }
                Err(error) => {
                    failed_calls += 1;
                    self.totals.sqs_errors += 1;
                    if failed_calls >= MAX_CONSECUTIVE_SQS_ERRORS {
                        return Err(error);
                    }
                    let pause = self.backoff.failure();
                    warn!(error = %error, pause_ms = pause.as_millis(), "receive failed; retrying after a pause");
                    Some(pause)
                }
            };
            if let Some(pause) = pause {
                tokio::select! {
                    biased;
                    () = &mut stop => break,
                    () = tokio::time::sleep(pause) => {}
                }
            }
        }
        Ok(self.totals.clone())
    }

    /// Polls until the queue holds no message (none visible, in flight or
    /// delayed, by SQS's approximate counts, read after each poll that
    /// received nothing), or a limit is reached. Messages that exceed the
    /// queue's `maxReceiveCount` move to its DLQ on a receive, so a drain
    /// goes on until they have. SQS errors are returned at once.
    pub async fn drain<P, H>(&mut self, handler: &H, limits: DrainLimits) -> Result<DrainSummary, BridgeError>
    where
        P: DeserializeOwned,
        H: Handler<P>,
    {
        let started = Instant::now();
        let deadline = started + limits.max_duration;
        let mut counters = Counters::default();
        let stopped = loop {
            if limits.max_polls.is_some_and(|max| counters.polls >= max) {
                break StopReason::MaxPolls;
            }
            if Instant::now() >= deadline {
                break StopReason::MaxDuration;
            }
            let poll = self.poll_once(handler).await?;
            counters.add(&poll);
            if poll.received == 0 && self.queue.counts().await?.total() == 0 {
                break StopReason::QueueEmpty;
            }
            if let Some(pause) = poll.backoff {
                tokio::time::sleep(pause.min(deadline.saturating_duration_since(Instant::now()))).await;
            }
        };
        let summary = DrainSummary { counters, stopped, elapsed: started.elapsed() };
        info!(
            stopped = ?summary.stopped,
            polls = summary.counters.polls,
            received = summary.counters.received,
            deleted = summary.counters.deleted,
            left_for_retry = summary.counters.left_for_retry,
            function_errors = summary.counters.function_errors,
            elapsed_ms = summary.elapsed.as_millis(),
            "drain finished"
        );
        Ok(summary)
    }

    /// One batch: a `ReceiveMessage`, and more while the batch is not full
    /// and the batching window lasts.
    async fn receive_batch(&self) -> Result<Vec<Message>, BridgeError> {
        let max = self.config.batch_size;
        let visibility = self.config.visibility_timeout;
        let window_end = Instant::now() + self.config.max_batching_window;
        let mut messages = self.queue.receive(max, self.config.wait_time, visibility).await?;
        loop {
            let missing = max.saturating_sub(u32::try_from(messages.len()).unwrap_or(max));
            let left = window_end.saturating_duration_since(Instant::now());
            if missing == 0 || left.is_zero() {
                return Ok(messages);
            }
            // SQS long-polls whole seconds: under one second, pause briefly
            // and take what is there.
            let wait = left.min(self.config.wait_time);
            if wait < Duration::from_secs(1) {
                tokio::time::sleep(left.min(SHORT_POLL_PAUSE)).await;
            }
            messages.extend(self.queue.receive(missing, wait, visibility).await?);
        }
    }

    /// Invokes the function with the batch and applies its response.
    async fn process<P, H>(&mut self, handler: &H, messages: Vec<Message>) -> PollSummary
    where
        P: DeserializeOwned,
        H: Handler<P>,
    {
        let mut summary = PollSummary::empty();
        let Batch { records: batch, unusable } = event::batch(&messages, &self.facts);
        for reason in &unusable {
            warn!(queue = %self.facts.arn, "received {reason}; left in the queue, not handed to the function");
        }
        summary.received = batch.len() + unusable.len();
        summary.left_for_retry = unusable.len();
        if batch.is_empty() {
            self.totals.add(&summary);
            return summary;
        }
        let text = event_text(&batch);
        // The validator's view of the same event (the text is always JSON).
        let event: Value = serde_json::from_str(&text).unwrap_or_default();
        let cx = context(&self.function);
        let request_id = cx.request_id.clone();
        let span = info_span!("invocation", request_id = %request_id, messages = batch.len());
        let invocation = invoke(handler, &text, cx, self.function.timeout).instrument(span).await;
        let plan = plan(&event, &invocation, self.facts.fifo, self.config.fifo_order);
        self.report_findings(&request_id, &plan);
        let (deleted_ids, delete_failures) = self.delete(&batch, &plan).await;
        summary.request_id = Some(request_id.clone());
        summary.deleted = deleted_ids.len();
        summary.deleted_ids = deleted_ids;
        summary.delete_failures = delete_failures;
        summary.left_for_retry += batch.len().saturating_sub(summary.deleted + delete_failures);
        summary.held_for_order = plan.held.len();
        summary.outcome = match plan.verdict {
            PlanVerdict::CompleteSuccess => PollOutcome::CompleteSuccess,
            PlanVerdict::PartialSuccess => PollOutcome::PartialSuccess,
            PlanVerdict::InvalidResponse => {
                PollOutcome::InvalidResponse(plan.findings.iter().map(ToString::to_string).collect())
            }
            PlanVerdict::FunctionError(error) => PollOutcome::FunctionError(error),
        };
        summary.backoff = match summary.outcome {
            PollOutcome::FunctionError(_) | PollOutcome::InvalidResponse(_) => Some(self.backoff.failure()),
            _ => {
                self.backoff.success();
                None
            }
        };
        self.totals.add(&summary);
        info!(
            request_id = %request_id,
            received = summary.received,
            deleted = summary.deleted,
            left_for_retry = summary.left_for_retry,
            held_for_order = summary.held_for_order,
            delete_failures = summary.delete_failures,
            backoff_ms = summary.backoff.map(|pause| pause.as_millis()),
            outcome = %summary.outcome,
            "poll"
        );
        summary
    }

    fn report_findings(&self, request_id: &str, plan: &Plan) {
        match &plan.verdict {
            PlanVerdict::FunctionError(error) => {
                warn!(
                    request_id,
                    "{error}; nothing deleted, the whole batch comes back after the visibility timeout"
                );
            }
            PlanVerdict::InvalidResponse => {
                for finding in &plan.findings {
                    warn!(request_id, "invalid response, nothing deleted: {finding}");
                }
            }
            PlanVerdict::CompleteSuccess | PlanVerdict::PartialSuccess => {
                for finding in &plan.findings {
                    warn!(request_id, "{finding}");
                }
                if !plan.held.is_empty() {
                    warn!(
                        request_id,
                        held = ?plan.held,
                        "kept to preserve their group's order, although the response did not report them (Lambda \
                         would delete them); report every later message of a group after a failure"
                    );
                }
            }
        }
    }

    /// Deletes the messages the plan says to; returns the ids deleted and
    /// how many deletes failed.
    async fn delete(&mut self, batch: &[Received], plan: &Plan) -> (Vec<String>, usize) {
        // Entry ids are the positions in the batch: unique even if a message
        // came twice.
        let entries: Vec<(&Received, ToDelete)> = batch
            .iter()
            .enumerate()
            .filter(|(_, received)| plan.delete.contains(&received.message_id))
            .map(|(index, received)| {
                (
                    received,
                    ToDelete { entry: format!("m{index}"), receipt_handle: received.receipt_handle.clone() },
                )
            })
            .collect();
        let mut failed: Vec<String> = Vec::new();
        for chunk in entries.chunks(10) {
            let requests: Vec<ToDelete> = chunk.iter().map(|(_, entry)| entry.clone()).collect();
            match self.queue.delete(&requests).await {
                Ok(failures) => {
                    for failure in failures {
                        let message_id = chunk
                            .iter()
                            .find(|(_, entry)| entry.entry == failure.entry)
                            .map_or("?", |(received, _)| received.message_id.as_str());
                        warn!(
                            message_id,
                            "delete failed ({}); the message comes back after the visibility timeout",
                            failure.reason
                        );
                        failed.push(failure.entry);
                    }
                }
                Err(error) => {
                    warn!("{error}; these messages come back after the visibility timeout");
                    self.totals.sqs_errors += 1;
                    failed.extend(chunk.iter().map(|(_, entry)| entry.entry.clone()));
                }
            }
        }
        let deleted: Vec<String> = entries
            .iter()
            .filter(|(_, entry)| !failed.contains(&entry.entry))
            .map(|(received, _)| received.message_id.clone())
            .collect();
        let failures = entries.len() - deleted.len();
        (deleted, failures)
    }
}
