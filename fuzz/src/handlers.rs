//! The handler targets' harness: record functions whose behaviour the
//! payload decides, a log of what they were called for, and the oracle that
//! judges each invocation against the event (read with [`crate::event`]).
//!
//! What a record function does, from the first bytes of its payload (the SQS
//! body, the decoded Kinesis `data` or Kafka `value`, the DynamoDB
//! `eventName`):
//!
//! | first byte | outcome |
//! |---|---|
//! | `E` | `Err` (failure) |
//! | `P` | panic |
//! | `X` | `RecordOutcome::poison`; second byte `e`: the sink refuses it, `p`: the sink panics |
//! | `R` | `RecordOutcome::retry_later` |
//! | anything else, or no payload | success |
//!
//! The third byte, modulo 3, is how many times the function yields to the
//! runtime first (so records interleave under `concurrency = N`).

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::sync::Once;

use base64::Engine as _;
use lambda_batch::dynamodb::DynamoDb;
use lambda_batch::kafka::Kafka;
use lambda_batch::kinesis::Kinesis;
use lambda_batch::sqs::Sqs;
use lambda_batch::{
    BatchError, BatchEvent, BatchResponse, Context, PoisonRecord, RecordOutcome, Source, SourceKind,
};
use serde_json::Value;

use crate::event::{self, Shape, cmp_decimal};
use crate::json::{self, Doc, J};
use crate::{known, stats};

/// The event source of a handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Src {
    /// SQS (`sqs` or `sqs_fifo`).
    Sqs,
    /// Kinesis.
    Kinesis,
    /// DynamoDB Streams.
    DynamoDb,
    /// Kafka.
    Kafka,
}

/// One `#[batch_handler]` of a target, as the oracle must know it.
#[derive(Debug, Clone, Copy)]
pub struct Variant {
    /// The handler's name.
    pub name: &'static str,
    /// The source.
    pub src: Src,
    /// SQS: `sqs_fifo` (FIFO rules whatever the ARN).
    pub forced_fifo: bool,
    /// SQS: `fifo_policy = "skip_failed_group"`.
    pub skip_group: bool,
    /// Streams: `stream_policy = "continue"`.
    pub continue_: bool,
    /// `all_failed = "report_all"`.
    pub report_all: bool,
    /// `concurrency = N`.
    pub concurrency: usize,
    /// `poison_sink = sink` (this module's [`sink`]).
    pub sink: bool,
    /// SQS: `max_receive_count = N`.
    pub budget: Option<u32>,
    /// The function also takes `Json<serde_json::Value>`.
    pub json: bool,
}

impl Variant {
    /// The defaults of `#[batch_handler(<src>)]`.
    pub const fn new(name: &'static str, src: Src) -> Self {
        Variant {
            name,
            src,
            forced_fifo: false,
            skip_group: false,
            continue_: false,
            report_all: false,
            concurrency: 1,
            sink: false,
            budget: None,
            json: false,
        }
    }

    fn kind(&self) -> SourceKind {
        match self.src {
            Src::Sqs => Sqs::KIND,
            Src::Kinesis => Kinesis::KIND,
            Src::DynamoDb => DynamoDb::KIND,
            Src::Kafka => Kafka::KIND,
        }
    }
}

/// What a record function decided to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Succeed.
    Ok,
    /// Return an error.
    Err,
    /// Panic.
    Panic,
    /// Drop as poison; what the sink will do with it.
    Poison(SinkVerdict),
    /// Retry later.
    RetryLater,
}

/// What the poison sink does with a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkVerdict {
    /// Takes it (the record is acknowledged).
    Accept,
    /// Returns `Err` (the record fails).
    Reject,
    /// Panics (the record fails).
    Panic,
}

impl SinkVerdict {
    fn word(self) -> &'static str {
        match self {
            SinkVerdict::Accept => "accept",
            SinkVerdict::Reject => "reject",
            SinkVerdict::Panic => "panic",
        }
    }
}

