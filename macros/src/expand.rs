//! Renders the generated items, or a fallback when validation failed.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::Path;
use syn::spanned::Spanned;

use crate::args::{self, AllFailedArg, FifoPolicyArg, SourceArg, StreamPolicyArg};
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
        None => fallback(&function, &krate),
    };
    let compile_errors = errors.to_compile_errors();
    quote! { #expanded #compile_errors }
}

/// The record function kept as `name::record`, the `RecordHandler` impl, and
/// the Lambda handler `name`.
fn expand(handler: &Handler, krate: &Path) -> TokenStream {
    let function = &handler.function;
    let name = &function.sig.ident;
    let vis = &function.vis;
    let cfgs = function.cfg_attrs();
    let record_fn = record_fn(function);
    let private = quote!(#krate::__private);
    let (config_ty, config) = config_expr(handler, &private);
    let config = limits_expr(handler, &private, config);
    let (source, record_ty, handle_fn) = match handler.config.source {
        SourceArg::Sqs | SourceArg::SqsFifo => {
            (quote!(#private::Sqs), quote!(#private::SqsRecord), quote!(#private::sqs_handle))
        }
        SourceArg::Kinesis => {
            (quote!(#private::Kinesis), quote!(#private::KinesisRecord), quote!(#private::kinesis_handle))
        }
        SourceArg::DynamoDb => {
            (quote!(#private::DynamoDb), quote!(#private::DynamoDbRecord), quote!(#private::dynamodb_handle))
        }
        SourceArg::Kafka => {
            (quote!(#private::Kafka), quote!(#private::KafkaRecord), quote!(#private::kafka_handle))
        }
    };

    let record = format_ident!("__lambda_batch_record", span = Span::mixed_site());
    let cx = format_ident!("__lambda_batch_cx", span = Span::mixed_site());
    let state_field = format_ident!("__lambda_batch_state", span = Span::mixed_site());
    let state_lifetime = syn::Lifetime::new("'__lambda_batch_state", Span::mixed_site());
    let args: Vec<_> = (0..handler.params.len())
        .map(|i| format_ident!("__lambda_batch_arg{}", i, span = Span::mixed_site()))
        .collect();
    let extractions = handler.params.iter().zip(&args).map(|(param, arg)| {
        let ty = &param.ty;
        if param.is_state {
            return quote_spanned! {ty.span()=> let #arg: #ty = self.#state_field; };
        }
        quote_spanned! {ty.span()=>
            let #arg = match <#ty as #private::FromRecord<'_, #source>>::from_record(#record, #cx) {
                ::core::result::Result::Ok(value) => value,
                ::core::result::Result::Err(error) => return #private::RecordOutcome::from(error),
            };
        }
    });
    let call = if handler.is_async {
        quote!(#name::record(#(#args),*).await)
    } else {
        quote!(#name::record(#(#args),*))
    };
    let into_outcome = match &handler.output {
        Some(ty) => quote_spanned! {ty.span()=>
            <#ty as #private::IntoRecordOutcome>::into_record_outcome(#call)
        },
        None => quote! {
            <() as #private::IntoRecordOutcome>::into_record_outcome(#call)
        },
    };
    let async_block = quote_spanned! {name.span()=>
        async move {
            #(#extractions)*
            #into_outcome
        }
    };
    let future_ty = quote_spanned! {name.span()=>
        impl ::core::future::Future<Output = #private::RecordOutcome> + ::core::marker::Send + 'a
    };
    let on_poison = handler.poison_sink.as_ref().map(|sink| {
        let state_arg = handler.state.as_ref().map(|_| quote!(self.#state_field,));
        quote_spanned! {sink.span()=>
            const HAS_POISON_SINK: bool = true;

            async fn on_poison(
                &self,
                poison: &#private::PoisonRecord<'_>,
                cx: &#private::Context,
            ) -> ::core::result::Result<(), ::std::string::String> {
                    match #sink(#state_arg poison, cx).await {
                        ::core::result::Result::Ok(()) => ::core::result::Result::Ok(()),
                        ::core::result::Result::Err(error) => {
                            ::core::result::Result::Err(::std::string::ToString::to_string(&error))
                        }
                    }
            }
        }
    });
    let (struct_def, generics, type_args, handler_params, construct) = match &handler.state {
        Some(state_ty) => (
            quote!(#vis struct #name<#state_lifetime> { #state_field: &#state_lifetime #state_ty }),
            quote!(<#state_lifetime>),
            quote!(<#state_lifetime>),
            quote!(state: &#state_ty,),
            quote!(#name { #state_field: state }),
        ),
        None => (quote!(#vis struct #name {}), quote!(), quote!(), quote!(), quote!(#name {})),
    };
    let with_state = handler.state.as_ref().map(|state_ty| {
        quote! {
            /// This handler with its state, for `lambda_batch::sqs::process` and friends.
            #[allow(dead_code)]
            #vis fn with_state(state: &#state_lifetime #state_ty) -> Self {
                #name { #state_field: state }
            }
        }
    });
    let call_shape = if handler.state.is_some() { "|event| handler(&state, event)" } else { "handler" };
    let handler_doc = format!(
        " The AWS Lambda batch handler made by `#[batch_handler]` from [`{name}::record`]: pass it to \
         `lambda_runtime::service_fn({call_shape})`."
    );
    let struct_doc = format!(
        " The record function and settings behind the `{name}` batch handler; call `{name}::record(...)` in unit \
         tests."
    );
    quote! {
        #(#cfgs)*
        #[doc = #struct_doc]
        #[allow(non_camel_case_types)]
        #struct_def

        #(#cfgs)*
        impl #generics #name #type_args {
            #record_fn
            #with_state

            /// The settings given to `#[batch_handler]`.
            #[allow(dead_code)]
            #vis const CONFIG: #config_ty = #config;
        }

        #(#cfgs)*
        impl #generics #private::RecordHandler<#source> for #name #type_args {
            fn handle<'a>(
                &'a self,
                #record: &'a #record_ty<'a>,
                #cx: &'a #private::Context,
            ) -> #future_ty {
                #async_block
            }

            #on_poison
        }

        #(#cfgs)*
        #[doc = #handler_doc]
        #vis async fn #name(
            #handler_params
            event: #private::LambdaEvent<#private::BatchEvent>,
        ) -> ::core::result::Result<#private::BatchResponse, #private::BatchError> {
            #handle_fn(&#construct, &#name::CONFIG, event).await
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

/// The `CONFIG` constant's type and value.
fn config_expr(handler: &Handler, private: &TokenStream) -> (TokenStream, TokenStream) {
    let all_failed = match handler.config.all_failed {
        AllFailedArg::Error => quote!(#private::AllFailedPolicy::Error),
        AllFailedArg::ReportAll => quote!(#private::AllFailedPolicy::ReportAll),
    };
    let queue = match handler.config.source {
        SourceArg::Sqs => quote!(#private::QueueKind::Detect),
        SourceArg::SqsFifo => quote!(#private::QueueKind::Fifo),
        SourceArg::Kinesis | SourceArg::DynamoDb | SourceArg::Kafka => {
            let policy = match handler.config.stream_policy {
                StreamPolicyArg::Checkpoint => quote!(#private::StreamPolicy::Checkpoint),
                StreamPolicyArg::Continue => quote!(#private::StreamPolicy::Continue),
            };
            return (
                quote!(#private::StreamConfig),
                quote!(#private::StreamConfig::new().policy(#policy).all_failed(#all_failed)),
            );
        }
    };
    let fifo_policy = match handler.config.fifo_policy {
        FifoPolicyArg::StopAtFirstFailure => quote!(#private::FifoPolicy::StopAtFirstFailure),
        FifoPolicyArg::SkipFailedGroup => quote!(#private::FifoPolicy::SkipFailedGroup),
    };
    let budget = handler.config.max_receive_count.map(|max| quote!(.max_receive_count(#max)));
    let drop_over_budget = handler.config.drop_over_budget.then(|| quote!(.drop_over_budget()));
    (
        quote!(#private::SqsConfig),
        quote!(#private::SqsConfig::new().queue(#queue).fifo_policy(#fifo_policy).all_failed(#all_failed) #budget #drop_over_budget),
    )
}

/// After an error: the user's function kept as `name::record` (so errors in
/// its body still show) and a Lambda handler `name` with the right signature
/// but no body, so code that uses it does not pile up follow-on errors.
fn fallback(function: &RecordFn, krate: &Path) -> TokenStream {
    if function.sig.receiver().is_some() {
        // A method: we are inside an `impl` or a trait, where only the method
        // itself may stand. Keep it as written.
        return function.to_token_stream();
    }
    let name = &function.sig.ident;
    let vis = &function.vis;
    let cfgs = function.cfg_attrs();
    let private = quote!(#krate::__private);
    let mut record = function.as_record_fn();
    record.attrs.retain(|a| !a.path().is_ident("cfg"));
    let record = record.into_token_stream();
    // Keep the handler's call shape when it takes state, so callers written
    // as `service_fn(|event| name(&state, event))` add no error of their own.
    let state_param = function.sig.inputs.iter().find_map(|input| match input {
        syn::FnArg::Typed(typed) if typed.attrs.iter().any(parse::is_state_attr) => match &*typed.ty {
            syn::Type::Reference(reference) => {
                let referent = &reference.elem;
                Some(quote!(state: &#referent,))
            }
            _ => None,
        },
        _ => None,
    });
    quote! {
        #(#cfgs)*
        #[allow(non_camel_case_types, dead_code)]
        #vis struct #name {}

        #(#cfgs)*
        #[allow(dead_code, unused_variables, clippy::all)]
        impl #name {
            #record
        }

        #(#cfgs)*
        #[allow(dead_code, unused_variables)]
        #vis async fn #name(
            #state_param
            event: #private::LambdaEvent<#private::BatchEvent>,
        ) -> ::core::result::Result<#private::BatchResponse, #private::BatchError> {
            ::core::unreachable!("#[batch_handler] reported a compile error for this function")
        }
    }
}

/// Appends `.limits(..)` to the config when a limit option was given.
fn limits_expr(handler: &Handler, private: &TokenStream, config: TokenStream) -> TokenStream {
    let c = &handler.config;
    if c.concurrency.is_none() && c.deadline_margin_ms.is_none() && c.record_timeout_ms.is_none() {
        return config;
    }
    let concurrency = c.concurrency.map(|n| {
        let n = n as usize;
        quote!(.concurrency(#n))
    });
    let margin = c.deadline_margin_ms.map(|ms| {
        let ms = u64::from(ms);
        quote!(.deadline_margin(::core::time::Duration::from_millis(#ms)))
    });
    let timeout = c.record_timeout_ms.map(|ms| {
        let ms = u64::from(ms);
        quote!(.record_timeout(::core::time::Duration::from_millis(#ms)))
    });
    quote!(#config.limits(#private::Limits::new() #concurrency #margin #timeout))
}
