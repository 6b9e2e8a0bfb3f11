//! What goes wrong with a simulated idempotency store: [`StoreFaults`].

use crate::sim::core::clock::Millis;
use crate::sim::core::error::ConfigError;

/// Fault probabilities of a [`FaultyStore`](crate::sim::FaultyStore), each
/// drawn from its seeded generator as a call (or one of its items) is
/// answered; a probability of 1 is every time, 0 never.
///
/// ```
/// use lambda_batch_testkit::sim::StoreFaults;
/// let faults = StoreFaults { throttled: 0.1, slow: 0.2, slow_by: 2_000, ..StoreFaults::none() };
/// assert!(faults.validate().is_ok());
/// assert!(StoreFaults { lost_write: 2.0, ..StoreFaults::none() }.validate().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoreFaults {
    /// A call fails as a whole with `StoreErrorKind::Unreachable` (network,
    /// credentials, a missing table), at once and with nothing done: the
    /// engine then runs none of the batch's records.
    pub unreachable: f64,
    /// The store refuses for load (`StoreErrorKind::Throttled`): drawn for
    /// each key of a claim (that key alone fails, as
    /// `ClaimAnswer::Failed`), and once for each call that writes
    /// (completions and releases: the whole call fails, nothing written).
    pub throttled: f64,
    /// A call answers [`slow_by`](Self::slow_by) ms late, on the
    /// simulation's clock, after it was done: a caller that gives up
    /// waiting sees an error although the call took effect.
    pub slow: f64,
    /// How late a slow call answers (ms of virtual time).
    pub slow_by: Millis,
    /// A completion or a release answers `Ok` but is never written: the
    /// key stays in progress until its claim expires (as when the process
    /// stops between the effect and the write).
    pub lost_write: f64,
}

impl StoreFaults {
    /// Nothing goes wrong.
    pub const fn none() -> Self {
        StoreFaults { unreachable: 0.0, throttled: 0.0, slow: 0.0, slow_by: 0, lost_write: 0.0 }
    }

    /// Checks every probability is in `[0, 1]`, and that slow calls are
    /// slow by something.
    ///
    /// # Errors
    /// The first setting that is wrong, and how to set it.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let fields = [
            ("unreachable", self.unreachable),
            ("throttled", self.throttled),
            ("slow", self.slow),
            ("lost_write", self.lost_write),
        ];
        for (name, p) in fields {
            if !(0.0..=1.0).contains(&p) {
                return Err(ConfigError::Conflict(format!(
                    "store fault probability {name} = {p} is not in [0, 1]: give a probability from 0 (never) to \
                     1 (every time)"
                )));
            }
        }
        if self.slow > 0.0 && self.slow_by == 0 {
            return Err(ConfigError::Conflict(format!(
                "store fault slow = {} but slow_by = 0 ms: a slow call would answer on time; set slow_by to how \
                 late a slow call answers",
                self.slow
            )));
        }
        Ok(())
    }
}

impl Default for StoreFaults {
    fn default() -> Self {
        StoreFaults::none()
    }
}
