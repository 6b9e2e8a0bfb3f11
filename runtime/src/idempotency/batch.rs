//! The records' side of idempotency: claim every key of a batch in one
//! call before any record runs, decide per record (run, replay, refuse),
//! and settle every claim in one call after the batch.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use lambda_runtime::Context;
use tokio::time::Instant;

use super::clock::{after_ms, now_ms, within};
use super::config::{Idempotency, NO_DEADLINE_IN_PROGRESS_EXPIRY};
use super::key::{Key, RecordKey, hash_hex};
use super::store::{Claim, ClaimAnswer, Completion, Release, Store, StoreError, StoreErrorKind, StoredState};
use super::token::claim_token;
use crate::outcome::{RecordError, RecordErrorKind};
use crate::report::RecordStatus;
use crate::source::Source;

/// A future the engine awaits once per batch (boxed: two per batch, so
/// the handler can hand its idempotency over as a trait object).
pub type BatchFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Idempotency for the records of source `S`: what
/// [`RecordHandler::idempotency`](crate::RecordHandler::idempotency)
/// returns. [`Idempotency`] implements it for every source whose records
/// its key can name; you never call its methods yourself.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an idempotency setting for this handler's records",
    label = "not `Idempotency<Store, Key>` for this source",
    note = "return `&Idempotency<S, K>` where `S: Store` and `K: RecordKey<Source>` (the default key names every source's records)"
)]
pub trait BatchIdempotency<S: Source>: Send + Sync {
    /// Claims every record's key (the claims expiring at `deadline` unless
    /// set otherwise; the call bounded by `claim_by`); decides each record.
    #[doc(hidden)]
    fn claim<'a, 'e: 'a>(
        &'a self,
        records: &'a [S::Record<'e>],
        cx: &'a Context,
        deadline: Option<Instant>,
        claim_by: Option<Instant>,
    ) -> BatchFuture<'a, BatchClaims>;

    /// Completes the claims of records done, releases the others.
    #[doc(hidden)]
    fn settle<'a>(
        &'a self,
        claims: &'a BatchClaims,
        statuses: &'a [RecordStatus],
        settle_by: Option<Instant>,
    ) -> BatchFuture<'a, ()>;
}

/// What the claims of one batch decided, record by record.
#[doc(hidden)]
#[derive(Debug)]
pub struct BatchClaims {
    token: String,
    entries: Vec<Entry>,
}

#[derive(Debug)]
struct Entry {
    /// The record's key, once it had one.
    key: Option<Key>,
    payload_hash: String,
    decision: Decision,
    /// The claim is this invocation's: settle it.
    claimed: bool,
}

/// What to do with one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Its key is claimed: run it.
    Run,
    /// Its key completed earlier: answer success without running it.
    Replay,
    /// It must not run now: fail it (it is retried) with this error.
    Refuse(RecordError),
}

impl BatchClaims {
    /// The decision for record `index` (`Run` past the end: nothing claimed
    /// means nothing to guard).
    pub(crate) fn decision(&self, index: usize) -> &Decision {
        self.entries.get(index).map_or(&Decision::Run, |entry| &entry.decision)
    }

    /// The stored key of record `index`, if it has one.
    pub(crate) fn key(&self, index: usize) -> Option<&Key> {
        self.entries.get(index).and_then(|entry| entry.key.as_ref())
    }
}

fn refused(message: String) -> Decision {
    Decision::Refuse(RecordError::new(RecordErrorKind::Idempotency, message))
}

impl<S, St, K> BatchIdempotency<S> for Idempotency<St, K>
where
    S: Source,
    St: Store,
    K: RecordKey<S>,
{
    fn claim<'a, 'e: 'a>(
        &'a self,
        records: &'a [S::Record<'e>],
        cx: &'a Context,
        deadline: Option<Instant>,
        claim_by: Option<Instant>,
    ) -> BatchFuture<'a, BatchClaims> {
        Box::pin(claim_batch::<S, St, K>(self, records, cx, deadline, claim_by))
    }

    fn settle<'a>(
        &'a self,
        claims: &'a BatchClaims,
        statuses: &'a [RecordStatus],
        settle_by: Option<Instant>,
    ) -> BatchFuture<'a, ()> {
        Box::pin(settle_batch(self, claims, statuses, settle_by))
    }
}

