use lambda_batch::{Context, Json, batch_handler};

#[derive(serde::Deserialize)]
struct Order {
    id: u64,
}

// The context is copied to the worker; owned extractors move there.
#[batch_handler(sqs, parallel)]
fn priced(Json(order): Json<Order>, cx: &Context) -> Result<(), String> {
    if order.id == 0 { Err(format!("no order in {}", cx.request_id)) } else { Ok(()) }
}

#[batch_handler(sqs_fifo, fifo_policy = "skip_failed_group", parallel, concurrency = 3)]
fn groups(_body: String) {}

#[batch_handler(kinesis, parallel)]
fn readings(Json(_reading): Json<serde_json::Value>) {}

// The engine's thread runs records' work too.
#[batch_handler(sqs, parallel = "engine_helps")]
fn helped(Json(order): Json<Order>) -> Result<(), String> {
    if order.id == 0 { Err("no order".to_owned()) } else { Ok(()) }
}

fn main() {
    let _ = lambda_runtime::service_fn(priced);
    let _ = lambda_runtime::service_fn(groups);
    let _ = lambda_runtime::service_fn(readings);
    let _ = lambda_runtime::service_fn(helped);
    assert_eq!(helped::CONFIG.limits().concurrency_per_core(), Some(lambda_batch::parallel::IN_FLIGHT_PER_CORE));
    assert_eq!(groups::CONFIG.limits().concurrency(), 3);
    assert_eq!(priced::CONFIG.limits().concurrency_per_core(), Some(lambda_batch::parallel::IN_FLIGHT_PER_CORE));
}
