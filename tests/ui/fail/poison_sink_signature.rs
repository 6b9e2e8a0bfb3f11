use lambda_batch::batch_handler;

// A sink must be `async fn(&PoisonRecord<'_>, &Context) -> Result<(), E>`.
fn store(_id: &str) -> bool {
    true
}

#[batch_handler(sqs, poison_sink = store)]
async fn handle(_body: &str) {}

fn main() {}
