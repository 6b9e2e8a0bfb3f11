use lambda_batch::batch_handler;

#[batch_handler(sqs, concurency = 4)]
async fn typo(_body: &str) {}

#[batch_handler(sqs, skip_group_on_error)]
async fn powertools_name(_body: &str) {}

#[batch_handler(fifo)]
async fn fifo_without_sqs(_body: &str) {}

fn main() {}
