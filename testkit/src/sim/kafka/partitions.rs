//! The Kafka model: one topic's partitions holding records at offsets, in
//! the order they reach their partition, and the topic's retention. What
//! reads the partitions (commits, retries, bisection) is in `kafka_mapping`
//! and `cursors`.
//!
//! Offsets start at 0 and follow each other, so a record's offset is its
//! position in its partition. A keyed record goes to the partition its key
//! hashes to (a stable hash, not Kafka's murmur2), a keyless one to the
//! next partition in turn, unless the producer names the partition.

use std::sync::Arc;

use lambda_batch::kafka::KafkaHeader;
use serde_json::Value;

use crate::sim::core::clock::Millis;
use crate::sim::core::function::payload::{KafkaDelivery, kafka_partition_key};
use crate::sim::core::function::render::kafka_event;
use crate::sim::core::stable_hash::fnv;
use crate::sim::core::trace::TraceEvent;
use crate::sim::core::world::{ARRIVALS, World};
use crate::sim::cursor::logs::{Logs, StreamRecordEnd};
use crate::sim::kafka::on_failure::kafka_on_failure;
use crate::sim::kafka::report::KafkaRecordFate;

/// What the topic schedules on the agenda: a produced record reaches its
/// partition.
pub(crate) struct Produce(pub(crate) u32);

struct Record {
    fate: KafkaRecordFate,
    value: Arc<[u8]>,
    headers: Arc<[KafkaHeader]>,
}

/// One partition: its records (indices) in offset order.
struct Partition {
    /// `<topic>-<partition>`.
    key: Arc<str>,
    records: Vec<u32>,
}

/// The partitions of one topic. Records are numbered in the order of the
/// produce calls.
pub(crate) struct Partitions {
    topic: Arc<str>,
    retention: Millis,
    records: Vec<Record>,
    partitions: Vec<Partition>,
    finished: usize,
    /// The partition the next keyless record goes to.
    next_keyless: u32,
}

impl Partitions {
    /// An empty topic.
    pub(crate) fn new(topic: &str, partitions: u32, retention: Millis) -> Self {
        let partitions = (0..partitions)
            .map(|partition| Partition {
                key: kafka_partition_key(topic, partition).into(),
                records: Vec::new(),
            })
            .collect();
        Partitions {
            topic: topic.into(),
            retention,
            records: Vec::new(),
            partitions,
            finished: 0,
            next_keyless: 0,
        }
    }

    /// Records that ended, and records produced.
    pub(crate) fn progress(&self) -> (usize, usize) {
        (self.finished, self.records.len())
    }

    /// Every record's history, in produce order.
    pub(crate) fn into_fates(self) -> Vec<KafkaRecordFate> {
        self.records.into_iter().map(|r| r.fate).collect()
    }

    /// How many partitions the topic has.
    pub(crate) fn count(&self) -> u32 {
        u32::try_from(self.partitions.len()).unwrap_or(u32::MAX)
    }

    /// Accepts a record produced at `at` to `partition` (or the one its key
    /// picks); returns the partition.
    pub(crate) fn push<E: From<Produce>>(
        &mut self,
        at: Millis,
        partition: Option<u32>,
        key: Option<&str>,
        value: &[u8],
        headers: Vec<KafkaHeader>,
        world: &mut World<E>,
    ) -> u32 {
        let count = self.count();
        let partition = match (partition, key) {
            (Some(partition), _) => partition % count,
            (None, Some(key)) => u32::try_from(fnv(key.as_bytes()) % u64::from(count)).unwrap_or(0),
            (None, None) => {
                let partition = self.next_keyless;
                self.next_keyless = (partition + 1) % count;
                partition
            }
        };
        let index = u32::try_from(self.records.len()).unwrap_or(u32::MAX);
        self.records.push(Record {
            fate: KafkaRecordFate {
                topic: Arc::clone(&self.topic),
                partition,
                offset: 0,
                key: key.map(Arc::from),
                produced_at: at,
                deliveries: 0,
                end: StreamRecordEnd::Pending,
                parked: false,
                replayed: 0,
                out_of_time: 0,
            },
            value: value.into(),
            headers: headers.into(),
        });
        world.schedule_in_lane(ARRIVALS, at, Produce(index));
        partition
    }

    /// The record reaches its partition now and gets its offset; returns
    /// the partition.
    pub(crate) fn arrive<E>(&mut self, Produce(index): Produce, world: &mut World<E>) -> u32 {
        let record = &mut self.records[index as usize];
        let partition = &mut self.partitions[record.fate.partition as usize];
        record.fate.offset = partition.records.len() as u64;
        partition.records.push(index);
        let fate = &record.fate;
        world.trace.push(world.now(), || TraceEvent::Sent {
            id: fate.item_identifier().into(),
            key: fate.key.clone(),
            shard: None,
        });
        fate.partition
    }

