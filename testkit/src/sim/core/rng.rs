//! The simulator's only source of randomness: seeded, so a seed fixes the
//! whole run.

use std::cell::RefCell;

use proptest::prelude::Rng;
use proptest::test_runner::{RngAlgorithm, TestRng};

thread_local! {
    /// The fault decisions of this thread's simulations, when a schedule
    /// is being followed (see `sim::schedules`): instead of drawing, each
    /// fault that may happen is decided by the script.
    static SCRIPT: RefCell<Option<Script>> = const { RefCell::new(None) };
}

/// A fault schedule being followed: the decisions to take, in order, and
/// the ones taken.
#[derive(Debug, Default)]
pub(crate) struct Script {
    /// Decisions to take (missing ones are "no").
    pub(crate) planned: Vec<bool>,
    /// Decisions taken: yes or no, and the fault.
    pub(crate) taken: Vec<(bool, &'static str)>,
}

/// Follows `script` on this thread until the guard is dropped; returns the
/// guard, which gives the script back.
pub(crate) fn follow(script: Script) -> Following {
    SCRIPT.with(|cell| *cell.borrow_mut() = Some(script));
    Following
}

/// Stops following a script when dropped (even on a panic).
pub(crate) struct Following;

impl Following {
    /// The script, with the decisions taken.
    pub(crate) fn finish(self) -> Script {
        SCRIPT.with(|cell| cell.borrow_mut().take()).unwrap_or_default()
    }
}

impl Drop for Following {
    fn drop(&mut self) {
        SCRIPT.with(|cell| cell.borrow_mut().take());
    }
}

/// A seeded random number generator (proptest's portable XorShift, already
/// in the testkit's dependency graph).
pub(crate) struct SimRng(TestRng);

impl SimRng {
    /// The generator of this seed.
    pub(crate) fn new(seed: u64) -> Self {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&seed.to_le_bytes());
        bytes[8..].copy_from_slice(&(seed ^ 0x9E37_79B9_7F4A_7C15).to_le_bytes());
        SimRng(TestRng::from_seed(RngAlgorithm::XorShift, &bytes))
    }

    /// Whether `fault` happens: `true` with probability `p` (no draw when
    /// `p` is 0, so adding a fault kind with probability 0 does not change
    /// other draws). When a schedule is followed, a fault that may happen
    /// (`0 < p < 1`) is decided by it instead, without a draw.
    pub(crate) fn chance(&mut self, p: f64, fault: &'static str) -> bool {
        if p <= 0.0 {
            return false;
        }
        let scripted = SCRIPT.with(|cell| {
            let mut script = cell.borrow_mut();
            let script = script.as_mut()?;
            if p >= 1.0 {
                return Some(true);
            }
            let yes = script.planned.get(script.taken.len()).copied().unwrap_or(false);
            script.taken.push((yes, fault));
            Some(yes)
        });
        scripted.unwrap_or_else(|| self.unit() < p)
    }

    /// A uniform number in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A uniform number in `[0, n)` (`0` when `n` is 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.0.next_u64() % n }
    }

    /// A request id shaped like Lambda's (UUID v4 text).
    pub(crate) fn request_id(&mut self) -> String {
        let a = self.0.next_u64();
        let b = self.0.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | (b >> 48) & 0x3fff,
            b & 0xffff_ffff_ffff
        )
    }
}
