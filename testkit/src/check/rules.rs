//! What a handler promises: its source's policy, and what the checks may
//! assume about its payloads.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use lambda_batch::AllFailedPolicy;
use lambda_batch::sqs::{FifoPolicy, QueueKind, SqsConfig, StandardPolicy};
use lambda_batch::stream::{StreamConfig, StreamPolicy};

use super::report::Invariant;
use super::view::RecordView;

/// The policy part of [`Rules`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Policy {
    Sqs(SqsConfig),
    Stream(StreamConfig),
}

/// Which later SQS records a failure holds back: reported for retry
/// without being run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeldBack {
    /// None: every record runs (a standard queue's default).
    Nothing,
    /// Every later record (FIFO stop-at-first, or a standard queue's
    /// `StandardPolicy::StopAtFirstFailure`).
    Everything,
    /// The later records of the failed message's group (FIFO skip-group).
    SameGroup,
}

/// What the handler promises, for [`check`](super::check).
///
/// A `#[batch_handler]` passes its `CONFIG` (`check(&run, handler::CONFIG)`).
/// A hand-written handler says which rule it follows:
///
/// | handler | rules |
/// |---|---|
/// | SQS standard: report every failed message | [`Rules::sqs`] |
/// | SQS standard: stop at the first failure, report it and every later message | `Rules::from(SqsConfig::new().with_standard_policy(StandardPolicy::StopAtFirstFailure))` |
/// | SQS FIFO: stop at the first failure, report it and every later message | [`Rules::sqs_fifo`] |
/// | SQS FIFO: skip only the failed message's group | [`Rules::sqs_fifo_per_group`] |
/// | Kinesis, DynamoDB Streams, Kafka: stop at the first failure (per partition for Kafka) and report it | [`Rules::stream_checkpoint`] |
/// | Kinesis, DynamoDB Streams, Kafka: go on after a failure, report the failures | [`Rules::stream_continue`] |
///
/// Settings refine them:
/// - [`Rules::failing_when`] says which records your handler fails on its
///   own (needed to check a hand-written handler whose per-record work is
///   not wrapped in `lambda_batch::observe`);
/// - [`Rules::guarding_deadline`] says such a handler stops starting
///   records near the deadline and reports the ones it did not start;
/// - [`Rules::accepting_any_payload`] says your handler does not decode
///   payloads (then a corrupted payload may be handled); a handler that
///   decodes them may fail a corrupted payload or, when its calls are
///   observed, drop it as poison, without this;
/// - [`Rules::accepting_unchecked`] accepts that an invariant cannot be
///   checked (otherwise [`check`](super::check) fails: no silent pass).
#[derive(Clone)]
pub struct Rules {
    pub(crate) policy: Policy,
    pub(crate) decodes_payloads: bool,
    pub(crate) failing_when: Option<Predicate>,
    pub(crate) deadline_margin: Option<Duration>,
    pub(crate) unchecked: Vec<(Invariant, String)>,
}

/// Which clean records a handler fails (see [`Rules::failing_when`]).
pub(crate) type Predicate = Arc<dyn Fn(&RecordView<'_>) -> bool + Send + Sync>;

impl fmt::Debug for Rules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rules")
            .field("policy", &self.policy)
            .field("decodes_payloads", &self.decodes_payloads)
            .field("failing_when", &self.failing_when.as_ref().map(|_| "(predicate)"))
            .field("deadline_margin", &self.deadline_margin)
            .field("unchecked", &self.unchecked)
            .finish()
    }
}

impl Rules {
    fn of(policy: Policy) -> Self {
        Rules {
            policy,
            decodes_payloads: true,
            failing_when: None,
            deadline_margin: None,
            unchecked: Vec::new(),
        }
    }

    /// An SQS standard-queue handler that reports every message it did not
    /// handle.
    pub fn sqs() -> Self {
        Self::of(Policy::Sqs(SqsConfig::new()))
    }

    /// An SQS FIFO handler that stops at the first failure and reports the
    /// failed message and every later one.
    pub fn sqs_fifo() -> Self {
        Self::of(Policy::Sqs(SqsConfig::new().with_queue_kind(QueueKind::Fifo)))
    }

    /// An SQS FIFO handler that, after a failure, skips the rest of the
    /// failed message's group only, and reports the failed message and
    /// every later one of its group.
    pub fn sqs_fifo_per_group() -> Self {
        Self::of(Policy::Sqs(
            SqsConfig::new().with_queue_kind(QueueKind::Fifo).with_fifo_policy(FifoPolicy::SkipFailedGroup),
        ))
    }

    /// A Kinesis, DynamoDB Streams or Kafka handler that stops at the first
    /// failure (Kafka: of each partition) and reports it: Lambda retries
    /// from there.
    pub fn stream_checkpoint() -> Self {
        Self::of(Policy::Stream(StreamConfig::new()))
    }

    /// A Kinesis, DynamoDB Streams or Kafka handler that goes on after a
    /// failure and reports the failures (Lambda retries from the lowest).
    pub fn stream_continue() -> Self {
        Self::of(Policy::Stream(StreamConfig::new().with_stream_policy(StreamPolicy::Continue)))
    }

