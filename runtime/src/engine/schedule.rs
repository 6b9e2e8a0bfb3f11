//! Which record may start next: batch order, one record at a time per
//! ordering key, and the stop rules.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::ops::Range;

/// Hands out record indices in batch order, never two of the same key at
/// once, and never one whose predecessor of the same key is unfinished.
pub(crate) enum Schedule {
    /// No order between records: hand them out in batch order.
    Unordered {
        /// The next index to hand out.
        next: usize,
        /// How many records there are.
        len: usize,
    },
    /// One record at a time per key.
    Ordered {
        /// The first waiting record of every key that has none in flight.
        ready: BinaryHeap<Reverse<usize>>,
        /// The waiting records of each key, in batch order (the head is
        /// taken out once it is in `ready` or in flight).
        queues: Vec<VecDeque<usize>>,
        /// The queue of each record.
        queue_of: Vec<usize>,
    },
}

impl Schedule {
    /// `keys[i]` is record `i`'s ordering key; with `ordered == false` every
    /// record is independent.
    pub(crate) fn new<'k>(keys: impl ExactSizeIterator<Item = Option<&'k str>>, ordered: bool) -> Self {
        if !ordered {
            return Schedule::Unordered { next: 0, len: keys.len() };
        }
        let mut queue_ids: HashMap<Option<&str>, usize> = HashMap::new();
        let mut queues: Vec<VecDeque<usize>> = Vec::new();
        let mut queue_of = Vec::with_capacity(keys.len());
        for (index, key) in keys.enumerate() {
            let queue = *queue_ids.entry(key).or_insert_with(|| {
                queues.push(VecDeque::new());
                queues.len() - 1
            });
            queues[queue].push_back(index);
            queue_of.push(queue);
        }
        let ready = queues.iter_mut().filter_map(VecDeque::pop_front).map(Reverse).collect();
        Schedule::Ordered { ready, queues, queue_of }
    }

    /// The lowest-index record that may start now.
    pub(crate) fn next_ready(&mut self) -> Option<usize> {
        match self {
            Schedule::Unordered { next, len } => (*next < *len).then(|| {
                *next += 1;
                *next - 1
            }),
            Schedule::Ordered { ready, .. } => ready.pop().map(|Reverse(index)| index),
        }
    }

    /// Record `index` is finished (or will never run): the next record of
    /// its key becomes ready.
    pub(crate) fn finish(&mut self, index: usize) {
        if let Schedule::Ordered { ready, queues, queue_of } = self
            && let Some(next) = queues[queue_of[index]].pop_front()
        {
            ready.push(Reverse(next));
        }
    }

    /// Without order between records: every record not yet handed out
    /// (emptying the schedule); with order, `None` (nothing taken).
    pub(crate) fn take_unordered_rest(&mut self) -> Option<Range<usize>> {
        match self {
            Schedule::Unordered { next, len } => Some(std::mem::replace(next, *len)..*len),
            Schedule::Ordered { .. } => None,
        }
    }

    /// Every record not yet handed out, in batch order (emptying the schedule).
    pub(crate) fn drain(&mut self) -> Vec<usize> {
        match self {
            Schedule::Unordered { next, len } => {
                let rest = (*next..*len).collect();
                *next = *len;
                rest
            }
            Schedule::Ordered { ready, queues, .. } => {
                let mut rest: Vec<usize> = ready.drain().map(|Reverse(i)| i).collect();
                for queue in queues.iter_mut() {
                    rest.extend(queue.drain(..));
                }
                rest.sort_unstable();
                rest
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_of_one_key_come_out_one_at_a_time_in_order() {
        let keys = [Some("a"), Some("b"), Some("a"), None, Some("b"), None];
        let mut schedule = Schedule::new(keys.into_iter(), true);
        let mut first = Vec::new();
        while let Some(i) = schedule.next_ready() {
            first.push(i);
        }
        assert_eq!(first, [0, 1, 3], "one head per key, lowest index first");
        schedule.finish(1);
        assert_eq!(schedule.next_ready(), Some(4));
        schedule.finish(0);
        schedule.finish(3);
        assert_eq!(schedule.next_ready(), Some(2));
        assert_eq!(schedule.next_ready(), Some(5));
        assert_eq!(schedule.next_ready(), None);
    }

    #[test]
    fn unordered_records_are_all_ready_in_batch_order() {
        let mut schedule = Schedule::new([Some("a"), Some("a"), None].into_iter(), false);
        assert_eq!(
            (schedule.next_ready(), schedule.next_ready(), schedule.next_ready()),
            (Some(0), Some(1), Some(2))
        );
    }

    #[test]
    fn the_unordered_rest_is_what_was_never_handed_out() {
        let mut schedule = Schedule::new([None, None, None].into_iter(), false);
        assert_eq!(schedule.next_ready(), Some(0));
        assert_eq!(schedule.take_unordered_rest(), Some(1..3));
        assert_eq!(schedule.next_ready(), None);
        let mut ordered = Schedule::new([None, None].into_iter(), true);
        assert_eq!(ordered.take_unordered_rest(), None, "an ordered schedule gives nothing");
        assert_eq!(ordered.next_ready(), Some(0));
    }

    #[test]
    fn drain_returns_what_was_never_handed_out() {
        let mut schedule = Schedule::new([Some("a"), Some("a"), Some("b")].into_iter(), true);
        assert_eq!(schedule.next_ready(), Some(0));
        assert_eq!(schedule.drain(), [1, 2]);
        assert_eq!(schedule.next_ready(), None);
    }
}
