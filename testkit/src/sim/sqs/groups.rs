//! FIFO message groups: each group's unfinished messages in send order,
//! what it has in flight, and which groups a receive may take from.
//!
//! A FIFO queue delivers a group's messages in order and nothing more of
//! a group while one of its messages is in flight: [FIFO queues: ordering and message
//! groups](lambda_batch::aws_rules#fifo-queues-ordering-and-message-groups).

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

struct Group {
    /// Unfinished messages in send order (finished ones are dropped from
    /// the front when the group is refreshed).
    queue: VecDeque<u32>,
    in_flight: u32,
    ready_key: Option<(u64, u32)>,
}

/// The groups of one queue, numbered in the order they are first named.
#[derive(Default)]
pub(crate) struct Groups {
    groups: Vec<Group>,
    names: Vec<Arc<str>>,
    index: HashMap<Arc<str>, u32>,
    /// Groups with nothing in flight and a message waiting, by their
    /// head's send order.
    ready: BTreeSet<(u64, u32)>,
}

impl Groups {
    /// The number of the group called `name` (a new group if unknown).
    pub(crate) fn id(&mut self, name: &str) -> u32 {
        if let Some(&index) = self.index.get(name) {
            return index;
        }
        let index = u32::try_from(self.groups.len()).unwrap_or(u32::MAX);
        let name: Arc<str> = name.into();
        self.index.insert(Arc::clone(&name), index);
        self.names.push(name);
        self.groups.push(Group { queue: VecDeque::new(), in_flight: 0, ready_key: None });
        index
    }

    /// The `MessageGroupId` of group `group`.
    pub(crate) fn name(&self, group: u32) -> &Arc<str> {
        &self.names[group as usize]
    }

    /// Appends a message that reached the queue.
    pub(crate) fn push(&mut self, group: u32, message: u32) {
        self.groups[group as usize].queue.push_back(message);
    }

    /// Takes the ready group with the oldest head off the ready set.
    pub(crate) fn pop_ready(&mut self) -> Option<u32> {
        let (_, group) = self.ready.pop_first()?;
        self.groups[group as usize].ready_key = None;
        Some(group)
    }

    /// The message at `position` in the group's queue.
    pub(crate) fn queued(&self, group: u32, position: usize) -> Option<u32> {
        self.groups[group as usize].queue.get(position).copied()
    }

    /// One more message of the group is in flight.
    pub(crate) fn enter_flight(&mut self, group: u32) {
        self.groups[group as usize].in_flight += 1;
    }

    /// One message of the group is no longer in flight.
    pub(crate) fn leave_flight(&mut self, group: u32) {
        let state = &mut self.groups[group as usize];
        state.in_flight = state.in_flight.saturating_sub(1);
    }

    /// Drops finished messages (`done`) from the front of the group's
    /// queue and keeps the ready set true for it: listed iff nothing of it
    /// is in flight and it has a message waiting.
    pub(crate) fn refresh(&mut self, group: u32, done: impl Fn(u32) -> bool) {
        let state = &mut self.groups[group as usize];
        while let Some(&front) = state.queue.front() {
            if done(front) {
                state.queue.pop_front();
            } else {
                break;
            }
        }
        // Ready groups are served oldest head (lowest send index) first.
        let key =
            state.queue.front().filter(|_| state.in_flight == 0).map(|&front| (u64::from(front), group));
        if state.ready_key != key {
            if let Some(old) = state.ready_key.take() {
                self.ready.remove(&old);
            }
            if let Some(new) = key {
                self.ready.insert(new);
            }
            state.ready_key = key;
        }
    }
}
