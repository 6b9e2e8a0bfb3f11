//! x
use proc_macro::TokenStream;
/// x
#[proc_macro_attribute]
pub fn batch_handler(_a: TokenStream, i: TokenStream) -> TokenStream { i }
