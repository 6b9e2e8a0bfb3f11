//! Absurd deadlines (0, or already past, as local emulators send) mean "no
//! deadline", with one warning per process. Other modules' tests share this
//! process and may have had that warning already, so the check runs in a
//! child process of this test binary that runs this test alone.

use std::process::Command;
use std::time::Duration;

use crate::common;
use lambda_batch::{LambdaEvent, batch_handler};
use lambda_batch_testkit::sqs::{event, message};

/// Set in the child process: run the check itself.
const IN_CHILD: &str = "LAMBDA_BATCH_TESTS_DEADLINE_ABSURD_CHILD";

#[batch_handler(sqs)]
async fn slow(body: &str) {
    tokio::time::sleep(Duration::from_millis(body.parse().unwrap())).await;
}

#[test]
fn zero_and_past_deadlines_run_every_record_and_warn_once() {
    if std::env::var_os(IN_CHILD).is_some() {
        let runtime =
            tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
        return runtime.block_on(check());
    }
    // This test's name, as the test harness knows it (module path without
    // the crate).
    let module = module_path!().split_once("::").map_or(module_path!(), |(_crate, path)| path);
    let name = format!("{module}::zero_and_past_deadlines_run_every_record_and_warn_once");
    let child = Command::new(std::env::current_exe().unwrap())
        .args([name.as_str(), "--exact", "--test-threads=1"])
        .env(IN_CHILD, "1")
        .output()
        .unwrap();
    let output =
        format!("{}{}", String::from_utf8_lossy(&child.stdout), String::from_utf8_lossy(&child.stderr));
    assert!(child.status.success(), "the child process failed:\n{output}");
    assert!(output.contains("test result: ok. 1 passed"), "the child process did not run {name}:\n{output}");
}

async fn check() {
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
