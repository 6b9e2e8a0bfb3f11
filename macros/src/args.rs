//! Reads the attribute's options: `#[batch_handler(sqs_fifo, fifo_policy = "skip_failed_group")]`.

use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;
use syn::spanned::Spanned;
use syn::{LitStr, Path};

use crate::choices::{
    ALL_FAILED_POLICIES, FIFO_POLICIES, PARALLEL_MODES, STANDARD_POLICIES, STREAM_POLICIES,
};
pub(crate) use crate::choices::{
    AllFailedArg, FifoPolicyArg, ParallelArg, SourceArg, StandardPolicyArg, StreamPolicyArg,
};
use crate::errors::Errors;

pub(crate) mod hooks;

/// The options, as written.
#[derive(Default)]
///
/// Each option given is kept with the span of its name, where the checks
/// that involve it point.
pub(crate) struct Args {
    /// `sqs`, `sqs_fifo`, `kinesis`, `dynamodb` or `kafka`.
    pub(crate) source: Option<SourceArg>,
    /// `fifo_policy = "..."`.
    pub(crate) fifo_policy: Option<(FifoPolicyArg, Span)>,
    /// `standard_policy = "..."`.
    pub(crate) standard_policy: Option<(StandardPolicyArg, Span)>,
    /// `stream_policy = "..."`.
    pub(crate) stream_policy: Option<(StreamPolicyArg, Span)>,
    /// `all_failed = "..."`.
    pub(crate) all_failed: Option<(AllFailedArg, Span)>,
    /// `poison_sink = path`.
    pub(crate) poison_sink: Option<Path>,
    /// `idempotency = path`.
    pub(crate) idempotency: Option<Path>,
    /// `on_success = path`, `on_failure = path`, `on_batch_end = path`.
    pub(crate) hooks: hooks::Hooks,
    /// `metrics = path`.
    pub(crate) metrics: Option<Path>,
    /// `max_receive_count = N`.
    pub(crate) max_receive_count: Option<(u32, Span)>,
    /// `drop_over_budget`.
    pub(crate) drop_over_budget: Option<Span>,
    /// `concurrency = N`.
    pub(crate) concurrency: Option<(u32, Span)>,
    /// `parallel` or `parallel = "engine_helps"`.
    pub(crate) parallel: Option<(ParallelArg, Span)>,
    /// `deadline_margin_ms = N`.
    pub(crate) deadline_margin_ms: Option<(u32, Span)>,
    /// `record_timeout_ms = N`.
    pub(crate) record_timeout_ms: Option<(u32, Span)>,
    /// `crate = "path"`.
    pub(crate) krate: Option<Path>,
}

/// Every option, as the errors list them (and as options.md documents them).
const ACCEPTED: &str = "`sqs`, `sqs_fifo`, `kinesis`, `dynamodb`, `kafka`, `fifo_policy = \"...\"`, \
                        `standard_policy = \"...\"`, `stream_policy = \"...\"`, `all_failed = \"...\"`, `poison_sink = path`, \
                        `idempotency = path`, `on_success = path`, `on_failure = path`, `on_batch_end = path`, \
                        `metrics = path`, `max_receive_count = N`, `drop_over_budget`, `concurrency = N`, `parallel`, `parallel = \"engine_helps\"`, `deadline_margin_ms = N`, \
                        `record_timeout_ms = N`, `crate = \"...\"`";

/// Parses the options, pushing every problem into `errors`.
pub(crate) fn parse(attr: TokenStream, errors: &mut Errors) -> Args {
    let mut args = Args::default();
    let parser = syn::meta::parser(|meta| {
        if let Err(error) = parse_one(&meta, &mut args, errors) {
            errors.push(error);
        }
        Ok(())
    });
    if let Err(error) = parser.parse2(attr) {
        errors.push(error);
    }
    args
}

