//! The checks of the `parallel` option: the record function runs on a
//! worker thread, so it is a plain `fn` whose parameters own their data,
//! and records may run side by side under the source's policy.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::Type;

use super::Param;
use crate::args::{Args, FifoPolicyArg, SourceArg, StandardPolicyArg};
use crate::errors::Errors;
use crate::parse::RecordFn;

/// Checks `parallel`, if given, against the function and the other options.
pub(super) fn check_parallel(
    args: &Args,
    function: &RecordFn,
    params: &[Param],
    source: Option<SourceArg>,
    errors: &mut Errors,
) {
    let Some((_, span)) = args.parallel else { return };
    if let Some(asyncness) = &function.sig.asyncness {
        errors.at(
            asyncness,
            "`parallel` runs the record function on a worker thread, so it must be a plain `fn` that computes; \
             an `async fn` waits, and waiting records already run side by side with `concurrency = N`: remove \
             `async` or use `concurrency = N` instead of `parallel`",
        );
    }
    for param in params {
        check_param(param, errors);
    }
    check_policies(args, span, source, errors);
}

/// A parameter moves to the worker: the state (a borrowed reference) and
/// borrowed extractors cannot; `&Context` is copied.
fn check_param(param: &Param, errors: &mut Errors) {
    if param.is_state {
        errors.at(
            &param.ty,
            "`parallel` cannot take a `#[state]` parameter yet: the record function runs on another thread, which \
             cannot borrow the state; keep what it reads in a `static` (for example a \
             `std::sync::LazyLock<Config>`), or remove `parallel`",
        );
        return;
    }
    if is_context_reference(&param.ty) {
        return;
    }
    if borrows(param.ty.to_token_stream()) {
        errors.at(
            &param.ty,
            format!(
                "`parallel` runs the record function on another thread, so its parameters must own their data, \
                 but `{}` borrows from the record: take `String` or `Json<T>` with an owned `T` (`&str` fields \
                 become `String`), or remove `parallel`",
                super::type_text(&param.ty)
            ),
        );
    }
}

/// `&Context` (any path ending in `Context`): the generated code passes a
/// copy of the context to the worker.
fn is_context_reference(ty: &Type) -> bool {
    let Type::Reference(reference) = ty else { return false };
    matches!(&*reference.elem, Type::Path(path)
        if path.qself.is_none() && path.path.segments.last().is_some_and(|s| s.ident == "Context"))
}

/// `true` if the type's tokens hold a reference or a lifetime.
fn borrows(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|token| match token {
        TokenTree::Punct(punct) => punct.as_char() == '&' || punct.as_char() == '\'',
        TokenTree::Group(group) => borrows(group.stream()),
        TokenTree::Ident(_) | TokenTree::Literal(_) => false,
    })
}

/// `parallel` runs records side by side: the policies that stop at the
/// first failure need one record at a time.
fn check_policies(args: &Args, span: Span, source: Option<SourceArg>, errors: &mut Errors) {
    let fifo_stops = source == Some(SourceArg::SqsFifo)
        && !matches!(args.fifo_policy, Some((FifoPolicyArg::SkipFailedGroup, _)));
    if fifo_stops {
        errors.at_span(
            span,
            "`parallel` on a FIFO queue needs `fifo_policy = \"skip_failed_group\"`: with `stop_at_first_failure` \
             a failed record and every later record of the batch are reported for retry, so a record running \
             beside a failed one would run again even if it succeeded; set `fifo_policy = \"skip_failed_group\"` \
             to run message groups side by side (each group keeps its order), or remove `parallel`",
        );
    }
    if let Some((StandardPolicyArg::StopAtFirstFailure, _)) = args.standard_policy {
        errors.at_span(
            span,
            "`parallel` cannot go with `standard_policy = \"stop_at_first_failure\"`, which runs one record at a \
             time: remove `parallel`, or remove `standard_policy` to handle every record",
        );
    }
}
