use lambda_batch::batch_handler;
use lambda_batch::idempotency::{Idempotency, MemoryStore};

// The option needs a function.
#[batch_handler(sqs, idempotency)]
async fn no_function(_body: &str) {}

// A path, not an expression.
#[batch_handler(sqs, idempotency = settings())]
async fn an_expression(_body: &str) {}

// The function must return `&Idempotency<..>`, not the store.
fn not_settings() -> &'static MemoryStore {
    unimplemented!()
}

#[batch_handler(sqs, idempotency = not_settings)]
async fn wrong_type(_body: &str) {}

fn settings() -> &'static Idempotency<MemoryStore> {
    unimplemented!()
}

// Given twice.
#[batch_handler(sqs, idempotency = settings, idempotency = settings)]
async fn twice(_body: &str) {}

fn main() {}
