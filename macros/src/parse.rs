//! Reads the annotated item: the function's signature, parsed, and its body,
//! kept as tokens.
//!
//! The body is never parsed: a syntax error inside it (an edit in progress)
//! is rustc's to report at its real place, while the macro still generates
//! the handler so the rest of the crate, and the IDE, keep working.

use proc_macro2::{Group, TokenStream};
use quote::ToTokens;
use syn::parse::{Parse, ParseStream, Parser};
use syn::{Attribute, Signature, Token, Visibility};

/// The annotated item: a function, or anything else (kept to re-emit as is).
pub(crate) enum Item {
    /// A function: its signature parsed, its body kept as tokens.
    Function(Box<RecordFn>),
    /// Anything else, as written, with the error to report.
    Other(TokenStream, syn::Error),
}

/// A function whose signature is parsed and whose body is kept as written.
#[derive(Clone)]
pub(crate) struct RecordFn {
    /// The outer attributes (doc comments, `#[cfg]`, ...).
    pub(crate) attrs: Vec<Attribute>,
    /// The visibility, given to the generated items too.
    pub(crate) vis: Visibility,
    /// `async fn name(params) -> Output`, qualifiers and generics included.
    pub(crate) sig: Signature,
    /// The `{ ... }` group, inner attributes included, never parsed.
    pub(crate) body: Group,
}

impl RecordFn {
    /// The `#[cfg(...)]` attributes, to put on every generated item.
    pub(crate) fn cfg_attrs(&self) -> Vec<&Attribute> {
        self.attrs.iter().filter(|a| a.path().is_ident("cfg")).collect()
    }

    /// This function renamed `record`, with the `#[state]` markers taken off
    /// its parameters.
    pub(crate) fn as_record_fn(&self) -> RecordFn {
        let mut record = self.clone();
        record.sig.ident = syn::Ident::new("record", self.sig.ident.span());
        for input in &mut record.sig.inputs {
            if let syn::FnArg::Typed(typed) = input {
                typed.attrs.retain(|a| !is_state_attr(a));
            }
        }
        record
    }
}

impl Parse for RecordFn {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let sig = input.parse()?;
        if !input.peek(syn::token::Brace) {
            return Err(input.error(
                "expected the function's body `{ ... }`: #[batch_handler] goes on a free `fn` or `async fn` \
                 that handles one record",
            ));
        }
        let body = input.parse()?;
        Ok(RecordFn { attrs, vis, sig, body })
    }
}

impl ToTokens for RecordFn {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        for attr in &self.attrs {
            attr.to_tokens(tokens);
        }
        self.vis.to_tokens(tokens);
        self.sig.to_tokens(tokens);
        self.body.to_tokens(tokens);
    }
}

/// `#[state]` on a parameter.
pub(crate) fn is_state_attr(attr: &Attribute) -> bool {
    attr.path().is_ident("state")
}

/// Parses `item`; an item that does not parse as a function becomes
/// [`Item::Other`] with syn's error, and a hint when it is plainly another
/// kind of item.
pub(crate) fn parse(item: TokenStream) -> Item {
    match syn::parse2::<RecordFn>(item.clone()) {
        Ok(function) => Item::Function(Box::new(function)),
        Err(error) => {
            let error = match other_item_kind(&item) {
                Some(kind) => syn::Error::new(
                    error.span(),
                    format!(
                        "{error}: #[batch_handler] goes on a free `fn` or `async fn` that handles one record \
                         (e.g. `async fn handle(body: &str) -> Result<(), Error>`), not on {kind}"
                    ),
                ),
                None => error,
            };
            Item::Other(item, error)
        }
    }
}

/// What `item` is when its keyword shows it is not a function: "a struct",
/// "an `impl` block", ...; `None` if it may be a function.
fn other_item_kind(item: &TokenStream) -> Option<&'static str> {
    let parser = |input: ParseStream<'_>| {
        input.call(Attribute::parse_outer)?;
        input.parse::<Visibility>()?;
        let kind = keyword_kind(input);
        input.parse::<TokenStream>()?;
        Ok(kind)
    };
    parser.parse2(item.clone()).ok().flatten()
}

