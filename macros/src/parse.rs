//! Reads the annotated item as a function.

use proc_macro2::TokenStream;
use syn::ItemFn;

/// The annotated item: a function, or anything else (kept to re-emit as is).
pub(crate) enum Item {
    Function(Box<ItemFn>),
    Other(TokenStream, syn::Error),
}

/// Parses `item`; an item that is not a function becomes [`Item::Other`]
/// with the error to report.
pub(crate) fn parse(item: TokenStream) -> Item {
    match syn::parse2::<ItemFn>(item.clone()) {
        Ok(function) => Item::Function(Box::new(function)),
        Err(_) => {
            let span =
                item.clone().into_iter().next().map_or_else(proc_macro2::Span::call_site, |t| t.span());
            let error = syn::Error::new(
                span,
                "#[batch_handler] goes on a free `fn` or `async fn` that handles one record, \
                 e.g. `async fn handle(body: &str) -> Result<(), Error>`",
            );
            Item::Other(item, error)
        }
    }
}
