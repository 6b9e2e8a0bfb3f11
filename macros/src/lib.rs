//! The `#[batch_handler]` attribute of [lambda-batch](https://docs.rs/lambda-batch).
//!
//! Use it through `lambda_batch::batch_handler`; this crate only turns
//! tokens into tokens:
//!
//! - `args` reads the attribute's options;
//! - `parse` reads the function's signature and keeps its body as tokens, so
//!   a syntax error in the body (an edit in progress) is left for rustc to
//!   report at its place while the handler is still generated;
//! - `validate` checks them, collecting every error (`errors`), and builds
//!   the model to render;
//! - `expand` renders the code, one function per generated item: the
//!   `CONFIG` constant in `expand::config` (the one place that names the
//!   runtime's config builders), the `RecordHandler` impl in
//!   `expand::record_handler`, and in `expand::fallback` what stands in for
//!   the handler when validation failed, so that one mistake gives one error.

#![forbid(unsafe_code)]
#![warn(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::missing_docs_in_private_items)]

mod args;
mod choices;
mod errors;
mod expand;
mod parse;
mod validate;

use proc_macro::TokenStream;

/// Turns a function that handles ONE record into an AWS Lambda batch handler.
///
/// The [`lambda_batch` crate documentation](https://docs.rs/lambda-batch) has
/// an example per source and what a record function may take and return;
/// every option is below. A handler with a `#[state]` parameter takes `&State`
/// first: pass it to `lambda_runtime::service_fn` as a closure,
/// `service_fn(|event| handle_order(&state, event))`.
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
