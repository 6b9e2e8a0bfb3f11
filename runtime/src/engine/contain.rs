//! Panics that would otherwise escape the engine's isolation: a panic
//! payload whose `Drop` panics, and a future that panics when it is dropped
//! (abandoned by the record timeout or the deadline guard, or after it
//! finished).
//!
//! `catch_unwind` only covers what runs inside it; both of these run later,
//! when a value is dropped. Here every such drop happens inside
//! `catch_unwind` too, and a payload whose own drop panics again is leaked
//! rather than unwound (leaking a few bytes beats aborting the process or
//! failing every other record of the batch).

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

pin_project_lite::pin_project! {
    /// A future whose drop is contained: a panic while dropping it is
    /// caught (and logged), never unwound into the engine.
    pub(crate) struct Contained<F> {
        #[pin]
        inner: Option<F>,
    }

    impl<F> PinnedDrop for Contained<F> {
        fn drop(this: Pin<&mut Self>) {
            let mut inner = this.project().inner;
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| inner.set(None))) {
                tracing::warn!(
                    panic = %message(&*payload),
                    "a record's future panicked while being dropped; the panic was contained"
                );
                drop_payload(payload);
            }
        }
    }
}

impl<F> Contained<F> {
    /// Contains the drop of `future`.
    pub(crate) fn new(future: F) -> Self {
        Contained { inner: Some(future) }
    }
}

impl<F: Future> Future for Contained<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        match self.project().inner.as_pin_mut() {
            Some(future) => future.poll(cx),
            // Only a drop empties it, and nothing polls a dropped future.
            None => Poll::Pending,
        }
    }
}

/// The text of a panic payload (a `&str` or `String` payload, as `panic!`
/// makes), without moving it.
pub(crate) fn message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&'static str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "(the panic payload is not a string)".to_owned()
    }
}

/// Drops a panic payload; if its `Drop` panics, that second payload is
/// leaked rather than unwound.
pub(crate) fn drop_payload(payload: Box<dyn Any + Send>) {
    if let Err(nested) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        tracing::warn!("a panic payload panicked while being dropped; it was leaked instead");
        std::mem::forget(nested);
    }
}
