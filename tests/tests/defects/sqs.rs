//! Hand-written SQS handlers (standard and FIFO), correct and with one
//! planted defect each, tested the documented way: `sqs_batch` /
//! `sqs_fifo_batch`, `fault_plan`, `run`, `check` with the handler's rules.

use std::panic::AssertUnwindSafe;

use futures_util::FutureExt as _;
use futures_util::stream::{FuturesUnordered, StreamExt as _};
use lambda_batch::aws_events::{SqsBatchResponse, SqsEvent};
use lambda_batch::{Error, LambdaEvent, observe};
use lambda_batch_testkit::prelude::*;

use super::model::{Order, bodies, decide};
use super::suite::{Case, Written, outcome};

/// One defect planted into the standard-queue handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Standard {
    Correct,
    /// Reports the receipt handle instead of the message id.
    ReportsWrongField,
    /// Returns an empty list when every message failed.
    AllFailedReturnsEmptyList,
    /// Reports every message when any failed.
    OverReports,
    /// No per-message panic isolation: one panic fails the invocation.
    PanicFailsTheBatch,
    /// Skips messages that have no id (acknowledging them).
    DropsUnnamedMessage,
    /// Runs messages concurrently and pins each failure on the message
    /// that finished in that position, not on the one that failed.
    LosesFailureUnderConcurrency,
    /// Logs a body that does not decode and acknowledges it.
    SwallowsDecodeError,
}

/// One message's work: decode the order and decide.
async fn process(body: &str, defect: Standard) -> Result<(), Error> {
    let order: Order = match serde_json::from_str(body) {
        Ok(order) => order,
        Err(_) if defect == Standard::SwallowsDecodeError => return Ok(()),
        Err(error) => return Err(error.into()),
    };
    decide(&order)
}

/// One message's work, observed, its panic caught: whether it succeeded.
async fn work(id: &str, body: &str, defect: Standard) -> bool {
    let observed = observe(id, process(body, defect));
    if defect == Standard::PanicFailsTheBatch {
        return observed.await.is_ok();
    }
    matches!(AssertUnwindSafe(observed).catch_unwind().await, Ok(Ok(())))
}

/// A standard-queue handler, as users write them: all messages at once,
/// each one's work observed and its panics caught, failures reported.
pub(crate) async fn standard(
    event: LambdaEvent<SqsEvent>,
    defect: Standard,
) -> Result<SqsBatchResponse, Error> {
    let mut named = Vec::new();
    for message in &event.payload.records {
        match message.message_id.as_deref().filter(|id| !id.is_empty()) {
            Some(id) => named.push((id, message)),
            None if defect == Standard::DropsUnnamedMessage => {}
            None => {
                return Err("a message has no messageId: failing the batch so that nothing is lost".into());
            }
        }
    }
    let mut in_flight: FuturesUnordered<_> = named
        .iter()
        .enumerate()
        .map(|(index, (id, message))| {
            let body = message.body.as_deref().unwrap_or_default();
            work(id, body, defect).map(move |ok| (index, ok))
        })
        .collect();
    let mut failed = Vec::new();
    let mut finished = 0;
    while let Some((index, ok)) = in_flight.next().await {
        if !ok {
            let blamed = if defect == Standard::LosesFailureUnderConcurrency { finished } else { index };
            failed.push(blamed);
        }
        finished += 1;
    }
    failed.sort_unstable();
    let mut response = SqsBatchResponse::default();
    if defect == Standard::AllFailedReturnsEmptyList && !named.is_empty() && failed.len() == named.len() {
        return Ok(response);
    }
    if defect == Standard::OverReports && !failed.is_empty() {
        failed = (0..named.len()).collect();
    }
    for index in failed {
        let (id, message) = named[index];
        let reported = if defect == Standard::ReportsWrongField {
            message.receipt_handle.clone().unwrap_or_default()
        } else {
            id.to_owned()
        };
        response.add_failure(reported);
    }
    Ok(response)
}

