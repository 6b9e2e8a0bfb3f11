//! The SQS simulator: queue rules, the event source mapping, configuration
//! errors, determinism, real handlers and the timeline.

use std::sync::Mutex;

use lambda_batch::sqs::SqsMessage;
use lambda_batch::{RecordOutcome, batch_handler};
use lambda_batch_testkit::sim::{
    self, ConfigError, Invocation, InvocationFaults, InvocationResult, Payload, QueueConfig, SqsMessageEnd,
    SqsReport, SqsSimConfig, SqsSimulation, TraceEvent, lambda_function,
};

fn messages<'a>(invocation: &Invocation<'a>) -> &'a [sim::SqsDelivery] {
    match invocation.payload {
        Payload::Sqs { messages, .. } => messages,
        other => panic!("not an SQS batch: {other:?}"),
    }
}

/// Fails every message whose body starts with "fail" on its first `n` receives.
fn fail_first(n: u32) -> impl FnMut(&Invocation<'_>) -> InvocationResult {
    move |invocation| {
        InvocationResult::failures(
            messages(invocation)
                .iter()
                .filter(|m| m.body.starts_with("fail") && m.receive_count <= n)
                .map(|m| &*m.message_id),
        )
    }
}

fn simulation(config: SqsSimConfig) -> SqsSimulation {
    SqsSimulation::new(config).expect("valid configuration")
}

fn events_of<'a>(report: &'a SqsReport, id: &str) -> Vec<(u64, &'a TraceEvent)> {
    report
        .trace
        .entries()
        .iter()
        .filter(|e| match &e.event {
            TraceEvent::Received { id: i, .. }
            | TraceEvent::Deleted { id: i, .. }
            | TraceEvent::VisibleAgain { id: i, .. }
            | TraceEvent::MovedToDlq { id: i, .. }
            | TraceEvent::Sent { id: i, .. } => &**i == id,
            _ => false,
        })
        .map(|e| (e.t, &e.event))
        .collect()
}

#[test]
fn a_failed_message_comes_back_after_the_visibility_timeout_and_is_deleted_on_success() {
    let mut sim = simulation(SqsSimConfig::new(QueueConfig::standard()));
    let ok = sim.send(0, "ok");
    let failing = sim.send(0, "fail once");
    let report = sim.run(&mut fail_first(1));
    sim::check::nothing_lost(&report).unwrap();
    let fate = |id: &str| report.messages.iter().find(|m| &*m.id == id).unwrap().clone();
    assert_eq!(fate(&ok).receive_count, 1);
    assert_eq!(fate(&failing).receive_count, 2);
    // Received at 0, back at 30 s (the visibility timeout), received
    // again at once, deleted 22 ms later (20 ms + 1 ms per record).
    let steps = events_of(&report, &failing);
    let times: Vec<u64> = steps.iter().map(|(t, _)| *t).collect();
    assert_eq!(times, [0, 0, 30_000, 30_000, 30_021]);
    assert!(matches!(steps[2].1, TraceEvent::VisibleAgain { receive_count: 1, .. }));
    assert_eq!(fate(&failing).end, SqsMessageEnd::Deleted(30_021));
    assert_eq!(report.metrics.messages_deleted, 2);
}

#[test]
fn redrive_moves_a_message_to_the_dlq_on_the_receive_after_max_receive_count() {
    let mut sim = simulation(SqsSimConfig::new(QueueConfig::standard().with_dlq(3)));
    let poison = sim.send(0, "fail forever");
    let report = sim.run(&mut fail_first(u32::MAX));
    sim::check::nothing_lost(&report).unwrap();
    let fate = &report.messages[0];
    assert_eq!(fate.receive_count, 3);
    // Three receives at 0, 30 s, 60 s; the fourth attempt (90 s) moves it.
    assert_eq!(fate.end, SqsMessageEnd::MovedToDlq(90_000));
    assert_eq!(report.metrics.dlq_messages_visible, 1);
    assert!(
        events_of(&report, &poison)
            .iter()
            .any(|(_, e)| matches!(e, TraceEvent::MovedToDlq { receive_count: 3, .. }))
    );
    let last_minute = report.metrics.per_minute.last().unwrap();
    assert_eq!(last_minute.dlq_messages_visible, 1);
}

