//! The source-independent batch engine: calls the handler once per record,
//! isolates errors and panics, keeps order per key under bounded
//! concurrency, applies the stop rules and the deadline guard, and reports.
//!
//! [`run`] schedules records (order per key, stop rules, concurrency, the
//! deadline); each record it starts goes through one stack of per-record
//! layers (observation, span, the user's hooks, idempotency claims, settling, the poison sink, the receive-count
//! budget, the record timeout, panic isolation, fault injection, the
//! handler), composed in [`stack::stack`]. What to run is the source's
//! [`BatchPlan`]; who watches is the observer the caller passes in.

mod contain;
pub(crate) mod deadline;
mod guard;
pub(crate) mod hooks;
mod layer;
mod log;
pub(crate) mod observe;
mod poison;
mod schedule;
mod stack;

use std::future::Future;
use std::pin::{Pin, pin};
use std::task::Poll;

use futures_util::FutureExt;
use futures_util::future::{Either, select};
use futures_util::stream::{FuturesUnordered, StreamExt};
use lambda_runtime::Context;

use self::deadline::Deadline;
use self::layer::{Layer, Req};
use self::observe::Observer;
use self::schedule::Schedule;
use crate::handler::RecordHandler;
use crate::idempotency::batch::BatchClaims;
use crate::kind::SourceKind;
use crate::outcome::{RecordError, RecordErrorKind};
use crate::plan::{BatchPlan, StopRule};
use crate::report::RecordStatus;
use crate::source::{BatchRecord, Source};

/// What stops records from starting.
#[derive(Default)]
struct Stops<'k> {
    /// Records after this index do not start.
    after: Option<usize>,
    /// Records of these keys after the index do not start.
    keys: Vec<(&'k str, usize)>,
}

impl<'k> Stops<'k> {
    /// The failed (or unfinished) record that stops record `index`, if any.
    /// The key is looked up only if some key stopped.
    fn blocker<'r>(&self, index: usize, key: impl FnOnce() -> Option<&'r str>) -> Option<usize> {
        let by_all = self.after.filter(|&at| index > at);
        let by_key = || {
            if self.keys.is_empty() {
                return None;
            }
            let key = key()?;
            self.keys.iter().find(|(k, at)| *k == key && index > *at).map(|&(_, at)| at)
        };
        by_all.or_else(by_key)
    }

    /// Record `index` did not finish well: apply the rule.
    /// The key is looked up only under [`StopRule::SameKey`].
    fn record(&mut self, rule: StopRule, index: usize, key: impl FnOnce() -> Option<&'k str>) {
        let key = match rule {
            StopRule::Nothing => return,
            StopRule::Everything => None,
            StopRule::SameKey => key(),
        };
        match key {
            None => self.after = Some(self.after.map_or(index, |at| at.min(index))),
            Some(key) => self.keys.push((key, index)),
        }
    }
}

/// Handles `records` under `plan` and returns each record's status, in
/// record order.
///
/// Up to `limits.concurrency` records run at once, lowest index first;
/// with `plan.ordered` a record starts only after the previous record of its
/// key finished. A record that does not finish well stops the *later*
/// records its rule covers (earlier ones still waiting may run). Past the
/// deadline's cut-off no record starts; at its abandon point the records
/// still running are dropped and reported failed.
pub(crate) async fn run<'e, S, H, O>(
    records: &[S::Record<'e>],
    plan: &BatchPlan,
    handler: &H,
    cx: &Context,
    observer: &O,
    claims: Option<&BatchClaims>,
) -> Vec<RecordStatus>
where
    S: Source,
    H: RecordHandler<S>,
    O: Observer,
{
    let deadline = Deadline::from_context(cx, plan.limits.deadline_margin());
    let stack = stack::stack(plan, observer, claims, deadline.map(|d| d.cut_off));
    // One timer for the whole batch: the abandon point.
    let mut abandon = pin!(deadline.map(|d| tokio::time::sleep_until(d.abandon)));
    let concurrency = plan.limits.concurrency();
    // One record at a time in batch order keeps every key's order by itself.
    let ordered = plan.ordered && concurrency > 1;
    let mut progress = Progress::new(records, ordered);
    let mut in_flight = FuturesUnordered::new();
    // The first record in flight runs in this slot, on this future's own
    // state: one record at a time (the default), and records that finish
    // without waiting under any concurrency, allocate no task.
    let mut single = pin!(None);
    loop {
        while in_flight.len() + usize::from(single.is_some()) < concurrency {
            if deadline.is_some_and(|d| tokio::time::Instant::now() >= d.cut_off) {
                progress.out_of_time();
                break;
            }
            let Some(index) = progress.start_next() else { break };
            let req = Req::new(index, S::shorten(&records[index]), handler, cx);
            let future = stack.call(req).map(move |status| (index, status));
            if single.is_some() {
                in_flight.push(future);
                continue;
            }
            single.set(Some(future));
            // A record that does not wait (synchronous work, a replay)
            // finishes on its first poll, here.
            if let Some((index, status)) = poll_once(single.as_mut()).await {
                single.set(None);
                progress.finish(index, status, plan.stop);
            }
        }
        if in_flight.is_empty() && single.is_none() {
            break;
        }
        let next = next_finished(single.as_mut(), &mut in_flight);
        let finished = match abandon.as_mut().as_pin_mut() {
            Some(timer) => match select(pin!(next), timer).await {
                Either::Left((done, _)) => Some(done),
                Either::Right(((), _)) => None,
            },
            None => Some(next.await),
        };
        match finished {
            Some((from_single, done)) => {
                if from_single {
                    single.set(None);
                }
                if let Some((index, status)) = done {
                    progress.finish(index, status, plan.stop);
                }
            }
            None => {
                // The abandon point: give up on what still runs.
                single.set(None);
                drop(std::mem::take(&mut in_flight));
                progress.abandon(observer, S::KIND);
            }
        }
    }
    progress.into_statuses()
}

