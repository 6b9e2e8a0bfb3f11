//! What every simulation shares: virtual time, the seeded generator and a
//! stable hash, the one run loop, faults and timing, the function it
//! invokes (and the events rendered for it), the trace, metrics, progress
//! and configuration errors.

pub(crate) mod clock;
pub(crate) mod error;
pub(crate) mod faults;
pub(crate) mod function;
pub(crate) mod metrics;
pub(crate) mod progress;
pub(crate) mod rng;
pub(crate) mod run_loop;
pub(crate) mod stable_hash;
pub(crate) mod trace;
pub(crate) mod world;