/// Reads one option, dispatching on its name to the function that reads it.
fn parse_one(meta: &ParseNestedMeta<'_>, args: &mut Args, errors: &mut Errors) -> syn::Result<()> {
    match key_of(meta).as_str() {
        "sqs" => source(meta, SourceArg::Sqs, args, errors),
        "sqs_fifo" => source(meta, SourceArg::SqsFifo, args, errors),
        "kinesis" => source(meta, SourceArg::Kinesis, args, errors),
        "dynamodb" => source(meta, SourceArg::DynamoDb, args, errors),
        "kafka" => source(meta, SourceArg::Kafka, args, errors),
        "fifo_policy" => choice(meta, FIFO_POLICIES, &mut args.fifo_policy, errors),
        "standard_policy" => choice(meta, STANDARD_POLICIES, &mut args.standard_policy, errors),
        "stream_policy" => choice(meta, STREAM_POLICIES, &mut args.stream_policy, errors),
        "all_failed" => choice(meta, ALL_FAILED_POLICIES, &mut args.all_failed, errors),
        "poison_sink" => function_path(
            meta,
            "poison_sink",
            "store_poison",
            "async function",
            &mut args.poison_sink,
            errors,
        ),
        "idempotency" => {
            function_path(meta, "idempotency", "idempotency", "a function", &mut args.idempotency, errors)
        }
        "on_success" | "on_failure" | "on_batch_end" | "metrics" => hooks::option(meta, args, errors),
        "drop_over_budget" => drop_over_budget(meta, args, errors),
        "max_receive_count" => number(meta, 1, "max_receive_count = 5", &mut args.max_receive_count, errors),
        "concurrency" => number(meta, 1, "concurrency = 16", &mut args.concurrency, errors),
        "parallel" => parallel(meta, args, errors),
        "deadline_margin_ms" => {
            number(meta, 0, "deadline_margin_ms = 1000", &mut args.deadline_margin_ms, errors)
        }
        "record_timeout_ms" => {
            number(meta, 1, "record_timeout_ms = 5000", &mut args.record_timeout_ms, errors)
        }
        "crate" => krate(meta, args, errors),
        other => {
            skip_value(meta)?;
            errors.at_span(meta.path.span(), unknown_option_message(other));
            Ok(())
        }
    }
}

/// The option's name, or `""` when its path is not a single identifier.
fn key_of(meta: &ParseNestedMeta<'_>) -> String {
    meta.path.get_ident().map(ToString::to_string).unwrap_or_default()
}

/// An event source keyword (`sqs`, `kinesis`, ...): only one may be given.
fn source(
    meta: &ParseNestedMeta<'_>,
    value: SourceArg,
    args: &mut Args,
    errors: &mut Errors,
) -> syn::Result<()> {
    let key = value.keyword();
    no_value(meta, key)?;
    let span = meta.path.span();
    match &args.source {
        Some(previous) if *previous == value => {
            errors.at_span(span, format!("`{key}` is given more than once"));
        }
        Some(previous) => {
            let hint = if value.is_sqs() && previous.is_sqs() {
                " (`sqs_fifo` already means an SQS FIFO queue)"
            } else {
                ""
            };
            errors.at_span(
                span,
                format!(
                    "`{key}` and `{}` cannot be combined: choose one event source{hint}",
                    previous.keyword()
                ),
            );
        }
        None => args.source = Some(value),
    }
    Ok(())
}

/// `key = "value"` where the value is one of `choices` (`fifo_policy`,
/// `standard_policy`, `stream_policy`, `all_failed`).
fn choice<T: Copy>(
    meta: &ParseNestedMeta<'_>,
    choices: &[(&str, T)],
    slot: &mut Option<(T, Span)>,
    errors: &mut Errors,
) -> syn::Result<()> {
    let key = key_of(meta);
    let lit = string_value(meta, &key)?;
    let written = lit.value();
    match choices.iter().find(|(name, _)| *name == written) {
        Some((_, value)) => set_once(slot, (*value, meta.path.span()), meta, errors),
        None => {
            let expected: Vec<String> = choices.iter().map(|(name, _)| format!("\"{name}\"")).collect();
            errors.at(&lit, format!("unknown {key} \"{written}\": expected {}", expected.join(" or ")));
        }
    }
    Ok(())
}

