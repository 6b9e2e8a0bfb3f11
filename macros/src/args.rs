//! Reads the attribute's options: `#[batch_handler(sqs_fifo, fifo_policy = "skip_failed_group")]`.

use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;
use syn::{LitStr, Path};

use crate::errors::Errors;

/// The options, as written.
#[derive(Default)]
pub(crate) struct Args {
    pub(crate) source: Option<SourceArg>,
    pub(crate) fifo_policy: Option<(FifoPolicyArg, Span)>,
    pub(crate) stream_policy: Option<(StreamPolicyArg, Span)>,
    pub(crate) all_failed: Option<AllFailedArg>,
    pub(crate) poison_sink: Option<Path>,
    pub(crate) max_receive_count: Option<(u32, Span)>,
    pub(crate) drop_over_budget: Option<Span>,
    pub(crate) concurrency: Option<(u32, Span)>,
    pub(crate) deadline_margin_ms: Option<(u32, Span)>,
    pub(crate) record_timeout_ms: Option<(u32, Span)>,
    pub(crate) krate: Option<Path>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum SourceArg {
    Sqs,
    SqsFifo,
    Kinesis,
    DynamoDb,
    Kafka,
}

impl SourceArg {
    pub(crate) fn keyword(self) -> &'static str {
        match self {
            SourceArg::Sqs => "sqs",
            SourceArg::SqsFifo => "sqs_fifo",
            SourceArg::Kinesis => "kinesis",
            SourceArg::DynamoDb => "dynamodb",
            SourceArg::Kafka => "kafka",
        }
    }

    pub(crate) fn is_sqs(self) -> bool {
        matches!(self, SourceArg::Sqs | SourceArg::SqsFifo)
    }
}

#[derive(Clone, Copy)]
pub(crate) enum StreamPolicyArg {
    Checkpoint,
    Continue,
}

#[derive(Clone, Copy)]
pub(crate) enum FifoPolicyArg {
    StopAtFirstFailure,
    SkipFailedGroup,
}

#[derive(Clone, Copy)]
pub(crate) enum AllFailedArg {
    Error,
    ReportAll,
}

const ACCEPTED: &str = "`sqs`, `sqs_fifo`, `kinesis`, `dynamodb`, `kafka`, `fifo_policy = \"...\"`, \
                        `stream_policy = \"...\"`, `all_failed = \"...\"`, `poison_sink = path`, \
                        `max_receive_count = N`, `drop_over_budget`, `concurrency = N`, `deadline_margin_ms = N`, \
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

