use lambda_batch::batch_handler;

#[batch_handler]
async fn which_source(_body: &str) {}

fn main() {
    let _ = lambda_runtime::service_fn(which_source);
}