/// `option = path`: a function the generated code calls
/// (`poison_sink = store_poison`, `idempotency = idempotency`); `kind` says
/// what it is in the error messages (with its article), `example` names one.
fn function_path(
    meta: &ParseNestedMeta<'_>,
    option: &str,
    example: &str,
    kind: &str,
    slot: &mut Option<Path>,
    errors: &mut Errors,
) -> syn::Result<()> {
    if !meta.input.peek(syn::Token![=]) {
        return Err(meta.error(format!("`{option}` needs a function: `{option} = {example}`")));
    }
    let expr: syn::Expr = meta.value()?.parse()?;
    match expr {
        syn::Expr::Path(path) if path.qself.is_none() && slot.is_none() => *slot = Some(path.path),
        syn::Expr::Path(_) => errors.at_span(meta.path.span(), format!("`{option}` is given more than once")),
        other => {
            errors.at(other, format!("`{option}` takes the path of {kind}, e.g. `{option} = {example}`"))
        }
    }
    Ok(())
}

/// `drop_over_budget`, a flag.
fn drop_over_budget(meta: &ParseNestedMeta<'_>, args: &mut Args, errors: &mut Errors) -> syn::Result<()> {
    no_value(meta, "drop_over_budget")?;
    let span = meta.path.span();
    if args.drop_over_budget.replace(span).is_some() {
        errors.at_span(span, "`drop_over_budget` is given more than once");
    }
    Ok(())
}

/// `parallel`: run the record function on the invocation's crew;
/// `parallel = "engine_helps"`: with the engine's thread helping.
fn parallel(meta: &ParseNestedMeta<'_>, args: &mut Args, errors: &mut Errors) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        let lit = string_value(meta, "parallel")?;
        let written = lit.value();
        match PARALLEL_MODES.iter().find(|(name, _)| *name == written) {
            Some((_, mode)) => set_once(&mut args.parallel, (*mode, meta.path.span()), meta, errors),
            None => errors.at(
                &lit,
                format!(
                    "unknown parallel mode \"{written}\": write `parallel` for one worker thread per core, or \
                     `parallel = \"engine_helps\"` to let the engine's thread run records' work too"
                ),
            ),
        }
        return Ok(());
    }
    if meta.input.peek(syn::token::Paren) {
        skip_value(meta)?;
        return Err(meta.error("`parallel` takes no list: write `parallel` or `parallel = \"engine_helps\"`"));
    }
    set_once(&mut args.parallel, (ParallelArg::Crew, meta.path.span()), meta, errors);
    Ok(())
}

/// `key = N`, a whole number of at least `min`; `example` shows one in the
/// errors.
fn number(
    meta: &ParseNestedMeta<'_>,
    min: u32,
    example: &str,
    slot: &mut Option<(u32, Span)>,
    errors: &mut Errors,
) -> syn::Result<()> {
    let key = key_of(meta);
    if !meta.input.peek(syn::Token![=]) {
        return Err(meta.error(format!("`{key}` needs a number: `{example}`")));
    }
    let expr: syn::Expr = meta.value()?.parse()?;
    let parsed = match &expr {
        syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(int), .. }) => int.base10_parse::<u32>().ok(),
        _ => None,
    };
    match parsed {
        Some(value) if value >= min => set_once(slot, (value, meta.path.span()), meta, errors),
        _ => errors.at(expr, format!("`{key}` takes a whole number of at least {min}, e.g. `{example}`")),
    }
    Ok(())
}

/// `crate = "path"`: where the runtime is, when it is not `::lambda_batch`.
fn krate(meta: &ParseNestedMeta<'_>, args: &mut Args, errors: &mut Errors) -> syn::Result<()> {
    let lit = string_value(meta, "crate")?;
    match lit.parse::<Path>() {
        Ok(path) if args.krate.is_none() => args.krate = Some(path),
        Ok(_) => errors.at_span(meta.path.span(), "`crate` is given more than once"),
        Err(_) => errors
            .at(&lit, format!("`crate` must be a path such as \"lambda_batch\", not \"{}\"", lit.value())),
    }
    Ok(())
}

