//! Checks the options and the function, and builds the model `expand` renders.

use proc_macro2::Span;
use syn::{FnArg, ReturnType, Type};

use crate::args::{
    AllFailedArg, Args, FifoPolicyArg, ParallelArg, SourceArg, StandardPolicyArg, StreamPolicyArg,
};
use crate::errors::Errors;
use crate::parse::{RecordFn, is_state_attr};

mod parallel;
mod policies;

use self::parallel::check_parallel;
use self::policies::check_policies;

/// Everything `expand` needs, all checked.
pub(crate) struct Handler {
    /// The user's function, as parsed.
    pub(crate) function: RecordFn,
    /// Its parameters, in order.
    pub(crate) params: Vec<Param>,
    /// Its return type; `None` for `()`.
    pub(crate) output: Option<Type>,
    /// Whether it is an `async fn`.
    pub(crate) is_async: bool,
    /// The engine settings.
    pub(crate) config: Config,
    /// The type `T` of the `#[state] name: &T` parameter, if any.
    pub(crate) state: Option<Type>,
    /// The `poison_sink` function, if any.
    pub(crate) poison_sink: Option<syn::Path>,
    /// The `idempotency` function, if any.
    pub(crate) idempotency: Option<syn::Path>,
    /// The hook functions given.
    pub(crate) hooks: crate::args::hooks::Hooks,
    /// The `metrics` function, if any.
    pub(crate) metrics: Option<syn::Path>,
}

/// One parameter of the record function.
pub(crate) struct Param {
    /// Its type: an extractor, or `&T` for the state.
    pub(crate) ty: Type,
    /// Marked `#[state]`: filled from the state the caller passes in.
    pub(crate) is_state: bool,
}

/// The settings for the engine, defaults filled in; `expand` renders them
/// as the `CONFIG` constant.
pub(crate) struct Config {
    /// The event source.
    pub(crate) source: SourceArg,
    /// `fifo_policy` (SQS).
    pub(crate) fifo_policy: FifoPolicyArg,
    /// `standard_policy` (SQS standard queues).
    pub(crate) standard_policy: StandardPolicyArg,
    /// `stream_policy` (Kinesis, DynamoDB Streams, Kafka).
    pub(crate) stream_policy: StreamPolicyArg,
    /// `all_failed`.
    pub(crate) all_failed: AllFailedArg,
    /// `max_receive_count` (SQS).
    pub(crate) max_receive_count: Option<u32>,
    /// `drop_over_budget` (SQS).
    pub(crate) drop_over_budget: bool,
    /// `concurrency`.
    pub(crate) concurrency: Option<u32>,
    /// `parallel`: the record function runs through `Parallel`, helped
    /// by the engine's thread under `parallel = "engine_helps"`.
    pub(crate) parallel: Option<ParallelArg>,
    /// `deadline_margin_ms`.
    pub(crate) deadline_margin_ms: Option<u32>,
    /// `record_timeout_ms`.
    pub(crate) record_timeout_ms: Option<u32>,
}

/// Checks `function` under `args`; every problem goes to `errors`.
/// Returns `None` if the function itself cannot be expanded.
pub(crate) fn validate(args: &Args, function: RecordFn, all_errors: &mut Errors) -> Option<Handler> {
    let options_ok = all_errors.is_empty();
    let mut errors = Errors::default();
    let errors = &mut errors;
    check_signature(&function, errors);
    let params = check_params(&function, errors);
    let state = state_type(&params, errors);
    let output = match &function.sig.output {
        ReturnType::Default => None,
        ReturnType::Type(_, ty) => Some((**ty).clone()),
    };
    // After a bad option, expand with the default source rather than add a
    // follow-on "which source?" error (the bad option may have been it).
    let source =
        resolve_source(args, &params, errors, options_ok).or((!options_ok).then_some(SourceArg::Sqs));
    check_parallel(args, &function, &params, source, errors);
    let valid = errors.is_empty();
    all_errors.append(std::mem::take(errors));
    let is_async = function.sig.asyncness.is_some();
    let config = config(args, source.unwrap_or(SourceArg::Sqs));
    (valid && source.is_some()).then_some(Handler {
        function,
        params,
        output,
        is_async,
        config,
        state,
        poison_sink: args.poison_sink.clone(),
        idempotency: args.idempotency.clone(),
        hooks: args.hooks.clone(),
        metrics: args.metrics.clone(),
    })
}

