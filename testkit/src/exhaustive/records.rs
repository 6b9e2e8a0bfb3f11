//! A case of a small world as a batch and a fault plan: short message ids
//! (`m-01`), real-shaped sequence numbers that gain a digit at the second
//! record, Kafka offsets that go from one digit to two in each partition.

use serde_json::{Value, json};

use super::World;
use super::cases::{Case, Choice};
use crate::faults::FaultPlan;
use crate::strategy::{Batch, DYNAMODB_KEY_ATTRIBUTE};
use crate::wire;

/// The first Kafka offset of each partition: one digit, the next two.
const FIRST_OFFSET: u64 = 9;
/// The first FIFO `SequenceNumber`: 20 digits, as SQS writes them.
const FIFO_SEQUENCE: u128 = 18_800_000_000_000_000_000;
/// The step between sequence numbers.
const STEP: u128 = 37;

/// The case's batch and plan, or `None` when one of its faults in the
/// event would change nothing (a corrupted payload on a record without
/// one, a duplicate identifier without a neighbour to copy): that case is
/// another case already enumerated.
pub(crate) fn build(world: &World, case: &Case) -> Option<(Batch, FaultPlan)> {
    let records = case
        .choices
        .iter()
        .zip(&case.groups)
        .enumerate()
        .map(|(index, (choice, &group))| record(world, index, group, *choice, &case.groups[..index]))
        .collect();
    let batch = Batch::new(world.source, records);
    let mut plan = FaultPlan::none();
    for (index, choice) in case.choices.iter().enumerate() {
        if let Choice::Fault(fault) = *choice {
            let alone = FaultPlan::none().with(index, fault);
            if fault.is_in_event() && alone.corrupt(&batch).records() == batch.records() {
                return None;
            }
            plan = plan.with(index, fault);
        }
    }
    Some((batch, plan))
}

/// Record `index` of the batch, in group `group` (`before`: the groups of
/// the records before it).
fn record(world: &World, index: usize, group: usize, choice: Choice, before: &[usize]) -> Value {
    let payload = match choice {
        Choice::Payload(at) => world.payloads.get(at),
        Choice::NoPayload | Choice::Fault(_) => world.payloads.first(),
    };
    let payload = payload.cloned().unwrap_or_else(|| json!({}));
    let text = payload.to_string();
    let source = world.source;
    let sequence = sequence_number(index);
    if source == wire::KINESIS.kind {
        crate::kinesis::record(&sequence, &format!("key-{}", group + 1), text.as_bytes())
    } else if source == wire::DYNAMODB.kind {
        dynamodb_record(&sequence, group, &payload, choice == Choice::NoPayload)
    } else if source == wire::KAFKA.kind {
        let offset = FIRST_OFFSET + before.iter().filter(|&&earlier| earlier == group).count() as u64;
        let partition = u32::try_from(group).unwrap_or(u32::MAX);
        crate::kafka::record("orders", partition, offset, Some(b"user-1"), Some(text.as_bytes()))
    } else {
        let id = crate::strategy::message_id(index);
        let fifo_sequence = (FIFO_SEQUENCE + STEP * index as u128).to_string();
        let fifo = (source == wire::SQS_FIFO.kind).then(|| (format!("g-{}", group + 1), fifo_sequence));
        crate::strategy::sqs_record(&id, &text, 1, 1_700_000_000_000, fifo)
    }
}

/// A sequence number of 20 digits for the first record, 21 from the
/// second on (they cross `10^20`), so comparing them as text is caught.
fn sequence_number(index: usize) -> String {
    let base = 10u128.pow(20);
    (base - STEP + STEP * index as u128).to_string()
}

/// A DynamoDB `MODIFY` of item `item-<group>` with the payload as both
/// images, or a `REMOVE` (old image only).
fn dynamodb_record(sequence: &str, group: usize, payload: &Value, remove: bool) -> Value {
    let key = json!({"S": format!("item-{}", group + 1)});
    let keys = json!({ DYNAMODB_KEY_ATTRIBUTE: key.clone() });
    let mut image = crate::strategy::to_image(payload);
    if let Some(map) = image.as_object_mut() {
        map.entry(DYNAMODB_KEY_ATTRIBUTE).or_insert(key);
    }
    if remove {
        crate::dynamodb::record(sequence, "REMOVE", keys, None, Some(image))
    } else {
        crate::dynamodb::record(sequence, "MODIFY", keys, Some(image.clone()), Some(image))
    }
}
