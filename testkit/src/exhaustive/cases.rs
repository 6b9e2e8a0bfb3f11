//! The cases of a small world, smallest first: every batch size, every
//! grouping of the records, every choice for each record.

use lambda_batch::OrderingRule;

use super::World;
use crate::faults::RecordFault;

/// What one record of a case is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Choice {
    /// A clean record carrying the world's payload of this index.
    Payload(usize),
    /// A record without a payload (a DynamoDB `REMOVE`), clean.
    NoPayload,
    /// A record carrying the first payload, with this fault.
    Fault(RecordFault),
}

impl Choice {
    fn is_clean(self) -> bool {
        matches!(self, Choice::Payload(_))
    }
}

/// One letter of the alphabet: a choice, and whether it counts towards
/// the limit of [`World::single_faults_per_batch`].
type Letter = (Choice, bool);

/// One case: each record's group (FIFO message group, stream key, Kafka
/// partition: `0` is the first) and choice, in the event's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Case {
    pub(crate) groups: Vec<usize>,
    pub(crate) choices: Vec<Choice>,
}

/// Every case of `size` records, simplest first: fewer faulted records,
/// then fewer groups, then the order of the world's alphabet. So the first
/// case that breaks an invariant is also the simplest of its size.
pub(crate) fn of_size(world: &World, size: usize) -> Vec<Case> {
    let alphabet = alphabet(world);
    let groupings = groupings(world.source.ordering(), size, world.groups);
    let choices = choice_vectors(&alphabet, size, world.single_faults_per_batch);
    let mut cases: Vec<Case> = choices
        .iter()
        .flat_map(|choices| {
            groupings.iter().map(|groups| Case { groups: groups.clone(), choices: choices.clone() })
        })
        .collect();
    cases.sort_by_key(|case| {
        let faults = case.choices.iter().filter(|choice| !choice.is_clean()).count();
        let groups = case.groups.iter().max().map_or(0, |last| last + 1);
        (faults, groups)
    });
    cases
}

/// The choices for one record: each payload; each repeatable fault; then,
/// limited per batch, a record without a payload where the source has
/// such records (a DynamoDB `REMOVE`) and each single fault.
fn alphabet(world: &World) -> Vec<Letter> {
    let mut alphabet: Vec<Letter> =
        (0..world.payloads.len()).map(|at| (Choice::Payload(at), false)).collect();
    alphabet.extend(world.repeated_faults.iter().map(|&fault| (Choice::Fault(fault), false)));
    if crate::wire::paths(world.source).no_payload_when.is_some() {
        alphabet.push((Choice::NoPayload, true));
    }
    alphabet.extend(world.single_faults.iter().map(|&fault| (Choice::Fault(fault), true)));
    alphabet
}

/// Every vector of `size` choices from `alphabet` with at most `limit`
/// limited letters, in odometer order (first record slowest).
fn choice_vectors(alphabet: &[Letter], size: usize, limit: usize) -> Vec<Vec<Choice>> {
    let mut vectors: Vec<(Vec<Choice>, usize)> = vec![(Vec::new(), 0)];
    for _ in 0..size {
        vectors = vectors
            .into_iter()
            .flat_map(|(prefix, used)| {
                alphabet.iter().filter(move |(_, limited)| used + usize::from(*limited) <= limit).map(
                    move |&(choice, limited)| {
                        let mut vector = prefix.clone();
                        vector.push(choice);
                        (vector, used + usize::from(limited))
                    },
                )
            })
            .collect();
    }
    vectors.into_iter().map(|(vector, _)| vector).collect()
}

/// Every way to put `size` records into at most `most` groups, up to
/// renaming the groups, for the source's ordering rule: one group where
/// the source keeps no order; for FIFO groups and stream keys every set
/// partition (restricted growth strings: record 0 in group 0, each record
/// in a group already used or the next new one); for Kafka, whose event
/// lists each partition's records together, every split into consecutive
/// runs.
pub(crate) fn groupings(ordering: OrderingRule, size: usize, most: usize) -> Vec<Vec<usize>> {
    let mut groupings = vec![Vec::new()];
    for _ in 0..size {
        groupings = groupings
            .into_iter()
            .flat_map(|prefix: Vec<usize>| {
                let next = prefix.iter().max().map_or(0, |last| last + 1).min(most.max(1) - 1);
                let last = prefix.last().copied().unwrap_or(0);
                let options: Vec<usize> = match ordering {
                    OrderingRule::None => vec![0],
                    OrderingRule::KafkaPartition if prefix.is_empty() => vec![0],
                    OrderingRule::KafkaPartition => (last..=next.max(last)).take(2).collect(),
                    _ => (0..=next).collect(),
                };
                options.into_iter().map(move |group| {
                    let mut grouping = prefix.clone();
                    grouping.push(group);
                    grouping
                })
            })
            .collect();
    }
    groupings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groupings_are_set_partitions_up_to_renaming() {
        let bell = |size| groupings(OrderingRule::MessageGroup, size, size).len();
        assert_eq!([bell(1), bell(2), bell(3), bell(4)], [1, 2, 5, 15]);
        assert_eq!(groupings(OrderingRule::MessageGroup, 4, 2).len(), 8);
        assert_eq!(groupings(OrderingRule::KafkaPartition, 4, 4).len(), 8);
        assert_eq!(groupings(OrderingRule::KafkaPartition, 4, 2).len(), 4);
        assert_eq!(groupings(OrderingRule::None, 4, 2), vec![vec![0; 4]]);
        assert!(groupings(OrderingRule::StreamKey, 3, 2).contains(&vec![0, 1, 0]));
    }

    #[test]
    fn at_most_the_allowed_limited_letters() {
        let alphabet = [(Choice::Payload(0), false), (Choice::Fault(RecordFault::MissingId), true)];
        assert_eq!(choice_vectors(&alphabet, 3, 1).len(), 1 + 3);
        assert_eq!(choice_vectors(&alphabet, 3, 3).len(), 8);
    }
}