/// The engine settings: the options given, defaults for the others.
fn config(args: &Args, source: SourceArg) -> Config {
    Config {
        source,
        fifo_policy: args.fifo_policy.map_or(FifoPolicyArg::StopAtFirstFailure, |(p, _)| p),
        standard_policy: args.standard_policy.map_or(StandardPolicyArg::Continue, |(p, _)| p),
        stream_policy: args.stream_policy.map_or(StreamPolicyArg::Checkpoint, |(p, _)| p),
        all_failed: args.all_failed.map_or(AllFailedArg::Error, |(p, _)| p),
        max_receive_count: args.max_receive_count.map(|(max, _)| max),
        drop_over_budget: args.drop_over_budget.is_some(),
        concurrency: args.concurrency.map(|(n, _)| n),
        parallel: args.parallel.map(|(mode, _)| mode),
        deadline_margin_ms: args.deadline_margin_ms.map(|(n, _)| n),
        record_timeout_ms: args.record_timeout_ms.map(|(n, _)| n),
    }
}

/// Checks each parameter (no `self`, no `impl Trait`, `#[state]` on a
/// reference and only once) and returns them in order.
fn check_params(function: &RecordFn, errors: &mut Errors) -> Vec<Param> {
    let mut params = Vec::new();
    for input in &function.sig.inputs {
        match input {
            FnArg::Receiver(receiver) => errors.at(
                receiver,
                "#[batch_handler] works on free functions, not methods: move the record logic into a free \
                 function (it may call your method)",
            ),
            FnArg::Typed(typed) => params.push(check_param(typed, errors)),
        }
    }
    params
}

/// Checks one typed parameter.
fn check_param(typed: &syn::PatType, errors: &mut Errors) -> Param {
    if let Some(impl_trait) = find_impl_trait(&typed.ty) {
        errors.at(
            impl_trait,
            "`impl Trait` parameters make the function generic; name a concrete extractor type such as \
             `Json<Order>` or `&str`",
        );
    }
    let state_attrs: Vec<_> = typed.attrs.iter().filter(|a| is_state_attr(a)).collect();
    for extra in state_attrs.iter().skip(1) {
        errors.at(extra, "`#[state]` is given more than once on this parameter");
    }
    let is_state = !state_attrs.is_empty();
    if is_state && !matches!(*typed.ty, Type::Reference(_)) {
        errors.at(
            &typed.ty,
            "a `#[state]` parameter is a shared reference, e.g. `#[state] db: &Database`; the caller passes it \
             as `service_fn(|event| handler(&db, event))`",
        );
    }
    Param { ty: (*typed.ty).clone(), is_state }
}

/// The type `T` of the `#[state] name: &T` parameter; a second `#[state]`
/// parameter is an error.
fn state_type(params: &[Param], errors: &mut Errors) -> Option<Type> {
    let mut states = params.iter().filter(|p| p.is_state);
    let state = states.next().and_then(|p| match &p.ty {
        Type::Reference(reference) => Some((*reference.elem).clone()),
        _ => None,
    });
    for extra in states {
        errors
            .at(&extra.ty, "only one parameter can be `#[state]`: put what the handler shares in one struct");
    }
    state
}

/// Checks the signature's qualifiers: no generics, `where`, `const`,
/// `extern`, variadic or `unsafe`.
fn check_signature(function: &RecordFn, errors: &mut Errors) {
    let sig = &function.sig;
    if !sig.generics.params.is_empty() {
        errors.at(
            &sig.generics,
            "#[batch_handler] functions cannot be generic: the Lambda handler needs concrete parameter types \
             (use `&str` or `Json<T>` with a concrete `T`)",
        );
    } else if let Some(where_clause) = &sig.generics.where_clause {
        errors.at(where_clause, "#[batch_handler] functions cannot have a `where` clause");
    }
    if let Some(constness) = &sig.constness {
        errors.at(constness, "#[batch_handler] functions cannot be `const`");
    }
    if let Some(abi) = &sig.abi {
        errors.at(abi, "#[batch_handler] functions cannot have an `extern` ABI");
    }
    if let Some(variadic) = &sig.variadic {
        errors.at(variadic, "#[batch_handler] functions cannot be variadic");
    }
    if !matches!(function.sig.safety, syn::Safety::Default) {
        errors.at(sig.fn_token, "#[batch_handler] functions cannot be `unsafe`");
    }
}

