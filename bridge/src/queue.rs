//! The SQS calls the bridge makes, on one queue: what the queue is, receive,
//! delete, and how many messages it still holds.

use std::time::Duration;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName, QueueAttributeName,
};

use crate::error::{BridgeError, sqs_error};

/// The system attributes Lambda puts in a record's `attributes`.
const SYSTEM_ATTRIBUTES: [MessageSystemAttributeName; 8] = [
    MessageSystemAttributeName::ApproximateReceiveCount,
    MessageSystemAttributeName::SentTimestamp,
    MessageSystemAttributeName::SequenceNumber,
    MessageSystemAttributeName::MessageGroupId,
    MessageSystemAttributeName::SenderId,
    MessageSystemAttributeName::MessageDeduplicationId,
    MessageSystemAttributeName::ApproximateFirstReceiveTimestamp,
    MessageSystemAttributeName::AwsTraceHeader,
];

/// What the bridge knows of its queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueueFacts {
    /// `QueueArn`: the records' `eventSourceARN`.
    pub(crate) arn: String,
    /// The region in the ARN: the records' `awsRegion`.
    pub(crate) region: String,
    /// The account in the ARN (for the function's ARN in the `Context`).
    pub(crate) account: String,
    /// A FIFO queue (`FifoQueue` is `true`, or the name ends in `.fifo`).
    pub(crate) fifo: bool,
    /// The queue's own visibility timeout.
    pub(crate) visibility_timeout: Duration,
    /// `RedrivePolicy`'s `maxReceiveCount`, when the queue has a DLQ.
    pub(crate) max_receive_count: Option<u64>,
}

/// Messages the queue holds: visible, in flight (received and hidden), and
/// delayed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueCounts {
    /// `ApproximateNumberOfMessages`.
    pub visible: u64,
    /// `ApproximateNumberOfMessagesNotVisible`.
    pub in_flight: u64,
    /// `ApproximateNumberOfMessagesDelayed`.
    pub delayed: u64,
}

impl QueueCounts {
    /// Every message the queue still holds.
    pub fn total(&self) -> u64 {
        self.visible + self.in_flight + self.delayed
    }
}

/// A receipt handle to delete, with the id the delete reports it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ToDelete {
    /// The entry id in `DeleteMessageBatch` (unique within the call).
    pub(crate) entry: String,
    /// The latest receipt handle of the message.
    pub(crate) receipt_handle: String,
}

/// A delete that SQS did not do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeleteFailure {
    /// The entry id.
    pub(crate) entry: String,
    /// Why, as SQS said it.
    pub(crate) reason: String,
}

/// One queue, through an SQS client.
#[derive(Debug, Clone)]
pub(crate) struct Queue {
    client: Client,
    url: String,
}

impl Queue {
    pub(crate) fn new(client: Client, url: String) -> Self {
        Queue { client, url }
    }

    /// Reads the queue's ARN, type, visibility timeout and redrive policy.
    pub(crate) async fn facts(&self) -> Result<QueueFacts, BridgeError> {
        let output = self
            .client
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(QueueAttributeName::All)
            .send()
            .await
            .map_err(|error| sqs_error("GetQueueAttributes", &self.url, error))?;
        let attributes = output.attributes();
        let get = |name: QueueAttributeName| attributes.and_then(|map| map.get(&name)).map(String::as_str);
        let arn = get(QueueAttributeName::QueueArn);
        let Some((region, account)) = arn.and_then(arn_region_and_account) else {
            return Err(BridgeError::NoQueueArn {
                queue_url: self.url.clone(),
                found: arn.map(str::to_owned),
            });
        };
        let arn = arn.unwrap_or_default().to_owned();
        let fifo = get(QueueAttributeName::FifoQueue) == Some("true") || arn.ends_with(".fifo");
        let visibility_timeout = Duration::from_secs(
            get(QueueAttributeName::VisibilityTimeout).and_then(|text| text.parse().ok()).unwrap_or(30),
        );
        let max_receive_count = get(QueueAttributeName::RedrivePolicy).and_then(max_receive_count);
        Ok(QueueFacts { region, account, arn, fifo, visibility_timeout, max_receive_count })
    }

