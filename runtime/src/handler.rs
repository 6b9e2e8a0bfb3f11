//! The two traits that connect a record function to the engine.

use std::future::Future;

use lambda_runtime::Context;

use crate::outcome::RecordOutcome;

/// An event source: the kind of record a batch holds.
///
/// Implemented by the marker types of each source module, such as
/// [`sqs::Sqs`](crate::sqs::Sqs).
pub trait Source: 'static {
    /// The engine's view of one record of this source, borrowing the event.
    type Record<'e>;

    /// Shortens the event lifetime of a record borrowed for `'a` (records
    /// are covariant in it; a generic projection cannot show that).
    fn shorten<'a, 'e: 'a>(record: &'a Self::Record<'e>) -> &'a Self::Record<'a>;
}

/// Handles one record of source `S`.
///
/// `#[batch_handler]` implements this for you. Implement it by hand to use the
/// engine without the macro, for example:
///
/// ```
/// use lambda_batch::{sqs::{Sqs, SqsRecord}, Context, RecordHandler, RecordOutcome};
///
/// struct Greeter;
///
/// impl RecordHandler<Sqs> for Greeter {
///     async fn handle(&self, record: &SqsRecord<'_>, _cx: &Context) -> RecordOutcome {
///         match record.body() {
///             Some(name) if !name.is_empty() => RecordOutcome::Success,
///             _ => RecordOutcome::failure("nobody to greet"),
///         }
///     }
/// }
///
/// // The future must be `Send`: an `async fn` whose state is `Send` is.
/// ```
pub trait RecordHandler<S: Source> {
    /// Handles one record. Panics inside the future (or in this call) are
    /// caught by the engine and fail this record only.
    fn handle<'a>(
        &'a self,
        record: &'a S::Record<'a>,
        cx: &'a Context,
    ) -> impl Future<Output = RecordOutcome> + Send + 'a;
}
