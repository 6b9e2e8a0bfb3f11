//! Idempotency for asynchronous invocations (S3, SNS, EventBridge calling
//! a function directly): a `tower` layer over any `lambda_runtime`
//! service, keyed on the request id, which Lambda keeps on every retry of
//! the same event.

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use futures_util::FutureExt;
use lambda_runtime::tower::{Layer, Service};
use lambda_runtime::{Context, LambdaEvent};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::batch::in_progress_expiry;
use super::clock::{after_ms, now_ms, within};
use super::config::Idempotency;
use super::error::{IdempotencyError, InvocationError};
use super::key::{Key, hash_hex};
use super::store::{Claim, ClaimAnswer, Completion, Release, Store, StoreError, StoredState};
use super::token::claim_token;

/// Chooses an asynchronous invocation's idempotency key.
pub trait EventKey<E>: Send + Sync {
    /// The invocation's key, before hashing.
    ///
    /// # Errors
    /// Why the event has none: the invocation then fails.
    fn key(&self, event: &E, cx: &Context) -> Result<String, String>;
}

/// The default key of an asynchronous invocation: its request id, the same
/// on each of Lambda's retries of the event.
impl<E> EventKey<E> for super::key::RecordIdKey {
    fn key(&self, _event: &E, cx: &Context) -> Result<String, String> {
        Ok(cx.request_id.clone())
    }
}

/// The request id as the key, named for readers of hand-written code (the
/// same as the default).
pub type RequestIdKey = super::key::RecordIdKey;

/// A key from a function of the event, for events that carry their own
/// identity (an S3 object's key and version, an order id):
/// `event_key_fn(|event: &Order| Ok::<_, String>(event.id.to_string()))`.
pub fn event_key_fn<F>(function: F) -> EventKeyFn<F> {
    EventKeyFn(function)
}

/// The key made by [`event_key_fn`].
#[derive(Debug, Clone, Copy)]
pub struct EventKeyFn<F>(F);

impl<E, F, K, Er> EventKey<E> for EventKeyFn<F>
where
    F: Fn(&E) -> Result<K, Er> + Send + Sync,
    K: Into<String>,
    Er: fmt::Display,
{
    fn key(&self, event: &E, _cx: &Context) -> Result<String, String> {
        (self.0)(event).map(Into::into).map_err(|error| error.to_string())
    }
}

/// A `tower` layer making any `lambda_runtime` service idempotent: see
/// [`IdempotentService`].
///
/// ```no_run
/// use lambda_batch::idempotency::{Idempotency, IdempotentLayer, MemoryStore};
/// use lambda_runtime::tower::ServiceBuilder;
/// use lambda_runtime::{service_fn, LambdaEvent};
///
/// async fn charge(event: LambdaEvent<serde_json::Value>) -> Result<serde_json::Value, lambda_runtime::Error> {
///     Ok(serde_json::json!({ "charged": event.payload["amount"] }))
/// }
///
/// #[tokio::main]
/// async fn main() -> Result<(), lambda_runtime::Error> {
///     lambda_runtime::tracing::init_default_subscriber();
///     let service = ServiceBuilder::new()
///         .layer(IdempotentLayer::new(Idempotency::new(MemoryStore::new())))
///         .service(service_fn(charge));
///     lambda_runtime::run(service).await
/// }
/// ```
#[derive(Debug)]
pub struct IdempotentLayer<St, K> {
    idempotency: Arc<Idempotency<St, K>>,
}

impl<St, K> Clone for IdempotentLayer<St, K> {
    fn clone(&self) -> Self {
        IdempotentLayer { idempotency: Arc::clone(&self.idempotency) }
    }
}

impl<St, K> IdempotentLayer<St, K> {
    /// The layer for `idempotency`.
    pub fn new(idempotency: Idempotency<St, K>) -> Self {
        IdempotentLayer { idempotency: Arc::new(idempotency) }
    }
}

impl<Svc, St, K> Layer<Svc> for IdempotentLayer<St, K> {
    type Service = IdempotentService<Svc, St, K>;

    fn layer(&self, inner: Svc) -> Self::Service {
        IdempotentService { inner, idempotency: Arc::clone(&self.idempotency) }
    }
}

