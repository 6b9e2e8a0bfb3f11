//! Many invocations at once in one execution environment, as Lambda Managed
//! Instances send them (`lambda_runtime::run_concurrent`): one handler
//! service, cloned per worker, shared state, a multi-threaded runtime.
//!
//! 1,000 invocations (SQS, Kinesis and Kafka) run at the same time, each
//! with its own batch, its own request id and its own deadline. A quarter
//! have a deadline short enough for the guard to abandon their slow record;
//! the others let it finish. Each response must be exactly what that
//! invocation's own batch and deadline imply, and the shared state must
//! have seen each invocation's records, under its own request id, only.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::poll_fn;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lambda_batch::{BatchError, BatchEvent, BatchResponse, Context, LambdaEvent, batch_handler};
use lambda_batch_testkit::{context_with_budget, kafka, kinesis, sqs};
use lambda_runtime::{Service, service_fn};

/// How many invocations run at once.
const INVOCATIONS: usize = 1_000;
/// How long a slow record takes.
const SLOW: Duration = Duration::from_millis(850);
/// The budget of a short invocation. With the handlers' 700 ms margin, no
/// record starts after 300 ms and records still running at 650 ms are
/// abandoned: a slow record (only instant records before it, so it starts
/// within a few ms, at most ~50 ms seen on a loaded 2-core machine) is
/// always abandoned, with 200 ms or more to spare on each side.
const SHORT_BUDGET: Duration = Duration::from_millis(1_000);
/// The budget of every other invocation: slow records finish.
const LONG_BUDGET: Duration = Duration::from_secs(60);

/// The end of the message of the panics the records are told to raise.
const SCRIPTED_PANIC: &str = "scripted panic";

/// What a record does, written in its payload as `<invocation>/<index>/<action>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Ok,
    Fail,
    Panic,
    Slow,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::Ok => "ok",
            Action::Fail => "fail",
            Action::Panic => "panic",
            Action::Slow => "slow",
        }
    }
}

/// The state shared by every invocation (and every handler): which records
/// each request id started and finished.
#[derive(Default)]
struct Ledger {
    by_request: Mutex<HashMap<String, Tally>>,
    /// Records called under a request id that is not their invocation's.
    foreign: Mutex<Vec<String>>,
}

#[derive(Debug, Default, Clone)]
struct Tally {
    calls: usize,
    started: BTreeSet<usize>,
    finished: BTreeSet<usize>,
}

impl Ledger {
    fn start(&self, request_id: &str, invocation: usize, index: usize) {
        if request_id != request_id_of(invocation) {
            self.foreign.lock().unwrap().push(format!("{invocation}/{index} under {request_id}"));
        }
        let mut by_request = self.by_request.lock().unwrap();
        let tally = by_request.entry(request_id.to_owned()).or_default();
        tally.calls += 1;
        tally.started.insert(index);
    }

    fn finish(&self, request_id: &str, index: usize) {
        let mut by_request = self.by_request.lock().unwrap();
        by_request.entry(request_id.to_owned()).or_default().finished.insert(index);
    }

    fn tally(&self, request_id: &str) -> Tally {
        self.by_request.lock().unwrap().get(request_id).cloned().unwrap_or_default()
    }
}

/// One record, whatever the source: the payload says what to do.
async fn step(ledger: &Ledger, cx: &Context, payload: &str) -> Result<(), String> {
    let mut parts = payload.split('/');
    let (Some(invocation), Some(index), Some(action)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(format!("unexpected payload {payload:?}"));
    };
    let (invocation, index): (usize, usize) = (invocation.parse().unwrap(), index.parse().unwrap());
    ledger.start(&cx.request_id, invocation, index);
    let result = match action {
        "ok" => Ok(()),
        "fail" => Err(format!("record {index} of invocation {invocation} failed")),
        "panic" => panic!("record {index} of invocation {invocation}: {SCRIPTED_PANIC}"),
        "slow" => {
            tokio::time::sleep(SLOW).await;
            Ok(())
        }
        other => Err(format!("unknown action {other}")),
    };
    ledger.finish(&cx.request_id, index);
    result
}

/// SQS standard, one record at a time (the default).
#[batch_handler(sqs, deadline_margin_ms = 700)]
async fn sqs_step(#[state] ledger: &Ledger, body: &str, cx: &Context) -> Result<(), String> {
    step(ledger, cx, body).await
}

