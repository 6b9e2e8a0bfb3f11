//! The `#[batch_handler]` attribute of [lambda-batch](https://docs.rs/lambda-batch).
//!
//! Use it through `lambda_batch::batch_handler`; this crate only turns
//! tokens into tokens: `args` and `parse` read the attribute and the
//! function, `validate` checks them (collecting every error), and
//! `expand` renders the code, or a fallback item when validation failed so
//! that one mistake gives one error.

#![forbid(unsafe_code)]
#![warn(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::missing_docs_in_private_items)]

mod args;
mod errors;
mod expand;
mod parse;
mod validate;

use proc_macro::TokenStream;

/// Turns a function that handles ONE record into an AWS Lambda batch handler.
///
/// See the `lambda_batch` crate documentation for the full guide.
///
/// ```text
/// #[batch_handler(sqs)]
/// async fn handle_order(Json(order): Json<Order>, cx: &Context) -> Result<(), OrderError> { ... }
/// // lambda_runtime::run(lambda_runtime::service_fn(handle_order)).await
/// ```
///
/// # Options
///
#[doc = include_str!("options.md")]
#[proc_macro_attribute]
pub fn batch_handler(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::batch_handler(attr.into(), item.into()).into()
}
