//! One record's work in a hand-written handler, made visible to
//! `lambda-batch-testkit`.
//!
//! A handler written without `#[batch_handler]` wraps each record's work in
//! [`observe`]. In a normal build (no `fault-injection` feature) that is
//! the work itself, awaited. Under the testkit's harness or simulator, the
//! call is logged like the engine's calls (so every invariant can be
//! checked) and the fault plan reaches the work: an injected error, a
//! panic, a delay or a hang.

use std::future::Future;

use crate::engine::observe::{ApplyFault, Observer};
use crate::observer::{current, within};
use crate::outcome::{RecordError, RecordErrorKind};
use crate::report::RecordStatus;

/// The error a fault plan puts in place of a record's work (see
/// [`observe`]). Your handler treats it like any failure of that record:
/// it reports the record for retry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "injected failure: the test's fault plan fails record `{id}` (not a bug in your handler: report this \
     record for retry like any other failure)"
)]
pub struct InjectedFailure {
    id: String,
}

impl InjectedFailure {
    /// The identifier of the record it fails.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// Runs `work`, the processing of the record named `id` (its `messageId`,
/// sequence number, or Kafka `<topic>-<partition>@<offset>`), and returns
/// its result unchanged.
///
/// In a normal build this is `work.await`. Under `lambda-batch-testkit`
/// (which turns on the `fault-injection` feature) the call is logged, so
/// the testkit checks call order and that exactly the failed records are
/// reported, and the test's fault plan reaches the work: an
/// [`InjectedFailure`] instead of running it, a panic, a delay, or a hang.
///
/// Wrap everything that decides the record's fate, decoding included:
///
/// ```
/// use lambda_batch::aws_events::{SqsBatchResponse, SqsEvent};
/// use lambda_batch::{observe, Error, LambdaEvent};
///
/// async fn handler(event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, Error> {
///     let mut response = SqsBatchResponse::default();
///     for message in &event.payload.records {
///         let Some(id) = message.message_id.as_deref().filter(|id| !id.is_empty()) else {
///             return Err("a message has no messageId; failing the batch so that nothing is lost".into());
///         };
///         let work = observe(id, async {
///             let body = message.body.as_deref().unwrap_or_default();
///             let _order: serde_json::Value = serde_json::from_str(body)?;
///             Ok::<(), Error>(())
///         });
///         if work.await.is_err() {
///             response.add_failure(id.to_owned());
///         }
///     }
///     Ok(response)
/// }
/// ```
///
/// # Errors
/// `work`'s own error, or an [`InjectedFailure`] converted into `E`
/// (`lambda_runtime::Error`, `anyhow::Error` and `Box<dyn Error + Send +
/// Sync>` convert it already).
pub async fn observe<T, E, F>(id: &str, work: F) -> Result<T, E>
where
    F: Future<Output = Result<T, E>>,
    E: From<InjectedFailure>,
{
    let observer = current();
    let Some((index, fault)) = observer.start_named(id) else { return work.await };
    let mut guard = EndOnUnwind { observer: &observer, index, armed: true };
    let result = match fault {
        None => work.await,
        Some(fault) => fault.apply(work, || Err(InjectedFailure { id: id.to_owned() }.into())).await,
    };
    guard.armed = false;
    let status = match &result {
        Ok(_) => RecordStatus::Succeeded,
        Err(_) => RecordStatus::Failed(RecordError::new(
            RecordErrorKind::Handler,
            "the record's work returned an error",
        )),
    };
    observer.end(index, &status);
    result
}

/// [`observe`] as a future of its own, to hand to `tokio::spawn` when each
/// record runs in its own task (which also isolates its panics: the task's
/// `JoinError`).
///
/// `observe` finds the test's fault plan in a task-local, and a spawned
/// task does not inherit task-locals: `observe` called inside the spawned
/// task sees no plan, so its work is neither logged nor faulted. This
/// future takes the plan of the task that makes it and runs `observe` with
/// it, wherever it is polled. In a normal build it is `observe(id, work)`.
///
/// ```
/// use lambda_batch::{observed_task, Error};
///
/// # async fn example(ids: Vec<String>) -> Result<(), Error> {
/// let tasks: Vec<_> = ids
///     .into_iter()
///     .map(|id| tokio::spawn(observed_task(id.clone(), async move { Ok::<_, Error>(id.len()) })))
///     .collect();
/// for task in tasks {
///     // `Ok(Err(_))`: the work failed; `Err(_)`: it panicked.
///     if !matches!(task.await, Ok(Ok(_))) {
///         // report this record
///     }
/// }
/// # Ok(())
/// # }
/// ```
pub fn observed_task<T, E, F>(
    id: impl Into<String>,
    work: F,
) -> impl Future<Output = Result<T, E>> + Send + 'static
where
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: From<InjectedFailure> + Send + 'static,
{
    let id = id.into();
    let observer = current();
    async move { within(observer, observe(&id, work)).await }
}

/// Logs a panic out of the work as the record's failure. (Work dropped
/// before it finished, without a panic, stays logged as never ended.)
struct EndOnUnwind<'o, O: Observer> {
    observer: &'o O,
    index: usize,
    armed: bool,
}

impl<O: Observer> Drop for EndOnUnwind<'_, O> {
    fn drop(&mut self) {
        if self.armed && std::thread::panicking() {
            let status =
                RecordStatus::Failed(RecordError::new(RecordErrorKind::Panic, "the record's work panicked"));
            self.observer.end(self.index, &status);
        }
    }
}
