use lambda_batch::batch_handler;

#[batch_handler(sqs)]
async fn returns_number(_body: &str) -> u32 {
    7
}

#[batch_handler(sqs)]
fn returns_value(_body: &str) -> Result<String, String> {
    Ok(String::new())
}

/// An error type with causes does not make a wrong success type right.
#[batch_handler(sqs)]
fn returns_value_or_error(_body: &str) -> Result<u32, std::io::Error> {
    Ok(7)
}

fn main() {
    let _ = lambda_runtime::service_fn(returns_number);
}
