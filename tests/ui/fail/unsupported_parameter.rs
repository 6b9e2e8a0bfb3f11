use lambda_batch::batch_handler;

#[batch_handler(sqs)]
async fn handle(body: std::path::PathBuf, count: u32) -> Result<(), String> {
    let _ = (body, count);
    Ok(())
}

fn main() {
    let _ = lambda_runtime::service_fn(handle);
}
