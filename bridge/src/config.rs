//! What the bridge is told: the queue and the event source mapping's
//! settings, checked against the limits SQS and Lambda set.

use std::time::Duration;

/// The longest long poll SQS allows (`WaitTimeSeconds`).
const MAX_WAIT_TIME: Duration = Duration::from_secs(20);
/// Lambda's longest batching window (`MaximumBatchingWindowInSeconds`).
const MAX_BATCHING_WINDOW: Duration = Duration::from_secs(300);
/// SQS's longest visibility timeout (12 hours).
const MAX_VISIBILITY_TIMEOUT: Duration = Duration::from_secs(12 * 60 * 60);
/// Lambda's longest function timeout (15 minutes).
const MAX_FUNCTION_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// What to do with a FIFO response that reports a failed message but not a
/// later message of the same group.
///
/// Lambda deletes every message a response does not list, so such a
/// response lets the later message overtake the failed one. The
/// `#[batch_handler(sqs_fifo)]` handlers never answer this way; a
/// hand-written one can.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FifoOrder {
    /// Keep the group's order: the later messages of a group that has a
    /// reported failure are not deleted either (they come back after the
    /// visibility timeout, behind the failed one), and a warning says what
    /// Lambda would have done.
    #[default]
    KeepGroupOrder,
    /// Do exactly what Lambda does: delete every message not listed, even if
    /// that breaks the group's order (with the same warning). Use it to see
    /// the consequence of such a response.
    LikeLambda,
}

/// Exponential backoff after a function error or an invalid response:
/// `initial`, doubling after each further failure, never above `max`; reset
/// by the next invocation that succeeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The pause after the first failure.
    pub initial: Duration,
    /// The longest pause.
    pub max: Duration,
}

impl Default for Backoff {
    /// 1 s, doubling up to 30 s.
    fn default() -> Self {
        Backoff { initial: Duration::from_secs(1), max: Duration::from_secs(30) }
    }
}

/// The settings of the local event source mapping.
///
/// ```
/// use std::time::Duration;
/// use lambda_batch_bridge::BridgeConfig;
/// let config = BridgeConfig::new("http://127.0.0.1:4566/000000000000/orders")
///     .batch_size(5)
///     .wait_time(Duration::from_secs(1))
///     .function_timeout(Duration::from_secs(10));
/// assert!(config.validate().is_ok());
/// assert!(config.batch_size(11).validate().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeConfig {
    pub(crate) queue_url: String,
    pub(crate) batch_size: u32,
    pub(crate) wait_time: Duration,
    pub(crate) max_batching_window: Duration,
    pub(crate) visibility_timeout: Option<Duration>,
    pub(crate) function_timeout: Duration,
    pub(crate) function_name: String,
    pub(crate) backoff: Backoff,
    pub(crate) fifo_order: FifoOrder,
}

impl BridgeConfig {
    /// Settings for the queue at `queue_url` (as `CreateQueue` or
    /// `GetQueueUrl` return it), with these defaults: batch size 10, long
    /// polls of 20 s, no batching window, the queue's own visibility
    /// timeout, a function timeout of 3 s (Lambda's default), function name
    /// `local-function`, [`Backoff::default`], [`FifoOrder::KeepGroupOrder`].
    pub fn new(queue_url: impl Into<String>) -> Self {
        BridgeConfig {
            queue_url: queue_url.into(),
            batch_size: 10,
            wait_time: MAX_WAIT_TIME,
            max_batching_window: Duration::ZERO,
            visibility_timeout: None,
            function_timeout: Duration::from_secs(3),
            function_name: "local-function".to_owned(),
            backoff: Backoff::default(),
            fifo_order: FifoOrder::default(),
        }
    }

    /// The most messages per invocation: 1 to 10 (one `ReceiveMessage`
    /// returns at most 10).
    #[must_use]
    pub fn batch_size(mut self, batch_size: u32) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// How long one `ReceiveMessage` waits for messages (long polling):
    /// 0 to 20 s, whole seconds (SQS's unit; fractions are dropped).
    #[must_use]
    pub fn wait_time(mut self, wait_time: Duration) -> Self {
        self.wait_time = wait_time;
        self
    }

    /// Lambda's `MaximumBatchingWindowInSeconds`: keep receiving until the
    /// batch is full or this much time has passed since the poll began.
    /// 0 to 300 s; FIFO queues take none.
    #[must_use]
    pub fn max_batching_window(mut self, window: Duration) -> Self {
        self.max_batching_window = window;
        self
    }

    /// Hide received messages for this long instead of the queue's own
    /// visibility timeout (Lambda always uses the queue's). 0 s to 12 hours,
    /// whole seconds.
    #[must_use]
    pub fn visibility_timeout(mut self, timeout: Duration) -> Self {
        self.visibility_timeout = Some(timeout);
        self
    }

    /// The function timeout: the `Context` deadline is this far from the
    /// start of each invocation, and an invocation still running then is a
    /// function error. 1 s to 15 minutes, and no longer than the visibility
    /// timeout (Lambda refuses such a mapping).
    #[must_use]
    pub fn function_timeout(mut self, timeout: Duration) -> Self {
        self.function_timeout = timeout;
        self
    }

