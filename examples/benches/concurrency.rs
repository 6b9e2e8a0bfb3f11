//! I/O-bound records under bounded concurrency: 1,000 SQS records whose
//! handler awaits 1 ms, at concurrency 1, 10 and 100.
//!
//! For each N it prints the wall time, the ideal (ceil(1000 / N) times the
//! cost of one 1 ms await, measured in the same run on the same runtime),
//! and their ratio. Each figure is the median of 5 runs. Run with
//! `cargo bench -p lambda-batch-examples --bench concurrency`.

use lambda_batch::BatchPipeline;
use lambda_batch::sqs::Sqs;
use std::time::{Duration, Instant};

use lambda_batch::sqs::{self, SqsConfig, SqsRecord};
use lambda_batch::{BatchEvent, Context, Limits, RecordHandler, RecordOutcome};

const RECORDS: usize = 1_000;
const RUNS: usize = 5;

struct AwaitOneMillisecond;

impl RecordHandler<sqs::Sqs> for AwaitOneMillisecond {
    async fn handle(&self, _record: &SqsRecord<'_>, _cx: &Context) -> RecordOutcome {
        tokio::time::sleep(Duration::from_millis(1)).await;
        RecordOutcome::Success
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

/// The cost of one `sleep(1 ms)` await on this runtime (timer granularity
/// included): the mean over 200 awaits in a row.
async fn one_await() -> Duration {
    let start = Instant::now();
    for _ in 0..200 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    start.elapsed() / 200
}

async fn batch(event: &BatchEvent, concurrency: usize) -> Duration {
    let config = SqsConfig::new().with_limits(Limits::new().with_concurrency(concurrency));
    let cx = lambda_batch_testkit::context();
    let start = Instant::now();
    let report = Sqs::process(&AwaitOneMillisecond, &config, event, &cx).await.expect("a valid event");
    let elapsed = start.elapsed();
    assert_eq!(report.counts().succeeded, RECORDS);
    elapsed
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    let records = (0..RECORDS).map(|i| lambda_batch_testkit::sqs::message(&format!("m{i}"), "{}"));
    let event = lambda_batch_testkit::sqs::event(records);
    runtime.block_on(async {
        println!("{RECORDS} SQS records, each awaiting tokio::time::sleep(1 ms); median of {RUNS} runs");
        println!("{:>12} {:>12} {:>12} {:>8}", "concurrency", "measured", "ideal", "ratio");
        for concurrency in [1, 10, 100] {
            let mut measured = Vec::new();
            let mut await_cost = Vec::new();
            for _ in 0..RUNS {
                await_cost.push(one_await().await);
                measured.push(batch(&event, concurrency).await);
            }
            let (measured, await_cost) = (median(measured), median(await_cost));
            let rounds = RECORDS.div_ceil(concurrency) as u32;
            let ideal = await_cost * rounds;
            println!(
                "{concurrency:>12} {:>10.1}ms {:>10.1}ms {:>7.3}x   (one await: {:.3} ms)",
                measured.as_secs_f64() * 1e3,
                ideal.as_secs_f64() * 1e3,
                measured.as_secs_f64() / ideal.as_secs_f64(),
                await_cost.as_secs_f64() * 1e3,
            );
        }
    });
}
