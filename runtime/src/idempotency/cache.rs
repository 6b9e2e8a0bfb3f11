//! [`CachedStore`]: completed keys answered from memory, in front of any
//! store.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::clock::now_ms;
use super::key::Key;
use super::store::{Claim, ClaimAnswer, Completion, Release, Store, StoreError, Stored, StoredState};

/// A [`Store`] with a bounded cache of completed keys in front: a
/// duplicate of a key this execution environment completed (or saw
/// completed) is answered without a round trip. Claims, releases and
/// everything not cached go to the store.
///
/// The cache is per execution environment and holds at most `capacity`
/// keys (the oldest leave first); an entry leaves when its result expires.
/// In-progress claims are never cached: whether a key is in flight is
/// always asked of the store. A completion the store drops (its claim was
/// taken over by another invocation after it expired) is still cached:
/// the effect it stands for did happen.
///
/// ```
/// use lambda_batch::idempotency::{CachedStore, Idempotency, MemoryStore};
/// let idempotency = Idempotency::new(CachedStore::new(MemoryStore::new(), 10_000));
/// # let _ = idempotency;
/// ```
#[derive(Debug)]
pub struct CachedStore<St> {
    store: St,
    capacity: usize,
    cache: Mutex<Cache>,
}

#[derive(Debug, Default)]
struct Cache {
    completed: HashMap<Key, Stored>,
    /// Keys in the order they were cached, oldest first.
    order: VecDeque<Key>,
}

impl<St> CachedStore<St> {
    /// `store`, with a cache of up to `capacity` completed keys.
    pub fn new(store: St, capacity: usize) -> Self {
        CachedStore { store, capacity, cache: Mutex::new(Cache::default()) }
    }

    /// The store behind the cache.
    pub fn store(&self) -> &St {
        &self.store
    }

    /// How many completed keys the cache holds.
    pub fn cached(&self) -> usize {
        self.cache().completed.len()
    }

    fn cache(&self) -> MutexGuard<'_, Cache> {
        // Entries are inserted and removed whole, so a poisoned lock is safe.
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The live cached item for `key`, if any (an expired one is dropped).
    fn hit(&self, key: &Key, now: u64) -> Option<Stored> {
        let mut cache = self.cache();
        match cache.completed.get(key) {
            Some(stored) if stored.is_live(now) => Some(stored.clone()),
            Some(_) => {
                cache.completed.remove(key);
                None
            }
            None => None,
        }
    }

    fn remember(&self, key: &Key, stored: Stored) {
        if self.capacity == 0 {
            return;
        }
        let mut cache = self.cache();
        if cache.completed.insert(key.clone(), stored).is_none() {
            cache.order.push_back(key.clone());
        }
        while cache.completed.len() > self.capacity {
            let Some(oldest) = cache.order.pop_front() else { break };
            cache.completed.remove(&oldest);
        }
        // Keys removed on expiry may linger in `order`; drop them when it
        // grows well past the capacity.
        if cache.order.len() > self.capacity.saturating_mul(2) {
            let Cache { completed, order } = &mut *cache;
            order.retain(|key| completed.contains_key(key));
        }
    }
}

impl<St: Store> Store for CachedStore<St> {
    async fn claim<'a>(&'a self, claims: &'a [Claim<'a>]) -> Result<Vec<ClaimAnswer>, StoreError> {
        let now = claims.first().map_or_else(now_ms, |claim| claim.now_ms);
        let mut answers: Vec<Option<ClaimAnswer>> =
            claims.iter().map(|claim| self.hit(claim.key, now).map(ClaimAnswer::Taken)).collect();
        let missed: Vec<Claim<'a>> =
            claims.iter().zip(&answers).filter(|(_, hit)| hit.is_none()).map(|(claim, _)| *claim).collect();
        if !missed.is_empty() {
            let mut fetched = self.store.claim(&missed).await?.into_iter();
            for answer in answers.iter_mut().filter(|answer| answer.is_none()) {
                *answer = fetched.next();
            }
        }
        for (claim, answer) in claims.iter().zip(&answers) {
            if let Some(ClaimAnswer::Taken(stored)) = answer
                && matches!(stored.state, StoredState::Completed { .. })
            {
                self.remember(claim.key, stored.clone());
            }
        }
        // A store that answered fewer claims than asked leaves `None`s:
        // the caller sees the short count and fails those records.
        Ok(answers.into_iter().flatten().collect())
    }

    async fn complete<'a>(&'a self, completions: &'a [Completion<'a>]) -> Result<(), StoreError> {
        self.store.complete(completions).await?;
        for completion in completions {
            self.remember(completion.key, completed(completion));
        }
        Ok(())
    }

    fn release<'a>(
        &'a self,
        releases: &'a [Release<'a>],
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'a {
        self.store.release(releases)
    }

    fn read<'a>(
        &'a self,
        keys: &'a [&'a Key],
    ) -> impl Future<Output = Result<Vec<Option<Stored>>, StoreError>> + Send + 'a {
        self.store.read(keys)
    }

    async fn settle<'a>(
        &'a self,
        completions: &'a [Completion<'a>],
        releases: &'a [Release<'a>],
    ) -> Result<(), StoreError> {
        self.store.settle(completions, releases).await?;
        for completion in completions {
            self.remember(completion.key, completed(completion));
        }
        Ok(())
    }
}

fn completed(completion: &Completion<'_>) -> Stored {
    Stored {
        state: StoredState::Completed { response: completion.response.map(str::to_owned) },
        payload_hash: completion.payload_hash.to_owned(),
        expires_at_ms: completion.expires_at_ms,
    }
}
