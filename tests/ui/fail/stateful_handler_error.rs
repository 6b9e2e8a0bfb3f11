use lambda_batch::batch_handler;

struct Db;

// The signature is rejected; the call below must not add a second error.
#[batch_handler(sqs)]
async fn handle<T>(#[state] _db: &Db, _body: &str) {}

fn main() {
    let db = Db;
    let _ = lambda_runtime::service_fn(|event| handle(&db, event));
}