/// The event source: from the options, else from the parameter types that
/// name one (`&SqsMessage`, `&KinesisRecord`, `NewImage<T>`, ...). A
/// parameter of another source than the chosen one is an error at its type.
fn resolve_source(args: &Args, params: &[Param], errors: &mut Errors, report: bool) -> Option<SourceArg> {
    let mut chosen: Option<(SourceArg, Option<&Type>)> = args.source.map(|source| (source, None));
    for param in params {
        let Some(family) = (!param.is_state).then(|| source_named_by(&param.ty)).flatten() else {
            continue;
        };
        match chosen {
            None => chosen = Some((family, Some(&param.ty))),
            Some((source, _)) if same_family(source, family) => {}
            Some((source, by_type)) => {
                let because = match by_type {
                    Some(ty) => format!(
                        "`{}` already makes this a handler for {}",
                        type_text(ty),
                        family_name(source)
                    ),
                    None => format!("this handler is for `{}`", source.keyword()),
                };
                errors.at(
                    &param.ty,
                    format!(
                        "`{}` is an extractor for {}, but {because}: a handler serves one event source",
                        type_text(&param.ty),
                        family_name(family)
                    ),
                );
            }
        }
    }
    if let Some((source, _)) = chosen {
        check_policies(args, source, errors);
        return Some(source);
    }
    if report {
        errors.at_span(
            Span::call_site(),
            "cannot tell which event source this handler serves: write `#[batch_handler(sqs)]` (standard or FIFO \
             queue, detected from the queue ARN), `sqs_fifo`, `kinesis`, `dynamodb` or `kafka`",
        );
    }
    None
}

/// The source a parameter type belongs to, judged by its last path segment
/// (inside `Option<..>` and `Result<.., E>`, the fallible forms).
fn source_named_by(ty: &Type) -> Option<SourceArg> {
    match ty {
        Type::Reference(reference) => source_named_by(&reference.elem),
        Type::Paren(paren) => source_named_by(&paren.elem),
        Type::Path(path) => {
            let segment = path.path.segments.last()?;
            let name = if segment.ident == "Option" || segment.ident == "Result" {
                // `Option<NewImage<T>>`, `Result<&SqsMessage, ExtractError>`
                // and friends: the extractor inside.
                let syn::PathArguments::AngleBracketed(args) = &segment.arguments else {
                    return None;
                };
                let Some(syn::GenericArgument::Type(inner)) = args.args.first() else {
                    return None;
                };
                return source_named_by(inner);
            } else {
                segment.ident.to_string()
            };
            match name.as_str() {
                // Envelopes that only one source carries (`FromEventBridge`
                // comes in SQS and Kinesis records alike: it names none).
                "SqsMessage" | "SqsRecord" | "FromSns" | "S3Notification" => Some(SourceArg::Sqs),
                "KinesisEventRecord" | "KinesisRecord" | "CloudWatchLogs" => Some(SourceArg::Kinesis),
                "EventRecord" | "DynamoDbRecord" | "NewImage" | "OldImage" | "Keys" | "EventName" => {
                    Some(SourceArg::DynamoDb)
                }
                "KafkaRecord" | "KafkaEventRecord" | "Avro" | "AvroKey" | "Protobuf" | "ProtobufKey" => {
                    Some(SourceArg::Kafka)
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// Both SQS, or the same stream source.
fn same_family(a: SourceArg, b: SourceArg) -> bool {
    a == b || (a.is_sqs() && b.is_sqs())
}

/// The source's name in messages: "SQS", "Kinesis", ...
fn family_name(source: SourceArg) -> &'static str {
    match source {
        SourceArg::Sqs | SourceArg::SqsFifo => "SQS",
        SourceArg::Kinesis => "Kinesis",
        SourceArg::DynamoDb => "DynamoDB Streams",
        SourceArg::Kafka => "Kafka",
    }
}

/// `ty` as the user wrote it, for messages (`Json<Order>`, `&str`).
fn type_text(ty: &Type) -> String {
    quote::ToTokens::to_token_stream(ty).to_string().replace(" < ", "<").replace(" >", ">").replace("& ", "&")
}

/// The `impl Trait` in `ty` (behind references or parentheses), if any.
fn find_impl_trait(ty: &Type) -> Option<&Type> {
    match ty {
        Type::ImplTrait(_) => Some(ty),
        Type::Reference(reference) => find_impl_trait(&reference.elem),
        Type::Paren(paren) => find_impl_trait(&paren.elem),
        _ => None,
    }
}
