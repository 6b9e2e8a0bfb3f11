//! Absurd deadlines (0, or already past, as local emulators send) mean "no
//! deadline", with one warning. Its own test binary: the warning is once
//! per process.

mod common;

use std::time::Duration;

use lambda_batch::{LambdaEvent, batch_handler};
use lambda_batch_testkit::sqs::{event, message};

#[batch_handler(sqs)]
async fn slow(body: &str) {
    tokio::time::sleep(Duration::from_millis(body.parse().unwrap())).await;
}

#[tokio::test(start_paused = true, flavor = "current_thread")]
async fn zero_and_past_deadlines_run_every_record_and_warn_once() {
    let (logs, _guard) = common::capture_logs();
    for deadline in [0, 600_000] {
        // 600000 ms after the epoch: what `cargo lambda watch` sends.
        let mut cx = lambda_batch::Context::default();
        cx.deadline = deadline;
        let batch = event((0..3).map(|i| message(&format!("m{i}"), "10000")));
        let started = tokio::time::Instant::now();
        let result = slow(LambdaEvent::new(batch, cx)).await;
        assert_eq!(common::outcome_ids(result), Ok(vec![]), "deadline {deadline}: every record ran");
        assert!(started.elapsed() >= Duration::from_secs(30), "nothing was cut off");
    }
    let warnings = logs.text().matches("running without a deadline guard").count();
    assert_eq!(warnings, 1, "{}", logs.text());
}