/// `handler` (a `service_fn` function) made idempotent: the same as
/// `IdempotentLayer::new(idempotency).layer(service_fn(handler))`.
pub fn idempotent<F, St, K>(
    idempotency: Idempotency<St, K>,
    handler: F,
) -> IdempotentService<lambda_runtime::tower::util::ServiceFn<F>, St, K> {
    IdempotentLayer::new(idempotency).layer(lambda_runtime::service_fn(handler))
}

/// An idempotent asynchronous handler.
///
/// Each invocation claims its key (the request id by default) before the
/// handler runs. A key that completed earlier answers with the stored
/// response, without running the handler. A key in progress elsewhere (the
/// same event delivered twice at once) fails, so Lambda retries it later.
/// When the handler fails or panics, the claim is released so Lambda's
/// retry runs. The claim expires at the invocation's deadline, so an
/// invocation that timed out never blocks its retries.
#[derive(Debug)]
pub struct IdempotentService<Svc, St, K> {
    inner: Svc,
    idempotency: Arc<Idempotency<St, K>>,
}

impl<Svc: Clone, St, K> Clone for IdempotentService<Svc, St, K> {
    fn clone(&self) -> Self {
        IdempotentService { inner: self.inner.clone(), idempotency: Arc::clone(&self.idempotency) }
    }
}

impl<Svc, St, K, E, R> Service<LambdaEvent<E>> for IdempotentService<Svc, St, K>
where
    Svc: Service<LambdaEvent<E>, Response = R> + Clone + Send + 'static,
    Svc::Future: Send,
    Svc::Error: Send,
    St: Store + 'static,
    K: EventKey<E> + 'static,
    E: Serialize + Send + Sync + 'static,
    R: Serialize + DeserializeOwned + Send + Sync + 'static,
{
    type Response = R;
    type Error = InvocationError<Svc::Error>;
    type Future = Pin<Box<dyn Future<Output = Result<R, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(InvocationError::Handler)
    }

    fn call(&mut self, event: LambdaEvent<E>) -> Self::Future {
        // The clone takes the place of the service made ready above.
        let ready = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, ready);
        Box::pin(call(inner, Arc::clone(&self.idempotency), event))
    }
}

/// The claim one invocation made, to settle when it ends.
struct Held {
    key: Key,
    payload_hash: String,
    token: String,
}

async fn call<Svc, St, K, E, R>(
    mut inner: Svc,
    idempotency: Arc<Idempotency<St, K>>,
    event: LambdaEvent<E>,
) -> Result<R, InvocationError<Svc::Error>>
where
    Svc: Service<LambdaEvent<E>, Response = R>,
    St: Store,
    K: EventKey<E>,
    E: Serialize,
    R: Serialize + DeserializeOwned,
{
    let held = match claim(&idempotency, &event).await.map_err(InvocationError::Idempotency)? {
        Claimed::Replay(response) => return Ok(response),
        Claimed::Held(held) => held,
    };
    // A panic while making the future, or while polling it, gives the
    // claim back before it goes on, so Lambda's retry runs.
    let run = match std::panic::catch_unwind(AssertUnwindSafe(|| inner.call(event))) {
        Ok(future) => AssertUnwindSafe(future).catch_unwind().await,
        Err(panic) => Err(panic),
    };
    let result = match run {
        Ok(result) => result.map_err(InvocationError::Handler),
        Err(panic) => {
            release(&idempotency, &held).await;
            std::panic::resume_unwind(panic);
        }
    };
    match &result {
        Ok(response) => complete(&idempotency, &held, response).await,
        Err(_) => release(&idempotency, &held).await,
    }
    result
}

enum Claimed<R> {
    Held(Held),
    Replay(R),
}

