use lambda_batch::batch_handler;

// `&[u8]` is Kinesis data; an SQS body is text. The source is named, so
// only the trait check can catch it.
#[batch_handler(sqs)]
async fn bytes_from_sqs(_data: &[u8]) {}

fn main() {
    let _ = lambda_runtime::service_fn(bytes_from_sqs);
}
