//! Support for the code `#[batch_handler]` generates. Not a public API.
