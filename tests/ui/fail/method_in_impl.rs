use lambda_batch::batch_handler;

struct Service;

impl Service {
    #[batch_handler(sqs)]
    async fn handle(&self, body: &str) -> Result<(), String> {
        let _ = body;
        Ok(())
    }
}

fn main() {}