/// Kinesis, every failure reported, partition keys side by side.
#[batch_handler(kinesis, stream_policy = "continue", concurrency = 4, deadline_margin_ms = 700)]
async fn kinesis_step(#[state] ledger: &Ledger, data: &str, cx: &Context) -> Result<(), String> {
    step(ledger, cx, data).await
}

/// Kafka, checkpoint per partition, partitions side by side.
#[batch_handler(kafka, concurrency = 2, deadline_margin_ms = 700)]
async fn kafka_step(#[state] ledger: &Ledger, value: &str, cx: &Context) -> Result<(), String> {
    step(ledger, cx, value).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Sqs,
    Kinesis,
    Kafka,
}

/// One invocation: its source, deadline and records (in event order).
struct Plan {
    invocation: usize,
    source: Source,
    short: bool,
    /// Per record: its ordering key (Kinesis partition key, Kafka
    /// partition; 0 for SQS) and action.
    records: Vec<(usize, Action)>,
}

/// A fixed scramble of an invocation and record number.
fn mix(invocation: usize, index: usize) -> u64 {
    let x = ((invocation as u64) << 8 | index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (x ^ (x >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9) >> 40
}

fn request_id_of(invocation: usize) -> String {
    format!("req-{invocation}")
}

impl Plan {
    fn new(invocation: usize) -> Self {
        let source = [Source::Sqs, Source::Kinesis, Source::Kafka][invocation % 3];
        let short = invocation % 4 == 1;
        let len = 4 + (invocation / 3) % 3;
        // Most invocations have one slow record, right after instant ones.
        let slow_at = (!invocation.is_multiple_of(5)).then_some(1 + (invocation / 5) % 2);
        let action = |index: usize| match mix(invocation, index) % 16 {
            _ if index == 0 => Action::Ok,
            _ if Some(index) == slow_at => Action::Slow,
            0..=2 => Action::Fail,
            3 => Action::Panic,
            _ => Action::Ok,
        };
        let key = |index: usize| match source {
            Source::Sqs => 0,
            Source::Kinesis => index % 2,
            // The first half on partition 0, the rest on partition 1 (the
            // event lists partitions one after the other).
            Source::Kafka => usize::from(index >= len / 2),
        };
        let records = (0..len).map(|index| (key(index), action(index))).collect();
        Plan { invocation, source, short, records }
    }

    /// The identifier of record `index` as the response writes it.
    fn id(&self, index: usize) -> String {
        let i = self.invocation;
        match self.source {
            Source::Sqs => format!("inv{i}-m{index}"),
            Source::Kinesis => kinesis::sequence_number(self.sequence(index)),
            Source::Kafka => format!("inv{i}-{}@{}", self.records[index].0, 100 + index),
        }
    }

    fn sequence(&self, index: usize) -> u64 {
        (self.invocation * 10 + index) as u64
    }

    fn payload(&self, index: usize) -> String {
        format!("{}/{index}/{}", self.invocation, self.records[index].1.name())
    }

    fn event(&self) -> BatchEvent {
        let indices = 0..self.records.len();
        match self.source {
            Source::Sqs => sqs::event(indices.map(|j| sqs::message(&self.id(j), &self.payload(j)))),
            Source::Kinesis => kinesis::event(indices.map(|j| {
                let key = format!("key-{}", self.records[j].0);
                kinesis::record(&kinesis::sequence_number(self.sequence(j)), &key, self.payload(j).as_bytes())
            })),
            Source::Kafka => kafka::event(indices.map(|j| {
                let topic = format!("inv{}", self.invocation);
                let partition = self.records[j].0 as u32;
                kafka::record(&topic, partition, 100 + j as u64, Some(b"k"), Some(self.payload(j).as_bytes()))
            })),
        }
    }

    fn budget(&self) -> Duration {
        if self.short { SHORT_BUDGET } else { LONG_BUDGET }
    }

    /// What this invocation's batch and deadline imply, whatever else runs.
    fn expected(&self) -> Expected {
        // SQS runs one record at a time; the streams run keys side by side,
        // one record at a time per key (at most 2 keys, within the limit).
        let one_at_a_time = self.source == Source::Sqs;
        // Kafka's checkpoint stops a partition at its first failure.
        let stops_key = self.source == Source::Kafka;
        let mut called = BTreeSet::new();
        let mut abandoned = BTreeSet::new();
        let mut handled = vec![false; self.records.len()];
        for (index, &(key, action)) in self.records.iter().enumerate() {
            let earlier = || (0..index).filter(|s| called.contains(s));
            let behind_abandoned =
                earlier().any(|s| abandoned.contains(&s) && (one_at_a_time || self.records[s].0 == key));
            let stopped = stops_key && earlier().any(|s| self.records[s].0 == key && !handled[s]);
            if behind_abandoned || stopped {
                continue;
            }
            called.insert(index);
            handled[index] = match action {
                Action::Ok => true,
                Action::Slow => !self.short,
                Action::Fail | Action::Panic => false,
            };
            if action == Action::Slow && self.short {
                abandoned.insert(index);
            }
        }
        let not_handled = (0..self.records.len()).filter(|&j| !handled[j]);
        let reported = match self.source {
            Source::Sqs | Source::Kinesis => not_handled.map(|j| self.id(j)).collect(),
            // The lowest offset not handled of each partition.
            Source::Kafka => {
                let mut lowest = BTreeMap::new();
                for j in not_handled {
                    lowest.entry(self.records[j].0).or_insert(j);
                }
                lowest.values().map(|&j| self.id(j)).collect()
            }
        };
        Expected { reported, called, abandoned }
    }

    /// The invocation number an identifier of the response names.
    fn invocation_of(&self, id: &str) -> Option<usize> {
        match self.source {
            Source::Sqs => id.strip_prefix("inv")?.split('-').next()?.parse().ok(),
            Source::Kinesis => Some(id.strip_prefix("4956816737")?.parse::<u64>().ok()? as usize / 10),
            Source::Kafka => id.strip_prefix("inv")?.split('-').next()?.parse().ok(),
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
struct Expected {
    /// The response's identifiers, in record order (Kafka: partitions in
    /// the order they first appear).
    reported: Vec<String>,
    called: BTreeSet<usize>,
    abandoned: BTreeSet<usize>,
}

/// What `lambda_runtime::run_concurrent` asks of a handler: a service
/// cloned into every worker, its future sent across threads.
fn managed_instances_ready<F>(service: F) -> F
where
    F: Service<LambdaEvent<BatchEvent>, Response = BatchResponse, Error = BatchError>
        + Clone
        + Send
        + 'static,
    F::Future: Send + 'static,
{
    service
}

/// Calls a clone of `service` on its own task, as a runtime worker does.
/// The context is made when the task starts: the deadline counts from the
/// invocation's start, as Lambda's does.
fn invoke<F>(service: &F, event: BatchEvent, request_id: String, budget: Duration) -> Invocation
where
    F: Service<LambdaEvent<BatchEvent>, Response = BatchResponse, Error = BatchError>
        + Clone
        + Send
        + 'static,
    F::Future: Send + 'static,
{
    let mut service = service.clone();
    tokio::spawn(async move {
        let mut cx = context_with_budget(budget);
        cx.request_id = request_id;
        poll_fn(|task| service.poll_ready(task)).await?;
        service.call(LambdaEvent::new(event, cx)).await
    })
}

type Invocation = tokio::task::JoinHandle<Result<BatchResponse, BatchError>>;

/// Keeps the scripted panics quiet (a backtrace each would slow every
/// worker down); any other panic is reported as usual, by the hook that was
/// installed before. The hook is process-wide (other modules' tests share
/// this process): installed once, and it silences only this module's
/// scripted panics.
fn quiet_scripted_panics() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = info.payload().downcast_ref::<String>().map(String::as_str).unwrap_or_default();
            if !message.ends_with(SCRIPTED_PANIC) {
                previous(info);
            }
        }));
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_concurrent_invocations_each_get_their_own_report_deadline_and_state() {
    quiet_scripted_panics();
    let ledger = Arc::new(Ledger::default());
    let sqs = managed_instances_ready(service_fn({
        let ledger = Arc::clone(&ledger);
        move |event| {
            let ledger = Arc::clone(&ledger);
            async move { sqs_step(&ledger, event).await }
        }
    }));
    let kinesis = managed_instances_ready(service_fn({
        let ledger = Arc::clone(&ledger);
        move |event| {
            let ledger = Arc::clone(&ledger);
            async move { kinesis_step(&ledger, event).await }
        }
    }));
    let kafka = managed_instances_ready(service_fn({
        let ledger = Arc::clone(&ledger);
        move |event| {
            let ledger = Arc::clone(&ledger);
            async move { kafka_step(&ledger, event).await }
        }
    }));

    let plans: Vec<Plan> = (0..INVOCATIONS).map(Plan::new).collect();
    let events: Vec<BatchEvent> = plans.iter().map(Plan::event).collect();
    let started = std::time::Instant::now();
    let tasks: Vec<Invocation> = plans
        .iter()
        .zip(events)
        .map(|(plan, event)| {
            let (request_id, budget) = (request_id_of(plan.invocation), plan.budget());
            match plan.source {
                Source::Sqs => invoke(&sqs, event, request_id, budget),
                Source::Kinesis => invoke(&kinesis, event, request_id, budget),
                Source::Kafka => invoke(&kafka, event, request_id, budget),
            }
        })
        .collect();
    let mut responses = Vec::with_capacity(INVOCATIONS);
    for task in tasks {
        responses.push(task.await.expect("an invocation's task panicked"));
    }
    let elapsed = started.elapsed();

    let foreign = ledger.foreign.lock().unwrap().clone();
    assert!(foreign.is_empty(), "records handled under another invocation's context: {foreign:?}");
    let mut abandoned_total = 0;
    for (plan, response) in plans.iter().zip(responses) {
        let i = plan.invocation;
        let response = response.unwrap_or_else(|e| panic!("invocation {i} failed: {e}"));
        let ids: Vec<String> = response.failures().map(|id| id.as_str().to_owned()).collect();
        let strangers: Vec<&String> = ids.iter().filter(|id| plan.invocation_of(id) != Some(i)).collect();
        assert!(strangers.is_empty(), "invocation {i} reported records of other invocations: {strangers:?}");
        let expected = plan.expected();
        assert_eq!(
            ids, expected.reported,
            "invocation {i} ({:?}, short deadline: {}, records {:?})",
            plan.source, plan.short, plan.records
        );
        let tally = ledger.tally(&request_id_of(i));
        assert_eq!(tally.calls, expected.called.len(), "invocation {i}: calls counted in the shared state");
        assert_eq!(tally.started, expected.called, "invocation {i}: records called");
        let abandoned: BTreeSet<usize> = tally.started.difference(&tally.finished).copied().collect();
        let panicked: BTreeSet<usize> =
            expected.called.iter().copied().filter(|&j| plan.records[j].1 == Action::Panic).collect();
        let cut_off: BTreeSet<usize> = abandoned.difference(&panicked).copied().collect();
        assert_eq!(cut_off, expected.abandoned, "invocation {i}: records abandoned by the deadline guard");
        assert!(plan.short || cut_off.is_empty(), "invocation {i} has a long deadline but lost {cut_off:?}");
        abandoned_total += cut_off.len();
    }
    let requests = ledger.by_request.lock().unwrap().len();
    let with_calls = plans.iter().filter(|p| !p.expected().called.is_empty()).count();
    assert_eq!(requests, with_calls, "the shared state saw exactly these request ids");
    // The scenario really exercises both sides of the guard.
    let short_with_slow = plans.iter().filter(|p| p.short && !p.expected().abandoned.is_empty()).count();
    assert_eq!(abandoned_total, short_with_slow);
    assert!(short_with_slow > 100, "{short_with_slow} short invocations with a slow record");
    let called = |action: Action| -> usize {
        plans.iter().map(|p| p.expected().called.iter().filter(|&&j| p.records[j].1 == action).count()).sum()
    };
    let (failed, panicked, slow) = (called(Action::Fail), called(Action::Panic), called(Action::Slow));
    let not_called: usize = plans.iter().map(|p| p.records.len() - p.expected().called.len()).sum();
    assert!(failed > 100 && panicked > 20 && slow > 500 && not_called > 100);
    println!(
        "{INVOCATIONS} invocations in {elapsed:?}: {slow} slow records ({abandoned_total} abandoned at their \
         deadline), {failed} failed, {panicked} panicked, {not_called} never started"
    );
}
