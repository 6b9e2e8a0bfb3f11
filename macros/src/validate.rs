//! Checks the options and the function, and builds the model `expand` renders.

use proc_macro2::Span;
use syn::{FnArg, ItemFn, ReturnType, Type};

use crate::args::{AllFailedArg, Args, FifoPolicyArg, SourceArg};
use crate::errors::Errors;

/// Everything `expand` needs, all checked.
pub(crate) struct Handler {
    pub(crate) function: ItemFn,
    pub(crate) params: Vec<Param>,
    pub(crate) output: Option<Type>,
    pub(crate) is_async: bool,
    pub(crate) config: Config,
}

/// One parameter of the record function.
pub(crate) struct Param {
    pub(crate) ty: Type,
}

/// The settings for the engine.
pub(crate) struct Config {
    pub(crate) source: SourceArg,
    pub(crate) fifo_policy: FifoPolicyArg,
    pub(crate) all_failed: AllFailedArg,
}

/// Checks `function` under `args`; every problem goes to `errors`.
/// Returns `None` if the function itself cannot be expanded.
pub(crate) fn validate(args: &Args, function: ItemFn, all_errors: &mut Errors) -> Option<Handler> {
    let options_ok = all_errors.is_empty();
    let mut errors = Errors::default();
    let errors = &mut errors;
    check_signature(&function, errors);
    let mut params = Vec::new();
    for input in &function.sig.inputs {
        match input {
            FnArg::Receiver(receiver) => errors.at(
                receiver,
                "#[batch_handler] works on free functions, not methods: move the record logic into a free \
                 function (it may call your method)",
            ),
            FnArg::Typed(typed) => {
                if let Some(impl_trait) = find_impl_trait(&typed.ty) {
                    errors.at(
                        impl_trait,
                        "`impl Trait` parameters make the function generic; name a concrete extractor type such \
                         as `Json<Order>` or `&str`",
                    );
                }
                params.push(Param { ty: (*typed.ty).clone() });
            }
        }
    }
    let output = match &function.sig.output {
        ReturnType::Default => None,
        ReturnType::Type(_, ty) => Some((**ty).clone()),
    };
    // After a bad option, expand with the default source rather than add a
    // follow-on "which source?" error (the bad option may have been it).
    let source = resolve_source(args, &params, errors, options_ok)
        .or((!options_ok).then_some(SourceArg::Sqs));
    let valid = errors.is_empty();
    all_errors.append(std::mem::take(errors));
    let is_async = function.sig.asyncness.is_some();
    let config = Config {
        source: source.unwrap_or(SourceArg::Sqs),
        fifo_policy: args
            .fifo_policy
            .unwrap_or(FifoPolicyArg::StopAtFirstFailure),
        all_failed: args.all_failed.unwrap_or(AllFailedArg::Error),
    };
    (valid && source.is_some()).then_some(Handler {
        function,
        params,
        output,
        is_async,
        config,
    })
}

fn check_signature(function: &ItemFn, errors: &mut Errors) {
    let sig = &function.sig;
    if !sig.generics.params.is_empty() {
        errors.at(
            &sig.generics,
            "#[batch_handler] functions cannot be generic: the Lambda handler needs concrete parameter types \
             (use `&str` or `Json<T>` with a concrete `T`)",
        );
    } else if let Some(where_clause) = &sig.generics.where_clause {
        errors.at(
            where_clause,
            "#[batch_handler] functions cannot have a `where` clause",
        );
    }
    if let Some(constness) = &sig.constness {
        errors.at(constness, "#[batch_handler] functions cannot be `const`");
    }
    if let Some(abi) = &sig.abi {
        errors.at(
            abi,
            "#[batch_handler] functions cannot have an `extern` ABI",
        );
    }
    if let Some(variadic) = &sig.variadic {
        errors.at(variadic, "#[batch_handler] functions cannot be variadic");
    }
    if !matches!(function.sig.safety, syn::Safety::Default) {
        errors.at(
            sig.fn_token,
            "#[batch_handler] functions cannot be `unsafe`",
        );
    }
}

/// The event source: from the options, else from a parameter type that
/// names it (`&SqsMessage`, `&SqsRecord`).
fn resolve_source(
    args: &Args,
    params: &[Param],
    errors: &mut Errors,
    report: bool,
) -> Option<SourceArg> {
    if let Some(source) = args.source {
        return Some(source);
    }
    if params.iter().any(|p| names_sqs_type(&p.ty)) {
        return Some(SourceArg::Sqs);
    }
    if !report {
        return None;
    }
    errors.at_span(
        Span::call_site(),
        "cannot tell which event source this handler serves: write `#[batch_handler(sqs)]` (standard or FIFO \
         queue, detected from the queue ARN) or `#[batch_handler(sqs_fifo)]`",
    );
    None
}

fn names_sqs_type(ty: &Type) -> bool {
    match ty {
        Type::Reference(reference) => names_sqs_type(&reference.elem),
        Type::Path(path) => {
            path.path.segments.last().is_some_and(|segment| {
                segment.ident == "SqsMessage" || segment.ident == "SqsRecord"
            })
        }
        _ => false,
    }
}

fn find_impl_trait(ty: &Type) -> Option<&Type> {
    match ty {
        Type::ImplTrait(_) => Some(ty),
        Type::Reference(reference) => find_impl_trait(&reference.elem),
        Type::Paren(paren) => find_impl_trait(&paren.elem),
        _ => None,
    }
}
