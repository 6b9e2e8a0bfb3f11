//! The metrics line itself: [`Metrics::line`], a pure function of the
//! settings, the report and the batch's times.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use super::Metrics;
use crate::outcome::RecordErrorKind;
use crate::report::{BatchReport, RecordStatus};
use crate::source::BatchRecord;

/// Every metric of the line, in the order the directive lists them.
pub(super) const METRIC_NAMES: [&str; 11] = [
    "RecordsSucceeded",
    "RecordsFailed",
    "RecordsTimedOut",
    "RecordsSkipped",
    "RecordsPoisoned",
    "RecordsRetryLater",
    "RecordsOutOfTime",
    "RecordsReplayed",
    "BatchSize",
    "HandlerDuration",
    "OldestRecordAge",
];

/// The times of one batch that its metrics line holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchTimes {
    /// When the line is written, in milliseconds since the Unix epoch (the
    /// line's `Timestamp`).
    pub timestamp_ms: u64,
    /// How long the batch took, from reading the event to the report.
    pub duration: Duration,
    /// How long ago the oldest record of the batch arrived in its source,
    /// if any record tells.
    pub oldest_record_age: Option<Duration>,
}

impl BatchTimes {
    /// The times of a batch that took `duration`, whose oldest record
    /// arrived at `oldest_arrival` (epoch seconds), as of now.
    pub(crate) fn now(duration: Duration, oldest_arrival: Option<f64>) -> Self {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        let oldest_record_age = oldest_arrival
            .filter(|arrival| arrival.is_finite())
            .map(|arrival| Duration::try_from_secs_f64(now.as_secs_f64() - arrival).unwrap_or_default());
        BatchTimes {
            timestamp_ms: u64::try_from(now.as_millis()).unwrap_or(u64::MAX),
            duration,
            oldest_record_age,
        }
    }
}

/// The earliest arrival time among `records`, in epoch seconds.
pub(crate) fn oldest_arrival<R: BatchRecord>(records: &[R]) -> Option<f64> {
    // Kafka writes -1 for a record without a timestamp: not an arrival.
    records
        .iter()
        .filter_map(BatchRecord::arrival_time)
        .filter(|t| t.is_finite() && *t > 0.0)
        .reduce(f64::min)
}

impl Metrics {
    /// The EMF line (one JSON object, no newline) for `report`, with the
    /// batch's `times`. Nothing else goes into it: the same inputs give
    /// the same line.
    ///
    /// ```
    /// use std::time::Duration;
    /// use lambda_batch::metrics::{BatchTimes, Metrics};
    /// use lambda_batch::{handler_fn, sqs::{Sqs, SqsConfig, SqsRecord}, BatchEvent, BatchPipeline, Context};
    ///
    /// # async fn run(event: BatchEvent) -> Result<(), Box<dyn std::error::Error>> {
    /// let handler = handler_fn(|_: &SqsRecord<'_>, _: &Context| Ok::<(), String>(()));
    /// let report = Sqs::process(&handler, &SqsConfig::new(), &event, &Context::default()).await?;
    /// let metrics = Metrics::new("Orders")?.with_service("orders")?;
    /// let times = BatchTimes { timestamp_ms: 1_700_000_000_000, duration: Duration::from_millis(12), oldest_record_age: None };
    /// let line: serde_json::Value = serde_json::from_str(&metrics.line(&report, &times))?;
    /// assert_eq!(line["Service"], "orders");
    /// # Ok(()) }
    /// ```
    pub fn line(&self, report: &BatchReport<'_>, times: &BatchTimes) -> String {
        let counts = report.counts();
        let timed_out = report
            .records()
            .iter()
            .filter(|r| matches!(r.status(), RecordStatus::Failed(e) if e.kind() == RecordErrorKind::Timeout))
            .count();
        let counted = [
            counts.succeeded,
            counts.failed,
            timed_out,
            counts.skipped,
            counts.poison,
            counts.retry_later,
            counts.out_of_time,
            counts.replayed,
            report.records().len(),
        ];
        let mut root = Map::new();
        let mut directive_metrics = Vec::with_capacity(METRIC_NAMES.len());
        let mut add = |name: &str, unit: &str, value: Value| {
            root.insert(name.to_owned(), value);
            directive_metrics.push(json!({ "Name": name, "Unit": unit }));
        };
        for (name, count) in METRIC_NAMES.iter().zip(counted) {
            add(name, "Count", json!(count));
        }
        add("HandlerDuration", "Milliseconds", json!(millis(times.duration)));
        if let Some(age) = times.oldest_record_age {
            add("OldestRecordAge", "Milliseconds", json!(millis(age)));
        }
        let mut dimension_names = Vec::with_capacity(self.dimensions.len() + 2);
        let dimensions = self
            .service
            .iter()
            .map(|service| ("Service", service.as_str()))
            .chain([("EventSource", report.source().name())])
            .chain(self.dimensions());
        for (name, value) in dimensions {
            root.insert(name.to_owned(), json!(value));
            dimension_names.push(name.to_owned());
        }
        root.insert(
            "_aws".to_owned(),
            json!({
                "Timestamp": times.timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": self.namespace,
                    "Dimensions": [dimension_names],
                    "Metrics": directive_metrics,
                }],
            }),
        );
        Value::Object(root).to_string()
    }

    /// Builds and writes the line of one batch.
    pub(crate) fn publish(&self, report: &BatchReport<'_>, times: &BatchTimes) {
        self.write(&self.line(report, times));
    }
}

/// `duration` in milliseconds, to the microsecond.
fn millis(duration: Duration) -> f64 {
    duration.as_micros() as f64 / 1000.0
}