/// The error for an unknown option `key`, with a hint when it looks like a
/// known one.
fn unknown_option_message(key: &str) -> String {
    let hint = match key {
        "fifo" => " (for a FIFO queue write `sqs_fifo`)",
        "skip_group_on_error" | "skip_group" | "skip_failed_group" => {
            " (to skip only the failing message group write `fifo_policy = \"skip_failed_group\"`)"
        }
        "raise_on_entire_batch_failure" | "throw_on_full_batch_failure" | "report_all" => {
            " (to return every id instead of an error write `all_failed = \"report_all\"`)"
        }
        "max_concurrency" => " (write `concurrency = N`)",
        "parallelism" | "workers" | "threads" | "cpu" | "blocking" => {
            " (write `parallel` to run a CPU-bound record function on every core, `concurrency = N` for records \
             that wait)"
        }
        "timeout" | "record_timeout" | "timeout_ms" => " (write `record_timeout_ms = N`)",
        "deadline_margin" | "margin" | "margin_ms" => " (write `deadline_margin_ms = N`)",
        "source" => " (name the source directly: `sqs`, `sqs_fifo`, `kinesis`, `dynamodb` or `kafka`)",
        "msk" | "kafka_msk" | "self_managed_kafka" => " (for Amazon MSK or self-managed Kafka write `kafka`)",
        "dynamodb_streams" | "dynamo" | "ddb" => " (for DynamoDB Streams write `dynamodb`)",
        "kinesis_streams" | "streams" => " (name the stream: `kinesis` or `dynamodb`)",
        "checkpoint" | "bisect" => {
            " (write `stream_policy = \"checkpoint\"` or `stream_policy = \"continue\"`)"
        }
        other => hooks::hint(other),
    };
    let shown = if key.is_empty() { "this option" } else { key };
    format!("unknown #[batch_handler] option `{shown}`{hint}; accepted options: {ACCEPTED}")
}

/// Stores `value` in `slot`, or reports the option `meta` as given twice.
fn set_once<T>(slot: &mut Option<T>, value: T, meta: &ParseNestedMeta<'_>, errors: &mut Errors) {
    if slot.is_some() {
        errors.at_span(meta.path.span(), format!("`{}` is given more than once", key_of(meta)));
    } else {
        *slot = Some(value);
    }
}

/// Checks that a flag (`sqs`, `drop_over_budget`, ...) has no value.
fn no_value(meta: &ParseNestedMeta<'_>, key: &str) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) || meta.input.peek(syn::token::Paren) {
        skip_value(meta)?;
        return Err(meta.error(format!("`{key}` takes no value: write `#[batch_handler({key})]`")));
    }
    Ok(())
}

/// Reads the `= "..."` value of option `key`.
fn string_value(meta: &ParseNestedMeta<'_>, key: &str) -> syn::Result<LitStr> {
    if !meta.input.peek(syn::Token![=]) {
        return Err(meta.error(format!("`{key}` needs a value: `{key} = \"...\"`")));
    }
    let expr: syn::Expr = meta.value()?.parse()?;
    match expr {
        syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(lit), .. }) => Ok(lit),
        other => Err(syn::Error::new_spanned(other, format!("`{key}` takes a string: `{key} = \"...\"`"))),
    }
}

/// Consumes `= value` or `(...)` after an option we reject, so parsing goes on.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        let _: syn::Expr = meta.value()?.parse()?;
    } else if meta.input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in meta.input);
        let _: TokenStream = content.parse()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    /// The options documented on `batch_handler` (options.md) are exactly
    /// the ones its error messages list as accepted.
    #[test]
    fn the_documented_options_are_the_accepted_ones() {
        let documented: Vec<&str> = include_str!("options.md")
            .lines()
            .filter(|line| line.starts_with("| `"))
            .filter_map(|line| line.split('`').nth(1))
            .collect();
        let accepted: Vec<&str> = super::ACCEPTED.split('`').skip(1).step_by(2).collect();
        assert_eq!(documented, accepted, "options.md and ACCEPTED in args.rs must list the same options");
    }
}
