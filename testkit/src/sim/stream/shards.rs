//! The stream model, Kinesis or DynamoDB Streams: shards holding records
//! in arrival order, sequence numbers, and the stream's retention. What
//! reads the shards (checkpoints, retries, bisection) is in
//! `stream_mapping` and `cursors`.
//!
//! The rules modelled: [Streams: checkpoints and sequence
//! numbers](lambda_batch::aws_rules#streams-checkpoints-and-sequence-numbers).

use std::sync::Arc;

use serde_json::Value;

use crate::sim::core::clock::Millis;
use crate::sim::core::function::payload::StreamDelivery;
use crate::sim::core::stable_hash::fnv;
use crate::sim::core::trace::TraceEvent;
use crate::sim::core::world::{ARRIVALS, World};
use crate::sim::cursor::logs::{Logs, StreamRecordEnd};
use crate::sim::stream::config::StreamKind;
use crate::sim::stream::on_failure::stream_on_failure;
use crate::sim::stream::report::StreamRecordFate;

/// What the stream schedules on the agenda: a put reaches its shard.
pub(crate) struct Arrive(pub(crate) u32);

struct Record {
    fate: StreamRecordFate,
    data: Arc<str>,
    event_name: Option<&'static str>,
}

/// One shard: its records in arrival order.
struct Shard {
    /// Shard id, `shardId-000000000000`, ...
    id: String,
    /// Records (indices) in arrival order; a record's position here is
    /// what the event source mapping's checkpoints count.
    records: Vec<u32>,
    /// Records that arrived so far (sequence numbers grow with it).
    counter: u64,
}

/// The shards of one stream. Records are numbered in the order of the puts.
pub(crate) struct Shards {
    kind: StreamKind,
    retention: Millis,
    records: Vec<Record>,
    shards: Vec<Shard>,
    finished: usize,
}

impl Shards {
    /// An empty stream.
    pub(crate) fn new(kind: StreamKind, shards: u32, retention: Millis) -> Self {
        let shards = (0..shards)
            .map(|shard| Shard { id: format!("shardId-{shard:012}"), records: Vec::new(), counter: 0 })
            .collect();
        Shards { kind, retention, records: Vec::new(), shards, finished: 0 }
    }

    /// Records that ended, and records put.
    pub(crate) fn progress(&self) -> (usize, usize) {
        (self.finished, self.records.len())
    }

    /// Every record's history, in put order.
    pub(crate) fn into_fates(self) -> Vec<StreamRecordFate> {
        self.records.into_iter().map(|r| r.fate).collect()
    }

    /// Accepts a put at `at`; `key` picks the shard by a stable hash.
    pub(crate) fn push<E: From<Arrive>>(
        &mut self,
        at: Millis,
        key: &str,
        data: &str,
        event_name: Option<&'static str>,
        world: &mut World<E>,
    ) {
        let index = u32::try_from(self.records.len()).unwrap_or(u32::MAX);
        let shards = self.shards.len() as u64;
        let shard = u32::try_from(fnv(key.as_bytes()) % shards).unwrap_or(0);
        self.records.push(Record {
            fate: StreamRecordFate {
                sequence_number: "".into(),
                key: key.into(),
                shard,
                arrived_at: at,
                deliveries: 0,
                end: StreamRecordEnd::Pending,
                parked: false,
                replayed: 0,
                out_of_time: 0,
            },
            data: data.into(),
            event_name,
        });
        world.schedule_in_lane(ARRIVALS, at, Arrive(index));
    }

    /// The record reaches its shard now and gets its sequence number;
    /// returns the shard.
    pub(crate) fn arrive<E>(&mut self, Arrive(index): Arrive, world: &mut World<E>) -> u32 {
        let now = world.now();
        let record = &mut self.records[index as usize];
        let shard = &mut self.shards[record.fate.shard as usize];
        shard.counter += 1;
        let sequence_number: Arc<str> = match self.kind {
            // 56 digits, non-consecutive, like Kinesis's.
            StreamKind::Kinesis => format!(
                "4959033827149025660855969{:02}{:029}",
                record.fate.shard % 100,
                shard.counter * 1_000 + world.rng.below(1_000)
            )
            .into(),
            // DynamoDB: 21 digits.
            StreamKind::DynamoDb => {
                format!("{:021}", 100_000_000_000_000_000_000u128 + u128::from(shard.counter) * 100).into()
            }
        };
        record.fate.sequence_number = Arc::clone(&sequence_number);
        shard.records.push(index);
        let (key, shard_index) = (Arc::clone(&record.fate.key), record.fate.shard);
        world.trace.push(now, || TraceEvent::Sent {
            id: sequence_number,
            key: Some(key),
            shard: Some(shard_index),
        });
        shard_index
    }