    /// Says which records your handler fails on its own, from each record's
    /// [`RecordView`]: its payload decoded for every source (SQS body,
    /// Kinesis data, DynamoDB new image, Kafka value), e.g.
    /// `|record| record.json::<Order>().is_some_and(|order| order.quantity == 0)`,
    /// and the record as the event has it (`record.record()`, or
    /// `record["body"]`). With it, exactly which records must be reported
    /// is known without observing the handler's calls. When the calls are
    /// observed (a `#[batch_handler]`, or work wrapped in
    /// `lambda_batch::observe`), the predicate is checked against them: a
    /// record it says fails that the handler handled breaks the check, so
    /// it tests your handler's own rule as well. (Records whose payload the
    /// fault plan corrupted are expected to fail anyway.)
    pub fn failing_when(
        mut self,
        predicate: impl Fn(&RecordView<'_>) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.failing_when = Some(Arc::new(predicate));
        self
    }

    /// Your handler, judged by [`Rules::failing_when`], has a deadline
    /// guard: from `margin` before the deadline it starts no record and
    /// reports the ones it did not start (it does not abandon a record
    /// already running). When the response comes within `margin` of the
    /// deadline, the records reported from the point where the handler
    /// stopped to the end of the batch are taken as not started, not as
    /// over-reporting. The first record is always started (the guard
    /// cannot stop before anything ran), so a guard that also reports
    /// records it handled is still caught there. A handler whose work is
    /// observed needs none of this: its calls show what it started.
    pub fn guarding_deadline(mut self, margin: Duration) -> Self {
        self.deadline_margin = Some(margin);
        self
    }

    /// Accepts that `invariant` cannot be checked for this handler, for
    /// `reason` (e.g. `Invariant::CallsKeepOrder`, "a legacy handler we
    /// cannot change yet"). Without it, an invariant that applies but
    /// cannot be checked (a hand-written handler whose per-record work is
    /// not observed) fails [`check`](super::check). The opt-out is named in
    /// the [`CheckReport`](super::CheckReport); an invariant that can be
    /// checked is checked anyway.
    pub fn accepting_unchecked(mut self, invariant: Invariant, reason: impl Into<String>) -> Self {
        self.unchecked.push((invariant, reason.into()));
        self
    }

    /// The reason given for leaving `invariant` unchecked, if any.
    pub(crate) fn unchecked_reason(&self, invariant: Invariant) -> Option<&str> {
        self.unchecked.iter().find(|(opted, _)| *opted == invariant).map(|(_, reason)| reason.as_str())
    }

    /// Your handler does not decode payloads (it takes the body as text or
    /// bytes): a record whose payload the fault plan corrupted may then be
    /// handled, and is judged by what the handler did.
    pub fn accepting_any_payload(mut self) -> Self {
        self.decodes_payloads = false;
        self
    }

    pub(crate) fn all_failed_policy(&self) -> AllFailedPolicy {
        match self.policy {
            Policy::Sqs(config) => config.all_failed_policy(),
            Policy::Stream(config) => config.all_failed_policy(),
        }
    }

    /// The FIFO policy, if the rules or the batch are FIFO.
    pub(crate) fn fifo(&self, batch_is_fifo: bool) -> Option<FifoPolicy> {
        match self.policy {
            Policy::Sqs(config) if batch_is_fifo || config.queue_kind() == QueueKind::Fifo => {
                Some(config.fifo_policy())
            }
            _ => None,
        }
    }

    /// Which later SQS records a failure holds back (nothing for streams,
    /// whose reported records follow from the checkpoint).
    pub(crate) fn held_back(&self, batch_is_fifo: bool) -> HeldBack {
        match (self.policy, self.fifo(batch_is_fifo)) {
            (_, Some(FifoPolicy::SkipFailedGroup)) => HeldBack::SameGroup,
            (_, Some(_)) => HeldBack::Everything,
            (Policy::Sqs(config), None) if config.standard_policy() == StandardPolicy::StopAtFirstFailure => {
                HeldBack::Everything
            }
            _ => HeldBack::Nothing,
        }
    }

    /// Whether records of one ordering key run in order (FIFO, streams).
    pub(crate) fn ordered(&self, batch_is_fifo: bool) -> bool {
        matches!(self.policy, Policy::Stream(_)) || self.fifo(batch_is_fifo).is_some()
    }

    /// Whether a failure stops the later records of its key (FIFO, stream
    /// checkpoint).
    pub(crate) fn stops_after_failure(&self, batch_is_fifo: bool) -> bool {
        match self.policy {
            Policy::Stream(config) => config.stream_policy() == StreamPolicy::Checkpoint,
            Policy::Sqs(_) => self.fifo(batch_is_fifo).is_some(),
        }
    }

    /// Whether the rules are a stream checkpoint.
    pub(crate) fn checkpoint(&self) -> bool {
        matches!(self.policy, Policy::Stream(config) if config.stream_policy() == StreamPolicy::Checkpoint)
    }
}

impl From<SqsConfig> for Rules {
    fn from(config: SqsConfig) -> Self {
        Self::of(Policy::Sqs(config))
    }
}

impl From<StreamConfig> for Rules {
    fn from(config: StreamConfig) -> Self {
        Self::of(Policy::Stream(config))
    }
}
