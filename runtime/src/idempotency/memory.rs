//! [`MemoryStore`]: claims and results in this process's memory.

use std::collections::HashMap;
use std::future::{Future, ready};
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::key::Key;
use super::store::{Claim, ClaimAnswer, Completion, Release, Store, StoreError, Stored, StoredState};

/// A [`Store`] in this process's memory.
///
/// **One process only**: each Lambda execution environment has its own, so
/// it stops duplicates within one environment (the same message twice in a
/// batch, a redelivery that lands on the same environment) but not across
/// environments. Use it in tests, the simulator and demos; deploy with a
/// shared store (`DynamoDbStore`).
///
/// Expired items are swept out as new keys are claimed, so memory stays
/// bounded by the keys live at once.
#[derive(Debug, Default)]
pub struct MemoryStore {
    items: Mutex<Items>,
}

#[derive(Debug, Default)]
struct Items {
    by_key: HashMap<Key, Stored>,
    /// Claims since the last sweep of expired items.
    since_sweep: usize,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryStore::default()
    }

    /// How many items the store holds, expired ones not yet swept included.
    pub fn len(&self) -> usize {
        self.items().by_key.len()
    }

    /// `true` if the store holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn items(&self) -> MutexGuard<'_, Items> {
        // The map is never left half-written, so a poisoned lock is safe to use.
        self.items.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Items {
    fn claim(&mut self, claim: &Claim<'_>) -> ClaimAnswer {
        if let Some(stored) = self.by_key.get(claim.key).filter(|stored| stored.is_live(claim.now_ms)) {
            return ClaimAnswer::Taken(stored.clone());
        }
        self.by_key.insert(
            claim.key.clone(),
            Stored {
                state: StoredState::InProgress { token: claim.token.to_owned() },
                payload_hash: claim.payload_hash.to_owned(),
                expires_at_ms: claim.expires_at_ms,
            },
        );
        ClaimAnswer::Claimed
    }

    /// `true` if `token` holds the key's claim, or nobody does.
    fn held_by(&self, key: &Key, token: &str) -> bool {
        match self.by_key.get(key).map(|stored| &stored.state) {
            None => true,
            Some(StoredState::InProgress { token: holder }) => holder == token,
            Some(StoredState::Completed { .. }) => false,
        }
    }

    fn sweep(&mut self, now_ms: u64) {
        self.since_sweep += 1;
        if self.since_sweep >= self.by_key.len().max(1024) {
            self.by_key.retain(|_, stored| stored.is_live(now_ms));
            self.since_sweep = 0;
        }
    }
}

impl Store for MemoryStore {
    fn claim<'a>(
        &'a self,
        claims: &'a [Claim<'a>],
    ) -> impl Future<Output = Result<Vec<ClaimAnswer>, StoreError>> + Send + 'a {
        let mut items = self.items();
        if let Some(first) = claims.first() {
            items.sweep(first.now_ms);
        }
        ready(Ok(claims.iter().map(|claim| items.claim(claim)).collect()))
    }

    fn complete<'a>(
        &'a self,
        completions: &'a [Completion<'a>],
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'a {
        let mut items = self.items();
        for completion in completions {
            if items.held_by(completion.key, completion.token) {
                items.by_key.insert(
                    completion.key.clone(),
                    Stored {
                        state: StoredState::Completed { response: completion.response.map(str::to_owned) },
                        payload_hash: completion.payload_hash.to_owned(),
                        expires_at_ms: completion.expires_at_ms,
                    },
                );
            }
        }
        ready(Ok(()))
    }

    fn release<'a>(
        &'a self,
        releases: &'a [Release<'a>],
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'a {
        let mut items = self.items();
        for release in releases {
            let ours = matches!(
                items.by_key.get(release.key).map(|stored| &stored.state),
                Some(StoredState::InProgress { token }) if token == release.token
            );
            if ours {
                items.by_key.remove(release.key);
            }
        }
        ready(Ok(()))
    }

    fn read<'a>(
        &'a self,
        keys: &'a [&'a Key],
    ) -> impl Future<Output = Result<Vec<Option<Stored>>, StoreError>> + Send + 'a {
        let items = self.items();
        ready(Ok(keys.iter().map(|key| items.by_key.get(*key).cloned()).collect()))
    }
}
