//! [`FaultyStore`]: any idempotency store, with faults drawn from a seed.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use lambda_batch::idempotency::{
    Claim, ClaimAnswer, Completion, Key, MemoryStore, Release, Store, StoreError, StoreErrorKind, Stored,
};

use crate::sim::core::error::ConfigError;
use crate::sim::core::rng::SimRng;
use crate::sim::idempotency::faults::StoreFaults;
use crate::sim::idempotency::journal::{StoreEntry, WriteOutcome};

/// An idempotency [`Store`] that goes wrong on purpose: it wraps a store
/// (a [`MemoryStore`] by default) and, as each call is answered, draws the
/// faults of its [`StoreFaults`] from its own seeded generator. The same
/// seed and the same calls give the same faults, and
/// [`every_fault_schedule`](crate::sim::every_fault_schedule) enumerates
/// them with the simulation's own (named `store.unreachable`,
/// `store.throttled`, `store.slow`, `store.lost_write`).
///
/// One `FaultyStore` stands for one shared table (DynamoDB): give it to the
/// handler's `Idempotency` and every invocation of the simulation, however
/// many run at once, claims in it. A slow call waits on the simulation's
/// clock (`tokio::time::sleep`: virtual time under
/// [`lambda_function`](crate::sim::lambda_function)). Every item asked
/// and answered is kept in its [`journal`](Self::journal). A clone is
/// another handle to the same store (the same items, generator and
/// journal): keep one to read the journal after the run.
///
/// ```
/// use lambda_batch::idempotency::{Idempotency, MemoryStore};
/// use lambda_batch_testkit::sim::{FaultyStore, StoreFaults};
///
/// let faults = StoreFaults { unreachable: 0.05, lost_write: 0.1, ..StoreFaults::none() };
/// let store = FaultyStore::new(MemoryStore::new(), faults).expect("valid faults").with_seed(7);
/// let idempotency = Idempotency::new(store);
/// assert!(idempotency.store().journal().is_empty());
/// ```
pub struct FaultyStore<St = MemoryStore> {
    shared: Arc<Shared<St>>,
}

/// What every handle to one store shares.
struct Shared<St> {
    store: St,
    faults: StoreFaults,
    rng: Mutex<SimRng>,
    journal: Mutex<Vec<StoreEntry>>,
}

impl<St> Clone for FaultyStore<St> {
    /// Another handle to the same store.
    fn clone(&self) -> Self {
        FaultyStore { shared: Arc::clone(&self.shared) }
    }
}

impl<St> FaultyStore<St> {
    /// `store` with `faults`, drawn from seed 0.
    ///
    /// # Errors
    /// A fault setting out of range ([`StoreFaults::validate`]).
    pub fn new(store: St, faults: StoreFaults) -> Result<Self, ConfigError> {
        faults.validate()?;
        let shared = Shared { store, faults, rng: Mutex::new(SimRng::new(0)), journal: Mutex::default() };
        Ok(FaultyStore { shared: Arc::new(shared) })
    }

    /// The store drawing its faults from `seed` (use the simulation's)
    /// from now on, for every handle.
    #[must_use]
    pub fn with_seed(self, seed: u64) -> Self {
        *lock(&self.shared.rng) = SimRng::new(seed);
        self
    }

    /// The store behind the faults (e.g. to read a [`MemoryStore`]'s items).
    pub fn store(&self) -> &St {
        &self.shared.store
    }

    /// The faults drawn.
    pub fn faults(&self) -> &StoreFaults {
        &self.shared.faults
    }

    /// Every item asked and answered so far, in the order the calls came
    /// (reads are not kept).
    pub fn journal(&self) -> Vec<StoreEntry> {
        lock(&self.shared.journal).clone()
    }

    /// Whether `fault` happens now, with probability `p`.
    fn draw(&self, p: f64, fault: &'static str) -> bool {
        lock(&self.shared.rng).chance(p, fault)
    }

    /// The call fails as a whole (unreachable, or throttled when `throttle`
    /// is drawn per call), or goes ahead.
    fn call_fails(&self, doing: &str, throttle: bool) -> Option<StoreError> {
        if self.draw(self.shared.faults.unreachable, "store.unreachable") {
            return Some(StoreError::new(
                StoreErrorKind::Unreachable,
                format!("{doing}: injected by the simulation (`StoreFaults::unreachable`)"),
            ));
        }
        (throttle && self.draw(self.shared.faults.throttled, "store.throttled")).then(|| throttled(doing))
    }

    /// Waits `slow_by` ms (virtual time) if a slow answer is drawn.
    async fn maybe_slow(&self) {
        if self.draw(self.shared.faults.slow, "store.slow") {
            tokio::time::sleep(Duration::from_millis(self.shared.faults.slow_by)).await;
        }
    }

    fn note(&self, entries: impl IntoIterator<Item = StoreEntry>) {
        lock(&self.shared.journal).extend(entries);
    }

    /// Which of `items` writes are lost, or the error of a call that fails.
    fn write_faults(&self, doing: &str, items: usize) -> Result<Vec<bool>, StoreError> {
        match self.call_fails(doing, true) {
            Some(error) => Err(error),
            None => {
                Ok((0..items).map(|_| self.draw(self.shared.faults.lost_write, "store.lost_write")).collect())
            }
        }
    }
}

impl<St: fmt::Debug> fmt::Debug for FaultyStore<St> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultyStore")
            .field("store", &self.shared.store)
            .field("faults", &self.shared.faults)
            .field("journal", &lock(&self.shared.journal).len())
            .finish_non_exhaustive()
    }
}

