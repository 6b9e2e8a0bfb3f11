//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

use std::cell::RefCell;
use std::marker::PhantomData;
use std::sync::{Mutex, Once};

pub mod events;

use lambda_batch::BatchPipeline;
use lambda_batch::sqs::Sqs;
use tracing_subscriber::filter::dynamic_filter_fn;
use tracing_subscriber::layer::{Layer, SubscriberExt};

use lambda_batch::sqs::{self, SqsConfig, SqsRecord};
use lambda_batch::{
    BatchError, BatchEvent, BatchReport, BatchResponse, Context, RecordHandler, RecordOutcome, RecordStatus,
};

/// A handler whose behaviour is written in each body: `ok`, `fail`, `panic`.
/// It remembers which records it was called for, in order.
#[derive(Default)]
pub struct Scripted {
    pub calls: Mutex<Vec<String>>,
}

impl Scripted {
    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
}

impl RecordHandler<sqs::Sqs> for Scripted {
    async fn handle(&self, record: &SqsRecord<'_>, _cx: &Context) -> RecordOutcome {
        let id = record.message_id();
        self.calls.lock().unwrap().push(id.to_owned());
        match record.body().unwrap_or("ok") {
            "panic" => panic!("scripted panic in {id}"),
            "fail" => RecordOutcome::failure(format!("scripted failure in {id}")),
            _ => RecordOutcome::Success,
        }
    }
}

pub fn cx() -> Context {
    lambda_batch_testkit::context()
}

/// Runs `event` through [`Scripted`] and returns the report and the calls.
pub async fn run(
    event: &BatchEvent,
    config: SqsConfig,
) -> (Result<BatchReport<'_>, BatchError>, Vec<String>) {
    let handler = Scripted::default();
    let report = Sqs::process(&handler, &config, event, &cx()).await;
    (report, handler.calls())
}

/// The ids of a handler's response, or the error type name.
pub fn outcome_ids(result: Result<BatchResponse, BatchError>) -> Result<Vec<String>, &'static str> {
    result
        .map(|response| response.failures().map(|id| id.as_str().to_owned()).collect())
        .map_err(|error| error.error_type())
}

/// The ids in the response, or the error type name.
pub fn response_ids(report: BatchReport<'_>) -> Result<Vec<String>, &'static str> {
    outcome_ids(report.into_response())
}

pub fn statuses(report: &BatchReport<'_>) -> Vec<&'static str> {
    report
        .records()
        .iter()
        .map(|r| match r.status() {
            RecordStatus::Succeeded => "ok",
            RecordStatus::Failed(_) => "failed",
            RecordStatus::Skipped { .. } => "skipped",
            _ => "other",
        })
        .collect()
}

pub fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// Log lines written on one thread while its [`CaptureGuard`] lives.
#[derive(Clone, Default)]
pub struct Captured(std::sync::Arc<Mutex<Vec<u8>>>);

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

thread_local! {
    /// Where this thread's log lines go, if a test captures them.
    static CAPTURE: RefCell<Option<Captured>> = const { RefCell::new(None) };
}

/// Stops capturing on this thread when dropped (restores the capture
/// before it, if any). Not `Send`: it belongs to the thread it captures.
pub struct CaptureGuard {
    previous: Option<Captured>,
    _this_thread: PhantomData<*const ()>,
}

impl Drop for CaptureGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CAPTURE.with_borrow_mut(|capture| *capture = previous);
    }
}

/// Appends to the capture of the thread that writes, if any.
struct ThisThreadsCapture;

impl std::io::Write for ThisThreadsCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURE.with_borrow(|capture| {
            if let Some(Captured(lines)) = capture {
                lines.lock().unwrap().extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Captures `tracing` output at DEBUG and above on this thread (a task on
/// another thread is not captured), and only this thread's: tests of every
/// module run on parallel threads of this one process.
///
/// One process-wide subscriber, installed on first use, writes each event
/// to the capture of the thread that emits it and ignores threads that
/// capture nothing. A per-thread subscriber (`set_default`) per test would
/// be simpler, but `tracing` caches at each call site whether anyone is
/// interested, and with several short-lived per-thread subscribers on
/// parallel threads a call site first reached on a thread without one can
/// be cached as "never" while a capturing thread's subscriber lives: that
/// test would then miss its events.
pub fn capture_logs() -> (Captured, CaptureGuard) {
    install_subscriber();
    let logs = Captured::default();
    let previous = CAPTURE.with_borrow_mut(|capture| capture.replace(logs.clone()));
    (logs, CaptureGuard { previous, _this_thread: PhantomData })
}

/// Installs the process-wide subscriber once: the text capture above and
/// the structured ones of [`events`].
fn install_subscriber() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // Asked at every event and span (a dynamic filter: a call site's
        // answer differs by thread, so it must not be cached).
        let capturing = dynamic_filter_fn(|metadata, _| {
            *metadata.level() <= tracing::Level::DEBUG && CAPTURE.with_borrow(Option::is_some)
        })
        .with_max_level_hint(tracing::Level::DEBUG);
        let layer = tracing_subscriber::fmt::layer()
            .with_writer(|| ThisThreadsCapture)
            .with_ansi(false)
            .with_filter(capturing);
        let subscriber = tracing_subscriber::registry().with(layer).with(events::layers());
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global subscriber in the test binary");
    });
}

/// An error with a cause (`source()`): "the stock service is unreachable",
/// caused by the I/O error it holds.
#[derive(Debug)]
pub struct Unreachable(pub std::io::Error);

impl std::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the stock service is unreachable")
    }
}

impl std::error::Error for Unreachable {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}