    /// The function name in the `Context` (its ARN and configuration).
    #[must_use]
    pub fn function_name(mut self, name: impl Into<String>) -> Self {
        self.function_name = name.into();
        self
    }

    /// The pause after function errors and invalid responses.
    #[must_use]
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// What to do with a FIFO response that would break a group's order.
    #[must_use]
    pub fn fifo_order(mut self, fifo_order: FifoOrder) -> Self {
        self.fifo_order = fifo_order;
        self
    }

    /// The queue URL.
    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }

    /// Checks every setting that does not need the queue; [`Bridge::new`](crate::Bridge::new)
    /// checks the rest (FIFO, the queue's visibility timeout) once it has
    /// read the queue's attributes.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !is_http_url(&self.queue_url) {
            return Err(ConfigError::QueueUrl(self.queue_url.clone()));
        }
        if !(1..=10).contains(&self.batch_size) {
            return Err(ConfigError::BatchSize(self.batch_size));
        }
        if self.wait_time > MAX_WAIT_TIME {
            return Err(ConfigError::WaitTime(self.wait_time));
        }
        if self.max_batching_window > MAX_BATCHING_WINDOW {
            return Err(ConfigError::BatchingWindow(self.max_batching_window));
        }
        if let Some(visibility) = self.visibility_timeout
            && visibility > MAX_VISIBILITY_TIMEOUT
        {
            return Err(ConfigError::VisibilityTimeout(visibility));
        }
        if self.function_timeout < Duration::from_secs(1) || self.function_timeout > MAX_FUNCTION_TIMEOUT {
            return Err(ConfigError::FunctionTimeout(self.function_timeout));
        }
        if self.function_name.is_empty() {
            return Err(ConfigError::FunctionName);
        }
        if self.backoff.initial.is_zero() || self.backoff.initial > self.backoff.max {
            return Err(ConfigError::Backoff(self.backoff));
        }
        Ok(())
    }

    /// Checks the settings that depend on the queue: Lambda takes no
    /// batching window for a FIFO queue, and no function timeout longer
    /// than the visibility timeout; and a message received at the start of
    /// the batching window must stay hidden until the function is done.
    pub(crate) fn validate_for_queue(
        &self,
        fifo: bool,
        queue_visibility: Duration,
    ) -> Result<(), ConfigError> {
        if fifo && !self.max_batching_window.is_zero() {
            return Err(ConfigError::BatchingWindowOnFifo(self.max_batching_window));
        }
        let visibility = self.visibility_timeout.unwrap_or(queue_visibility);
        if self.function_timeout > visibility {
            return Err(ConfigError::TimeoutOverVisibility { function: self.function_timeout, visibility });
        }
        if !self.max_batching_window.is_zero()
            && self.max_batching_window + self.function_timeout > visibility
        {
            return Err(ConfigError::WindowOverVisibility {
                window: self.max_batching_window,
                function: self.function_timeout,
                visibility,
            });
        }
        Ok(())
    }
}

/// `true` for `http://...` and `https://...` with something after the scheme.
pub(crate) fn is_http_url(url: &str) -> bool {
    ["http://", "https://"].iter().any(|scheme| url.strip_prefix(scheme).is_some_and(|rest| !rest.is_empty()))
}

