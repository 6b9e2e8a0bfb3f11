use lambda_batch::batch_handler;

#[batch_handler(sqs, sqs)]
async fn twice(_body: &str) {}

#[batch_handler(sqs, all_failed = "error", all_failed = "report_all")]
async fn policy_twice(_body: &str) {}

fn main() {}
