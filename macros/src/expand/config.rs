//! Renders the `CONFIG` constant: the one place that emits the runtime's
//! config builders (`SqsConfig`, `StreamConfig`, `Limits`) and their
//! methods.

use proc_macro2::TokenStream;
use quote::quote;

use crate::args::{AllFailedArg, FifoPolicyArg, SourceArg, StandardPolicyArg, StreamPolicyArg};
use crate::validate::Config;

/// The `CONFIG` constant's type and value, built from `config` with the
/// runtime's items under `private`.
pub(super) fn type_and_value(config: &Config, private: &TokenStream) -> (TokenStream, TokenStream) {
    let (ty, value) = match config.source {
        SourceArg::Sqs | SourceArg::SqsFifo => (quote!(#private::SqsConfig), sqs_config(config, private)),
        SourceArg::Kinesis | SourceArg::DynamoDb | SourceArg::Kafka => {
            (quote!(#private::StreamConfig), stream_config(config, private))
        }
    };
    (ty, with_limits(config, private, value))
}

/// `SqsConfig::new().with_queue_kind(..).with_fifo_policy(..).with_standard_policy(..).with_all_failed_policy(..)`, then the
/// receive budget when one was given.
fn sqs_config(config: &Config, private: &TokenStream) -> TokenStream {
    let queue = match config.source {
        SourceArg::SqsFifo => quote!(#private::QueueKind::Fifo),
        _ => quote!(#private::QueueKind::Detect),
    };
    let fifo_policy = match config.fifo_policy {
        FifoPolicyArg::StopAtFirstFailure => quote!(#private::FifoPolicy::StopAtFirstFailure),
        FifoPolicyArg::SkipFailedGroup => quote!(#private::FifoPolicy::SkipFailedGroup),
    };
    let standard_policy = match config.standard_policy {
        StandardPolicyArg::Continue => quote!(#private::StandardPolicy::Continue),
        StandardPolicyArg::StopAtFirstFailure => quote!(#private::StandardPolicy::StopAtFirstFailure),
    };
    let all_failed = all_failed_policy(config, private);
    let budget = config.max_receive_count.map(|max| quote!(.with_max_receive_count(#max)));
    let drop_over_budget = config.drop_over_budget.then(|| quote!(.with_drop_over_budget(true)));
    quote!(#private::SqsConfig::new().with_queue_kind(#queue).with_fifo_policy(#fifo_policy).with_standard_policy(#standard_policy).with_all_failed_policy(#all_failed) #budget #drop_over_budget)
}

/// `StreamConfig::new().with_stream_policy(..).with_all_failed_policy(..)`, for Kinesis, DynamoDB
/// Streams and Kafka.
fn stream_config(config: &Config, private: &TokenStream) -> TokenStream {
    let policy = match config.stream_policy {
        StreamPolicyArg::Checkpoint => quote!(#private::StreamPolicy::Checkpoint),
        StreamPolicyArg::Continue => quote!(#private::StreamPolicy::Continue),
    };
    let all_failed = all_failed_policy(config, private);
    quote!(#private::StreamConfig::new().with_stream_policy(#policy).with_all_failed_policy(#all_failed))
}

/// The `AllFailedPolicy` value of the `all_failed` option.
fn all_failed_policy(config: &Config, private: &TokenStream) -> TokenStream {
    match config.all_failed {
        AllFailedArg::Error => quote!(#private::AllFailedPolicy::Error),
        AllFailedArg::ReportAll => quote!(#private::AllFailedPolicy::ReportAll),
    }
}

/// Appends `.with_limits(Limits::new()...)` to `value` when a limit option was
/// given; returns `value` as is otherwise.
fn with_limits(config: &Config, private: &TokenStream, value: TokenStream) -> TokenStream {
    if config.concurrency.is_none()
        && config.parallel.is_none()
        && config.deadline_margin_ms.is_none()
        && config.record_timeout_ms.is_none()
    {
        return value;
    }
    let concurrency = match (config.concurrency, config.parallel.is_some()) {
        (Some(n), _) => {
            let n = n as usize;
            Some(quote!(.with_concurrency(#n)))
        }
        (None, true) => Some(quote!(.with_concurrency_per_core(#private::IN_FLIGHT_PER_CORE))),
        (None, false) => None,
    };
    let margin = config.deadline_margin_ms.map(|ms| {
        let ms = u64::from(ms);
        quote!(.with_deadline_margin(::core::time::Duration::from_millis(#ms)))
    });
    let timeout = config.record_timeout_ms.map(|ms| {
        let ms = u64::from(ms);
        quote!(.with_record_timeout(::core::time::Duration::from_millis(#ms)))
    });
    quote!(#value.with_limits(#private::Limits::new() #concurrency #margin #timeout))
}
