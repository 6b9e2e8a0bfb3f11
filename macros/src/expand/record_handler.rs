//! Renders `impl RecordHandler<Source> for name`: how the runtime runs the
//! record function on one record, and hands a poison record to the sink.

use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::{Names, Render, SourceItems};
use crate::args::ParallelArg;
use crate::validate::Param;

impl Render<'_> {
    /// The `RecordHandler` impl: `handle`, and `on_poison` when a
    /// `poison_sink` was given.
    pub(super) fn record_handler_impl(&self) -> TokenStream {
        let name = self.name();
        let private = &self.private;
        let lifetimes = self.lifetime_params();
        let SourceItems { marker, record: record_ty, .. } = &self.source;
        let Names { record, cx, .. } = &self.names;
        let future_ty = quote_spanned! {name.span()=>
            impl ::core::future::Future<Output = #private::RecordOutcome> + ::core::marker::Send + 'a
        };
        let body = self.handle_body();
        let on_poison = self.on_poison();
        let idempotency = self.idempotency();
        let hooks = self.hook_methods();
        let metrics = self.metrics_method();
        quote! {
            impl #lifetimes #private::RecordHandler<#marker> for #name #lifetimes {
                fn handle<'a>(
                    &'a self,
                    #record: &'a #record_ty<'a>,
                    #cx: &'a #private::Context,
                ) -> #future_ty {
                    #body
                }

                #on_poison
                #idempotency
                #hooks
                #metrics
            }
        }
    }

    /// `idempotency`, which returns what the `idempotency` function gives
    /// (called with the state when the handler has one).
    fn idempotency(&self) -> Option<TokenStream> {
        let private = &self.private;
        let marker = &self.source.marker;
        let state_field = &self.names.state_field;
        self.handler.idempotency.as_ref().map(|function| {
            let state_arg = self.handler.state.as_ref().map(|_| quote!(self.#state_field));
            // Spanned at the path, so a function of the wrong type is
            // reported there.
            let settings = quote_spanned! {function.span()=>
                #private::as_batch_idempotency::<#marker, _>(#function(#state_arg))
            };
            quote! {
                fn idempotency(&self) -> ::core::option::Option<&dyn #private::BatchIdempotency<#marker>> {
                    ::core::option::Option::Some(#settings)
                }
            }
        })
    }

    /// The `async move` block `handle` returns: every argument taken from
    /// the record (or the state), then the record function's result as a
    /// `RecordOutcome`.
    fn handle_body(&self) -> TokenStream {
        let extractions =
            self.handler.params.iter().zip(&self.names.args).map(|(param, arg)| self.extraction(param, arg));
        let outcome = self.call_record_fn();
        if self.handler.config.parallel.is_some() {
            return self.parallel_body(extractions.collect(), outcome);
        }
        quote_spanned! {self.name().span()=>
            async move {
                #(#extractions)*
                #outcome
            }
        }
    }

    /// Under `parallel`: the arguments are taken from the record on the
    /// engine's task, then moved (a `&Context` as a copy) into the closure
    /// that `Parallel::run` runs inline or on a worker thread.
    fn parallel_body(&self, extractions: Vec<TokenStream>, outcome: TokenStream) -> TokenStream {
        let private = &self.private;
        let params = || self.handler.params.iter().zip(&self.names.args);
        // `&Context` is the only reference `parallel` accepts (checked in
        // validate/parallel.rs): the worker gets its own copy.
        let is_context = |param: &Param| matches!(param.ty, syn::Type::Reference(_));
        let moves = params().map(|(param, arg)| {
            let ty = &param.ty;
            if is_context(param) {
                quote_spanned! {ty.span()=> let #arg: #private::Context = ::core::clone::Clone::clone(#arg); }
            } else {
                quote_spanned! {ty.span()=> let #arg = #private::parallel_arg::<#ty>(#arg); }
            }
        });
        let parallel = match self.handler.config.parallel {
            Some(ParallelArg::EngineHelps) => quote!(#private::Parallel::new().engine_helps()),
            _ => quote!(#private::Parallel::new()),
        };
        let lends = params().filter(|(param, _)| is_context(param)).map(|(_, arg)| quote!(let #arg = &#arg;));
        quote_spanned! {self.name().span()=>
            async move {
                #(#extractions)*
                #(#moves)*
                static PARALLEL: #private::Parallel = #parallel;
                PARALLEL.run(move || -> #private::RecordOutcome {
                    #(#lends)*
                    #outcome
                }).await
            }
        }
    }

    /// `let arg = ...;` for one parameter: the state reference, or the
    /// parameter type's `FromRecord` extraction, returning its error's
    /// outcome on failure.
    fn extraction(&self, param: &Param, arg: &Ident) -> TokenStream {
        let ty = &param.ty;
        let private = &self.private;
        let Names { record, cx, state_field, .. } = &self.names;
        if param.is_state {
            return quote_spanned! {ty.span()=> let #arg: #ty = self.#state_field; };
        }
        let marker = &self.source.marker;
        quote_spanned! {ty.span()=>
            let #arg = match <#ty as #private::FromRecord<'_, #marker>>::from_record(#record, #cx) {
                ::core::result::Result::Ok(value) => value,
                ::core::result::Result::Err(error) => return #private::RecordOutcome::from(error),
            };
        }
    }

    /// The call of `name::record` (awaited if async), turned into a
    /// `RecordOutcome`: an error that is a `std::error::Error` (or holds
    /// one) keeps its causes, anything else goes through
    /// `IntoRecordOutcome` (runtime/src/returned.rs explains the method
    /// lookup that chooses).
    fn call_record_fn(&self) -> TokenStream {
        let name = self.name();
        let private = &self.private;
        let args = &self.names.args;
        let call = if self.handler.is_async {
            quote!(#name::record(#(#args),*).await)
        } else {
            quote!(#name::record(#(#args),*))
        };
        match &self.handler.output {
            Some(ty) => quote_spanned! {ty.span()=>
                {
                    #[allow(unused_imports)]
                    use #private::returns::{BoxedErrorReturn as _, ErrorReturn as _, PlainReturn as _};
                    let value: #ty = #call;
                    // Names the type's `IntoRecordOutcome`, so a return type
                    // that is none of those allowed is reported on it.
                    let plain = <#ty as #private::IntoRecordOutcome>::into_record_outcome;
                    (&&&#private::returned(&value)).return_kind().into_outcome(value, plain)
                }
            },
            None => quote! {
                <() as #private::IntoRecordOutcome>::into_record_outcome(#call)
            },
        }
    }

    /// `on_poison`, which calls the `poison_sink` function (with the state
    /// first when the handler has one) and reports its error as text.
    fn on_poison(&self) -> Option<TokenStream> {
        let private = &self.private;
        let state_field = &self.names.state_field;
        self.handler.poison_sink.as_ref().map(|sink| {
            let state_arg = self.handler.state.as_ref().map(|_| quote!(self.#state_field,));
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
        })
    }
}
