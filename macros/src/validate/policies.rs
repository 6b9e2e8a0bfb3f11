//! The checks of the policy options: each applies to its source, and the
//! options agree with one another.

use super::family_name;
use crate::args::{Args, FifoPolicyArg, SourceArg, StandardPolicyArg};
use crate::errors::Errors;

/// Checks that each option applies to `source` and that the options agree
/// with one another.
pub(super) fn check_policies(args: &Args, source: SourceArg, errors: &mut Errors) {
    if let (Some((_, span)), false) = (args.fifo_policy, source.is_sqs()) {
        errors.at_span(
            span,
            format!(
                "`fifo_policy` applies to SQS FIFO queues, but this handler is for {}; streams use \
                 `stream_policy = \"checkpoint\" | \"continue\"`",
                family_name(source)
            ),
        );
    }
    if let (Some((_, span)), false) = (args.max_receive_count, source.is_sqs()) {
        errors.at_span(
            span,
            format!(
                "`max_receive_count` counts SQS deliveries (`ApproximateReceiveCount`); {} records have no \
                 receive count",
                family_name(source)
            ),
        );
    }
    match (args.max_receive_count, args.drop_over_budget, &args.poison_sink) {
        (Some((max, span)), None, None) if source.is_sqs() => errors.at_span(
            span,
            format!(
                "`max_receive_count = {max}` drops messages received more than {max} times, but this handler has no \
                 `poison_sink` to keep them, so they would be lost: add `poison_sink = my_sink` (an async fn that \
                 stores them), or `drop_over_budget` to drop them with only a log line"
            ),
        ),
        (None, Some(span), _) => errors.at_span(
            span,
            "`drop_over_budget` only applies with `max_receive_count = N` (SQS): add the budget or remove it",
        ),
        (Some(_), Some(span), Some(_)) => errors.at_span(
            span,
            "`drop_over_budget` drops over-budget messages, but `poison_sink` already keeps them: remove one of \
             the two",
        ),
        _ => {}
    }
    let stops_at_first = !matches!(args.fifo_policy, Some((FifoPolicyArg::SkipFailedGroup, _)));
    if let (Some((n, span)), SourceArg::SqsFifo, true) = (args.concurrency, source, stops_at_first)
        && n > 1
    {
        errors.at_span(
            span,
            "`concurrency` above 1 on a FIFO queue needs `fifo_policy = \"skip_failed_group\"`: with \
             `stop_at_first_failure` a failed record and every later record of the batch are reported for retry, \
             so a record running beside a failed one would run again even if it succeeded; remove `concurrency`, \
             or set `fifo_policy = \"skip_failed_group\"` to run message groups side by side (see \
             \"FIFO queues: the suffix rule\" in the documentation of `lambda_batch::aws_rules`)",
        );
    }
    check_standard_policy(args, source, errors);
    if let (Some((_, span)), true) = (args.stream_policy, source.is_sqs()) {
        errors.at_span(
            span,
            "`stream_policy` applies to Kinesis, DynamoDB Streams and Kafka, but this handler is for SQS; FIFO queues use \
             `fifo_policy = \"stop_at_first_failure\" | \"skip_failed_group\"`",
        );
    }
}

/// `standard_policy` applies to `sqs` handlers only (a `sqs_fifo` handler
/// never sees a standard queue), and stopping at the first failure runs one
/// record at a time.
fn check_standard_policy(args: &Args, source: SourceArg, errors: &mut Errors) {
    let Some((policy, span)) = args.standard_policy else { return };
    if source != SourceArg::Sqs {
        let (this, instead) = if source == SourceArg::SqsFifo {
            (
                "a FIFO queue (`sqs_fifo`)",
                "FIFO queues use `fifo_policy = \"stop_at_first_failure\" | \"skip_failed_group\"`",
            )
        } else {
            (family_name(source), "streams use `stream_policy = \"checkpoint\" | \"continue\"`")
        };
        errors.at_span(
            span,
            format!(
                "`standard_policy` applies to SQS standard queues (`#[batch_handler(sqs)]`), but this handler is for \
                 {this}; {instead}"
            ),
        );
        return;
    }
    if let (StandardPolicyArg::StopAtFirstFailure, Some((n, concurrency_span))) = (policy, args.concurrency)
        && n > 1
    {
        errors.at_span(
            concurrency_span,
            "`concurrency` above 1 cannot go with `standard_policy = \"stop_at_first_failure\"`: every record after a \
             failed one is reported for retry, so a record running beside a failed one would run again even if it \
             succeeded; remove `concurrency`, or remove `standard_policy` to handle every record",
        );
    }
}
