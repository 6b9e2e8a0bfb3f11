use lambda_batch::{batch_handler, Json};

#[batch_handler(sqs)]
async fn generic<T: serde::de::DeserializeOwned>(Json(_value): Json<T>) {}

#[batch_handler(sqs)]
async fn impl_trait(_body: impl AsRef<str>) {}

fn main() {
    let _ = lambda_runtime::service_fn(generic);
}