/// A setting SQS or Lambda would refuse, or one the bridge cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The queue URL is not an http(s) URL.
    #[error(
        "the queue URL {0:?} is not an http:// or https:// URL; pass the QueueUrl that CreateQueue or GetQueueUrl \
         returned, such as http://127.0.0.1:4566/000000000000/orders"
    )]
    QueueUrl(String),
    /// The endpoint URL is not an http(s) URL.
    #[error(
        "the endpoint URL {0:?} is not an http:// or https:// URL; pass the address of the SQS API, such as \
         http://127.0.0.1:4566 for a local emulator"
    )]
    EndpointUrl(String),
    /// No region was given or found.
    #[error(
        "no AWS region is set; set AWS_REGION (any region, such as us-east-1, for a local emulator) or call \
         ClientSettings::region"
    )]
    NoRegion,
    /// The batch size is not 1 to 10.
    #[error(
        "the batch size {0} is out of range; set 1 to 10 (one ReceiveMessage call returns at most 10 messages)"
    )]
    BatchSize(u32),
    /// The wait time is over 20 s.
    #[error("the wait time {0:?} is longer than SQS's longest long poll; set 0 to 20 seconds")]
    WaitTime(Duration),
    /// The batching window is over 300 s.
    #[error("the batching window {0:?} is longer than Lambda allows; set 0 to 300 seconds")]
    BatchingWindow(Duration),
    /// A batching window on a FIFO queue.
    #[error("a batching window ({0:?}) is set for a FIFO queue, which Lambda does not allow; set it to 0")]
    BatchingWindowOnFifo(Duration),
    /// The visibility timeout is over 12 hours.
    #[error("the visibility timeout {0:?} is longer than SQS allows; set 0 seconds to 12 hours")]
    VisibilityTimeout(Duration),
    /// The function timeout is not 1 s to 15 minutes.
    #[error("the function timeout {0:?} is out of range; set 1 second to 15 minutes, as Lambda allows")]
    FunctionTimeout(Duration),
    /// The function timeout is longer than the visibility timeout.
    #[error(
        "the function timeout ({function:?}) is longer than the visibility timeout ({visibility:?}): messages would \
         come back while the function still handles them, and Lambda refuses such a mapping; raise the queue's \
         VisibilityTimeout (AWS advises six times the function timeout) or lower the function timeout"
    )]
    TimeoutOverVisibility {
        /// The function timeout.
        function: Duration,
        /// The visibility timeout in force (the setting, or the queue's).
        visibility: Duration,
    },
    /// The batching window plus the function timeout is longer than the
    /// visibility timeout.
    #[error(
        "the batching window ({window:?}) plus the function timeout ({function:?}) is longer than the visibility \
         timeout ({visibility:?}): a message received early in the window would come back before the function is \
         done with it; raise the visibility timeout (AWS advises six times the function timeout plus the window) or \
         shorten the window"
    )]
    WindowOverVisibility {
        /// The batching window.
        window: Duration,
        /// The function timeout.
        function: Duration,
        /// The visibility timeout in force.
        visibility: Duration,
    },
    /// The function name is empty.
    #[error("the function name is empty; give the function a name (it appears in the Context's ARN)")]
    FunctionName,
    /// The backoff starts at zero or above its cap.
    #[error(
        "the backoff {0:?} is not usable; the initial pause must be above zero and at most the longest pause"
    )]
    Backoff(Backoff),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> BridgeConfig {
        BridgeConfig::new("http://127.0.0.1:4566/000000000000/orders")
    }

    #[test]
    fn defaults_are_valid() {
        assert_eq!(config().validate(), Ok(()));
    }

    #[test]
    fn batch_size_is_one_to_ten() {
        assert_eq!(config().batch_size(0).validate(), Err(ConfigError::BatchSize(0)));
        assert_eq!(config().batch_size(11).validate(), Err(ConfigError::BatchSize(11)));
        assert_eq!(config().batch_size(1).validate(), Ok(()));
        assert_eq!(config().batch_size(10).validate(), Ok(()));
    }

    #[test]
    fn limits_of_sqs_and_lambda() {
        let wait = Duration::from_secs(21);
        assert_eq!(config().wait_time(wait).validate(), Err(ConfigError::WaitTime(wait)));
        let window = Duration::from_secs(301);
        assert_eq!(config().max_batching_window(window).validate(), Err(ConfigError::BatchingWindow(window)));
        let visibility = Duration::from_secs(12 * 3600 + 1);
        assert_eq!(
            config().visibility_timeout(visibility).validate(),
            Err(ConfigError::VisibilityTimeout(visibility))
        );
        for timeout in [Duration::from_millis(999), Duration::from_secs(901)] {
            assert_eq!(
                config().function_timeout(timeout).validate(),
                Err(ConfigError::FunctionTimeout(timeout))
            );
        }
        assert_eq!(config().function_name("").validate(), Err(ConfigError::FunctionName));
        let backoff = Backoff { initial: Duration::from_secs(2), max: Duration::from_secs(1) };
        assert_eq!(config().backoff(backoff).validate(), Err(ConfigError::Backoff(backoff)));
    }

    #[test]
    fn queue_url_must_be_http() {
        for url in ["", "orders", "sqs://x", "http://"] {
            assert_eq!(BridgeConfig::new(url).validate(), Err(ConfigError::QueueUrl(url.to_owned())));
        }
        assert_eq!(BridgeConfig::new("https://sqs.eu-west-1.amazonaws.com/1/q").validate(), Ok(()));
    }

    #[test]
    fn settings_that_depend_on_the_queue() {
        let thirty = Duration::from_secs(30);
        assert_eq!(config().validate_for_queue(false, thirty), Ok(()));
        let long = config().function_timeout(Duration::from_secs(31));
        assert_eq!(
            long.validate_for_queue(false, thirty),
            Err(ConfigError::TimeoutOverVisibility { function: Duration::from_secs(31), visibility: thirty })
        );
        // The bridge's own visibility timeout counts, not the queue's.
        let short = config().visibility_timeout(Duration::from_secs(1));
        assert!(matches!(
            short.validate_for_queue(false, thirty),
            Err(ConfigError::TimeoutOverVisibility { .. })
        ));
        let window = config().max_batching_window(Duration::from_secs(1));
        assert_eq!(window.validate_for_queue(false, thirty), Ok(()));
        let long_window = config().max_batching_window(Duration::from_secs(28));
        assert_eq!(
            long_window.validate_for_queue(false, thirty),
            Err(ConfigError::WindowOverVisibility {
                window: Duration::from_secs(28),
                function: Duration::from_secs(3),
                visibility: thirty
            })
        );
        assert_eq!(
            window.validate_for_queue(true, thirty),
            Err(ConfigError::BatchingWindowOnFifo(Duration::from_secs(1)))
        );
    }
}
