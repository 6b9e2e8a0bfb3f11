use lambda_batch::batch_handler;

struct Handler;

// On an `impl` block rather than a function: syn's own error, at the token it
// stopped on, with a hint.
#[batch_handler(sqs)]
impl Handler {
    async fn handle(_body: &str) {}
}

fn main() {}
