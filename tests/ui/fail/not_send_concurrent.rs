use std::rc::Rc;

use lambda_batch::batch_handler;

async fn store(_line: &str) {}

#[batch_handler(sqs, concurrency = 16)]
async fn concurrent(body: &str) {
    let shared = Rc::new(body.to_owned());
    store(&shared).await;
}

fn main() {}