async fn claim<St, K, E, R>(
    idempotency: &Idempotency<St, K>,
    event: &LambdaEvent<E>,
) -> Result<Claimed<R>, IdempotencyError>
where
    St: Store,
    K: EventKey<E>,
    E: Serialize,
    R: DeserializeOwned,
{
    let cx = &event.context;
    let raw =
        idempotency.key.key(&event.payload, cx).map_err(|problem| IdempotencyError::NoKey { problem })?;
    if raw.is_empty() {
        return Err(IdempotencyError::NoKey { problem: "the key is empty".to_owned() });
    }
    let key = Key::new(idempotency.prefix_for(&cx.env_config.function_name), &raw);
    let payload_hash = hash_hex(&canonical_json(&event.payload).map_err(IdempotencyError::Payload)?);
    let token = claim_token(&cx.request_id);
    let now = now_ms();
    let deadline = crate::engine::deadline::invocation_deadline(cx);
    let claim = Claim {
        key: &key,
        payload_hash: &payload_hash,
        token: &token,
        now_ms: now,
        expires_at_ms: in_progress_expiry(idempotency, now, deadline),
    };
    let claims = [claim];
    let answers = within(deadline, "claiming the invocation's key", idempotency.store.claim(&claims))
        .await
        .map_err(IdempotencyError::Store)?;
    let Some(answer) = answers.into_iter().next() else {
        return Err(IdempotencyError::Store(StoreError::new(
            super::store::StoreErrorKind::Other,
            "the store answered no claim for one key",
        )));
    };
    let stored = match answer {
        ClaimAnswer::Claimed => return Ok(Claimed::Held(Held { key, payload_hash, token })),
        ClaimAnswer::Failed(error) => return Err(IdempotencyError::Store(error)),
        ClaimAnswer::Taken(stored) => stored,
    };
    if stored.payload_hash != payload_hash {
        return Err(IdempotencyError::PayloadMismatch { key });
    }
    match stored.state {
        StoredState::InProgress { .. } => {
            Err(IdempotencyError::InProgress { key, expires_in_ms: stored.expires_at_ms.saturating_sub(now) })
        }
        StoredState::Completed { response: None } => Err(IdempotencyError::StoredResponse {
            key,
            problem: "it was completed without a response (the response could not be serialized, or a batch \
                      handler shares the prefix)"
                .to_owned(),
        }),
        StoredState::Completed { response: Some(json) } => match serde_json::from_str(&json) {
            Ok(response) => {
                tracing::info!(key = %key, "invocation handled before: its stored response is replayed");
                Ok(Claimed::Replay(response))
            }
            Err(error) => Err(IdempotencyError::StoredResponse { key, problem: error.to_string() }),
        },
    }
}

async fn complete<St: Store, K, R: Serialize>(idempotency: &Idempotency<St, K>, held: &Held, response: &R) {
    // A response that cannot be serialized still completes the key (with
    // no response): the effect happened, so a retry must not run it again;
    // it fails with `StoredResponse` instead.
    let json = serde_json::to_string(response)
        .inspect_err(|error| {
            tracing::error!(
                key = %held.key,
                error = %error,
                "the response cannot be serialized: the key is completed without it, so a retry fails rather than \
                 running again"
            );
        })
        .ok();
    let completion = Completion {
        key: &held.key,
        token: &held.token,
        payload_hash: &held.payload_hash,
        response: json.as_deref(),
        expires_at_ms: after_ms(now_ms(), idempotency.completed_expiry),
    };
    if let Err(error) = idempotency.store.complete(&[completion]).await {
        tracing::error!(
            key = %held.key,
            error = %error,
            "the response could not be stored: a retry of this event within the claim's expiry fails, and one \
             after it runs again"
        );
    }
}

async fn release<St: Store, K>(idempotency: &Idempotency<St, K>, held: &Held) {
    let release = Release { key: &held.key, token: &held.token };
    if let Err(error) = idempotency.store.release(&[release]).await {
        tracing::warn!(
            key = %held.key,
            error = %error,
            "the claim could not be released: Lambda's retry fails until it expires"
        );
    }
}

/// The event as JSON with every object's keys sorted, so the same event
/// hashes the same however its maps were ordered (events hold `HashMap`s,
/// whose order changes from one deserialization to the next).
fn canonical_json<E: Serialize>(event: &E) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::new();
    write_canonical(&serde_json::to_value(event)?, &mut out)?;
    Ok(out)
}

fn write_canonical(value: &serde_json::Value, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
    match value {
        serde_json::Value::Object(members) => {
            let mut sorted: Vec<_> = members.iter().collect();
            sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (position, (name, member)) in sorted.into_iter().enumerate() {
                if position > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, name)?;
                out.push(b':');
                write_canonical(member, out)?;
            }
            out.push(b'}');
        }
        serde_json::Value::Array(items) => {
            out.push(b'[');
            for (position, item) in items.iter().enumerate() {
                if position > 0 {
                    out.push(b',');
                }
                write_canonical(item, out)?;
            }
            out.push(b']');
        }
        scalar => serde_json::to_writer(&mut *out, scalar)?,
    }
    Ok(())
}
