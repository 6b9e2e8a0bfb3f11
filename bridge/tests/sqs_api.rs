//! The bridge against a real SQS API: moto's server, started by
//! `.ci/bridge.sh`, which exports its address as `LAMBDA_BATCH_SQS_ENDPOINT`.
//! Without it every test here says SKIPPED and passes.
//!
//! Each test makes its own queues (a DLQ, a 1-second visibility timeout),
//! sends messages, runs the bridge with a handler that fails some of them,
//! and then reads the queue and its DLQ: nothing lost (every message handled
//! and deleted, or in the DLQ), nothing deleted that was not handled, FIFO
//! groups handled in order.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_batch::aws_events::SqsEvent;
use lambda_batch::sqs::SqsMessage;
use lambda_batch::{BatchEvent, BatchResponse, Json, LambdaEvent, RecordMeta, RecordOutcome, batch_handler};
use lambda_batch_bridge::aws_sdk_sqs::Client;
use lambda_batch_bridge::aws_sdk_sqs::primitives::Blob;
use lambda_batch_bridge::aws_sdk_sqs::types::{
    MessageAttributeValue, MessageSystemAttributeName, QueueAttributeName,
};
use lambda_batch_bridge::{
    Backoff, Bridge, BridgeConfig, BridgeError, ClientSettings, ConfigError, DrainLimits, FifoOrder,
    FunctionError, PollOutcome, PollSummary, StopReason,
};
use serde::Deserialize;

const ENDPOINT_VARIABLE: &str = "LAMBDA_BATCH_SQS_ENDPOINT";

/// The endpoint, or `None` after saying loudly that the test is skipped
/// (straight to stderr: the test harness would swallow `eprintln!` of a
/// passing test).
fn endpoint(test: &str) -> Option<String> {
    match std::env::var(ENDPOINT_VARIABLE) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: {test} needs an SQS API; set {ENDPOINT_VARIABLE} (e.g. http://127.0.0.1:5000 for \
                 moto_server) or run .ci/bridge.sh, which starts moto's server and runs these tests"
            );
            None
        }
    }
}

async fn client(endpoint: &str) -> Client {
    ClientSettings::new()
        .endpoint_url(endpoint)
        .region("us-east-1")
        .static_credentials("test", "test")
        .client()
        .await
        .unwrap()
}

/// A queue name no other test or run uses.
fn unique(prefix: &str) -> String {
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{prefix}-{}-{nanos}-{}", std::process::id(), COUNT.fetch_add(1, Ordering::Relaxed))
}

struct Queues {
    url: String,
    dlq_url: String,
}

/// A queue with a 1-second visibility timeout whose redrive policy moves a
/// message to its DLQ once it was received `max_receive_count` times.
async fn queues(client: &Client, prefix: &str, fifo: bool, max_receive_count: u32) -> Queues {
    let name = unique(prefix);
    let suffix = if fifo { ".fifo" } else { "" };
    let mut dlq = client.create_queue().queue_name(format!("{name}-dlq{suffix}"));
    if fifo {
        dlq = dlq.attributes(QueueAttributeName::FifoQueue, "true");
    }
    let dlq_url = dlq.send().await.unwrap().queue_url.unwrap();
    let dlq_arn = attribute(client, &dlq_url, QueueAttributeName::QueueArn).await;
    let policy = serde_json::json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count});
    let mut queue = client
        .create_queue()
        .queue_name(format!("{name}{suffix}"))
        .attributes(QueueAttributeName::VisibilityTimeout, "1")
        .attributes(QueueAttributeName::RedrivePolicy, policy.to_string());
    if fifo {
        queue = queue.attributes(QueueAttributeName::FifoQueue, "true");
    }
    let url = queue.send().await.unwrap().queue_url.unwrap();
    Queues { url, dlq_url }
}

async fn attribute(client: &Client, url: &str, name: QueueAttributeName) -> String {
    let output =
        client.get_queue_attributes().queue_url(url).attribute_names(name.clone()).send().await.unwrap();
    output.attributes().and_then(|map| map.get(&name)).cloned().unwrap()
}