/// The decision for a payload (see the module doc).
pub fn decide(payload: &[u8]) -> Decision {
    match payload.first() {
        Some(b'E') => Decision::Err,
        Some(b'P') => Decision::Panic,
        Some(b'X') => Decision::Poison(match payload.get(1) {
            Some(b'e') => SinkVerdict::Reject,
            Some(b'p') => SinkVerdict::Panic,
            _ => SinkVerdict::Accept,
        }),
        Some(b'R') => Decision::RetryLater,
        _ => Decision::Ok,
    }
}

#[derive(Debug, Clone)]
struct Call {
    index: usize,
    id: String,
    decision: Decision,
}

#[derive(Debug, Clone)]
struct SinkCall {
    index: Option<usize>,
    id: String,
    verdict: SinkVerdict,
}

thread_local! {
    static CALLS: RefCell<Vec<Call>> = const { RefCell::new(Vec::new()) };
    static SINKS: RefCell<Vec<SinkCall>> = const { RefCell::new(Vec::new()) };
    static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread runtime");
}

const DELIBERATE: &str = "fuzz: deliberate panic";

/// The body of every record function: logs the call, yields, then does what
/// the payload says.
pub async fn record(index: usize, id: &str, payload: Option<&[u8]>) -> RecordOutcome {
    let payload = payload.unwrap_or_default();
    let decision = decide(payload);
    CALLS.with(|calls| calls.borrow_mut().push(Call { index, id: id.to_owned(), decision }));
    for _ in 0..payload.get(2).map_or(0, |b| b % 3) {
        tokio::task::yield_now().await;
    }
    match decision {
        Decision::Ok => RecordOutcome::Success,
        Decision::Err => RecordOutcome::failure("fuzz: the payload says E"),
        Decision::Panic => panic!("{DELIBERATE} in a record function"),
        Decision::Poison(verdict) => {
            RecordOutcome::poison(format!("fuzz-poison index={index} sink={}", verdict.word()))
        }
        Decision::RetryLater => RecordOutcome::retry_later(),
    }
}

/// The poison sink of the `sink` variants: does what the poison reason says.
///
/// # Errors
/// When the record function asked it to refuse the record.
pub async fn sink(poison: &PoisonRecord<'_>, _cx: &Context) -> Result<(), String> {
    let reason = poison.reason;
    let index = reason
        .strip_prefix("fuzz-poison index=")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok());
    let verdict = if reason.ends_with("sink=reject") {
        SinkVerdict::Reject
    } else if reason.ends_with("sink=panic") {
        SinkVerdict::Panic
    } else {
        SinkVerdict::Accept
    };
    SINKS.with(|sinks| sinks.borrow_mut().push(SinkCall { index, id: poison.id.to_owned(), verdict }));
    tokio::task::yield_now().await;
    match verdict {
        SinkVerdict::Accept => Ok(()),
        SinkVerdict::Reject => Err("fuzz: the sink refuses".to_owned()),
        SinkVerdict::Panic => panic!("{DELIBERATE} in the poison sink"),
    }
}

/// Lets the deliberate panics unwind quietly (libFuzzer's hook aborts on
/// every panic, even one the engine catches); any other panic still aborts.
pub fn install_panic_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let text = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
            if !text.is_some_and(|t| t.starts_with(DELIBERATE)) {
                previous(info);
            }
        }));
    });
}

/// Runs a handler's future to completion on this thread's current-thread
/// runtime.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    RUNTIME.with(|runtime| runtime.block_on(future))
}

/// A new Lambda context (no deadline).
pub fn context() -> Context {
    Context::default()
}

