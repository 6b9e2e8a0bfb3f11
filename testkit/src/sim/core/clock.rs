//! Virtual time: a clock in milliseconds and a queue of timed events.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

/// Virtual milliseconds since the start of a simulation.
pub type Millis = u64;

/// The Unix time (ms) that virtual time 0 stands for in rendered events
/// (`SentTimestamp`, `approximateArrivalTimestamp`, ...): fixed, so the same
/// seed renders the same bytes.
pub const EPOCH_MS: u64 = 1_700_000_000_000;

/// Virtual time as ISO 8601 UTC with milliseconds.
pub(crate) fn iso8601(at: Millis) -> String {
    let millis = i64::try_from(EPOCH_MS + at).unwrap_or(i64::MAX);
    chrono::DateTime::from_timestamp_millis(millis)
        .map(|time| time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

struct Entry<E> {
    at: Millis,
    order: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.order) == (other.at, other.order)
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed, so the heap pops the earliest event; ties in the order
    /// they were scheduled (deterministic).
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.order).cmp(&(self.at, self.order))
    }
}

/// The events still to happen, earliest first, ties first-scheduled first.
///
/// Besides a heap, the agenda has a few in-order lanes: events scheduled
/// in time order (sends made in time order, visibility timeouts of a fixed
/// length) wait in a plain queue instead of the heap, which keeps the heap
/// small. An event out of order for its lane goes to the heap; the order
/// of events is the same either way.
pub(crate) struct Agenda<E> {
    heap: BinaryHeap<Entry<E>>,
    lanes: [VecDeque<Entry<E>>; LANES],
    scheduled: u64,
    now: Millis,
}

/// How many in-order lanes an agenda has.
pub(crate) const LANES: usize = 2;

impl<E> Agenda<E> {
    /// An empty agenda at virtual time 0.
    pub(crate) fn new() -> Self {
        Agenda {
            heap: BinaryHeap::new(),
            lanes: std::array::from_fn(|_| VecDeque::new()),
            scheduled: 0,
            now: 0,
        }
    }

    /// Schedules `event` at `at` in lane `lane` if that keeps the lane in
    /// time order, otherwise on the heap.
    pub(crate) fn at_in_lane(&mut self, lane: usize, at: Millis, event: E) {
        let at = at.max(self.now);
        if self.lanes[lane].back().is_some_and(|last| last.at > at) {
            self.at(at, event);
            return;
        }
        self.scheduled += 1;
        self.lanes[lane].push_back(Entry { at, order: self.scheduled, event });
    }

    /// Where the next event is: `None` for the heap, `Some(lane)` otherwise.
    fn earliest(&self) -> Option<(Millis, Option<usize>)> {
        let mut best = self.heap.peek().map(|entry| ((entry.at, entry.order), None));
        for (index, lane) in self.lanes.iter().enumerate() {
            if let Some(entry) = lane.front()
                && best.is_none_or(|(key, _)| (entry.at, entry.order) < key)
            {
                best = Some(((entry.at, entry.order), Some(index)));
            }
        }
        best.map(|((at, _), source)| (at, source))
    }

    /// The current virtual time.
    pub(crate) fn now(&self) -> Millis {
        self.now
    }

    /// Schedules `event` at `at` (never before now).
    pub(crate) fn at(&mut self, at: Millis, event: E) {
        self.scheduled += 1;
        self.heap.push(Entry { at: at.max(self.now), order: self.scheduled, event });
    }

    /// The next event no later than `until`, advancing the clock to it.
    pub(crate) fn next(&mut self, until: Millis) -> Option<E> {
        let (at, source) = self.earliest()?;
        if at > until {
            return None;
        }
        let entry = match source {
            None => self.heap.pop()?,
            Some(lane) => self.lanes[lane].pop_front()?,
        };
        self.now = entry.at;
        Some(entry.event)
    }

    /// When the next event happens, if any.
    pub(crate) fn next_time(&self) -> Option<Millis> {
        self.earliest().map(|(at, _)| at)
    }

    /// The end of a run that stopped at `until` (or ran dry when `until`
    /// is `Millis::MAX`): moves the clock there and returns it.
    pub(crate) fn finish(&mut self, until: Millis) -> Millis {
        if until != Millis::MAX {
            self.now = self.now.max(until);
        }
        self.now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earliest_first_then_in_scheduling_order() {
        let mut agenda = Agenda::new();
        agenda.at(20, "c");
        agenda.at(10, "a");
        agenda.at(10, "b");
        assert_eq!(agenda.next(u64::MAX), Some("a"));
        assert_eq!(agenda.next(u64::MAX), Some("b"));
        assert_eq!(agenda.now(), 10);
        assert_eq!(agenda.next(15), None);
        assert_eq!(agenda.next(u64::MAX), Some("c"));
        assert_eq!(agenda.now(), 20);
    }

    #[test]
    fn lanes_and_heap_interleave_in_time_then_scheduling_order() {
        let mut agenda = Agenda::new();
        agenda.at_in_lane(0, 10, "lane 10");
        agenda.at(10, "heap 10");
        agenda.at_in_lane(0, 30, "lane 30");
        agenda.at_in_lane(0, 20, "out of order, so on the heap");
        agenda.at_in_lane(1, 5, "other lane 5");
        let order: Vec<_> = std::iter::from_fn(|| agenda.next(u64::MAX)).collect();
        assert_eq!(order, ["other lane 5", "lane 10", "heap 10", "out of order, so on the heap", "lane 30"]);
    }
}
