//! The pause between polls after function errors: exponential, capped,
//! reset by an invocation that succeeds.

use std::time::Duration;

use crate::config::Backoff;

/// Where the backoff stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BackoffState {
    settings: Backoff,
    next: Option<Duration>,
}

impl BackoffState {
    pub(crate) fn new(settings: Backoff) -> Self {
        BackoffState { settings, next: None }
    }

    /// After a failure: the pause to take before the next poll.
    pub(crate) fn failure(&mut self) -> Duration {
        let pause = match self.next {
            None => self.settings.initial,
            Some(previous) => previous.saturating_mul(2).min(self.settings.max),
        };
        self.next = Some(pause);
        pause
    }

    /// After an invocation that the function completed: no pause.
    pub(crate) fn success(&mut self) {
        self.next = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_and_resets() {
        let mut backoff = BackoffState::new(Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(500),
        });
        let pauses: Vec<u128> = (0..5).map(|_| backoff.failure().as_millis()).collect();
        assert_eq!(pauses, [100, 200, 400, 500, 500]);
        backoff.success();
        assert_eq!(backoff.failure(), Duration::from_millis(100));
    }
}