    /// One `ReceiveMessage`: up to `max` messages (1 to 10), long polling
    /// for `wait` (whole seconds), hidden for `visibility` (the queue's own
    /// when `None`), with every attribute Lambda passes on.
    pub(crate) async fn receive(
        &self,
        max: u32,
        wait: Duration,
        visibility: Option<Duration>,
    ) -> Result<Vec<Message>, BridgeError> {
        let output = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(i32::try_from(max).unwrap_or(10))
            .wait_time_seconds(seconds(wait))
            .set_visibility_timeout(visibility.map(seconds))
            .set_message_system_attribute_names(Some(SYSTEM_ATTRIBUTES.to_vec()))
            .message_attribute_names("All")
            .send()
            .await
            .map_err(|error| sqs_error("ReceiveMessage", &self.url, error))?;
        Ok(output.messages.unwrap_or_default())
    }

    /// One `DeleteMessageBatch` for up to 10 entries; returns the deletes
    /// that failed.
    pub(crate) async fn delete(&self, entries: &[ToDelete]) -> Result<Vec<DeleteFailure>, BridgeError> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let mut request = self.client.delete_message_batch().queue_url(&self.url);
        for entry in entries {
            let built = DeleteMessageBatchRequestEntry::builder()
                .id(&entry.entry)
                .receipt_handle(&entry.receipt_handle)
                .build()
                .map_err(|error| sqs_error("DeleteMessageBatch", &self.url, build_error(error)))?;
            request = request.entries(built);
        }
        let output =
            request.send().await.map_err(|error| sqs_error("DeleteMessageBatch", &self.url, error))?;
        Ok(output
            .failed()
            .iter()
            .map(|failed| DeleteFailure {
                entry: failed.id().to_owned(),
                reason: format!("{}: {}", failed.code(), failed.message().unwrap_or("no message")),
            })
            .collect())
    }

    /// How many messages the queue still holds.
    pub(crate) async fn counts(&self) -> Result<QueueCounts, BridgeError> {
        let output = self
            .client
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
            .send()
            .await
            .map_err(|error| sqs_error("GetQueueAttributes", &self.url, error))?;
        let attributes = output.attributes();
        let count = |name: QueueAttributeName| {
            attributes.and_then(|map| map.get(&name)).and_then(|text| text.parse().ok()).unwrap_or(0)
        };
        Ok(QueueCounts {
            visible: count(QueueAttributeName::ApproximateNumberOfMessages),
            in_flight: count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
            delayed: count(QueueAttributeName::ApproximateNumberOfMessagesDelayed),
        })
    }
}

/// A duration as SQS's whole seconds.
fn seconds(duration: Duration) -> i32 {
    i32::try_from(duration.as_secs()).unwrap_or(i32::MAX)
}

/// `arn:aws:sqs:<region>:<account>:<name>` → region and account.
fn arn_region_and_account(arn: &str) -> Option<(String, String)> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(_partition), Some("sqs"), Some(region), Some(account), Some(name)) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    (!region.is_empty() && !name.is_empty()).then(|| (region.to_owned(), account.to_owned()))
}

/// `maxReceiveCount` of a `RedrivePolicy` (a number or a string of one).
fn max_receive_count(policy: &str) -> Option<u64> {
    let policy: serde_json::Value = serde_json::from_str(policy).ok()?;
    let count = &policy["maxReceiveCount"];
    count.as_u64().or_else(|| count.as_str().and_then(|text| text.parse().ok()))
}

/// An entry that cannot be built (never, with both fields set) as the SDK's
/// error type for the call.
fn build_error(
    error: aws_sdk_sqs::error::BuildError,
) -> aws_sdk_sqs::error::SdkError<aws_sdk_sqs::operation::delete_message_batch::DeleteMessageBatchError> {
    aws_sdk_sqs::error::SdkError::construction_failure(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_region_and_account_from_an_arn() {
        assert_eq!(
            arn_region_and_account("arn:aws:sqs:eu-west-1:123456789012:orders.fifo"),
            Some(("eu-west-1".to_owned(), "123456789012".to_owned()))
        );
        assert_eq!(arn_region_and_account("arn:aws:sns:eu-west-1:1:topic"), None);
        assert_eq!(arn_region_and_account("orders"), None);
        assert_eq!(arn_region_and_account("arn:aws:sqs::1:orders"), None);
    }

    #[test]
    fn reads_max_receive_count_as_number_or_text() {
        assert_eq!(max_receive_count(r#"{"deadLetterTargetArn": "a", "maxReceiveCount": 2}"#), Some(2));
        assert_eq!(max_receive_count(r#"{"deadLetterTargetArn": "a", "maxReceiveCount": "5"}"#), Some(5));
        assert_eq!(max_receive_count("not json"), None);
    }

    #[test]
    fn counts_add_up() {
        assert_eq!(QueueCounts { visible: 1, in_flight: 2, delayed: 3 }.total(), 6);
    }
}
