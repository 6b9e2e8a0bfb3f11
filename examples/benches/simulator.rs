//! How fast the delivery simulator runs: simulated deliveries (records
//! handed to the function) per second of real time, for a trivial function.
//!
//! Each scenario prints the simulator's rate and, as the same-run
//! baseline, the rate of calling the same trivial function directly on
//! batches of the same size (no queue, no clock, no validator): the ratio
//! is the simulator's overhead. The median of 3 runs is reported. Run with
//! `cargo bench -p lambda-batch-examples --bench simulator`.

use std::collections::HashSet;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lambda_batch::{RecordOutcome, batch_handler};
use lambda_batch_testkit::sim::{
    AsyncConfig, AsyncSimulation, Function, Invocation, InvocationFaults, InvocationResult, KafkaSimConfig,
    KafkaSimulation, Payload, QueueConfig, SqsDelivery, SqsSimConfig, SqsSimulation, StreamKind,
    StreamSimConfig, StreamSimulation, lambda_function,
};
use serde_json::json;

const RUNS: usize = 3;

/// The trivial function: handles everything, fails what the fault
/// schedule says.
fn trivial(invocation: &Invocation<'_>) -> InvocationResult {
    if invocation.failing_records.is_empty() {
        return InvocationResult::all_handled();
    }
    match invocation.payload {
        Payload::Sqs { messages, .. } => {
            InvocationResult::failures(invocation.failing_records.iter().map(|&i| &*messages[i].message_id))
        }
        Payload::Kinesis { records, .. } | Payload::DynamoDb { records, .. } => InvocationResult::failures(
            invocation.failing_records.first().map(|&i| &*records[i].sequence_number),
        ),
        Payload::Kafka { records } => {
            // The lowest failing offset of each partition.
            let mut partitions = HashSet::new();
            let failing = invocation.failing_records.iter().map(|&i| &records[i]);
            InvocationResult::kafka_failures(failing.filter(|r| partitions.insert(r.partition)))
        }
        Payload::Async { .. } => InvocationResult::all_handled(),
        _ => InvocationResult::all_handled(),
    }
}

#[batch_handler(sqs)]
async fn noop(body: &str) -> RecordOutcome {
    black_box(body);
    RecordOutcome::Success
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

/// Runs `scenario` RUNS times; returns (median time, deliveries).
fn measure(mut scenario: impl FnMut() -> u64) -> (Duration, u64) {
    let mut deliveries = 0;
    let samples = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            deliveries = scenario();
            start.elapsed()
        })
        .collect();
    (median(samples), deliveries)
}

/// The same function called directly on `deliveries` records in batches of
/// `batch`, with no simulator around it.
fn direct_calls(function: &mut impl Function, deliveries: u64, batch: usize) -> Duration {
    let messages: Vec<SqsDelivery> = (0..batch)
        .map(|i| SqsDelivery {
            message_id: format!("m-{i}").into(),
            body: Arc::from("{\"order\":1}"),
            group: None,
            deduplication_id: None,
            sequence_number: None,
            receive_count: 1,
            sent_at: 0,
            first_received_at: 0,
        })
        .collect();
    let calls = deliveries.div_ceil(batch as u64);
    median(
        (0..RUNS)
            .map(|_| {
                let start = Instant::now();
                for _ in 0..calls {
                    let invocation = Invocation {
                        request_id: "r",
                        attempt: 1,
                        started_at: 0,
                        timeout: 3_000,
                        payload: Payload::Sqs { queue_arn: "arn", messages: &messages },
                        failing_records: &[],
                        record_delays: &[],
                    };
                    black_box(function.invoke(black_box(&invocation)));
                }
                start.elapsed()
            })
            .collect(),
    )
}

fn report(name: &str, (time, deliveries): (Duration, u64), baseline: Duration) {
    let rate = deliveries as f64 / time.as_secs_f64();
    println!(
        "{name:<58} {deliveries:>9} deliveries {:>9.1} ms {:>12.0} deliveries/s  {:>5.2}x direct calls",
        time.as_secs_f64() * 1000.0,
        rate,
        time.as_secs_f64() / baseline.as_secs_f64()
    );
}

