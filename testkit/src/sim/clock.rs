//! Virtual time: a clock in milliseconds and a queue of timed events.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Virtual milliseconds since the start of a simulation.
pub type Millis = u64;

/// The Unix time (ms) that virtual time 0 stands for in rendered events
/// (`SentTimestamp`, `approximateArrivalTimestamp`, ...): fixed, so the same
/// seed renders the same bytes.
pub const EPOCH_MS: u64 = 1_700_000_000_000;

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
pub(crate) struct Agenda<E> {
    heap: BinaryHeap<Entry<E>>,
    scheduled: u64,
    now: Millis,
}

impl<E> Agenda<E> {
    pub(crate) fn new() -> Self {
        Agenda { heap: BinaryHeap::new(), scheduled: 0, now: 0 }
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
        if self.heap.peek()?.at > until {
            return None;
        }
        let entry = self.heap.pop()?;
        self.now = entry.at;
        Some(entry.event)
    }

    /// When the next event happens, if any.
    pub(crate) fn next_time(&self) -> Option<Millis> {
        self.heap.peek().map(|entry| entry.at)
    }

    /// Moves the clock to `at` if that is later (the end of a run).
    pub(crate) fn advance_to(&mut self, at: Millis) {
        self.now = self.now.max(at);
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
}