#[test]
fn without_report_batch_item_failures_a_partial_response_deletes_everything() {
    let mut config = SqsSimConfig::new(QueueConfig::standard());
    config.mapping.report_batch_item_failures = false;
    let mut sim = simulation(config);
    sim.send(0, "fail");
    sim.send(0, "ok");
    let report = sim.run(&mut fail_first(u32::MAX));
    assert!(
        report.messages.iter().all(|m| m.receive_count == 1 && matches!(m.end, SqsMessageEnd::Deleted(_)))
    );
}

#[test]
fn a_response_lambda_rejects_fails_the_whole_batch() {
    let mut sim = simulation(SqsSimConfig::new(QueueConfig::standard().with_dlq(1)));
    sim.send(0, "a");
    sim.send(0, "b");
    let bad = serde_json::json!({"batchItemFailures": [{"itemIdentifier": ""}]});
    let report = sim.run(&mut |_: &Invocation<'_>| InvocationResult::Response(bad.clone()));
    // Lambda fails the whole batch on a response it rejects: both came back
    // and went to the DLQ on the next receive.
    assert!(report.messages.iter().all(|m| matches!(m.end, SqsMessageEnd::MovedToDlq(30_000))));
    assert!(
        report
            .trace
            .entries()
            .iter()
            .any(|e| matches!(e.event, TraceEvent::Response { outcome: "complete_failure", retried: 2, .. }))
    );
}

#[test]
fn function_errors_and_timeouts_bring_the_whole_batch_back() {
    let mut config = SqsSimConfig::new(QueueConfig::standard());
    config.faults = InvocationFaults { timeout: 1.0, ..InvocationFaults::none() };
    let mut sim = simulation(config);
    sim.send(0, "a");
    let report = sim.run_until(&mut fail_first(0), 100_000, None);
    // Timed out at 3 s each time; received at 0, 30 s, 60 s, 90 s.
    assert_eq!(report.messages[0].receive_count, 4);
    assert_eq!(report.metrics.errors, 4);
    assert!(report.trace.entries().iter().any(|e| matches!(
        &e.event,
        TraceEvent::Response { outcome: "timeout", error: Some(kind), .. } if &**kind == "Sandbox.Timedout"
    )));
}

#[test]
fn reserved_concurrency_throttles_over_pulled_batches_which_come_back_with_a_raised_receive_count() {
    let mut config = SqsSimConfig::new(QueueConfig::standard());
    config.mapping.batch_size = 1;
    config.mapping.reserved_concurrency = Some(1);
    config.mapping.function_timeout = 25_000;
    config.timing.per_invocation = 20_000;
    let mut sim = simulation(config);
    for i in 0..6 {
        sim.send(0, &format!("m{i}"));
    }
    let report = sim.run(&mut fail_first(0));
    sim::check::nothing_lost(&report).unwrap();
    assert!(report.metrics.throttles > 0);
    assert!(report.messages.iter().any(|m| m.receive_count > 1), "{:?}", report.messages);
    assert!(report.metrics.throttles > 0 && report.metrics.errors == 0);
}

#[test]
fn a_fifo_group_is_blocked_while_its_head_fails_and_other_groups_go_on() {
    let mut config = SqsSimConfig::new(QueueConfig::fifo());
    config.mapping.batch_size = 1;
    let mut sim = simulation(config);
    let head = sim.send_fifo(0, "g1", "fail twice");
    let behind = sim.send_fifo(0, "g1", "ok");
    let other = sim.send_fifo(0, "g2", "ok");
    let report = sim.run(&mut fail_first(2));
    sim::check::nothing_lost(&report).unwrap();
    sim::check::fifo_order(&report).unwrap();
    let first_received = |id: &str| {
        events_of(&report, id)
            .iter()
            .find(|(_, e)| matches!(e, TraceEvent::Received { .. }))
            .map(|(t, _)| *t)
            .unwrap()
    };
    assert_eq!(first_received(&other), 0);
    // The head is received at 0 and 30 s and handled at 60 s; the message
    // behind it waits until then.
    assert_eq!(first_received(&behind), 60_021);
    assert_eq!(report.messages.iter().find(|m| m.id == head).unwrap().receive_count, 3);
    let page = sim::timeline::html(&report, "FIFO");
    assert!(page.contains(&format!("blocked: group held by {head}")), "the timeline shows the wait");
}

#[test]
fn fifo_deduplication_drops_a_resend_within_five_minutes_only() {
    let mut sim = simulation(SqsSimConfig::new(QueueConfig::fifo()));
    sim.send_fifo_deduplicated(0, "g", "order 1", "order-1");
    let duplicate = sim.send_fifo_deduplicated(299_000, "g", "order 1 again", "order-1");
    let later = sim.send_fifo_deduplicated(300_000, "g", "order 1 much later", "order-1");
    let report = sim.run(&mut fail_first(0));
    sim::check::nothing_lost(&report).unwrap();
    let end = |id: &str| report.messages.iter().find(|m| &*m.id == id).unwrap().end;
    assert_eq!(end(&duplicate), SqsMessageEnd::Deduplicated(299_000));
    assert!(matches!(end(&later), SqsMessageEnd::Deleted(_)));
    assert_eq!(report.metrics.messages_sent, 2);
}

#[test]
fn retention_removes_a_message_that_keeps_failing() {
    let mut queue = QueueConfig::standard();
    queue.retention = 120_000;
    let mut sim = simulation(SqsSimConfig::new(queue));
    sim.send(0, "fail forever");
    let report = sim.run(&mut fail_first(u32::MAX));
    sim::check::nothing_lost(&report).unwrap();
    assert_eq!(report.messages[0].end, SqsMessageEnd::Expired(120_000));
    assert_eq!(report.metrics.expired, 1);
}

#[test]
fn the_batching_window_gathers_messages_into_one_batch() {
    let mut config = SqsSimConfig::new(QueueConfig::standard());
    config.mapping.batch_size = 100;
    config.mapping.batching_window = 5_000;
    let mut sim = simulation(config);
    for at in [0, 1_000, 2_000, 4_000] {
        sim.send(at, "ok");
    }
    let report = sim.run(&mut fail_first(0));
    assert_eq!(report.invocations, 1);
    assert!(report.messages.iter().all(|m| m.end == SqsMessageEnd::Deleted(5_024)));
}

#[test]
fn configurations_aws_refuses_are_clear_errors() {
    let error = |queue: QueueConfig, edit: fn(&mut SqsSimConfig)| {
        let mut config = SqsSimConfig::new(queue);
        edit(&mut config);
        SqsSimulation::new(config).err().map(|e| e.to_string()).unwrap_or_default()
    };
    let fifo_batch = error(QueueConfig::fifo(), |c| c.mapping.batch_size = 11);
    assert!(fifo_batch.contains("BatchSize = 11") && fifo_batch.contains("FIFO"), "{fifo_batch}");
    let timeout = error(QueueConfig::standard(), |c| c.mapping.function_timeout = 60_000);
    assert!(timeout.contains("visibility timeout"), "{timeout}");
    let window = error(QueueConfig::fifo(), |c| c.mapping.batching_window = 1_000);
    assert!(window.contains("FIFO"), "{window}");
    let big_batch = error(QueueConfig::standard(), |c| c.mapping.batch_size = 100);
    assert!(big_batch.contains("at least 1"), "{big_batch}");
    let receive = error(QueueConfig::standard().with_dlq(0), |_| {});
    assert!(receive.contains("maxReceiveCount"), "{receive}");
    let concurrency = error(QueueConfig::standard(), |c| c.mapping.maximum_concurrency = Some(1));
    assert!(concurrency.contains("MaximumConcurrency"), "{concurrency}");
    let fault = error(QueueConfig::standard(), |c| c.faults.throttle = -0.5);
    assert!(fault.contains("throttle"), "{fault}");
    assert!(matches!(
        SqsSimulation::new({
            let mut c = SqsSimConfig::new(QueueConfig::standard());
            c.queue.visibility_timeout = 50_000_000;
            c
        }),
        Err(ConfigError::OutOfRange { name: "VisibilityTimeout (ms)", rule: "SQS refuses such a queue", .. })
    ));
}

fn faulty_run(seed: u64) -> String {
    let mut config = SqsSimConfig::new(QueueConfig::fifo().with_dlq(4));
    config.seed = seed;
    config.faults =
        InvocationFaults { record_failure: 0.3, timeout: 0.1, throttle: 0.1, ..InvocationFaults::none() };
    let mut sim = simulation(config);
    for i in 0..30 {
        sim.send_fifo(i * 100, &format!("g{}", i % 3), "ok");
    }
    let mut function = |invocation: &Invocation<'_>| {
        let messages = messages(invocation);
        InvocationResult::failures(invocation.failing_records.iter().map(|&i| &*messages[i].message_id))
    };
    sim.run(&mut function).trace.to_jsonl()
}