/// Runs the target: `data[0]` picks the variant, the rest is the event.
pub fn check(
    data: &[u8],
    variants: &[Variant],
    invoke: impl Fn(usize, BatchEvent) -> Result<BatchResponse, BatchError>,
) {
    install_panic_hook();
    let Some((&pick, bytes)) = data.split_first() else { return };
    let which = usize::from(pick) % variants.len();
    let variant = &variants[which];
    let doc = json::read(bytes);
    let event = match BatchEvent::from_slice(bytes) {
        Ok(event) => event,
        Err(error) => {
            // lambda_runtime fails before the handler runs.
            if let Ok(doc) = &doc {
                assert!(
                    doc.lone,
                    "serde_json reads this JSON but BatchEvent::from_slice rejects it: {error}"
                );
            }
            stats::count("handler: not JSON");
            return;
        }
    };
    CALLS.with(|calls| calls.borrow_mut().clear());
    SINKS.with(|sinks| sinks.borrow_mut().clear());
    let result = match std::panic::catch_unwind(AssertUnwindSafe(|| invoke(which, event))) {
        Ok(result) => result,
        Err(_) => panic!("{}: a panic escaped the handler", variant.name),
    };
    let calls = CALLS.with(|calls| std::mem::take(&mut *calls.borrow_mut()));
    let sinks = SINKS.with(|sinks| std::mem::take(&mut *sinks.borrow_mut()));
    let response = match &result {
        Ok(response) => Some(read_response(variant, response)),
        Err(error) => {
            let kind = error.error_type();
            assert!(
                [
                    "LambdaBatch.InvalidEvent",
                    "LambdaBatch.MissingItemIdentifier",
                    "LambdaBatch.AllRecordsFailed"
                ]
                .contains(&kind),
                "{}: unexpected error type {kind}",
                variant.name
            );
            None
        }
    };
    let Ok(doc) = doc else {
        stats::count("handler: unjudged");
        return;
    };
    let judge = Judge { variant, doc: &doc, calls: &calls, sinks: &sinks };
    judge.run(&result, response.as_deref());
}

/// The response's entries as identifiers (Kafka: `<partition>@<offset>`),
/// checking their shape.
fn read_response(variant: &Variant, response: &BatchResponse) -> Vec<String> {
    let value = serde_json::to_value(response).expect("a response serializes");
    let object = value.as_object().expect("the response is an object");
    assert_eq!(object.len(), 1, "{}: the response has one key: {value}", variant.name);
    let entries =
        object.get("batchItemFailures").and_then(Value::as_array).expect("batchItemFailures is an array");
    let mut ids = Vec::new();
    for entry in entries {
        let entry = entry.as_object().expect("an entry is an object");
        assert_eq!(entry.len(), 1, "{}: an entry has one key: {value}", variant.name);
        let identifier = entry.get("itemIdentifier").expect("an entry has itemIdentifier");
        let id = if variant.src == Src::Kafka {
            let position = identifier.as_object().expect("a Kafka itemIdentifier is an object");
            assert_eq!(position.len(), 2, "{}: {{partition, offset}}: {value}", variant.name);
            let partition = position.get("partition").and_then(Value::as_str).expect("partition is a string");
            let offset = position.get("offset").and_then(Value::as_i64).expect("offset is an i64");
            assert!(!partition.is_empty() && offset >= 0, "{}: bad Kafka position in {value}", variant.name);
            format!("{partition}@{offset}")
        } else {
            let id = identifier.as_str().expect("itemIdentifier is a string").to_owned();
            assert!(!id.is_empty(), "{}: an empty itemIdentifier", variant.name);
            id
        };
        assert!(!ids.contains(&id), "{}: {id} listed twice in {value}", variant.name);
        ids.push(id);
    }
    ids
}

/// A record's fate as the oracle sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum St {
    /// Handled, or dropped as poison and taken by the sink: acknowledged.
    Done,
    /// Failed (error, panic, a payload the extractor refuses, a sink that
    /// refused): retried, and counts for "all records failed".
    Failed,
    /// Retry later, or never started: retried, not counted as failed.
    NotDone,
}

/// Which later records a failure stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Nothing,
    Everything,
    SameKey,
}

