use lambda_batch::batch_handler;

#[batch_handler(sqs)]
struct Handler;

fn main() {}