async fn send(client: &Client, url: &str, body: &str, group: Option<&str>) -> String {
    let mut request = client
        .send_message()
        .queue_url(url)
        .message_body(body)
        .message_attributes(
            "source",
            MessageAttributeValue::builder().data_type("String").string_value("test").build().unwrap(),
        )
        .message_attributes(
            "trace",
            MessageAttributeValue::builder()
                .data_type("Binary")
                .binary_value(Blob::new(vec![0, 1, 254]))
                .build()
                .unwrap(),
        );
    if let Some(group) = group {
        request = request
            .message_group_id(group)
            .message_deduplication_id(body.replace(|c: char| !c.is_ascii_alphanumeric(), "-"));
    }
    request.send().await.unwrap().message_id.unwrap()
}

/// Every message in a queue (the DLQ once the bridge is done), by body,
/// with its receive count.
async fn contents(client: &Client, url: &str) -> BTreeMap<String, u32> {
    let mut found = BTreeMap::new();
    loop {
        let output = client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .visibility_timeout(60)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .unwrap();
        let messages = output.messages.unwrap_or_default();
        if messages.is_empty() {
            return found;
        }
        for message in messages {
            let count = message
                .attributes()
                .and_then(|map| map.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                .and_then(|count| count.parse().ok())
                .unwrap_or(0);
            found.insert(message.body.unwrap_or_default(), count);
        }
    }
}

fn config(url: &str) -> BridgeConfig {
    BridgeConfig::new(url)
        .wait_time(Duration::from_secs(1))
        .function_timeout(Duration::from_secs(1))
        .backoff(Backoff { initial: Duration::from_millis(100), max: Duration::from_millis(400) })
}

fn limits() -> DrainLimits {
    DrainLimits { max_polls: Some(200), max_duration: Duration::from_secs(60) }
}

// ---------------------------------------------------------------- standard

#[derive(Debug, Deserialize)]
struct Order {
    id: u32,
}

/// Each call: (order id, receive count, succeeded).
#[derive(Default)]
struct Calls(Mutex<Vec<(u32, u32, bool)>>);

/// What the handler saw of one message, to check the event's shape.
#[derive(Default)]
struct Seen(Mutex<Option<SqsMessage>>);

#[derive(Default)]
struct StandardState {
    calls: Calls,
    seen: Seen,
}

/// Orders whose id is a multiple of 5 always fail; ids 1, 8, 15, ... fail on
/// their first delivery only.
#[batch_handler(sqs)]
async fn handle_order(
    #[state] state: &StandardState,
    Json(order): Json<Order>,
    meta: RecordMeta<'_>,
    message: &SqsMessage,
) -> RecordOutcome {
    let receive_count = meta.receive_count.unwrap_or(0);
    let ok = order.id % 5 != 0 && !(order.id % 7 == 1 && receive_count == 1);
    state.calls.0.lock().unwrap().push((order.id, receive_count, ok));
    state.seen.0.lock().unwrap().get_or_insert_with(|| message.clone());
    if ok { RecordOutcome::Success } else { RecordOutcome::failure(format!("order {} failed", order.id)) }
}

#[tokio::test]
async fn standard_queue_deletes_what_succeeded_and_redrives_failures_to_the_dlq() {
    let Some(endpoint) = endpoint("standard_queue_deletes_what_succeeded_and_redrives_failures_to_the_dlq")
    else {
        return;
    };
    let client = client(&endpoint).await;
    let queues = queues(&client, "orders", false, 2).await;
    let ids: Vec<u32> = (1..=25).collect();
    for id in &ids {
        send(&client, &queues.url, &format!(r#"{{"id": {id}}}"#), None).await;
    }
    let state = StandardState::default();
    let mut bridge = Bridge::new(client.clone(), config(&queues.url)).await.unwrap();
    let summary = bridge.drain(&|event| handle_order(&state, event), limits()).await.unwrap();

    assert_eq!(summary.stopped, StopReason::QueueEmpty, "{summary:?}");
    assert_eq!(bridge.queue_counts().await.unwrap().total(), 0);
    let calls = state.calls.0.into_inner().unwrap();
    let succeeded: BTreeSet<u32> = calls.iter().filter(|(_, _, ok)| *ok).map(|(id, _, _)| *id).collect();
    let dlq: BTreeMap<u32, u32> = contents(&client, &queues.dlq_url)
        .await
        .into_iter()
        .map(|(body, count)| {
            (serde_json::from_str::<serde_json::Value>(&body).unwrap()["id"].as_u64().unwrap() as u32, count)
        })
        .collect();

    // Nothing lost: each order was handled and deleted, or is in the DLQ;
    // nothing deleted unhandled: an order not in the DLQ succeeded.
    for id in &ids {
        assert!(
            succeeded.contains(id) != dlq.contains_key(id),
            "order {id}: succeeded {} dlq {}",
            succeeded.contains(id),
            dlq.contains_key(id)
        );
    }
    // The failures, and only they, were redriven after two receives each.
    let always_failing: BTreeSet<u32> = ids.iter().copied().filter(|id| id % 5 == 0).collect();
    assert_eq!(dlq.keys().copied().collect::<BTreeSet<_>>(), always_failing);
    for id in &always_failing {
        let attempts: Vec<u32> =
            calls.iter().filter(|(call, _, _)| call == id).map(|(_, count, _)| *count).collect();
        assert_eq!(attempts, [1, 2], "order {id}");
        assert!(dlq[id] >= 2, "order {id} reached the DLQ after {} receives", dlq[id]);
    }
    // A message that failed once came back and succeeded on its second receive.
    for id in ids.iter().filter(|id| *id % 7 == 1 && *id % 5 != 0) {
        let attempts: Vec<(u32, bool)> =
            calls.iter().filter(|(call, _, _)| call == id).map(|(_, count, ok)| (*count, *ok)).collect();
        assert_eq!(attempts, [(1, false), (2, true)], "order {id}");
    }
    // Each success was deleted once; every receive was a call.
    assert_eq!(summary.counters.deleted, succeeded.len() as u64);
    assert_eq!(summary.counters.received, calls.len() as u64);
    assert_eq!(summary.counters.function_errors, 0);
    assert_eq!(summary.counters.delete_failures, 0);
    assert_eq!(summary.counters.received, summary.counters.deleted + summary.counters.left_for_retry);

    // The event had Lambda's shape.
    let seen = state.seen.0.into_inner().unwrap().unwrap();
    assert_eq!(seen.event_source.as_deref(), Some("aws:sqs"));
    assert_eq!(seen.event_source_arn.as_deref(), Some(bridge.queue_arn()));
    assert!(bridge.queue_arn().starts_with("arn:aws:sqs:us-east-1:"), "{}", bridge.queue_arn());
    assert_eq!(seen.aws_region.as_deref(), Some("us-east-1"));
    assert_eq!(seen.md5_of_body.as_ref().map(String::len), Some(32));
    assert!(seen.receipt_handle.as_ref().is_some_and(|handle| !handle.is_empty()));
    for attribute in
        ["ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"]
    {
        assert!(seen.attributes.contains_key(attribute), "{attribute} missing: {:?}", seen.attributes);
    }
    assert_eq!(seen.message_attributes["source"].string_value.as_deref(), Some("test"));
    assert_eq!(seen.message_attributes["source"].data_type.as_deref(), Some("String"));
    assert_eq!(
        seen.message_attributes["trace"].binary_value.as_ref().map(|data| data.0.clone()),
        Some(vec![0, 1, 254])
    );
}

// ----------------------------------------------------------- function errors

#[batch_handler(sqs)]
async fn record_success(#[state] handled: &Mutex<Vec<(String, u32)>>, body: &str, meta: RecordMeta<'_>) {
    handled.lock().unwrap().push((body.to_owned(), meta.receive_count.unwrap_or(0)));
}

/// Polls until a batch arrives.
async fn next_batch<P, H>(bridge: &mut Bridge, handler: &H) -> PollSummary
where
    P: serde::de::DeserializeOwned,
    H: lambda_batch_bridge::Handler<P>,
{
    for _ in 0..20 {
        let poll = bridge.poll_once(handler).await.unwrap();
        if poll.received > 0 {
            return poll;
        }
    }
    panic!("no batch in 20 polls");
}

#[tokio::test]
async fn function_errors_panics_and_invalid_responses_delete_nothing_and_back_off() {
    let Some(endpoint) = endpoint("function_errors_panics_and_invalid_responses_delete_nothing_and_back_off")
    else {
        return;
    };
    let client = client(&endpoint).await;
    let queues = queues(&client, "errors", false, 5).await;
    let bodies: BTreeSet<String> = (0..6).map(|i| format!("message {i}")).collect();
    for body in &bodies {
        send(&client, &queues.url, body, None).await;
    }
    let invocations = AtomicUsize::new(0);
    let handled = Mutex::new(Vec::new());
    let handler = |event: LambdaEvent<BatchEvent>| {
        let invocation = invocations.fetch_add(1, Ordering::SeqCst);
        let handled = &handled;
        async move {
            match invocation {
                0 => panic!("the database driver panicked"),
                1 => Err(lambda_runtime::Error::from("the database is down")),
                // Names a message that is not in the batch: Lambda fails the batch.
                2 => Ok(serde_json::json!({"batchItemFailures": [{"itemIdentifier": "not-in-this-batch"}]})),
                _ => {
                    let response: BatchResponse = record_success(handled, event).await?;
                    Ok(serde_json::to_value(response)?)
                }
            }
        }
    };
    let mut bridge = Bridge::new(client.clone(), config(&queues.url)).await.unwrap();

    let panicked = next_batch(&mut bridge, &handler).await;
    assert_eq!(
        panicked.outcome,
        PollOutcome::FunctionError(FunctionError::Panicked("the database driver panicked".to_owned()))
    );
    assert_eq!((panicked.received, panicked.deleted, panicked.left_for_retry), (6, 0, 6));
    assert_eq!(panicked.backoff, Some(Duration::from_millis(100)));

    let failed = next_batch(&mut bridge, &handler).await;
    assert!(
        matches!(&failed.outcome, PollOutcome::FunctionError(FunctionError::Returned { error_message, .. }) if error_message == "the database is down"),
        "{failed:?}"
    );
    assert_eq!((failed.received, failed.deleted), (6, 0));
    assert_eq!(failed.backoff, Some(Duration::from_millis(200)));

    let invalid = next_batch(&mut bridge, &handler).await;
    assert!(
        matches!(&invalid.outcome, PollOutcome::InvalidResponse(problems) if problems.iter().any(|p| p.contains("not-in-this-batch"))),
        "{invalid:?}"
    );
    assert_eq!((invalid.received, invalid.deleted), (6, 0));
    assert_eq!(invalid.backoff, Some(Duration::from_millis(400)));

    let summary = bridge.drain(&handler, limits()).await.unwrap();
    assert_eq!(summary.stopped, StopReason::QueueEmpty);
    assert_eq!(summary.counters.deleted, 6);
    let handled = handled.into_inner().unwrap();
    assert_eq!(handled.iter().map(|(body, _)| body.clone()).collect::<BTreeSet<_>>(), bodies);
    // Three failed invocations, none deleted anything: the fourth receive.
    assert!(handled.iter().all(|(_, count)| *count == 4), "{handled:?}");
    assert!(contents(&client, &queues.dlq_url).await.is_empty());
    let totals = bridge.totals();
    assert_eq!((totals.function_errors, totals.invalid_responses, totals.deleted), (2, 1, 6));
}

// -------------------------------------------------------------------- FIFO
//
// moto's FIFO queues have one quirk these tests stay clear of: when several
// messages of one group come back together after their visibility timeout,
// moto hands out the last of them first (AWS hands them out in order). So
// the drain below leaves at most one message of a group in flight at a
// time (batches of 3 over 3 groups sent in turn), and the test of a
// response that skips the rest of a group checks what the bridge deletes,
// not the order moto hands the survivors out in.

#[derive(Debug, Deserialize)]
struct Step {
    group: String,
    seq: u32,
}

/// Each call: (group, seq, succeeded), in call order, and the FIFO
/// attributes an event lacked.
#[derive(Default)]
struct FifoCalls {
    calls: Mutex<Vec<(String, u32, bool)>>,
    missing_attributes: Mutex<Vec<String>>,
}

/// `g0/2` fails on its first delivery only; `g1/4` always fails.
#[batch_handler(sqs_fifo, fifo_policy = "skip_failed_group")]
async fn handle_step(
    #[state] state: &FifoCalls,
    Json(step): Json<Step>,
    message: &SqsMessage,
    meta: RecordMeta<'_>,
) -> RecordOutcome {
    for attribute in ["MessageGroupId", "SequenceNumber", "MessageDeduplicationId"] {
        if !message.attributes.contains_key(attribute) {
            state.missing_attributes.lock().unwrap().push(attribute.to_owned());
        }
    }
    let flaky = step.group == "g0" && step.seq == 2 && meta.receive_count == Some(1);
    let broken = step.group == "g1" && step.seq == 4;
    let ok = !flaky && !broken;
    state.calls.lock().unwrap().push((step.group.clone(), step.seq, ok));
    if ok {
        RecordOutcome::Success
    } else {
        RecordOutcome::failure(format!("step {} of {} failed", step.seq, step.group))
    }
}

#[tokio::test]
async fn fifo_keeps_each_group_in_order_and_redrives_the_failure() {
    let Some(endpoint) = endpoint("fifo_keeps_each_group_in_order_and_redrives_the_failure") else {
        return;
    };
    let client = client(&endpoint).await;
    let queues = queues(&client, "steps", true, 2).await;
    let mut sent = Vec::new();
    for seq in 0..5 {
        for group in ["g0", "g1", "g2"] {
            let body = format!(r#"{{"group": "{group}", "seq": {seq}}}"#);
            send(&client, &queues.url, &body, Some(group)).await;
            sent.push((group.to_owned(), seq));
        }
    }
    let state = FifoCalls::default();
    let mut bridge = Bridge::new(client.clone(), config(&queues.url).batch_size(3)).await.unwrap();
    assert!(bridge.is_fifo());
    assert!(bridge.queue_arn().ends_with(".fifo"));
    let summary = bridge.drain(&|event| handle_step(&state, event), limits()).await.unwrap();
    // (A batch of g1/4 alone fails whole: the handler's all-failed rule
    // makes it a function error, which deletes nothing either.)
    assert_eq!(summary.stopped, StopReason::QueueEmpty, "{summary:?}");

    let calls = state.calls.into_inner().unwrap();
    assert_eq!(state.missing_attributes.into_inner().unwrap(), Vec::<String>::new());
    let dlq: BTreeSet<(String, u32)> = contents(&client, &queues.dlq_url)
        .await
        .into_keys()
        .map(|body| {
            let step: Step = serde_json::from_str(&body).unwrap();
            (step.group, step.seq)
        })
        .collect();
    assert_eq!(dlq, BTreeSet::from([("g1".to_owned(), 4)]), "{calls:?}");
    for (group, seq) in &sent {
        let successes = calls.iter().filter(|(g, s, ok)| g == group && s == seq && *ok).count();
        let in_dlq = dlq.contains(&(group.clone(), *seq));
        // Nothing lost, nothing deleted unhandled, no duplicate.
        assert_eq!(
            (successes, in_dlq),
            if in_dlq { (0, true) } else { (1, false) },
            "{group}/{seq}: {calls:?}"
        );
    }
    let attempts = |group: &str, seq: u32| -> Vec<bool> {
        calls.iter().filter(|(g, s, _)| g == group && *s == seq).map(|(_, _, ok)| *ok).collect()
    };
    assert_eq!(attempts("g0", 2), [false, true], "{calls:?}");
    assert_eq!(attempts("g1", 4), [false, false], "{calls:?}");
    for group in ["g0", "g1", "g2"] {
        // No message of a group is called once a later one has succeeded,
        // so successes come in send order.
        let seqs: Vec<(u32, bool)> =
            calls.iter().filter(|(g, _, _)| g == group).map(|(_, s, ok)| (*s, *ok)).collect();
        for (index, (seq, _)) in seqs.iter().enumerate() {
            assert!(
                seqs[..index].iter().all(|(earlier, ok)| !(*ok && earlier >= seq)),
                "{group}: message {seq} called after a later one succeeded: {seqs:?}"
            );
        }
    }
}

/// Reports only its failures, never the later messages of their group: a
/// FIFO handler with the bug `#[batch_handler(sqs_fifo)]` rules out.
/// `"first"` fails on its first delivery only.
fn reports_only_failures(
    failed_once: &Mutex<BTreeSet<String>>,
) -> impl Fn(LambdaEvent<SqsEvent>) -> std::future::Ready<Result<serde_json::Value, lambda_runtime::Error>> + '_
{
    move |event| {
        let mut failed_once = failed_once.lock().unwrap();
        let mut failures = Vec::new();
        for record in &event.payload.records {
            let body = record.body.clone().unwrap_or_default();
            if body == "first" && failed_once.insert(body) {
                failures.push(serde_json::json!({"itemIdentifier": record.message_id}));
            }
        }
        std::future::ready(Ok(serde_json::json!({ "batchItemFailures": failures })))
    }
}

#[tokio::test]
async fn fifo_a_response_that_skips_the_rest_of_a_group_cannot_delete_it() {
    let Some(endpoint) = endpoint("fifo_a_response_that_skips_the_rest_of_a_group_cannot_delete_it") else {
        return;
    };
    let client = client(&endpoint).await;
    for fifo_order in [FifoOrder::KeepGroupOrder, FifoOrder::LikeLambda] {
        let queues = queues(&client, "suffix", true, 5).await;
        let mut ids = Vec::new();
        for body in ["first", "second", "third"] {
            ids.push(send(&client, &queues.url, body, Some("g")).await);
        }
        let failed_once = Mutex::new(BTreeSet::new());
        let handler = reports_only_failures(&failed_once);
        let mut bridge =
            Bridge::new(client.clone(), config(&queues.url).fifo_order(fifo_order)).await.unwrap();
        let first = next_batch(&mut bridge, &handler).await;
        assert_eq!(first.received, 3, "{first:?}");
        assert_eq!(first.outcome, PollOutcome::PartialSuccess);
        let in_flight = bridge.queue_counts().await.unwrap().in_flight;
        match fifo_order {
            // "second" and "third" stay behind "first".
            FifoOrder::KeepGroupOrder => {
                assert_eq!(
                    (first.deleted_ids.len(), first.held_for_order, first.left_for_retry),
                    (0, 2, 3),
                    "{first:?}"
                );
                assert_eq!(in_flight, 3);
            }
            // As on Lambda: they are deleted, and "first" comes after them.
            _ => {
                assert_eq!(first.deleted_ids, ids[1..], "{first:?}");
                assert_eq!((first.held_for_order, first.left_for_retry), (0, 1));
                assert_eq!(in_flight, 1);
            }
        }
        // Nothing lost: the rest is handled and deleted, each message once.
        let rest = bridge.drain(&handler, limits()).await.unwrap();
        assert_eq!(rest.stopped, StopReason::QueueEmpty);
        assert_eq!(first.deleted_ids.len() as u64 + rest.counters.deleted, 3, "{fifo_order:?}: {rest:?}");
    }
}

// --------------------------------------------------------- batching window

#[tokio::test]
async fn the_batching_window_gathers_messages_that_arrive_during_it() {
    let Some(endpoint) = endpoint("the_batching_window_gathers_messages_that_arrive_during_it") else {
        return;
    };
    let client = client(&endpoint).await;
    let queues = queues(&client, "window", false, 5).await;
    send(&client, &queues.url, "early", None).await;
    // The messages must stay hidden for the whole window and the function.
    let config = config(&queues.url)
        .max_batching_window(Duration::from_secs(3))
        .visibility_timeout(Duration::from_secs(10));
    let mut bridge = Bridge::new(client.clone(), config).await.unwrap();
    let handled = Mutex::new(Vec::new());
    let handler = |event| record_success(&handled, event);
    let late = async {
        tokio::time::sleep(Duration::from_millis(1200)).await;
        for i in 0..4 {
            send(&client, &queues.url, &format!("late {i}"), None).await;
        }
    };
    let (poll, ()) = tokio::join!(bridge.poll_once(&handler), late);
    let poll = poll.unwrap();
    assert_eq!((poll.received, poll.deleted), (5, 5), "{poll:?}");
    assert_eq!(poll.outcome, PollOutcome::CompleteSuccess);
}

// ---------------------------------------------------------------- run_until

#[tokio::test]
async fn run_until_polls_until_told_to_stop() {
    let Some(endpoint) = endpoint("run_until_polls_until_told_to_stop") else {
        return;
    };
    let client = client(&endpoint).await;
    let queues = queues(&client, "run", false, 5).await;
    for i in 0..3 {
        send(&client, &queues.url, &format!("message {i}"), None).await;
    }
    let handled = Mutex::new(Vec::new());
    let handler = |event| record_success(&handled, event);
    let mut bridge = Bridge::new(client.clone(), config(&queues.url)).await.unwrap();
    let stop = async {
        while handled.lock().unwrap().len() < 3 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let totals = tokio::time::timeout(Duration::from_secs(30), bridge.run_until(&handler, stop))
        .await
        .expect("run_until did not stop")
        .unwrap();
    assert_eq!((totals.received, totals.deleted, totals.function_errors), (3, 3, 0), "{totals:?}");
    assert_eq!(bridge.queue_counts().await.unwrap().total(), 0);
}

// ------------------------------------------------------- settings and errors

#[tokio::test]
async fn settings_the_queue_cannot_take_are_refused_with_advice() {
    let Some(endpoint) = endpoint("settings_the_queue_cannot_take_are_refused_with_advice") else {
        return;
    };
    let client = client(&endpoint).await;
    let standard = queues(&client, "settings", false, 2).await;
    // The queue hides messages for 1 s; a 2-second function would see them back.
    let error = Bridge::new(client.clone(), config(&standard.url).function_timeout(Duration::from_secs(2)))
        .await
        .unwrap_err();
    assert!(matches!(error, BridgeError::Config(ConfigError::TimeoutOverVisibility { .. })), "{error}");
    assert!(error.to_string().contains("raise the queue's VisibilityTimeout"), "{error}");

    // Messages received early in a 2-second window would be back before
    // the function is done.
    let error =
        Bridge::new(client.clone(), config(&standard.url).max_batching_window(Duration::from_secs(2)))
            .await
            .unwrap_err();
    assert!(matches!(error, BridgeError::Config(ConfigError::WindowOverVisibility { .. })), "{error}");

    let fifo = queues(&client, "settings", true, 2).await;
    let error = Bridge::new(client.clone(), config(&fifo.url).max_batching_window(Duration::from_secs(1)))
        .await
        .unwrap_err();
    assert!(matches!(error, BridgeError::Config(ConfigError::BatchingWindowOnFifo(_))), "{error}");

    let missing = format!("{endpoint}/123456789012/{}", unique("missing"));
    let error = Bridge::new(client.clone(), config(&missing)).await.unwrap_err();
    assert!(matches!(error, BridgeError::Sqs { operation: "GetQueueAttributes", .. }), "{error}");
    assert!(error.to_string().contains("the queue does not exist"), "{error}");
}