/// One defect planted into the FIFO handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fifo {
    Correct,
    /// Goes on after a failure and reports only the failures.
    ContinuesAfterFailure,
    /// Stops at a failure but reports only the failed message.
    ReportsOnlyTheFailure,
    /// Reports the failure and every later message, as it should, but
    /// still runs the later messages (before the failed one is retried).
    RunsOnAfterFailure,
}

/// A FIFO handler: one message after another; at the first failure it
/// stops and reports that message and every later one.
pub(crate) async fn fifo(event: LambdaEvent<SqsEvent>, defect: Fifo) -> Result<SqsBatchResponse, Error> {
    let records = &event.payload.records;
    if records.iter().any(|message| message.message_id.as_deref().unwrap_or_default().is_empty()) {
        return Err("a message has no messageId: failing the batch so that nothing is lost".into());
    }
    let mut response = SqsBatchResponse::default();
    let mut stopped = false;
    for message in records {
        let id = message.message_id.clone().unwrap_or_default();
        if stopped {
            if defect == Fifo::RunsOnAfterFailure {
                work(&id, message.body.as_deref().unwrap_or_default(), Standard::Correct).await;
            }
            if defect != Fifo::ReportsOnlyTheFailure {
                response.add_failure(id);
            }
            continue;
        }
        let body = message.body.as_deref().unwrap_or_default();
        if !work(&id, body, Standard::Correct).await {
            response.add_failure(id);
            stopped = defect != Fifo::ContinuesAfterFailure;
        }
    }
    Ok(response)
}

pub(crate) fn cases() -> Vec<Case> {
    let standard_case = |defect: Standard, what: Option<&'static str>| Case {
        source: "SQS standard",
        written: Written::ByHand,
        defect: what,
        cases: 256,
        test: Box::new(move |runner| {
            outcome(runner.run(&(sqs_batch(bodies(), 1..20), fault_plan(20, 0.2)), |(batch, plan)| {
                check(&run(|event| standard(event, defect), &batch, &plan), Rules::sqs())
            }))
        }),
    };
    let fifo_case =
        |defect: Fifo, what: Option<&'static str>| Case {
            source: "SQS FIFO",
            written: Written::ByHand,
            defect: what,
            cases: 256,
            test: Box::new(move |runner| {
                outcome(runner.run(
                    &(sqs_fifo_batch(bodies(), 1..10, 1..=3), fault_plan(10, 0.2)),
                    |(batch, plan)| {
                        check(&run(|event| fifo(event, defect), &batch, &plan), Rules::sqs_fifo())
                    },
                ))
            }),
        };
    vec![
        standard_case(Standard::Correct, None),
        standard_case(Standard::ReportsWrongField, Some("wrong field reported: the receipt handle")),
        standard_case(Standard::AllFailedReturnsEmptyList, Some("all failed, empty list returned")),
        standard_case(Standard::OverReports, Some("over-reporting: every message when one fails")),
        standard_case(Standard::PanicFailsTheBatch, Some("no panic isolation: one panic fails the batch")),
        standard_case(Standard::DropsUnnamedMessage, Some("message with no id dropped (acknowledged)")),
        standard_case(
            Standard::LosesFailureUnderConcurrency,
            Some("failure lost under concurrency: pinned on the wrong message"),
        ),
        standard_case(Standard::SwallowsDecodeError, Some("bad body swallowed (acknowledged)")),
        fifo_case(Fifo::Correct, None),
        fifo_case(Fifo::ContinuesAfterFailure, Some("FIFO goes on after a failure")),
        fifo_case(
            Fifo::ReportsOnlyTheFailure,
            Some("FIFO reports the failure but not the messages after it"),
        ),
        fifo_case(
            Fifo::RunsOnAfterFailure,
            Some("observed, FIFO reports the right messages but runs those after a failure"),
        ),
    ]
}