/// The first record to finish, of the slot's and those in flight, and
/// whether it was the slot's.
async fn next_finished<F: Future>(
    slot: Pin<&mut Option<F>>,
    in_flight: &mut FuturesUnordered<F>,
) -> (bool, Option<F::Output>) {
    match slot.as_pin_mut() {
        Some(future) if in_flight.is_empty() => (true, Some(future.await)),
        Some(future) => match select(future, in_flight.next()).await {
            Either::Left((done, _)) => (true, Some(done)),
            Either::Right((done, _)) => (false, done),
        },
        None => (false, in_flight.next().await),
    }
}

/// Polls the future in `slot` once: its output if it finished (the slot
/// is left for the caller to empty), `None` if it waits or there is none.
async fn poll_once<F: Future>(mut slot: Pin<&mut Option<F>>) -> Option<F::Output> {
    std::future::poll_fn(|cx| {
        Poll::Ready(slot.as_mut().as_pin_mut().and_then(|future| match future.poll(cx) {
            Poll::Ready(output) => Some(output),
            Poll::Pending => None,
        }))
    })
    .await
}

/// Where each record of a running batch stands: its status once known, the
/// schedule of those waiting, the stops failures set, and those running.
struct Progress<'r, R> {
    records: &'r [R],
    /// Each record's status; `OutOfTime` until it is known.
    statuses: Vec<RecordStatus>,
    schedule: Schedule,
    stops: Stops<'r>,
    running: Vec<usize>,
}

impl<'r, R: BatchRecord> Progress<'r, R> {
    /// Nothing started yet; `ordered`: records of one key run one after
    /// the other.
    fn new(records: &'r [R], ordered: bool) -> Self {
        Progress {
            records,
            statuses: vec![RecordStatus::OutOfTime; records.len()],
            schedule: Schedule::new(records.iter().map(BatchRecord::ordering_key), ordered),
            stops: Stops::default(),
            running: Vec::new(),
        }
    }

    /// The next record to start, if one is ready; records a failure stops
    /// on the way are skipped (and reported so).
    fn start_next(&mut self) -> Option<usize> {
        // A failure stopped every later record, and records start in batch
        // order: every record not started yet is skipped, in one go.
        if let Some(cause) = self.stops.after
            && let Some(rest) = self.schedule.take_unordered_rest()
        {
            for status in &mut self.statuses[rest] {
                *status = RecordStatus::Skipped { cause };
            }
            return None;
        }
        loop {
            let index = self.schedule.next_ready()?;
            let record = &self.records[index];
            if let Some(cause) = self.stops.blocker(index, || record.ordering_key()) {
                self.statuses[index] = RecordStatus::Skipped { cause };
                self.schedule.finish(index);
                continue;
            }
            self.running.push(index);
            return Some(index);
        }
    }

    /// Record `index` finished with `status`; a record that did not finish
    /// well stops the later records `rule` covers.
    fn finish(&mut self, index: usize, status: RecordStatus, rule: StopRule) {
        if !keeps_order(&status) {
            let records = self.records;
            self.stops.record(rule, index, || records[index].ordering_key());
        }
        self.statuses[index] = status;
        self.running.retain(|&i| i != index);
        self.schedule.finish(index);
    }

    /// The cut-off passed: no waiting record starts.
    fn out_of_time(&mut self) {
        for index in self.schedule.drain() {
            self.statuses[index] = RecordStatus::OutOfTime;
        }
    }

    /// The abandon point: the records still running fail (the observer is
    /// told), the waiting ones are out of time.
    fn abandon<O: Observer>(&mut self, observer: &O, source: SourceKind) {
        for index in self.running.drain(..) {
            let error =
                RecordError::new(RecordErrorKind::Timeout, "still running at the invocation deadline");
            log::record_failed(&self.records[index], source, &error);
            let status = RecordStatus::Failed(error);
            observer.abandoned(index, &status);
            self.statuses[index] = status;
        }
        self.out_of_time();
    }

    /// Each record's status, in record order.
    fn into_statuses(self) -> Vec<RecordStatus> {
        self.statuses
    }
}

/// `true` if later records of the same order may go on: the record is done
/// (handled, or dropped and acknowledged).
fn keeps_order(status: &RecordStatus) -> bool {
    !status.is_retried()
}
