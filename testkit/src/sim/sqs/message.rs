//! One SQS message as the queue keeps it: its history (the fate the report
//! gives back), its group and deduplication id, and where it is now.

use std::sync::Arc;

use crate::sim::core::clock::Millis;
use crate::sim::core::function::payload::SqsDelivery;
use crate::sim::sqs::report::{Redelivery, SqsMessageEnd, SqsMessageFate};

/// Where a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    NotYetSent,
    Visible,
    InFlight { invocation: u64 },
    Done,
}

/// A send, as the queue accepts it.
pub(crate) struct Sent {
    pub(crate) id: Arc<str>,
    /// The group's number (FIFO), and its name.
    pub(crate) group: Option<u32>,
    pub(crate) group_name: Option<Arc<str>>,
    pub(crate) body: Arc<str>,
    pub(crate) at: Millis,
    pub(crate) deduplication_id: Option<Arc<str>>,
}

/// One message.
pub(crate) struct Message {
    pub(crate) fate: SqsMessageFate,
    pub(crate) group: Option<u32>,
    pub(crate) deduplication_id: Option<Arc<str>>,
    pub(crate) sequence_number: u64,
    pub(crate) first_received_at: Option<Millis>,
    pub(crate) state: State,
    /// Why the current receive will end without a delete, once known.
    pub(crate) cause: Option<Redelivery>,
}

impl Message {
    /// A message sent, not yet in the queue.
    pub(crate) fn new(sent: Sent, sequence_number: u64) -> Self {
        Message {
            fate: SqsMessageFate {
                id: sent.id,
                group: sent.group_name,
                body: sent.body,
                sent_at: sent.at,
                receive_count: 0,
                end: SqsMessageEnd::InQueue,
                redeliveries: Vec::new(),
                parked: false,
                replayed: 0,
            },
            group: sent.group,
            deduplication_id: sent.deduplication_id,
            sequence_number,
            first_received_at: None,
            state: State::NotYetSent,
            cause: None,
        }
    }

    /// The message as the event source mapping hands it to the function
    /// (`fifo`: with its sequence number).
    pub(crate) fn delivery(&self, fifo: bool, now: Millis) -> SqsDelivery {
        SqsDelivery {
            message_id: Arc::clone(&self.fate.id),
            body: Arc::clone(&self.fate.body),
            group: self.fate.group.clone(),
            deduplication_id: self.deduplication_id.clone(),
            sequence_number: fifo.then_some(self.sequence_number),
            receive_count: self.fate.receive_count,
            sent_at: self.fate.sent_at,
            first_received_at: self.first_received_at.unwrap_or(now),
        }
    }

    /// Notes that the poison sink took it in `invocation` (acknowledged and
    /// parked, not lost, once that invocation deletes it).
    pub(crate) fn note_parked(&mut self, invocation: u64) {
        if self.state == (State::InFlight { invocation }) {
            self.fate.parked = true;
        }
    }

    /// Notes that the engine replayed it in `invocation` (handled in an
    /// earlier delivery, not run again); `false` if it is no longer in
    /// flight for that invocation.
    pub(crate) fn note_replayed(&mut self, invocation: u64) -> bool {
        let in_flight = self.state == (State::InFlight { invocation });
        if in_flight {
            self.fate.replayed += 1;
        }
        in_flight
    }

    /// Notes why its receive for `invocation` will end without a delete
    /// (kept until it is visible again).
    pub(crate) fn note(&mut self, invocation: u64, cause: Redelivery) {
        if self.state == (State::InFlight { invocation }) {
            self.cause = Some(cause);
        }
    }
}