/// The kind of item `input` starts, judged by its leading keyword(s).
fn keyword_kind(input: ParseStream<'_>) -> Option<&'static str> {
    let is_ident = |name: &str| input.fork().parse::<syn::Ident>().is_ok_and(|ident| ident == name);
    if input.peek(Token![struct]) {
        Some("a struct")
    } else if input.peek(Token![enum]) {
        Some("an enum")
    } else if is_ident("union") && input.peek2(syn::Ident) {
        Some("a union")
    } else if input.peek(Token![impl]) || (input.peek(Token![unsafe]) && input.peek2(Token![impl])) {
        Some("an `impl` block")
    } else if input.peek(Token![trait]) || input.peek2(Token![trait]) {
        Some("a trait")
    } else if input.peek(Token![mod]) {
        Some("a module")
    } else if input.peek(Token![static]) {
        Some("a static")
    } else if input.peek(Token![const]) && (input.peek2(syn::Ident) || input.peek2(Token![_])) {
        Some("a constant")
    } else if input.peek(Token![type]) {
        Some("a type alias")
    } else if input.peek(Token![use]) {
        Some("a `use` declaration")
    } else if input.peek(Token![extern]) && !input.peek2(Token![fn]) && !input.peek3(Token![fn]) {
        Some("an `extern` block or crate")
    } else if input.peek(syn::Ident) && input.peek2(Token![!]) {
        Some("a macro invocation")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::{Item, parse};

    /// The error message for `item`, or "parsed" if it parsed as a function.
    fn error_of(item: &str) -> String {
        let tokens: proc_macro2::TokenStream = item.parse().unwrap_or_default();
        match parse(tokens) {
            Item::Function(_) => "parsed".to_owned(),
            Item::Other(_, error) => error.to_string(),
        }
    }

    /// A syntax error in the body does not stop the parse: the body is
    /// kept, token for token.
    #[test]
    fn a_body_that_does_not_parse_is_kept_as_written() {
        let item = "async fn handle(body: &str) -> Result<(), E> { let x = body.trim() Ok(()) }";
        let body = match parse(item.parse().unwrap_or_default()) {
            Item::Function(function) if function.sig.ident == "handle" => function.body.stream().to_string(),
            Item::Function(_) => "another name".to_owned(),
            Item::Other(_, error) => error.to_string(),
        };
        assert_eq!(body, "let x = body . trim () Ok (())");
    }

    /// An item that is not a function gets syn's error and names what it is.
    #[test]
    fn another_kind_of_item_gets_syn_error_and_a_hint() {
        let message = error_of("pub struct Handler;");
        assert_eq!(
            message,
            "expected `fn`: #[batch_handler] goes on a free `fn` or `async fn` that handles one record (e.g. \
             `async fn handle(body: &str) -> Result<(), Error>`), not on a struct"
        );
        for (item, kind) in [
            ("impl Handler { fn handle() {} }", "an `impl` block"),
            ("unsafe impl Send for Handler {}", "an `impl` block"),
            ("enum E { A }", "an enum"),
            ("const LIMIT: u32 = 5;", "a constant"),
            ("trait T {}", "a trait"),
            ("mod m {}", "a module"),
            ("use std::fmt;", "a `use` declaration"),
            ("macro_rules! m { () => {} }", "a macro invocation"),
        ] {
            let message = error_of(item);
            assert!(message.ends_with(&format!("not on {kind}")), "`{item}`: {message}");
        }
    }

    /// A function that does not parse gets syn's error alone (no kind to
    /// name), or ours when the body is missing.
    #[test]
    fn a_function_that_does_not_parse_gets_syn_error_alone() {
        let message = error_of("async fn handle(body &str) {}");
        assert_eq!(message, "expected `:`");
        let message = error_of("fn handle(body: &str);");
        assert!(message.starts_with("expected the function's body `{ ... }`"), "{message}");
        let message = error_of("const fn handle(body: &str) -> u32;");
        assert!(!message.contains("not on"), "{message}");
    }
}