#[test]
fn the_same_seed_gives_the_same_trace() {
    let first = faulty_run(7);
    assert_eq!(first, faulty_run(7));
    assert_ne!(first, faulty_run(8), "the seed drives the faults");
    assert!(first.lines().count() > 100);
    let line: serde_json::Value = serde_json::from_str(first.lines().next().unwrap()).unwrap();
    assert_eq!(line["event"], "sent");
}

/// Logs `(group, message id)` of every record it handles successfully.
#[batch_handler(sqs_fifo)]
async fn log_order(
    #[state] log: &Mutex<Vec<(String, String)>>,
    message: &SqsMessage,
    body: &str,
) -> RecordOutcome {
    handle_logged(log, message, body)
}

/// The same, failing only the failing message's group.
#[batch_handler(sqs_fifo, fifo_policy = "skip_failed_group")]
async fn log_order_by_group(
    #[state] log: &Mutex<Vec<(String, String)>>,
    message: &SqsMessage,
    body: &str,
) -> RecordOutcome {
    handle_logged(log, message, body)
}

fn handle_logged(log: &Mutex<Vec<(String, String)>>, message: &SqsMessage, body: &str) -> RecordOutcome {
    if body == "poison" {
        return RecordOutcome::failure("cannot handle this one");
    }
    let group = message.attributes.get("MessageGroupId").cloned().unwrap_or_default();
    log.lock().unwrap().push((group, message.message_id.clone().unwrap_or_default()));
    RecordOutcome::Success
}

