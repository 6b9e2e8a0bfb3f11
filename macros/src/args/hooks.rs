//! The options that name a function watching the batch: the hooks
//! (`on_success`, `on_failure`, `on_batch_end`) and `metrics`.

use syn::Path;
use syn::meta::ParseNestedMeta;

use super::{Args, function_path, key_of};
use crate::errors::Errors;

/// The hook functions given, each called after what it is named for.
#[derive(Default, Clone)]
pub(crate) struct Hooks {
    /// `on_success = path`.
    pub(crate) on_success: Option<Path>,
    /// `on_failure = path`.
    pub(crate) on_failure: Option<Path>,
    /// `on_batch_end = path`.
    pub(crate) on_batch_end: Option<Path>,
}

/// Reads `on_success`, `on_failure`, `on_batch_end` or `metrics = path`.
pub(super) fn option(meta: &ParseNestedMeta<'_>, args: &mut Args, errors: &mut Errors) -> syn::Result<()> {
    let key = key_of(meta);
    let (example, kind, slot) = match key.as_str() {
        "on_success" => ("record_done", "an async function", &mut args.hooks.on_success),
        "on_failure" => ("record_failed", "an async function", &mut args.hooks.on_failure),
        "on_batch_end" => ("batch_done", "an async function", &mut args.hooks.on_batch_end),
        _ => ("orders_metrics", "a function", &mut args.metrics),
    };
    function_path(meta, &key, example, kind, slot, errors)
}

/// The hint for an unknown option `key` that looks like one of these.
pub(super) fn hint(key: &str) -> &'static str {
    match key {
        "on_error" | "on_fail" | "on_record_failure" => " (write `on_failure = path`)",
        "on_ok" | "on_record_success" => " (write `on_success = path`)",
        "on_end" | "after_batch" | "on_batch_done" => " (write `on_batch_end = path`)",
        "emf" | "cloudwatch_metrics" | "metric" => " (write `metrics = path`)",
        _ => "",
    }
}
