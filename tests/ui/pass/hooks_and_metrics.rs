use std::sync::LazyLock;

use lambda_batch::kafka::KafkaRecord;
use lambda_batch::metrics::Metrics;
use lambda_batch::sqs::SqsRecord;
use lambda_batch::{BatchReport, Context, RecordError, RecordStatus, batch_handler};

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    Metrics::new("Orders").and_then(|m| m.with_service("orders")).expect("valid metrics settings")
});

fn metrics() -> &'static Metrics {
    &METRICS
}

async fn record_done(_record: &SqsRecord<'_>, _status: &RecordStatus, _cx: &Context) -> Result<(), String> {
    Ok(())
}

async fn record_failed(
    _record: &SqsRecord<'_>,
    _error: &RecordError,
    _cx: &Context,
) -> Result<(), std::io::Error> {
    Ok(())
}

async fn batch_done(_report: &BatchReport<'_>, _cx: &Context) -> Result<(), String> {
    Ok(())
}

/// A stateless handler with every hook and metrics.
#[batch_handler(
    sqs,
    on_success = record_done,
    on_failure = record_failed,
    on_batch_end = batch_done,
    metrics = metrics
)]
pub async fn orders(body: &str) {
    let _ = body;
}

/// The state: the hooks and the metrics function take it first.
pub struct App {
    pub metrics: Metrics,
}

fn app_metrics(app: &App) -> &Metrics {
    &app.metrics
}

async fn click_failed(app: &App, record: &KafkaRecord<'_>, error: &RecordError, _cx: &Context) -> Result<(), String> {
    let _ = (app.metrics.namespace(), record.topic(), error.kind());
    Ok(())
}

async fn clicks_done(app: &App, report: &BatchReport<'_>, _cx: &Context) -> Result<(), String> {
    let _ = (app.metrics.namespace(), report.counts());
    Ok(())
}

#[batch_handler(kafka, on_failure = click_failed, on_batch_end = clicks_done, metrics = app_metrics)]
pub async fn clicks(#[state] app: &App, value: &str) {
    let _ = (app.metrics.namespace(), value);
}

fn main() {
    let _ = lambda_runtime::service_fn(orders);
    let app = App { metrics: Metrics::new("Clicks").expect("valid namespace") };
    let _ = lambda_runtime::service_fn(|event| clicks(&app, event));
}