/// When a claim made now expires: the configured expiry, else the
/// invocation's deadline, else (no deadline) 15 minutes.
pub(crate) fn in_progress_expiry<St, K>(
    idempotency: &Idempotency<St, K>,
    now: u64,
    deadline: Option<Instant>,
) -> u64 {
    let until_deadline = deadline.map(|deadline| deadline.saturating_duration_since(Instant::now()));
    after_ms(now, idempotency.in_progress_expiry.or(until_deadline).unwrap_or(NO_DEADLINE_IN_PROGRESS_EXPIRY))
}

async fn claim_batch<'e, S, St, K>(
    idempotency: &Idempotency<St, K>,
    records: &[S::Record<'e>],
    cx: &Context,
    deadline: Option<Instant>,
    claim_by: Option<Instant>,
) -> BatchClaims
where
    S: Source,
    St: Store,
    K: RecordKey<S>,
{
    let now = now_ms();
    let expires_at_ms = in_progress_expiry(idempotency, now, deadline);
    let prefix = idempotency.prefix_for(&cx.env_config.function_name);
    let token = claim_token(&cx.request_id);
    let mut entries = Vec::with_capacity(records.len());
    let mut first_with_key: HashMap<Key, usize> = HashMap::new();
    // (copy, first): records sharing a key with an earlier record.
    let mut copies = Vec::new();
    for (index, record) in records.iter().enumerate() {
        let record = S::shorten(record);
        let payload_hash = hash_hex(&idempotency.key.payload(record));
        let entry = match idempotency.key.key(record, cx) {
            Err(problem) => Entry { key: None, payload_hash, decision: no_key(&problem), claimed: false },
            Ok(raw) if raw.is_empty() => {
                Entry { key: None, payload_hash, decision: no_key("the key is empty"), claimed: false }
            }
            Ok(raw) => {
                let key = Key::new(prefix, &raw);
                let decision = match first_with_key.get(&key) {
                    Some(&first) => {
                        copies.push((index, first));
                        refused(format!(
                            "record {first} of this batch has the same idempotency key ({key}) and runs in this \
                         invocation; this copy is failed so it is retried later (and then replayed if the first \
                         succeeded), never run twice"
                        ))
                    }
                    None => {
                        first_with_key.insert(key.clone(), index);
                        Decision::Run
                    }
                };
                Entry { key: Some(key), payload_hash, decision, claimed: false }
            }
        };
        entries.push(entry);
    }
    let (to_claim, claims): (Vec<usize>, Vec<Claim<'_>>) = entries
        .iter()
        .enumerate()
        .filter_map(|(index, entry)| match (&entry.key, &entry.decision) {
            (Some(key), Decision::Run) => Some((
                index,
                Claim { key, payload_hash: &entry.payload_hash, token: &token, now_ms: now, expires_at_ms },
            )),
            _ => None,
        })
        .unzip();
    if !claims.is_empty() {
        let answers = within(claim_by, "claiming the batch's keys", idempotency.store.claim(&claims)).await;
        // A failed or short answer may still have claimed some keys (a
        // timeout after the store applied them): every record fails, so
        // give back whatever this token may hold.
        let ambiguous = !matches!(&answers, Ok(answers) if answers.len() == claims.len());
        let decisions = decide(&claims, answers);
        if ambiguous {
            release_attempted(&idempotency.store, &claims, &token, deadline).await;
        }
        drop(claims);
        for (index, (decision, claimed)) in to_claim.into_iter().zip(decisions) {
            entries[index].decision = decision;
            entries[index].claimed = claimed;
        }
    }
    replay_copies_of_replays(&mut entries, &copies);
    BatchClaims { token, entries }
}

/// Releases every key of `claims` this `token` may hold (best effort,
/// bounded by the deadline): after a claim call whose answer is unknown.
async fn release_attempted<St: Store>(
    store: &St,
    claims: &[Claim<'_>],
    token: &str,
    deadline: Option<Instant>,
) {
    let releases: Vec<Release<'_>> = claims.iter().map(|claim| Release { key: claim.key, token }).collect();
    if let Err(error) =
        within(deadline, "giving back the claims of a failed claim call", store.release(&releases)).await
    {
        tracing::warn!(
            error = %error,
            keys = releases.len(),
            "could not give back the claims of a failed claim call: any the store made expire at the deadline"
        );
    }
}

/// A copy of a record whose key completed before (same payload) is
/// replayed too: nothing of it runs, so nothing needs a retry.
fn replay_copies_of_replays(entries: &mut [Entry], copies: &[(usize, usize)]) {
    for &(copy, first) in copies {
        if entries[first].decision == Decision::Replay
            && entries[first].payload_hash == entries[copy].payload_hash
        {
            entries[copy].decision = Decision::Replay;
        }
    }
}

fn no_key(problem: &str) -> Decision {
    refused(format!(
        "the record has no idempotency key ({problem}); it is failed rather than run without a claim: fix the \
         key function, or the record"
    ))
}

/// One decision (and whether the claim is ours) per claim, from the store's
/// answers.
fn decide(claims: &[Claim<'_>], answers: Result<Vec<ClaimAnswer>, StoreError>) -> Vec<(Decision, bool)> {
    let answers = match answers {
        Ok(answers) if answers.len() == claims.len() => answers,
        Ok(answers) => {
            let error = StoreError::new(
                StoreErrorKind::Other,
                format!("the store answered {} claims for {} keys", answers.len(), claims.len()),
            );
            return claims.iter().map(|claim| (store_failed(claim.key, &error), false)).collect();
        }
        Err(error) => return claims.iter().map(|claim| (store_failed(claim.key, &error), false)).collect(),
    };
    claims
        .iter()
        .zip(answers)
        .map(|(claim, answer)| match answer {
            ClaimAnswer::Claimed => (Decision::Run, true),
            ClaimAnswer::Failed(error) => (store_failed(claim.key, &error), false),
            ClaimAnswer::Taken(stored) if stored.payload_hash != claim.payload_hash => (
                refused(format!(
                    "the idempotency key {} was already used for a different payload (stored hash {}, this \
                     record's {}); it is not replayed: give different payloads different keys, or hash only the \
                     part that names the effect",
                    claim.key, stored.payload_hash, claim.payload_hash
                )),
                false,
            ),
            ClaimAnswer::Taken(stored) => match stored.state {
                StoredState::Completed { .. } => (Decision::Replay, false),
                StoredState::InProgress { .. } => (
                    refused(format!(
                        "another invocation is handling the same key ({}) right now; failed so it is retried \
                         later, and replayed then if that invocation succeeds (its claim expires in {} ms at the \
                         latest)",
                        claim.key,
                        stored.expires_at_ms.saturating_sub(claim.now_ms)
                    )),
                    false,
                ),
            },
        })
        .collect()
}

fn store_failed(key: &Key, error: &StoreError) -> Decision {
    refused(format!("{error} (key {key}); failed rather than run without a claim, so it is retried"))
}

async fn settle_batch<St: Store, K>(
    idempotency: &Idempotency<St, K>,
    claims: &BatchClaims,
    statuses: &[RecordStatus],
    settle_by: Option<Instant>,
) {
    let completed_until = after_ms(now_ms(), idempotency.completed_expiry);
    let mut completions = Vec::new();
    let mut releases = Vec::new();
    for (entry, status) in claims.entries.iter().zip(statuses) {
        let Some(key) = entry.key.as_ref().filter(|_| entry.claimed) else { continue };
        // Only a record the handler succeeded with completes its key. A
        // poison record is acknowledged, but its effect did not happen:
        // a copy sent again (after a fix) must run, so its claim is released.
        if *status != RecordStatus::Succeeded {
            releases.push(Release { key, token: &claims.token });
        } else {
            completions.push(Completion {
                key,
                token: &claims.token,
                payload_hash: &entry.payload_hash,
                response: None,
                expires_at_ms: completed_until,
            });
        }
    }
    if completions.is_empty() && releases.is_empty() {
        return;
    }
    let settled =
        within(settle_by, "writing the batch's results", idempotency.store.settle(&completions, &releases));
    if let Err(error) = settled.await {
        tracing::error!(
            error = %error,
            completed = completions.len(),
            released = releases.len(),
            "the idempotency store could not record this batch: records that succeeded are still acknowledged, \
             and their keys stay in progress until their claims expire; failed records are blocked until then"
        );
    }
}

/// How long past the abandon point the settling may take: a quarter of
/// the deadline margin, leaving a quarter to answer Lambda.
pub(crate) fn settle_allowance(margin: Duration) -> Duration {
    margin / 4
}
