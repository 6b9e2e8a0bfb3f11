//! Renders the hook methods (`on_success`, `on_failure`, `on_batch_end`)
//! and `metrics` of the `RecordHandler` impl, each calling the function
//! its option names (with the state first when the handler has one).

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::Path;
use syn::spanned::Spanned;

use super::Render;

impl Render<'_> {
    /// The hook methods for the hook options given.
    pub(super) fn hook_methods(&self) -> TokenStream {
        let private = &self.private;
        let record_ty = &self.source.record;
        let (record, cx) = (&self.names.record, &self.names.cx);
        let hooks = &self.handler.hooks;
        let on_success = hooks.on_success.as_ref().map(|function| {
            let signature = quote! {
                async fn on_success(
                    &self,
                    #record: &#record_ty<'_>,
                    status: &#private::RecordStatus,
                    #cx: &#private::Context,
                ) -> ::core::result::Result<(), ::std::string::String>
            };
            self.hook_method(function, signature, &[record, &format_ident!("status"), cx])
        });
        let on_failure = hooks.on_failure.as_ref().map(|function| {
            let signature = quote! {
                async fn on_failure(
                    &self,
                    #record: &#record_ty<'_>,
                    error: &#private::RecordError,
                    #cx: &#private::Context,
                ) -> ::core::result::Result<(), ::std::string::String>
            };
            self.hook_method(function, signature, &[record, &format_ident!("error"), cx])
        });
        let on_batch_end = hooks.on_batch_end.as_ref().map(|function| {
            let signature = quote! {
                async fn on_batch_end(
                    &self,
                    report: &#private::BatchReport<'_>,
                    #cx: &#private::Context,
                ) -> ::core::result::Result<(), ::std::string::String>
            };
            self.hook_method(function, signature, &[&format_ident!("report"), cx])
        });
        quote!(#on_success #on_failure #on_batch_end)
    }

    /// One hook method: `signature`, whose body awaits `function(args)`
    /// (the state first) and reports its error as text. Spanned at the
    /// path (the arguments too, keeping their hygiene), so a function of
    /// the wrong type is reported there.
    fn hook_method(&self, function: &Path, signature: TokenStream, args: &[&Ident]) -> TokenStream {
        let at = function.span();
        let args = args.iter().map(|arg| Ident::new(&arg.to_string(), arg.span().located_at(at)));
        let state_field = &self.names.state_field;
        let state_arg = self.handler.state.as_ref().map(|_| quote!(self.#state_field,));
        quote_spanned! {function.span()=>
            #signature {
                match #function(#state_arg #(#args),*).await {
                    ::core::result::Result::Ok(()) => ::core::result::Result::Ok(()),
                    ::core::result::Result::Err(error) => {
                        ::core::result::Result::Err(::std::string::ToString::to_string(&error))
                    }
                }
            }
        }
    }

    /// `metrics`, which returns what the `metrics` function gives (called
    /// with the state when the handler has one).
    pub(super) fn metrics_method(&self) -> Option<TokenStream> {
        let private = &self.private;
        let state_field = &self.names.state_field;
        self.handler.metrics.as_ref().map(|function| {
            let state_arg = self.handler.state.as_ref().map(|_| quote!(self.#state_field));
            let metrics = quote_spanned! {function.span()=> #private::as_metrics(#function(#state_arg)) };
            quote! {
                fn metrics(&self) -> ::core::option::Option<&#private::Metrics> {
                    ::core::option::Option::Some(#metrics)
                }
            }
        })
    }
}
