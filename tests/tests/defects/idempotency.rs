//! Idempotency written by hand, and `lambda_batch::idempotency` set up
//! wrong, tested the documented way with the simulator and
//! `message_effects_exactly_once`: each mistake repeats an effect, or
//! acknowledges a message whose effect never happened.
//!
//! The hand-written handler claims each message in its own table before
//! the effect (one atomic step), skips a message done earlier, reports one
//! in progress elsewhere, completes the claim after the effect and
//! releases it after a failure. The mistakes: completing before the
//! effect, never completing (the claim only expires), releasing after a
//! success, keying on the receive count. With the library: a key on the
//! receive count, and results remembered for less time than a redelivery
//! takes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use lambda_batch::aws_events::{SqsBatchResponse, SqsEvent};
use lambda_batch::idempotency::{Idempotency, KeyFn, MemoryStore, key_fn};
use lambda_batch::sqs::SqsRecord;
use lambda_batch::{Error, LambdaEvent, RecordMeta, RecordOutcome, batch_handler, observe};
use lambda_batch_testkit::sim::{self, lambda_function};
use tokio::time::Instant;

use super::redelivery::{schedule, sqs_run};
use super::suite::{Case, Written, outcome};

/// The effect's downstream call takes virtual time, so copies overlap.
const CALL: Duration = Duration::from_millis(10);
/// How long a hand-written claim lasts: the function timeout.
const CLAIM: Duration = Duration::from_secs(3);

/// How the hand-written handler uses its claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Claims {
    /// Claim, effect, complete on success, release on failure.
    Correct,
    /// Completes the claim, then does the effect (which may fail).
    CompletedBeforeTheEffect,
    /// Claims and does the effect, never completes: the claim expires.
    NeverCompleted,
    /// Releases the claim after a success as after a failure.
    ReleasedAfterSuccess,
    /// Keys on the message id and its receive count.
    KeyedOnTheReceiveCount,
}

/// What a claim found.
enum Found {
    Claimed,
    Done,
    InProgress,
}

/// The hand-written handler's claims (key -> done, expiry) and effects.
#[derive(Default)]
struct Table {
    claims: Mutex<HashMap<String, (bool, Instant)>>,
    effects: Mutex<HashMap<String, u32>>,
}

impl Table {
    /// Claims `key` unless it is done, or claimed and not expired (atomic).
    fn claim(&self, key: &str) -> Found {
        let now = Instant::now();
        let mut claims = self.claims.lock().unwrap();
        match claims.get(key) {
            Some((true, _)) => Found::Done,
            Some((false, expires)) if *expires > now => Found::InProgress,
            _ => {
                claims.insert(key.to_owned(), (false, now + CLAIM));
                Found::Claimed
            }
        }
    }

    fn complete(&self, key: &str) {
        self.claims.lock().unwrap().insert(key.to_owned(), (true, Instant::now()));
    }

    fn release(&self, key: &str) {
        self.claims.lock().unwrap().remove(key);
    }

    async fn effect(&self, id: &str) {
        tokio::time::sleep(CALL).await;
        *self.effects.lock().unwrap().entry(id.to_owned()).or_default() += 1;
    }
}