struct Judge<'a> {
    variant: &'a Variant,
    doc: &'a Doc,
    calls: &'a [Call],
    sinks: &'a [SinkCall],
}

impl Judge<'_> {
    fn run(&self, result: &Result<BatchResponse, BatchError>, listed: Option<&[String]>) {
        let name = self.variant.name;
        let records = match event::shape(&self.doc, &self.doc.root) {
            Shape::Invalid(why) => {
                assert!(
                    matches!(result, Err(BatchError::InvalidEvent(_))),
                    "{name}: not a batch event ({why}), the handler gave {result:?}"
                );
                self.nothing_called();
                stats::count("handler: invalid event, agreed");
                return;
            }
            Shape::Records(records) => records,
        };
        let kind = self.variant.kind();
        let ids: Vec<Option<String>> = records.iter().map(|r| event::identifier(kind, self.doc, r)).collect();
        if let Some(first) = ids.iter().position(Option::is_none) {
            match result {
                Err(BatchError::MissingItemIdentifier { index, .. }) if *index == first => {}
                other => panic!(
                    "{name}: record {first} cannot be named ({}), the handler gave {other:?}",
                    crate::show(records[first])
                ),
            }
            self.nothing_called();
            stats::count("handler: unnameable record, agreed");
            return;
        }
        let ids: Vec<String> = ids.into_iter().flatten().collect();
        let status = self.statuses(&records, &ids);
        let n = records.len();
        let all_failed = n > 0 && status.iter().all(|s| *s == St::Failed);
        match (result, listed) {
            (Err(BatchError::AllRecordsFailed { .. }), _) if all_failed && !self.variant.report_all => {
                stats::count("handler: all records failed, agreed");
            }
            (Ok(_), Some(listed)) if !(all_failed && !self.variant.report_all) => {
                self.check_listed(&records, &ids, &status, listed);
                stats::count("handler: response judged");
            }
            (other, _) => panic!(
                "{name}: statuses {status:?} (all failed: {all_failed}), the handler gave {other:?}; calls {:?}",
                self.calls
            ),
        }
    }

    fn nothing_called(&self) {
        assert!(
            self.calls.is_empty() && self.sinks.is_empty(),
            "{}: the invocation failed as a whole but records were handled: {:?}",
            self.variant.name,
            self.calls
        );
    }

    /// The stop rule and each record's ordering key for it.
    fn rule(&self, records: &[&J]) -> (Stop, Vec<Option<String>>, bool) {
        let v = self.variant;
        let doc = self.doc;
        match v.src {
            Src::Sqs => {
                let fifo = v.forced_fifo
                    || records
                        .iter()
                        .find_map(|r| event::queue_arn(doc, r))
                        .is_some_and(|arn| arn.ends_with(".fifo"));
                let keys = records.iter().map(|r| known::message_group(doc, r).map(str::to_owned)).collect();
                let stop = match (fifo, v.skip_group) {
                    (false, _) => Stop::Nothing,
                    (true, false) => Stop::Everything,
                    (true, true) => Stop::SameKey,
                };
                (stop, keys, fifo)
            }
            Src::Kinesis | Src::DynamoDb => {
                let keys = records
                    .iter()
                    .map(|r| match event::ordering_key(v.kind(), doc, r) {
                        event::OrderingKey::Known(key) => key,
                        event::OrderingKey::Unknown => None,
                    })
                    .collect();
                (if v.continue_ { Stop::Nothing } else { Stop::Everything }, keys, true)
            }
            Src::Kafka => {
                let keys = records
                    .iter()
                    .map(|r| event::kafka_position(doc, r).map(|(t, p, _)| format!("{t}-{p}")))
                    .collect();
                (if v.continue_ { Stop::Nothing } else { Stop::SameKey }, keys, true)
            }
        }
    }

    /// Each record's fate, from the calls made (and, at concurrency 1, the
    /// exact schedule the rules give).
    fn statuses(&self, records: &[&J], ids: &[String]) -> Vec<St> {
        let v = self.variant;
        let name = v.name;
        let n = records.len();
        let mut called: Vec<Option<Decision>> = vec![None; n];
        for call in self.calls {
            assert!(call.index < n, "{name}: called for record {} of {n}", call.index);
            assert!(called[call.index].is_none(), "{name}: record {} called twice", call.index);
            assert_eq!(
                call.id, ids[call.index],
                "{name}: record {} seen under another identifier",
                call.index
            );
            called[call.index] = Some(call.decision);
        }
        let mut sunk: HashMap<usize, SinkVerdict> = HashMap::new();
        for sink in self.sinks {
            let index = sink
                .index
                .unwrap_or_else(|| panic!("{name}: the sink got a record no function dropped: {sink:?}"));
            assert!(index < n && sink.id == ids[index], "{name}: the sink got {sink:?}");
            assert!(sunk.insert(index, sink.verdict).is_none(), "{name}: record {index} sunk twice");
        }
        let fate = |index: usize, decision: Decision| -> St {
            match decision {
                Decision::Ok => St::Done,
                Decision::Err | Decision::Panic => St::Failed,
                Decision::RetryLater => St::NotDone,
                Decision::Poison(verdict) if v.sink => {
                    assert_eq!(
                        sunk.get(&index),
                        Some(&verdict),
                        "{name}: poison record {index} and the sink"
                    );
                    if verdict == SinkVerdict::Accept { St::Done } else { St::Failed }
                }
                Decision::Poison(_) => St::Done,
            }
        };
        for (index, verdict) in &sunk {
            assert!(
                matches!(called[*index], Some(Decision::Poison(d)) if d == *verdict),
                "{name}: the sink got record {index}, which its function did not drop"
            );
        }
        let (stop, keys, ordered) = self.rule(records);
        let blocks = |e: usize, i: usize| -> bool {
            e < i
                && match stop {
                    Stop::Nothing => false,
                    Stop::Everything => true,
                    Stop::SameKey => keys[e].is_none() || (keys[i].is_some() && keys[e] == keys[i]),
                }
        };
        let fifo_stop_at_first = v.src == Src::Sqs && stop == Stop::Everything;
        let concurrency = if fifo_stop_at_first { 1 } else { v.concurrency };
        let mut status: Vec<St> = Vec::with_capacity(n);
        if concurrency == 1 {
            for i in 0..n {
                let blocked = (0..i).find(|&e| status[e] != St::Done && blocks(e, i));
                let expected = if let Some(e) = blocked {
                    assert!(called[i].is_none(), "{name}: record {i} was called after record {e} stopped it");
                    St::NotDone
                } else if let Some(max) = v
                    .budget
                    .filter(|max| known::receive_count(self.doc, records[i]).is_some_and(|c| c > *max))
                {
                    assert!(
                        called[i].is_none(),
                        "{name}: record {i} is over the budget of {max} but was called"
                    );
                    St::Done
                } else if v.json && !self.extracts(records[i]) {
                    assert!(
                        called[i].is_none(),
                        "{name}: record {i}'s payload is not JSON but its function was called: {}",
                        crate::show(records[i])
                    );
                    St::Failed
                } else {
                    match called[i] {
                        Some(decision) => fate(i, decision),
                        None => panic!(
                            "{name}: record {i} was never called and nothing stopped it: {}",
                            crate::show(records[i])
                        ),
                    }
                };
                status.push(expected);
            }
        } else {
            assert!(!v.json && v.budget.is_none(), "json and budget variants run one record at a time");
            for i in 0..n {
                status.push(called[i].map_or(St::NotDone, |d| fate(i, d)));
            }
            for i in 0..n {
                let stoppers: Vec<usize> =
                    (0..i).filter(|&e| status[e] != St::Done && blocks(e, i)).collect();
                if called[i].is_none() {
                    assert!(
                        !stoppers.is_empty(),
                        "{name}: record {i} was never called and nothing stopped it"
                    );
                }
                let same_queue = ordered && !(v.src == Src::DynamoDb);
                if called[i].is_some() && same_queue {
                    if let Some(e) = stoppers.iter().find(|&&e| keys[e] == keys[i]) {
                        panic!("{name}: record {i} ran after record {e} of its key was not done");
                    }
                }
            }
        }
        status
    }

    /// Whether `Json<serde_json::Value>` can be extracted from the record.
    fn extracts(&self, record: &J) -> bool {
        let doc = self.doc;
        let decode = |text: &str| base64::engine::general_purpose::STANDARD.decode(text.as_bytes()).ok();
        match self.variant.src {
            Src::Sqs => record
                .first("body")
                .and_then(|body| doc.text(body))
                .is_some_and(|body| serde_json::from_str::<Value>(body).is_ok()),
            Src::Kinesis => record
                .first("kinesis")
                .and_then(|inner| inner.first("data"))
                .and_then(|data| doc.text(data))
                .and_then(decode)
                .is_some_and(|bytes| serde_json::from_slice::<Value>(&bytes).is_ok()),
            Src::Kafka => record
                .first("value")
                .and_then(|value| doc.text(value))
                .and_then(decode)
                .is_some_and(|bytes| serde_json::from_slice::<Value>(&bytes).is_ok()),
            Src::DynamoDb => true,
        }
    }

    /// The response against the records' fates.
    fn check_listed(&self, records: &[&J], ids: &[String], status: &[St], listed: &[String]) {
        let name = self.variant.name;
        let batch: HashSet<&str> = ids.iter().map(String::as_str).collect();
        for id in listed {
            assert!(batch.contains(id.as_str()), "{name}: {id} is listed but not in the batch");
        }
        let not_done: Vec<usize> = (0..ids.len()).filter(|&i| status[i] != St::Done).collect();
        let context = || format!("statuses {status:?}, listed {listed:?}, calls {:?}", self.calls);
        let checkpoint = !self.variant.continue_ && self.variant.src != Src::Sqs;
        match (self.variant.src, checkpoint) {
            (Src::Kinesis | Src::DynamoDb, true) => {
                let lowest = not_done.iter().map(|&i| ids[i].as_str()).min_by(|a, b| cmp_decimal(a, b));
                match lowest {
                    None => assert!(listed.is_empty(), "{name}: every record is done, {}", context()),
                    Some(lowest) => {
                        assert_eq!(listed.len(), 1, "{name}: a checkpoint names one record, {}", context());
                        assert!(
                            not_done.iter().any(|&i| ids[i] == listed[0])
                                && cmp_decimal(&listed[0], lowest).is_eq(),
                            "{name}: the checkpoint must be the lowest record not done ({lowest}), {}",
                            context()
                        );
                    }
                }
            }
            (Src::Kafka, true) => {
                let mut lowest: Vec<(String, i64)> = Vec::new();
                for &i in &not_done {
                    let (topic, partition, offset) =
                        event::kafka_position(self.doc, records[i]).expect("named");
                    let key = format!("{topic}-{partition}");
                    match lowest.iter_mut().find(|(k, _)| *k == key) {
                        Some(entry) => entry.1 = entry.1.min(offset),
                        None => lowest.push((key, offset)),
                    }
                }
                let mut expected: Vec<String> = lowest.iter().map(|(k, o)| format!("{k}@{o}")).collect();
                let mut got = listed.to_vec();
                expected.sort();
                got.sort();
                assert_eq!(
                    got,
                    expected,
                    "{name}: the lowest offset not done of each partition, {}",
                    context()
                );
            }
            _ => {
                let mut expected: Vec<&str> = Vec::new();
                for &i in &not_done {
                    if !expected.contains(&ids[i].as_str()) {
                        expected.push(&ids[i]);
                    }
                }
                assert_eq!(
                    listed,
                    expected.as_slice(),
                    "{name}: every record not done, in order, once; {}",
                    context()
                );
            }
        }
    }
}