    /// The shard id.
    pub(crate) fn id(&self, shard: u32) -> &str {
        &self.shards[shard as usize].id
    }

    /// The history of the record at `position` on `shard`.
    pub(crate) fn at(&self, shard: u32, position: usize) -> &StreamRecordFate {
        &self.records[self.shards[shard as usize].records[position] as usize].fate
    }

    /// The record at `position` on `shard`, delivered once more.
    pub(crate) fn deliver(&mut self, shard: u32, position: usize) -> StreamDelivery {
        let record = &mut self.records[self.shards[shard as usize].records[position] as usize];
        record.fate.deliveries += 1;
        StreamDelivery {
            sequence_number: Arc::clone(&record.fate.sequence_number),
            key: Arc::clone(&record.fate.key),
            data: Arc::clone(&record.data),
            event_name: record.event_name,
            arrived_at: record.fate.arrived_at,
        }
    }
}

impl Logs for Shards {
    fn len(&self, shard: u32) -> usize {
        self.shards[shard as usize].records.len()
    }

    fn arrived_at(&self, shard: u32, position: usize) -> Millis {
        self.at(shard, position).arrived_at
    }

    fn size(&self, shard: u32, position: usize) -> usize {
        self.records[self.shards[shard as usize].records[position] as usize].data.len() + 300
    }

    fn expire_front<E>(&mut self, shard: u32, from: usize, to: usize, world: &mut World<E>) -> usize {
        let now = world.now();
        let mut position = from;
        while position < to && now.saturating_sub(self.at(shard, position).arrived_at) > self.retention {
            let fate = self.at(shard, position);
            let (at, id) = (fate.arrived_at + self.retention, Arc::clone(&fate.sequence_number));
            world.trace.push(now, || TraceEvent::Expired { id });
            world.metrics.expired += 1;
            self.end(shard, position, StreamRecordEnd::Expired(at));
            position += 1;
        }
        position
    }

    fn end(&mut self, shard: u32, position: usize, end: StreamRecordEnd) {
        let fate = &mut self.records[self.shards[shard as usize].records[position] as usize].fate;
        if fate.end == StreamRecordEnd::Pending {
            fate.end = end;
            self.finished += 1;
        }
    }

    fn park(&mut self, shard: u32, position: usize) {
        self.records[self.shards[shard as usize].records[position] as usize].fate.parked = true;
    }

    fn replayed(&mut self, shard: u32, position: usize) -> Arc<str> {
        let fate = &mut self.records[self.shards[shard as usize].records[position] as usize].fate;
        fate.replayed += 1;
        Arc::clone(&fate.sequence_number)
    }

    fn ran_out_of_time(&mut self, shard: u32, position: usize) {
        self.records[self.shards[shard as usize].records[position] as usize].fate.out_of_time += 1;
    }

    fn name(&self, shard: u32) -> Arc<str> {
        self.id(shard).into()
    }

    fn checkpointed(&self, shard: u32, position: usize) -> TraceEvent {
        TraceEvent::Checkpointed {
            shard,
            sequence_number: Arc::clone(&self.at(shard, position).sequence_number),
        }
    }

    fn bisected(&self, shard: u32, records: u32) -> TraceEvent {
        TraceEvent::Bisected { shard, records }
    }

    fn discarded(&self, shard: u32, from: usize, to: usize, condition: Arc<str>) -> TraceEvent {
        TraceEvent::Discarded {
            shard,
            from: Arc::clone(&self.at(shard, from).sequence_number),
            to: Arc::clone(&self.at(shard, to - 1).sequence_number),
            records: u32::try_from(to - from).unwrap_or(u32::MAX),
            condition,
        }
    }

    fn on_failure(&self, shard: u32, from: usize, to: usize, condition: &str, now: Millis) -> Value {
        let (first, last) = (self.at(shard, from), self.at(shard, to - 1));
        stream_on_failure(self.kind, self.id(shard), (first, last), to - from, condition, now)
    }
}