fn parse_one(meta: &ParseNestedMeta<'_>, args: &mut Args, errors: &mut Errors) -> syn::Result<()> {
    let key = meta.path.get_ident().map(ToString::to_string).unwrap_or_default();
    let span = syn::spanned::Spanned::span(&meta.path);
    match key.as_str() {
        "sqs" | "sqs_fifo" | "kinesis" | "dynamodb" | "kafka" => {
            no_value(meta, &key)?;
            let value = match key.as_str() {
                "sqs" => SourceArg::Sqs,
                "sqs_fifo" => SourceArg::SqsFifo,
                "kinesis" => SourceArg::Kinesis,
                "kafka" => SourceArg::Kafka,
                _ => SourceArg::DynamoDb,
            };
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
        }
        "fifo_policy" => {
            let lit = string_value(meta, &key)?;
            let value = match lit.value().as_str() {
                "stop_at_first_failure" => FifoPolicyArg::StopAtFirstFailure,
                "skip_failed_group" => FifoPolicyArg::SkipFailedGroup,
                other => {
                    errors.at(
                        &lit,
                        format!("unknown fifo_policy \"{other}\": expected \"stop_at_first_failure\" or \"skip_failed_group\""),
                    );
                    return Ok(());
                }
            };
            set_once(&mut args.fifo_policy, (value, span), span, &key, errors);
        }
        "stream_policy" => {
            let lit = string_value(meta, &key)?;
            let value = match lit.value().as_str() {
                "checkpoint" => StreamPolicyArg::Checkpoint,
                "continue" => StreamPolicyArg::Continue,
                other => {
                    errors.at(
                        &lit,
                        format!("unknown stream_policy \"{other}\": expected \"checkpoint\" or \"continue\""),
                    );
                    return Ok(());
                }
            };
            set_once(&mut args.stream_policy, (value, span), span, &key, errors);
        }
        "all_failed" => {
            let lit = string_value(meta, &key)?;
            let value = match lit.value().as_str() {
                "error" => AllFailedArg::Error,
                "report_all" => AllFailedArg::ReportAll,
                other => {
                    errors.at(
                        &lit,
                        format!("unknown all_failed \"{other}\": expected \"error\" or \"report_all\""),
                    );
                    return Ok(());
                }
            };
            set_once(&mut args.all_failed, value, span, &key, errors);
        }
        "poison_sink" => {
            if !meta.input.peek(syn::Token![=]) {
                return Err(meta.error("`poison_sink` needs a function: `poison_sink = my_sink`"));
            }
            let expr: syn::Expr = meta.value()?.parse()?;
            match expr {
                syn::Expr::Path(path) if path.qself.is_none() && args.poison_sink.is_none() => {
                    args.poison_sink = Some(path.path);
                }
                syn::Expr::Path(_) => errors.at_span(span, "`poison_sink` is given more than once"),
                other => errors.at(
                    other,
                    "`poison_sink` takes the path of an async function, e.g. `poison_sink = store_poison`",
                ),
            }
        }
        "drop_over_budget" => {
            no_value(meta, &key)?;
            if args.drop_over_budget.replace(span).is_some() {
                errors.at_span(span, "`drop_over_budget` is given more than once");
            }
        }
        "max_receive_count" | "concurrency" | "deadline_margin_ms" | "record_timeout_ms" => {
            let min = if key == "deadline_margin_ms" { 0 } else { 1 };
            let example = match key.as_str() {
                "max_receive_count" => "max_receive_count = 5",
                "concurrency" => "concurrency = 16",
                "deadline_margin_ms" => "deadline_margin_ms = 1000",
                _ => "record_timeout_ms = 5000",
            };
            if !meta.input.peek(syn::Token![=]) {
                return Err(meta.error(format!("`{key}` needs a number: `{example}`")));
            }
            let expr: syn::Expr = meta.value()?.parse()?;
            let parsed = match &expr {
                syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(int), .. }) => {
                    int.base10_parse::<u32>().ok()
                }
                _ => None,
            };
            let slot = match key.as_str() {
                "max_receive_count" => &mut args.max_receive_count,
                "concurrency" => &mut args.concurrency,
                "deadline_margin_ms" => &mut args.deadline_margin_ms,
                _ => &mut args.record_timeout_ms,
            };
            match parsed {
                Some(value) if value >= min => set_once(slot, (value, span), span, &key, errors),
                _ => errors
                    .at(expr, format!("`{key}` takes a whole number of at least {min}, e.g. `{example}`")),
            }
        }
        "crate" => {
            let lit = string_value(meta, &key)?;
            match lit.parse::<Path>() {
                Ok(path) if args.krate.is_none() => args.krate = Some(path),
                Ok(_) => errors.at_span(span, "`crate` is given more than once"),
                Err(_) => errors.at(
                    &lit,
                    format!("`crate` must be a path such as \"lambda_batch\", not \"{}\"", lit.value()),
                ),
            }
        }
        _ => {
            skip_value(meta)?;
            errors.at_span(span, unknown_option_message(&key));
        }
    }
    Ok(())
}

fn unknown_option_message(key: &str) -> String {
    let hint = match key {
        "fifo" => " (for a FIFO queue write `sqs_fifo`)",
        "skip_group_on_error" | "skip_group" | "skip_failed_group" => {
            " (to skip only the failing message group write `fifo_policy = \"skip_failed_group\"`)"
        }
        "raise_on_entire_batch_failure" | "throw_on_full_batch_failure" | "report_all" => {
            " (to return every id instead of an error write `all_failed = \"report_all\"`)"
        }
        "parallel" | "parallelism" | "max_concurrency" | "workers" => " (write `concurrency = N`)",
        "timeout" | "record_timeout" | "timeout_ms" => " (write `record_timeout_ms = N`)",
        "deadline_margin" | "margin" | "margin_ms" => " (write `deadline_margin_ms = N`)",
        "source" => " (name the source directly: `sqs`, `sqs_fifo`, `kinesis`, `dynamodb` or `kafka`)",
        "msk" | "kafka_msk" | "self_managed_kafka" => " (for Amazon MSK or self-managed Kafka write `kafka`)",
        "dynamodb_streams" | "dynamo" | "ddb" => " (for DynamoDB Streams write `dynamodb`)",
        "kinesis_streams" | "streams" => " (name the stream: `kinesis` or `dynamodb`)",
        "checkpoint" | "bisect" => {
            " (write `stream_policy = \"checkpoint\"` or `stream_policy = \"continue\"`)"
        }
        _ => "",
    };
    let shown = if key.is_empty() { "this option" } else { key };
    format!("unknown #[batch_handler] option `{shown}`{hint}; accepted options: {ACCEPTED}")
}

fn set_once<T>(slot: &mut Option<T>, value: T, span: Span, key: &str, errors: &mut Errors) {
    if slot.is_some() {
        errors.at_span(span, format!("`{key}` is given more than once"));
    } else {
        *slot = Some(value);
    }
}

fn no_value(meta: &ParseNestedMeta<'_>, key: &str) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) || meta.input.peek(syn::token::Paren) {
        skip_value(meta)?;
        return Err(meta.error(format!("`{key}` takes no value: write `#[batch_handler({key})]`")));
    }
    Ok(())
}

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
