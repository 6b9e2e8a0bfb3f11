//! Renders what stands in for the handler after an error, so that one
//! mistake gives one error.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::Path;

use crate::parse::{self, RecordFn};

/// After an error: the user's function kept as `name::record` (so errors in
/// its body still show) and a Lambda handler `name` with the right signature
/// but no body, so code that uses it does not pile up follow-on errors.
pub(super) fn fallback(function: &RecordFn, krate: &Path) -> TokenStream {
    if function.sig.receiver().is_some() {
        // A method: we are inside an `impl` or a trait, where only the method
        // itself may stand. Keep it as written.
        return function.to_token_stream();
    }
    let name = &function.sig.ident;
    let vis = &function.vis;
    let cfgs = function.cfg_attrs();
    let mut record = function.as_record_fn();
    record.attrs.retain(|a| !a.path().is_ident("cfg"));
    let record = record.into_token_stream();
    let signature = super::entry_signature(vis, name, state_param(function), &super::runtime(krate));
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
        #signature {
            ::core::unreachable!("#[batch_handler] reported a compile error for this function")
        }
    }
}

/// `state: &T,` for the first `#[state] name: &T` parameter, so callers
/// written as `service_fn(|event| name(&state, event))` add no error of
/// their own.
fn state_param(function: &RecordFn) -> Option<TokenStream> {
    function.sig.inputs.iter().find_map(|input| match input {
        syn::FnArg::Typed(typed) if typed.attrs.iter().any(parse::is_state_attr) => match &*typed.ty {
            syn::Type::Reference(reference) => {
                let referent = &reference.elem;
                Some(quote!(state: &#referent,))
            }
            _ => None,
        },
        _ => None,
    })
}
