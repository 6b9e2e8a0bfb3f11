use lambda_batch::batch_handler;
use lambda_batch::sqs::SqsMessage;

/// `Option<T>` is for payload extractors (`OptionalPayload`); the full
/// record is not one: take `Result<&SqsMessage, ExtractError>` instead.
#[batch_handler(sqs)]
async fn handle(message: Option<&SqsMessage>) {
    let _ = message;
}

fn main() {
    let _ = lambda_runtime::service_fn(handle);
}
