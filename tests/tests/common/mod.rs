//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

use lambda_batch::BatchPipeline;
use lambda_batch::sqs::Sqs;
use std::sync::Mutex;

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

/// Log lines written while the guard lives (this thread only).
#[derive(Clone, Default)]
pub struct Captured(std::sync::Arc<Mutex<Vec<u8>>>);

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Captures `tracing` output at DEBUG and above on this thread.
pub fn capture_logs() -> (Captured, tracing::subscriber::DefaultGuard) {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::DEBUG)
        .finish();
    (logs, tracing::subscriber::set_default(subscriber))
}
