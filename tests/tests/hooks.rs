//! The hooks: `on_success` and `on_failure` per record, `on_batch_end`
//! once per batch. Which status calls which hook, in which order around
//! the poison sink and idempotency, and that a hook that errs, panics or
//! hangs never changes the response (it is logged, naming the hook and
//! the record). Time is tokio's paused clock where hooks hang.

use std::sync::Mutex;
use std::time::Duration;

use lambda_batch::idempotency::{Idempotency, Idempotent, MemoryStore};
use lambda_batch::sqs::{Sqs, SqsConfig, SqsRecord};
use lambda_batch::{
    AllFailedPolicy, BatchCounts, BatchEvent, BatchPipeline, BatchReport, Context, LambdaEvent, Limits,
    PoisonRecord, RecordError, RecordHandler, RecordOutcome, RecordStatus, batch_handler,
};
use lambda_batch_testkit::sqs::{event, fifo_message, message};

use crate::common::{capture_logs, cx};

/// What every hook does.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Hook {
    /// Notes the call and returns `Ok`.
    Fine,
    /// Notes the call and returns an error.
    Errs,
    /// Notes the call and panics.
    Panics,
    /// Notes the call and never finishes.
    Hangs,
}

/// A handler scripted by each message's body (`ok`, `fail`, `later`,
/// `poison`, `poison-refused`, `panic`), noting every call in order.
struct Watched {
    hook: Hook,
    calls: Mutex<Vec<String>>,
}

impl Watched {
    fn new(hook: Hook) -> Self {
        Watched { hook, calls: Mutex::new(Vec::new()) }
    }

    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }

    /// Notes `call`, then does what the hook is scripted to do.
    async fn hook(&self, call: String) -> Result<(), String> {
        self.calls.lock().unwrap().push(call);
        match self.hook {
            Hook::Fine => Ok(()),
            Hook::Errs => Err("the hook's own error".to_owned()),
            Hook::Panics => panic!("the hook's own panic"),
            Hook::Hangs => std::future::pending().await,
        }
    }
}

impl RecordHandler<Sqs> for Watched {
    const HAS_POISON_SINK: bool = true;

    async fn handle(&self, record: &SqsRecord<'_>, _cx: &Context) -> RecordOutcome {
        self.calls.lock().unwrap().push(format!("handle {}", record.message_id()));
        match record.body().unwrap_or_default() {
            "fail" => RecordOutcome::failure("scripted failure"),
            "later" => RecordOutcome::retry_later(),
            "poison" | "poison-refused" => RecordOutcome::poison("scripted poison"),
            "panic" => panic!("scripted panic"),
            _ => RecordOutcome::Success,
        }
    }

    async fn on_poison(&self, poison: &PoisonRecord<'_>, _cx: &Context) -> Result<(), String> {
        self.calls.lock().unwrap().push(format!("poison {}", poison.id));
        let refused = poison.raw_json.contains("poison-refused");
        if refused { Err("the sink is full".to_owned()) } else { Ok(()) }
    }

    async fn on_success(
        &self,
        record: &SqsRecord<'_>,
        status: &RecordStatus,
        _cx: &Context,
    ) -> Result<(), String> {
        self.hook(format!("success {} {status:?}", record.message_id())).await
    }

    async fn on_failure(
        &self,
        record: &SqsRecord<'_>,
        error: &RecordError,
        _cx: &Context,
    ) -> Result<(), String> {
        self.hook(format!("failure {} {:?}", record.message_id(), error.kind())).await
    }

    async fn on_batch_end(&self, report: &BatchReport<'_>, _cx: &Context) -> Result<(), String> {
        self.hook(format!("batch_end {:?}", report.counts())).await
    }
}

fn config() -> SqsConfig {
    SqsConfig::new().with_all_failed_policy(AllFailedPolicy::ReportAll)
}

/// Each record's status, and the failures of the response.
async fn outcome<H: RecordHandler<Sqs>>(
    handler: &H,
    batch: &BatchEvent,
    config: SqsConfig,
    cx: &Context,
) -> (Vec<RecordStatus>, Vec<String>) {
    let report = Sqs::process(handler, &config, batch, cx).await.unwrap();
    let statuses = report.records().iter().map(|r| r.status().clone()).collect();
    let response = report.response().failures().map(|id| id.as_str().to_owned()).collect();
    (statuses, response)
}

