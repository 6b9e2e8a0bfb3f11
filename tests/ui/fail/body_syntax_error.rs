use lambda_batch::batch_handler;

// Mid-edit: the body does not parse. The one error is rustc's, at its place
// in the body; the handler is still generated, so its uses add no error.
#[batch_handler(sqs)]
async fn handle(body: &str) -> Result<(), String> {
    let order = body.trim()
    if order.is_empty() {
        return Err("empty order".to_owned());
    }
    Ok(())
}

fn main() {
    let _ = lambda_runtime::service_fn(handle);
    let _ = handle::record;
    let _ = handle::CONFIG;
}
