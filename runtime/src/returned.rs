//! How the code `#[batch_handler]` generates turns what a record function
//! returned into its [`RecordOutcome`], keeping an error's causes when the
//! error has them.
//!
//! [`IntoRecordOutcome`](crate::IntoRecordOutcome) takes any `E: Display` and keeps its text only: a
//! trait cannot also have an impl for `E: std::error::Error` (the two
//! overlap). The generated call picks the richest conversion by
//! method-resolution order ("autoref specialization"), on the concrete
//! return type it knows:
//!
//! ```text
//! let plain = <R as IntoRecordOutcome>::into_record_outcome;
//! (&&&returned(&value)).return_kind().into_outcome(value, plain)
//!   Self = &&Returned<Result<T, E>>, E: Error                       -> ErrorTag (causes kept)
//!   Self =  &Returned<Result<T, E>>, E: AsRef<dyn Error + Send + Sync>
//!           (Box<dyn Error + Send + Sync>, anyhow::Error, eyre::Report) -> BoxedErrorTag (causes kept)
//!   Self =   Returned<R>, any R                                     -> PlainTag (IntoRecordOutcome)
//! ```
//!
//! Method lookup tries `&&Returned`, then `&Returned`, then `Returned`,
//! and stops at the first whose trait is implemented, so a type that is
//! both an `Error` and `Display` takes the first. Every allowed return
//! type is `IntoRecordOutcome` (an `Error` is `Display`), and the generated
//! code names that conversion (`plain`, which only [`PlainTag`] calls):
//! a return type that is not allowed is reported there, on the type, with
//! `IntoRecordOutcome`'s message, and nowhere else. A hand-written handler
//! calls [`RecordOutcome::failure_from`] instead.

use std::error::Error;
use std::marker::PhantomData;

use crate::outcome::{RecordError, RecordErrorKind, RecordOutcome};

/// The success side of a `Result` a record function may return: `()` or a
/// [`RecordOutcome`].
pub trait OkValue {
    /// The outcome of `Ok(self)`.
    fn into_outcome(self) -> RecordOutcome;
}

impl OkValue for () {
    fn into_outcome(self) -> RecordOutcome {
        RecordOutcome::Success
    }
}

impl OkValue for RecordOutcome {
    fn into_outcome(self) -> RecordOutcome {
        self
    }
}

/// The type of a returned value, to choose its conversion (see the module
/// doc).
pub struct Returned<R>(PhantomData<R>);

/// The [`Returned`] of `value`'s type.
pub fn returned<R>(_value: &R) -> Returned<R> {
    Returned(PhantomData)
}

/// Chooses [`ErrorTag`]: the error is a `std::error::Error`.
pub trait ErrorReturn {
    /// The tag.
    fn return_kind(&self) -> ErrorTag {
        ErrorTag
    }
}

impl<T: OkValue, E: Error> ErrorReturn for &&Returned<Result<T, E>> {}

/// Chooses [`BoxedErrorTag`]: the error holds a `dyn Error`.
pub trait BoxedErrorReturn {
    /// The tag.
    fn return_kind(&self) -> BoxedErrorTag {
        BoxedErrorTag
    }
}

impl<T: OkValue, E: AsRef<dyn Error + Send + Sync>> BoxedErrorReturn for &Returned<Result<T, E>> {}

/// Chooses [`PlainTag`]: anything else.
pub trait PlainReturn {
    /// The tag.
    fn return_kind(&self) -> PlainTag {
        PlainTag
    }
}

impl<R> PlainReturn for Returned<R> {}

/// Converts a `Result` whose error is a `std::error::Error`.
pub struct ErrorTag;

impl ErrorTag {
    /// The outcome, with the error's causes (`_plain` is not called).
    pub fn into_outcome<T: OkValue, E: Error>(
        self,
        value: Result<T, E>,
        _plain: fn(Result<T, E>) -> RecordOutcome,
    ) -> RecordOutcome {
        match value {
            Ok(ok) => ok.into_outcome(),
            Err(error) => RecordOutcome::Failure(RecordError::from_error(RecordErrorKind::Handler, &error)),
        }
    }
}

/// Converts a `Result` whose error holds a `dyn Error`.
pub struct BoxedErrorTag;

impl BoxedErrorTag {
    /// The outcome, with the error's causes (`_plain` is not called).
    pub fn into_outcome<T: OkValue, E: AsRef<dyn Error + Send + Sync>>(
        self,
        value: Result<T, E>,
        _plain: fn(Result<T, E>) -> RecordOutcome,
    ) -> RecordOutcome {
        match value {
            Ok(ok) => ok.into_outcome(),
            Err(error) => {
                RecordOutcome::Failure(RecordError::from_error(RecordErrorKind::Handler, error.as_ref()))
            }
        }
    }
}

/// Converts through [`IntoRecordOutcome`](crate::IntoRecordOutcome) (the error's text only).
pub struct PlainTag;

impl PlainTag {
    /// The outcome: `plain(value)`, the return type's
    /// [`IntoRecordOutcome::into_record_outcome`](crate::IntoRecordOutcome::into_record_outcome).
    pub fn into_outcome<R>(self, value: R, plain: fn(R) -> RecordOutcome) -> RecordOutcome {
        plain(value)
    }
}
