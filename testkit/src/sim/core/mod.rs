//! What every simulation runs on: virtual time, the seeded generator, the
//! one run loop, faults and timing, the trace, metrics and progress.

pub(crate) mod clock;
pub(crate) mod error;
pub(crate) mod faults;
pub(crate) mod metrics;
pub(crate) mod progress;
pub(crate) mod rng;
pub(crate) mod run_loop;
pub(crate) mod stable_hash;
pub(crate) mod trace;
