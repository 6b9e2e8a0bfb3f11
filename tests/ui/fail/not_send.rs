use std::rc::Rc;

use lambda_batch::batch_handler;

async fn log(_line: &str) {}

#[batch_handler(sqs)]
async fn holds_rc_across_await(body: &str) {
    let shared = Rc::new(body.to_owned());
    log(&shared).await;
}

fn main() {}
