//! Policies shared by every event source.

/// What to return when every record of a batch failed.
///
/// Records skipped because of an earlier failure (FIFO, stream checkpoint)
/// are not counted as failed for this rule: a FIFO batch whose first record
/// fails returns the partial response, not an error.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum AllFailedPolicy {
    /// Fail the invocation with [`BatchError::AllRecordsFailed`](crate::BatchError::AllRecordsFailed),
    /// so that Lambda backs off polling and the `Errors` metric shows the
    /// outage (the default, as in Powertools).
    #[default]
    Error,
    /// Return every record as a failure and let the invocation succeed:
    /// no back-off, and `Errors` stays flat.
    ReportAll,
}

/// How many records run at once, and the time limits of an invocation.
///
/// ```
/// use std::time::Duration;
/// use lambda_batch::Limits;
/// const LIMITS: Limits = Limits::new().with_concurrency(16).with_record_timeout(Duration::from_secs(5));
/// assert_eq!(LIMITS.concurrency(), 16);
/// assert_eq!(LIMITS.deadline_margin(), Duration::from_millis(500));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    concurrency: usize,
    /// Records in flight per core; 0 when `concurrency` is a fixed number.
    per_core: usize,
    deadline_margin: std::time::Duration,
    record_timeout: Option<std::time::Duration>,
}

impl Default for Limits {
    fn default() -> Self {
        Self::new()
    }
}

impl Limits {
    /// The default deadline margin: 500 ms before the invocation deadline no
    /// new record starts; 250 ms before it, records still running are
    /// abandoned and reported failed, leaving time to send the response.
    pub const DEFAULT_DEADLINE_MARGIN: std::time::Duration = std::time::Duration::from_millis(500);

    /// One record at a time, the default margin, no per-record timeout.
    pub const fn new() -> Self {
        Limits {
            concurrency: 1,
            per_core: 0,
            deadline_margin: Self::DEFAULT_DEADLINE_MARGIN,
            record_timeout: None,
        }
    }

    /// Up to `n` records in flight (0 counts as 1). Records that must keep
    /// their order (a FIFO message group, a stream partition or item key)
    /// still run one after the other.
    pub const fn with_concurrency(mut self, n: usize) -> Self {
        self.concurrency = if n == 0 { 1 } else { n };
        self.per_core = 0;
        self
    }

    /// Up to `n` records in flight per core this process may use (0 counts
    /// as 1), for CPU-bound records run with
    /// [`Parallel`](crate::parallel::Parallel): `n = 2` keeps every core
    /// busy while the engine hands out the next record. The count is read
    /// when the batch runs ([`cores`](crate::parallel::cores)); the order
    /// rules are those of [`with_concurrency`](Self::with_concurrency).
    pub const fn with_concurrency_per_core(mut self, n: usize) -> Self {
        self.per_core = if n == 0 { 1 } else { n };
        self
    }

    /// How long before the invocation deadline to stop starting records.
    pub const fn with_deadline_margin(mut self, margin: std::time::Duration) -> Self {
        self.deadline_margin = margin;
        self
    }

    /// Fails a record whose handling takes longer than `timeout`.
    pub const fn with_record_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.record_timeout = Some(timeout);
        self
    }

    /// The concurrency limit (at least 1): the fixed number, or the number
    /// per core times the cores.
    pub fn concurrency(&self) -> usize {
        if self.per_core > 0 {
            self.per_core.saturating_mul(crate::parallel::cores())
        } else {
            self.concurrency
        }
    }

    /// Records in flight per core, when set by
    /// [`with_concurrency_per_core`](Self::with_concurrency_per_core).
    pub const fn concurrency_per_core(&self) -> Option<usize> {
        if self.per_core > 0 { Some(self.per_core) } else { None }
    }

    /// The deadline margin.
    pub const fn deadline_margin(&self) -> std::time::Duration {
        self.deadline_margin
    }

    /// The per-record timeout, if any.
    pub const fn record_timeout(&self) -> Option<std::time::Duration> {
        self.record_timeout
    }
}