fn every_status() -> BatchEvent {
    event([
        message("m0", "ok"),
        message("m1", "fail"),
        message("m2", "later"),
        message("m3", "poison"),
        message("m4", "panic"),
        message("m5", "poison-refused"),
    ])
}

#[tokio::test]
async fn each_status_calls_the_hook_it_is_documented_to_after_the_poison_sink() {
    let handler = Watched::new(Hook::Fine);
    outcome(&handler, &every_status(), config(), &cx()).await;
    let counts = BatchCounts { succeeded: 1, failed: 3, retry_later: 1, poison: 1, ..BatchCounts::default() };
    assert_eq!(
        handler.calls(),
        [
            "handle m0".to_owned(),
            "success m0 Succeeded".to_owned(),
            "handle m1".to_owned(),
            "failure m1 Handler".to_owned(),
            // Retry later: no hook.
            "handle m2".to_owned(),
            // Poison the sink took: the sink, no hook.
            "handle m3".to_owned(),
            "poison m3".to_owned(),
            "handle m4".to_owned(),
            "failure m4 Panic".to_owned(),
            // Poison the sink refused: failed, after the sink.
            "handle m5".to_owned(),
            "poison m5".to_owned(),
            "failure m5 PoisonSink".to_owned(),
            format!("batch_end {counts:?}"),
        ]
    );
}

#[tokio::test]
async fn skipped_records_call_no_hook_and_are_in_the_batch_end_report() {
    let handler = Watched::new(Hook::Fine);
    let batch = event([fifo_message("f0", "g", "fail"), fifo_message("f1", "g", "ok")]);
    outcome(&handler, &batch, config(), &cx()).await;
    let counts = BatchCounts { failed: 1, skipped: 1, ..BatchCounts::default() };
    assert_eq!(
        handler.calls(),
        ["handle f0".to_owned(), "failure f0 Handler".to_owned(), format!("batch_end {counts:?}")]
    );
}