fn sqs(fifo: bool, messages: u64, faults: InvocationFaults, function: &mut impl Function) -> u64 {
    let queue = if fifo { QueueConfig::fifo() } else { QueueConfig::standard() };
    let mut config = SqsSimConfig::new(queue.with_dlq(5));
    config.trace = false;
    config.faults = faults;
    let mut sim = SqsSimulation::new(config).expect("valid configuration");
    for i in 0..messages {
        if fifo {
            sim.send_fifo(i / 10, &format!("g{}", i % 10), "{\"order\":1}");
        } else {
            sim.send(i / 10, "{\"order\":1}");
        }
    }
    sim.run(function).deliveries
}

fn main() {
    println!("(median of {RUNS} runs; each line also times the bare function calls as its baseline)");
    let faults = InvocationFaults { record_failure: 0.1, ..InvocationFaults::none() };
    let n = 500_000;
    let direct = direct_calls(&mut trivial, n, 10);
    report(
        "SQS standard, batch 10, no faults",
        measure(|| sqs(false, n, InvocationFaults::none(), &mut trivial)),
        direct,
    );
    let run = measure(|| sqs(false, n, faults, &mut trivial));
    report("SQS standard, batch 10, 10% of records fail", run, direct_calls(&mut trivial, run.1, 10));
    let run = measure(|| sqs(true, n / 2, faults, &mut trivial));
    report("SQS FIFO, 10 groups, 10% of records fail", run, direct_calls(&mut trivial, run.1, 10));

    let run = measure(|| {
        let mut config = StreamSimConfig::new(StreamKind::Kinesis);
        config.trace = false;
        config.source.shards = 4;
        config.faults = faults;
        config.maximum_retry_attempts = Some(3);
        let mut sim = StreamSimulation::new(config).expect("valid configuration");
        for i in 0..n {
            sim.put(i / 10, &format!("k{}", i % 64), "{\"n\":1}");
        }
        sim.run(&mut trivial).deliveries
    });
    report("Kinesis, 4 shards, batch 100, 10% of records fail", run, direct_calls(&mut trivial, run.1, 100));

    let run = measure(|| {
        let mut config = KafkaSimConfig::new("clicks", 4);
        config.trace = false;
        config.faults = faults;
        config.maximum_retry_attempts = Some(3);
        let mut sim = KafkaSimulation::new(config).expect("valid configuration");
        for i in 0..n {
            sim.produce(i / 10, Some(&format!("k{}", i % 64)), "{\"n\":1}");
        }
        sim.run(&mut trivial).deliveries
    });
    report(
        "Kafka, 4 partitions, batch 100, 10% of records fail",
        run,
        direct_calls(&mut trivial, run.1, 100),
    );

    let run = measure(|| {
        let config = AsyncConfig {
            trace: false,
            faults: InvocationFaults { function_error: 0.1, ..InvocationFaults::none() },
            ..AsyncConfig::default()
        };
        let mut sim = AsyncSimulation::new(config).expect("valid configuration");
        let event = json!({"order": 1});
        for i in 0..n / 5 {
            sim.invoke(i, event.clone());
        }
        sim.run(&mut trivial).invocations
    });
    report("async, 10% function errors (retried)", run, direct_calls(&mut trivial, run.1, 1));

    let m = 50_000;
    let mut real = lambda_function(noop);
    let direct = direct_calls(&mut real, m, 10);
    report(
        "SQS standard, batch 10, real #[batch_handler] (JSON + tokio)",
        measure(|| sqs(false, m, InvocationFaults::none(), &mut real)),
        direct,
    );
    // The same handler run one invocation at a time (a closure around
    // `Function::invoke` is not on the simulation's clock): what running
    // invocations together on the clock costs.
    let mut one_at_a_time = |invocation: &Invocation<'_>| real.invoke(invocation);
    report(
        "  the same, one invocation at a time (not on the clock)",
        measure(|| sqs(false, m, InvocationFaults::none(), &mut one_at_a_time)),
        direct,
    );
}