/// A hand-written SQS handler charging each message once, with its claims
/// used as `claims` says.
async fn charge_by_hand(
    table: &Table,
    claims: Claims,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, Error> {
    let mut response = SqsBatchResponse::default();
    for message in &event.payload.records {
        let Some(id) = message.message_id.as_deref() else { return Err("a message has no messageId".into()) };
        let key = match claims {
            Claims::KeyedOnTheReceiveCount => {
                let count = message.attributes.get("ApproximateReceiveCount").map_or("", String::as_str);
                format!("{id}#{count}")
            }
            _ => id.to_owned(),
        };
        match table.claim(&key) {
            Found::Done => continue,
            Found::InProgress => {
                response.add_failure(id.to_owned());
                continue;
            }
            Found::Claimed => {}
        }
        if claims == Claims::CompletedBeforeTheEffect {
            table.complete(&key);
        }
        let work = observe(id, async {
            table.effect(id).await;
            Ok::<(), Error>(())
        });
        match (work.await, claims) {
            (Err(_), _) => {
                if claims != Claims::CompletedBeforeTheEffect {
                    table.release(&key);
                }
                response.add_failure(id.to_owned());
            }
            (Ok(()), Claims::NeverCompleted | Claims::CompletedBeforeTheEffect) => {}
            (Ok(()), Claims::ReleasedAfterSuccess) => table.release(&key),
            (Ok(()), _) => table.complete(&key),
        }
    }
    Ok(response)
}

/// A key on the message id and its receive count (a new key on every
/// redelivery).
type ReceiveCountKey = KeyFn<for<'r> fn(&'r SqsRecord<'r>) -> Result<String, String>>;

fn receive_count_key(record: &SqsRecord<'_>) -> Result<String, String> {
    Ok(format!("{}#{}", record.message_id(), record.receive_count().unwrap_or(0)))
}

/// A `#[batch_handler]`'s state: its effects and its idempotency.
struct Orders<K> {
    effects: Mutex<HashMap<String, u32>>,
    idempotency: Idempotency<MemoryStore, K>,
}

impl<K> Orders<K> {
    fn new(idempotency: Idempotency<MemoryStore, K>) -> Self {
        Orders { effects: Mutex::default(), idempotency }
    }

    async fn effect(&self, id: &str) -> RecordOutcome {
        tokio::time::sleep(CALL).await;
        *self.effects.lock().unwrap().entry(id.to_owned()).or_default() += 1;
        RecordOutcome::Success
    }
}

fn orders_idempotency(orders: &Orders<lambda_batch::idempotency::RecordIdKey>) -> &Idempotency<MemoryStore> {
    &orders.idempotency
}

fn counted_idempotency(orders: &Orders<ReceiveCountKey>) -> &Idempotency<MemoryStore, ReceiveCountKey> {
    &orders.idempotency
}

#[batch_handler(sqs, idempotency = orders_idempotency)]
async fn charge(
    #[state] orders: &Orders<lambda_batch::idempotency::RecordIdKey>,
    meta: RecordMeta<'_>,
) -> RecordOutcome {
    orders.effect(meta.id).await
}

#[batch_handler(sqs, idempotency = counted_idempotency)]
async fn charge_counted(#[state] orders: &Orders<ReceiveCountKey>, meta: RecordMeta<'_>) -> RecordOutcome {
    orders.effect(meta.id).await
}

/// A case whose test runs the simulator with `run` (the effects seen)
/// and checks nothing is lost and every effect happened once.
fn case(
    written: Written,
    defect: Option<&'static str>,
    run: impl Fn(&super::redelivery::Schedule) -> (sim::SqsReport, HashMap<String, u32>) + 'static,
) -> Case {
    Case {
        source: "SQS standard (simulated, idempotency)",
        written,
        defect,
        cases: 64,
        test: Box::new(move |runner| {
            outcome(runner.run(&schedule(), |s| {
                let (report, effects) = run(&s);
                sim::check::nothing_lost(&report)?;
                sim::check::message_effects_exactly_once(&report, &effects)
            }))
        }),
    }
}

fn by_hand(claims: Claims, defect: Option<&'static str>) -> Case {
    case(Written::ByHand, defect, move |s| {
        let table = Table::default();
        let report = sqs_run(s, &mut lambda_function(|event| charge_by_hand(&table, claims, event)));
        (report, table.effects.into_inner().unwrap())
    })
}

pub(crate) fn cases() -> Vec<Case> {
    let library = |completed_expiry: Option<Duration>, defect| {
        case(Written::ByMacro, defect, move |s| {
            let idempotency = Idempotency::new(MemoryStore::new());
            let orders = Orders::new(match completed_expiry {
                Some(expiry) => idempotency.with_completed_expiry(expiry),
                None => idempotency,
            });
            let report = sqs_run(s, &mut lambda_function(|event| charge(&orders, event)));
            (report, orders.effects.into_inner().unwrap())
        })
    };
    let counted = case(Written::ByMacro, Some("idempotency keyed on the receive count"), |s| {
        let key = key_fn(receive_count_key as for<'r> fn(&'r SqsRecord<'r>) -> Result<String, String>);
        let orders = Orders::new(Idempotency::new(MemoryStore::new()).with_key(key));
        let report = sqs_run(s, &mut lambda_function(|event| charge_counted(&orders, event)));
        (report, orders.effects.into_inner().unwrap())
    });
    vec![
        by_hand(Claims::Correct, None),
        by_hand(Claims::CompletedBeforeTheEffect, Some("claim completed before the effect is done")),
        by_hand(Claims::NeverCompleted, Some("claim never completed (it only expires)")),
        by_hand(Claims::ReleasedAfterSuccess, Some("claim released after a success")),
        by_hand(Claims::KeyedOnTheReceiveCount, Some("key includes the receive count")),
        library(None, None),
        counted,
        library(Some(Duration::from_secs(10)), Some("results kept for less than a redelivery takes")),
    ]
}