#[tokio::test]
async fn a_hook_that_errs_or_panics_leaves_the_response_unchanged_and_is_logged() {
    let expected = outcome(&Watched::new(Hook::Fine), &every_status(), config(), &cx()).await;
    for hook in [Hook::Errs, Hook::Panics] {
        let (logs, _guard) = capture_logs();
        let handler = Watched::new(hook);
        assert_eq!(outcome(&handler, &every_status(), config(), &cx()).await, expected, "{hook:?}");
        assert_eq!(handler.calls().len(), 13, "every hook still ran: {:?}", handler.calls());
        let logs = logs.text();
        let what = if hook == Hook::Errs {
            "returned an error: the hook's own error"
        } else {
            "panicked: the hook's own panic"
        };
        for (name, id) in [("on_success", "m0"), ("on_failure", "m1"), ("on_failure", "m5")] {
            let line = logs
                .lines()
                .find(|line| {
                    line.contains(&format!("hook=\"{name}\"")) && line.contains(&format!("id=\"{id}\""))
                })
                .unwrap_or_else(|| panic!("no warning for {name} of {id} ({hook:?}):\n{logs}"));
            assert!(line.contains("WARN") && line.contains(what), "{line}");
        }
        assert!(
            logs.lines().any(|line| line.contains("hook=\"on_batch_end\"") && line.contains(what)),
            "{logs}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_hanging_hook_is_dropped_at_the_record_timeout_and_changes_nothing() {
    let config = config().with_limits(Limits::new().with_record_timeout(Duration::from_millis(100)));
    let cx = lambda_batch_testkit::context_with_budget(Duration::from_secs(60));
    let expected = outcome(&Watched::new(Hook::Fine), &every_status(), config, &cx).await;
    let (logs, _guard) = capture_logs();
    let started = tokio::time::Instant::now();
    let handler = Watched::new(Hook::Hangs);
    assert_eq!(outcome(&handler, &every_status(), config, &cx).await, expected);
    // Four record hooks and the batch-end hook, 100 ms each.
    assert_eq!(started.elapsed(), Duration::from_millis(500));
    let logs = logs.text();
    assert!(
        logs.lines().any(|line| line.contains("hook=\"on_success\"")
            && line.contains("id=\"m0\"")
            && line.contains("did not finish within its bound of 100 ms")),
        "{logs}"
    );
}

#[tokio::test(start_paused = true)]
async fn without_a_record_timeout_hanging_hooks_end_by_the_deadline_and_change_nothing() {
    // Deadline in 2 s, margin 500 ms: the record's hook is dropped at the
    // cut-off (1500 ms), the batch-end hook at the abandon point (1750 ms).
    let cx = lambda_batch_testkit::context_with_budget(Duration::from_millis(2000));
    let started = tokio::time::Instant::now();
    let handler = Watched::new(Hook::Hangs);
    let batch = event([message("m0", "ok")]);
    let (statuses, failures) = outcome(&handler, &batch, config(), &cx).await;
    assert_eq!(statuses, [RecordStatus::Succeeded], "the hook's record is not abandoned");
    assert!(failures.is_empty());
    let elapsed = started.elapsed();
    // The deadline is read from the wall clock while time here is paused:
    // a busy machine may take a little off the front, never add to the end.
    assert!(elapsed >= Duration::from_millis(1600) && elapsed <= Duration::from_millis(1760), "{elapsed:?}");
}

#[tokio::test]
async fn a_replayed_record_calls_on_success_without_running_and_a_refused_claim_calls_on_failure() {
    let handler = Idempotent::new(Watched::new(Hook::Fine), Idempotency::new(MemoryStore::new()));
    let batch = event([message("m0", "ok"), message("m0", "ok")]);
    outcome(&handler, &batch, config(), &cx()).await;
    outcome(&handler, &event([message("m0", "ok")]), config(), &cx()).await;
    let calls = handler.handler().calls();
    let first = BatchCounts { succeeded: 1, failed: 1, ..BatchCounts::default() };
    let second = BatchCounts { replayed: 1, ..BatchCounts::default() };
    assert_eq!(
        calls,
        [
            "handle m0".to_owned(),
            "success m0 Succeeded".to_owned(),
            // The second copy in the batch: its claim is refused, nothing runs.
            "failure m0 Idempotency".to_owned(),
            format!("batch_end {first:?}"),
            // Redelivered: replayed, not run.
            "success m0 Replayed".to_owned(),
            format!("batch_end {second:?}"),
        ]
    );
}

/// The state the macro's hooks note their calls in.
#[derive(Default)]
struct Notes(Mutex<Vec<String>>);

#[batch_handler(sqs, on_success = noted_success, on_failure = noted_failure, on_batch_end = noted_end, all_failed = "report_all")]
async fn noted(#[state] _notes: &Notes, body: &str) -> Result<(), String> {
    if body == "fail" { Err("scripted failure".to_owned()) } else { Ok(()) }
}

async fn noted_success(
    notes: &Notes,
    record: &SqsRecord<'_>,
    status: &RecordStatus,
    _cx: &Context,
) -> Result<(), String> {
    notes.0.lock().unwrap().push(format!("success {} {status:?}", record.message_id()));
    Ok(())
}

async fn noted_failure(
    notes: &Notes,
    record: &SqsRecord<'_>,
    error: &RecordError,
    _cx: &Context,
) -> Result<(), std::io::Error> {
    notes.0.lock().unwrap().push(format!("failure {} {}", record.message_id(), error.message()));
    Err(std::io::Error::other("a hook error of another type"))
}

async fn noted_end(notes: &Notes, report: &BatchReport<'_>, _cx: &Context) -> Result<(), String> {
    notes.0.lock().unwrap().push(format!("batch_end {}", report.records().len()));
    Ok(())
}

#[tokio::test]
async fn the_macro_options_call_the_hooks_with_the_state() {
    let notes = Notes::default();
    let batch = event([message("m0", "ok"), message("m1", "fail")]);
    let response = noted(&notes, LambdaEvent::new(batch, cx())).await.unwrap();
    assert_eq!(
        response.failures().map(|id| id.as_str()).collect::<Vec<_>>(),
        ["m1"],
        "the failing hook changed nothing"
    );
    assert_eq!(
        notes.0.into_inner().unwrap(),
        ["success m0 Succeeded", "failure m1 scripted failure", "batch_end 2"]
    );
}
