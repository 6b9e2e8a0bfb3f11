use lambda_batch::batch_handler;

struct Db;

#[batch_handler(sqs)]
async fn by_value(#[state] _db: Db, _body: &str) {}

#[batch_handler(sqs)]
async fn two_states(#[state] _db: &Db, #[state] _other: &Db, _body: &str) {}

fn main() {}