    /// `<topic>-<partition>`.
    pub(crate) fn key(&self, partition: u32) -> &Arc<str> {
        &self.partitions[partition as usize].key
    }

    /// The history of the record at `position` (its offset) on `partition`.
    pub(crate) fn at(&self, partition: u32, position: usize) -> &KafkaRecordFate {
        &self.record(partition, position).fate
    }

    fn record(&self, partition: u32, position: usize) -> &Record {
        &self.records[self.partitions[partition as usize].records[position] as usize]
    }

    /// The record at `position` on `partition`, as the function gets it.
    pub(crate) fn delivery(&self, partition: u32, position: usize) -> KafkaDelivery {
        let record = self.record(partition, position);
        KafkaDelivery {
            topic: Arc::clone(&record.fate.topic),
            partition,
            offset: record.fate.offset,
            key: record.fate.key.clone(),
            value: Arc::clone(&record.value),
            headers: Arc::clone(&record.headers),
            produced_at: record.fate.produced_at,
        }
    }

    /// The record at `position` on `partition`, delivered once more.
    pub(crate) fn deliver(&mut self, partition: u32, position: usize) -> KafkaDelivery {
        let index = self.partitions[partition as usize].records[position] as usize;
        self.records[index].fate.deliveries += 1;
        self.delivery(partition, position)
    }
}

impl Logs for Partitions {
    fn len(&self, partition: u32) -> usize {
        self.partitions[partition as usize].records.len()
    }

    fn arrived_at(&self, partition: u32, position: usize) -> Millis {
        self.at(partition, position).produced_at
    }

    /// The base64 key and value, and the record's metadata.
    fn size(&self, partition: u32, position: usize) -> usize {
        let record = self.record(partition, position);
        let key = record.fate.key.as_deref().map_or(0, str::len);
        let headers: usize = record.headers.iter().map(|h| h.name.len() + 4 * h.value.len()).sum();
        (record.value.len() + key).div_ceil(3) * 4 + headers + 200
    }

    fn expire_front<E>(&mut self, partition: u32, from: usize, to: usize, world: &mut World<E>) -> usize {
        let now = world.now();
        let mut position = from;
        while position < to && now.saturating_sub(self.arrived_at(partition, position)) > self.retention {
            let fate = self.at(partition, position);
            let at = fate.produced_at + self.retention;
            world.trace.push(now, || TraceEvent::Expired { id: fate.item_identifier().into() });
            world.metrics.expired += 1;
            self.end(partition, position, StreamRecordEnd::Expired(at));
            position += 1;
        }
        position
    }

    fn end(&mut self, partition: u32, position: usize, end: StreamRecordEnd) {
        let index = self.partitions[partition as usize].records[position] as usize;
        let fate = &mut self.records[index].fate;
        if fate.end == StreamRecordEnd::Pending {
            fate.end = end;
            self.finished += 1;
        }
    }

    fn park(&mut self, partition: u32, position: usize) {
        let index = self.partitions[partition as usize].records[position] as usize;
        self.records[index].fate.parked = true;
    }

    fn replayed(&mut self, partition: u32, position: usize) -> Arc<str> {
        let index = self.partitions[partition as usize].records[position] as usize;
        let fate = &mut self.records[index].fate;
        fate.replayed += 1;
        fate.item_identifier().into()
    }

    fn ran_out_of_time(&mut self, partition: u32, position: usize) {
        let index = self.partitions[partition as usize].records[position] as usize;
        self.records[index].fate.out_of_time += 1;
    }

    fn name(&self, partition: u32) -> Arc<str> {
        Arc::clone(self.key(partition))
    }

    fn checkpointed(&self, partition: u32, position: usize) -> TraceEvent {
        TraceEvent::Committed {
            partition: self.name(partition),
            offset: self.at(partition, position).offset + 1,
        }
    }

    fn bisected(&self, partition: u32, records: u32) -> TraceEvent {
        TraceEvent::PartitionBisected { partition: self.name(partition), records }
    }

    fn discarded(&self, partition: u32, from: usize, to: usize, condition: Arc<str>) -> TraceEvent {
        TraceEvent::PartitionDiscarded {
            partition: self.name(partition),
            from: self.at(partition, from).offset,
            to: self.at(partition, to - 1).offset,
            records: u32::try_from(to - from).unwrap_or(u32::MAX),
            condition,
        }
    }

    fn on_failure(&self, partition: u32, from: usize, to: usize, condition: &str, now: Millis) -> Value {
        let records: Vec<KafkaDelivery> = (from..to).map(|p| self.delivery(partition, p)).collect();
        let (first, last) = (self.at(partition, from), self.at(partition, to - 1));
        kafka_on_failure((first, last), to - from, condition, now, &kafka_event(&records))
    }
}
