//! Renders the generated items for a checked handler, or a fallback when
//! validation failed.
//!
//! For `#[batch_handler] fn name(..)` it renders, each in one function:
//! the struct `name` ([`Render::handler_struct`]); its inherent impl with the
//! user's function as `name::record` and the `CONFIG` constant
//! ([`Render::inherent_impl`], the constant in [`config`]); its
//! `RecordHandler` impl ([`record_handler`]); and the Lambda handler
//! `async fn name` ([`Render::entry_fn`]).

mod config;
mod fallback;
mod hooks;
mod record_handler;

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};
use syn::{Lifetime, Path, Visibility};

use crate::args::{self, SourceArg};
use crate::errors::Errors;
use crate::parse::{self, Item, RecordFn};
use crate::validate::{self, Handler};

/// The whole macro: tokens in, tokens out.
pub(crate) fn batch_handler(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let args = args::parse(attr, &mut errors);
    let krate = args.krate.clone().unwrap_or_else(|| syn::parse_quote!(::lambda_batch));
    let function = match parse::parse(item) {
        Item::Function(function) => function,
        Item::Other(item, error) => {
            errors.push(error);
            let compile_errors = errors.to_compile_errors();
            return quote! { #item #compile_errors };
        }
    };
    let expanded = match validate::validate(&args, (*function).clone(), &mut errors) {
        Some(handler) => expand(&handler, &krate),
        None => fallback::fallback(&function, &krate),
    };
    let compile_errors = errors.to_compile_errors();
    quote! { #expanded #compile_errors }
}

/// The path every runtime item the generated code names is under:
/// `krate::__private`.
fn runtime(krate: &Path) -> TokenStream {
    quote!(#krate::__private)
}

/// The record function kept as `name::record`, the `RecordHandler` impl, and
/// the Lambda handler `name`.
fn expand(handler: &Handler, krate: &Path) -> TokenStream {
    let render = Render::new(handler, krate);
    let cfgs = handler.function.cfg_attrs();
    let handler_struct = render.handler_struct();
    let inherent_impl = render.inherent_impl();
    let record_handler_impl = render.record_handler_impl();
    let entry_fn = render.entry_fn();
    quote! {
        #(#cfgs)*
        #handler_struct

        #(#cfgs)*
        #inherent_impl

        #(#cfgs)*
        #record_handler_impl

        #(#cfgs)*
        #entry_fn
    }
}

/// What every rendered item of one handler needs.
struct Render<'a> {
    /// The checked handler.
    handler: &'a Handler,
    /// `krate::__private`, see [`runtime`].
    private: TokenStream,
    /// The generated code's own names.
    names: Names,
    /// The runtime items of the handler's event source.
    source: SourceItems,
}

/// The generated code's own names, hygienic (`Span::mixed_site`) so they
/// never clash with the user's.
struct Names {
    /// The record parameter of `RecordHandler::handle`.
    record: Ident,
    /// The context parameter of `RecordHandler::handle`.
    cx: Ident,
    /// The handler struct's field holding the `#[state]` reference.
    state_field: Ident,
    /// The lifetime of that reference.
    state_lifetime: Lifetime,
    /// One local per parameter of the record function, in order.
    args: Vec<Ident>,
}

/// The runtime items of one event source.
struct SourceItems {
    /// The marker type, e.g. `Sqs`.
    marker: TokenStream,
    /// The record type `handle` receives, e.g. `SqsRecord`.
    record: TokenStream,
    /// The function that runs a batch: the pipeline's `handle` for the marker.
    handle_fn: TokenStream,
}

impl SourceItems {
    /// The items of `source`, under `private`.
    fn of(source: SourceArg, private: &TokenStream) -> Self {
        let (marker, record) = match source {
            SourceArg::Sqs | SourceArg::SqsFifo => (quote!(#private::Sqs), quote!(#private::SqsRecord)),
            SourceArg::Kinesis => (quote!(#private::Kinesis), quote!(#private::KinesisRecord)),
            SourceArg::DynamoDb => (quote!(#private::DynamoDb), quote!(#private::DynamoDbRecord)),
            SourceArg::Kafka => (quote!(#private::Kafka), quote!(#private::KafkaRecord)),
        };
        let handle_fn = quote!(#private::handle::<#marker, _>);
        SourceItems { marker, record, handle_fn }
    }
}

impl<'a> Render<'a> {
    /// Prepares the rendering of `handler`, whose runtime is `krate`.
    fn new(handler: &'a Handler, krate: &Path) -> Self {
        let private = runtime(krate);
        let names = Names {
            record: format_ident!("__lambda_batch_record", span = Span::mixed_site()),
            cx: format_ident!("__lambda_batch_cx", span = Span::mixed_site()),
            state_field: format_ident!("__lambda_batch_state", span = Span::mixed_site()),
            state_lifetime: Lifetime::new("'__lambda_batch_state", Span::mixed_site()),
            args: (0..handler.params.len())
                .map(|i| format_ident!("__lambda_batch_arg{}", i, span = Span::mixed_site()))
                .collect(),
        };
        let source = SourceItems::of(handler.config.source, &private);
        Render { handler, private, names, source }
    }

    /// The handler's name: the user's function name.
    fn name(&self) -> &Ident {
        &self.handler.function.sig.ident
    }

    /// `<'state>` when the handler holds a `#[state]` reference.
    fn lifetime_params(&self) -> Option<TokenStream> {
        let lifetime = &self.names.state_lifetime;
        self.handler.state.as_ref().map(|_| quote!(<#lifetime>))
    }

    /// `struct name {}`, or `struct name<'state> { state: &'state T }`.
    fn handler_struct(&self) -> TokenStream {
        let name = self.name();
        let vis = &self.handler.function.vis;
        let lifetimes = self.lifetime_params();
        let Names { state_field, state_lifetime, .. } = &self.names;
        let field =
            self.handler.state.as_ref().map(|state_ty| quote!(#state_field: &#state_lifetime #state_ty));
        let doc = format!(
            " The record function and settings behind the `{name}` batch handler; call `{name}::record(...)` in \
             unit tests."
        );
        quote! {
            #[doc = #doc]
            #[allow(non_camel_case_types)]
            #vis struct #name #lifetimes { #field }
        }
    }

    /// `impl name { fn record; fn with_state; const CONFIG }`.
    fn inherent_impl(&self) -> TokenStream {
        let name = self.name();
        let vis = &self.handler.function.vis;
        let lifetimes = self.lifetime_params();
        let record_fn = record_fn(&self.handler.function);
        let with_state = self.with_state();
        let (config_ty, config) = config::type_and_value(&self.handler.config, &self.private);
        quote! {
            impl #lifetimes #name #lifetimes {
                #record_fn
                #with_state

                /// The settings given to `#[batch_handler]`.
                #[allow(dead_code)]
                #vis const CONFIG: #config_ty = #config;
            }
        }
    }

    /// `name::with_state(&state)`, when the handler takes state.
    fn with_state(&self) -> Option<TokenStream> {
        let name = self.name();
        let vis = &self.handler.function.vis;
        let Names { state_field, state_lifetime, .. } = &self.names;
        self.handler.state.as_ref().map(|state_ty| {
            quote! {
                /// This handler with its state, for `BatchPipeline::process` (e.g. `Sqs::process`) and `BatchService`.
                #[allow(dead_code)]
                #vis fn with_state(state: &#state_lifetime #state_ty) -> Self {
                    #name { #state_field: state }
                }
            }
        })
    }

    /// The Lambda handler `async fn name([state,] event)`, which runs the
    /// batch with the source's handle function.
    fn entry_fn(&self) -> TokenStream {
        let name = self.name();
        let state_field = &self.names.state_field;
        let handle_fn = &self.source.handle_fn;
        let (state_param, construct) = match &self.handler.state {
            Some(state_ty) => (Some(quote!(state: &#state_ty,)), quote!(#name { #state_field: state })),
            None => (None, quote!(#name {})),
        };
        let call_shape = if state_param.is_some() { "|event| handler(&state, event)" } else { "handler" };
        let doc = format!(
            " The AWS Lambda batch handler made by `#[batch_handler]` from [`{name}::record`]: pass it to \
             `lambda_runtime::service_fn({call_shape})`."
        );
        let signature = entry_signature(&self.handler.function.vis, name, state_param, &self.private);
        quote! {
            #[doc = #doc]
            #signature {
                #handle_fn(&#construct, &#name::CONFIG, event).await
            }
        }
    }
}

/// The user's function, renamed `record`, as written otherwise.
fn record_fn(function: &RecordFn) -> TokenStream {
    let record = function.as_record_fn();
    let has_doc = record.attrs.iter().any(|a| a.path().is_ident("doc"));
    let doc = (!has_doc).then(|| quote!(#[doc = " The record function, as written."]));
    quote!(#doc #record)
}

/// The Lambda handler's signature, the same for the real handler and the
/// fallback: `async fn name([state: &T,] event: LambdaEvent<BatchEvent>)
/// -> Result<BatchResponse, BatchError>`.
fn entry_signature(
    vis: &Visibility,
    name: &Ident,
    state_param: Option<TokenStream>,
    private: &TokenStream,
) -> TokenStream {
    quote! {
        #vis async fn #name(
            #state_param
            event: #private::LambdaEvent<#private::BatchEvent>,
        ) -> ::core::result::Result<#private::BatchResponse, #private::BatchError>
    }
}