fn fifo_with_poison() -> SqsSimulation {
    let mut sim = simulation(SqsSimConfig::new(QueueConfig::fifo().with_dlq(2)));
    sim.send_fifo(0, "g1", "a");
    sim.send_fifo(0, "g1", "poison");
    sim.send_fifo(0, "g1", "c");
    sim.send_fifo(0, "g2", "d");
    sim
}

fn ends(report: &SqsReport) -> Vec<&'static str> {
    let name = |end: SqsMessageEnd| match end {
        SqsMessageEnd::Deleted(_) => "deleted",
        SqsMessageEnd::MovedToDlq(_) => "dlq",
        _ => "other",
    };
    report.messages.iter().map(|m| name(m.end)).collect()
}

#[test]
fn a_real_batch_handler_runs_on_real_shaped_events() {
    // One batch holds both groups. Stopping at the first failure holds
    // back everything after "poison", g2's "d" too, so with
    // maxReceiveCount 2 they all reach the DLQ together.
    let log = Mutex::new(Vec::new());
    let report = fifo_with_poison().run(&mut lambda_function(|event| log_order(&log, event)));
    sim::check::nothing_lost(&report).unwrap();
    sim::check::fifo_order(&report).unwrap();
    assert_eq!(log.into_inner().unwrap(), [("g1".into(), "m-0001".into())]);
    assert_eq!(ends(&report), ["deleted", "dlq", "dlq", "dlq"]);

    // Failing only the failing group lets "d" through.
    let log = Mutex::new(Vec::new());
    let report = fifo_with_poison().run(&mut lambda_function(|event| log_order_by_group(&log, event)));
    sim::check::fifo_order(&report).unwrap();
    assert_eq!(log.into_inner().unwrap(), [("g1".into(), "m-0001".into()), ("g2".into(), "m-0004".into())]);
    assert_eq!(ends(&report), ["deleted", "dlq", "dlq", "deleted"]);
}
