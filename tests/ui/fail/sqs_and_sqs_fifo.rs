use lambda_batch::batch_handler;

#[batch_handler(sqs, sqs_fifo)]
async fn both(_body: &str) {}

fn main() {}