/// The lock's value: every writer leaves it whole, so a poisoned lock is
/// safe to use.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn throttled(doing: &str) -> StoreError {
    StoreError::new(
        StoreErrorKind::Throttled,
        format!("{doing}: injected by the simulation (`StoreFaults::throttled`)"),
    )
}

/// Keeps the items whose write is not lost.
fn kept<T: Copy>(items: &[T], lost: &[bool]) -> Vec<T> {
    items.iter().zip(lost).filter(|(_, lost)| !**lost).map(|(item, _)| *item).collect()
}

/// What became of each write, for the journal.
fn outcomes(lost: &[bool]) -> impl Iterator<Item = WriteOutcome> + '_ {
    lost.iter().map(|&lost| if lost { WriteOutcome::Lost } else { WriteOutcome::Forwarded })
}

fn completed(completions: &[Completion<'_>], writes: impl Iterator<Item = WriteOutcome>) -> Vec<StoreEntry> {
    let entries = completions.iter().zip(writes);
    let entry = |(c, write): (&Completion<'_>, WriteOutcome)| StoreEntry::Complete {
        key: c.key.clone(),
        token: c.token.to_owned(),
        write,
    };
    entries.map(entry).collect()
}

fn released(releases: &[Release<'_>], writes: impl Iterator<Item = WriteOutcome>) -> Vec<StoreEntry> {
    let entries = releases.iter().zip(writes);
    let entry = |(r, write): (&Release<'_>, WriteOutcome)| StoreEntry::Release {
        key: r.key.clone(),
        token: r.token.to_owned(),
        write,
    };
    entries.map(entry).collect()
}

fn claimed(claims: &[Claim<'_>], answers: &[ClaimAnswer]) -> Vec<StoreEntry> {
    let entry = |(claim, answer): (&Claim<'_>, &ClaimAnswer)| StoreEntry::Claim {
        key: claim.key.clone(),
        token: claim.token.to_owned(),
        now_ms: claim.now_ms,
        expires_at_ms: claim.expires_at_ms,
        answer: answer.clone(),
    };
    claims.iter().zip(answers).map(entry).collect()
}

impl<St: Store> FaultyStore<St> {
    async fn faulty_read(&self, keys: &[&Key]) -> Result<Vec<Option<Stored>>, StoreError> {
        if let Some(error) = self.call_fails("reading keys", true) {
            return Err(error);
        }
        let read = self.shared.store.read(keys).await;
        self.maybe_slow().await;
        read
    }

    async fn faulty_claim(&self, claims: &[Claim<'_>]) -> Result<Vec<ClaimAnswer>, StoreError> {
        if let Some(error) = self.call_fails("claiming keys", false) {
            let failed = vec![ClaimAnswer::Failed(error.clone()); claims.len()];
            self.note(claimed(claims, &failed));
            return Err(error);
        }
        let refused: Vec<bool> =
            claims.iter().map(|_| self.draw(self.shared.faults.throttled, "store.throttled")).collect();
        let passed = kept(claims, &refused);
        let mut answers =
            if passed.is_empty() { Vec::new() } else { self.shared.store.claim(&passed).await? };
        if answers.len() == passed.len() {
            let mut inner = answers.into_iter();
            answers = refused
                .iter()
                .filter_map(|&refused| {
                    if refused {
                        Some(ClaimAnswer::Failed(throttled("claiming a key")))
                    } else {
                        inner.next()
                    }
                })
                .collect();
            self.note(claimed(claims, &answers));
        }
        // An inner store that answered a wrong number of claims is passed
        // on as it is: the engine says what is wrong with it.
        self.maybe_slow().await;
        Ok(answers)
    }

    async fn faulty_settle(
        &self,
        completions: &[Completion<'_>],
        releases: &[Release<'_>],
    ) -> Result<(), StoreError> {
        let lost = match self.write_faults("settling a batch", completions.len() + releases.len()) {
            Ok(lost) => lost,
            Err(error) => {
                let failed = || std::iter::repeat(WriteOutcome::Failed(error.kind()));
                self.note(completed(completions, failed()).into_iter().chain(released(releases, failed())));
                return Err(error);
            }
        };
        let (lost_completions, lost_releases) = lost.split_at(completions.len());
        self.note(completed(completions, outcomes(lost_completions)));
        self.note(released(releases, outcomes(lost_releases)));
        let (completions, releases) = (kept(completions, lost_completions), kept(releases, lost_releases));
        let result = if completions.is_empty() && releases.is_empty() {
            Ok(())
        } else {
            self.shared.store.settle(&completions, &releases).await
        };
        self.maybe_slow().await;
        result
    }
}

impl<St: Store> Store for FaultyStore<St> {
    fn claim<'a>(
        &'a self,
        claims: &'a [Claim<'a>],
    ) -> impl Future<Output = Result<Vec<ClaimAnswer>, StoreError>> + Send + 'a {
        self.faulty_claim(claims)
    }

    fn complete<'a>(
        &'a self,
        completions: &'a [Completion<'a>],
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'a {
        self.faulty_settle(completions, &[])
    }

    fn release<'a>(
        &'a self,
        releases: &'a [Release<'a>],
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'a {
        self.faulty_settle(&[], releases)
    }

    fn read<'a>(
        &'a self,
        keys: &'a [&'a Key],
    ) -> impl Future<Output = Result<Vec<Option<Stored>>, StoreError>> + Send + 'a {
        self.faulty_read(keys)
    }

    /// One call (one round trip), as a store that writes both in one
    /// transaction makes it: one draw of the call's faults, one lost-write
    /// draw per item.
    fn settle<'a>(
        &'a self,
        completions: &'a [Completion<'a>],
        releases: &'a [Release<'a>],
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'a {
        self.faulty_settle(completions, releases)
    }
}
