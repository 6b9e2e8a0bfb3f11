//! Reading a record's identity by [`SourceKind`]: the one place that
//! dispatches over the concrete sources at run time.
//!
//! The engine is generic over [`Source`]; everything that only knows a
//! [`SourceKind`] (the response validator, the testkit's checks and fault
//! planner, the simulator) reads identities and identifier fields here,
//! through the reader the engine uses, so they cannot disagree with it. The
//! event writer ([`wire`](crate::wire)) finds each source's layout here too.

use serde_json::value::RawValue;

use crate::dynamodb::DynamoDb;
use crate::error::{BatchError, EventError};
use crate::event::BatchEvent;
use crate::kafka::Kafka;
use crate::kind::{OrderingRule, RecordIdentity, SourceKind};
use crate::kinesis::Kinesis;
use crate::source::{BatchRecord, Source};
use crate::sqs::Sqs;
use crate::wire::EventLayout;

impl SourceKind {
    /// Where the record's identifier comes from, as a user reads it
    /// (`messageId`, `kinesis.sequenceNumber`, `dynamodb.SequenceNumber`,
    /// or Kafka's `topic, partition and offset`).
    pub const fn identifier_field(self) -> &'static str {
        match self {
            SourceKind::Sqs | SourceKind::SqsFifo => crate::sqs::ID_FIELD,
            SourceKind::Kinesis => crate::kinesis::ID_FIELD,
            SourceKind::DynamoDb => crate::dynamodb::ID_FIELD,
            SourceKind::Kafka => crate::kafka::ID_FIELD,
        }
    }

    /// How Lambda writes this source's events (the source module's own
    /// layout), for [`wire`](crate::wire).
    pub(crate) const fn event_layout(self) -> &'static EventLayout {
        match self {
            SourceKind::Sqs | SourceKind::SqsFifo => &crate::sqs::EVENT_LAYOUT,
            SourceKind::Kinesis => &crate::kinesis::EVENT_LAYOUT,
            SourceKind::DynamoDb => &crate::dynamodb::EVENT_LAYOUT,
            SourceKind::Kafka => &crate::kafka::EVENT_LAYOUT,
        }
    }

    /// Reads record `index`'s identity from its JSON, with the reader the
    /// engine uses.
    ///
    /// ```
    /// use lambda_batch::SourceKind;
    /// let record = r#"{"topic": "orders", "partition": 2, "offset": 15, "value": "e30="}"#;
    /// let identity = SourceKind::Kafka.identify(0, record).unwrap();
    /// assert_eq!(identity.item_identifier, "orders-2@15");
    /// assert_eq!(identity.ordering_key.as_deref(), Some("orders-2"));
    /// ```
    ///
    /// # Errors
    /// Why the record cannot be named ([`BatchError::MissingItemIdentifier`],
    /// or an invalid event if `raw_record` is not JSON).
    pub fn identify(self, index: usize, raw_record: &str) -> Result<RecordIdentity, BatchError> {
        let raw: Box<RawValue> = serde_json::from_str(raw_record)
            .map_err(|error| BatchError::InvalidEvent(EventError::NotJson(error)))?;
        match self {
            SourceKind::Sqs | SourceKind::SqsFifo => identity::<Sqs>(index, &raw, self),
            SourceKind::Kinesis => identity::<Kinesis>(index, &raw, self),
            SourceKind::DynamoDb => identity::<DynamoDb>(index, &raw, self),
            SourceKind::Kafka => identity::<Kafka>(index, &raw, self),
        }
    }

    /// Reads every record's identity of an event, in record order.
    ///
    /// # Errors
    /// The first record that cannot be named, or an event that is not a
    /// batch event.
    pub fn identify_event(self, event: &BatchEvent) -> Result<Vec<RecordIdentity>, BatchError> {
        let raw = event.records()?;
        raw.iter().enumerate().map(|(index, raw)| self.identify(index, raw.get())).collect()
    }
}

fn identity<S: Source>(index: usize, raw: &RawValue, kind: SourceKind) -> Result<RecordIdentity, BatchError> {
    let record = S::read_record(index, raw)?;
    let ordering_key = match kind.ordering() {
        OrderingRule::None => None,
        _ => record.ordering_key().map(str::to_owned),
    };
    Ok(RecordIdentity { item_identifier: S::into_item_identifier(record).into_owned(), ordering_key })
}
