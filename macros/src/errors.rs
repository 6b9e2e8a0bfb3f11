//! Collects every error of one macro call, so one build reports them all.

use proc_macro2::TokenStream;

/// An accumulator of `syn::Error`s.
#[derive(Default)]
pub(crate) struct Errors {
    /// Every error so far, combined into one; `None` if there is none.
    combined: Option<syn::Error>,
}

impl Errors {
    /// Adds an error.
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.combined {
            Some(combined) => combined.combine(error),
            None => self.combined = Some(error),
        }
    }

    /// Adds an error spanning `tokens`.
    pub(crate) fn at(&mut self, tokens: impl quote::ToTokens, message: impl std::fmt::Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    /// Adds an error at `span`.
    pub(crate) fn at_span(&mut self, span: proc_macro2::Span, message: impl std::fmt::Display) {
        self.push(syn::Error::new(span, message));
    }

    /// Moves every error of `other` into `self`.
    pub(crate) fn append(&mut self, other: Errors) {
        if let Some(error) = other.combined {
            self.push(error);
        }
    }

    /// `true` if no error was added.
    pub(crate) fn is_empty(&self) -> bool {
        self.combined.is_none()
    }

    /// The errors as `compile_error!` invocations (empty if none).
    pub(crate) fn to_compile_errors(&self) -> TokenStream {
        self.combined.as_ref().map(syn::Error::to_compile_error).unwrap_or_default()
    }
}
