use std::sync::LazyLock;

use lambda_batch::idempotency::{Idempotency, MemoryStore};
use lambda_batch::{batch_handler, Json};

#[derive(serde::Deserialize)]
pub struct Order {
    pub id: u64,
}

static IDEMPOTENCY: LazyLock<Idempotency<MemoryStore>> =
    LazyLock::new(|| Idempotency::new(MemoryStore::new()));

fn idempotency() -> &'static Idempotency<MemoryStore> {
    &IDEMPOTENCY
}

/// A stateless handler: the function takes nothing.
#[batch_handler(sqs, idempotency = idempotency)]
pub async fn charge(Json(order): Json<Order>) -> Result<(), String> {
    let _ = order.id;
    Ok(())
}

/// The state that owns the store.
pub struct App {
    pub idempotency: Idempotency<MemoryStore>,
}

fn app_idempotency(app: &App) -> &Idempotency<MemoryStore> {
    &app.idempotency
}

/// A stateful handler: the function takes the state; every source works.
#[batch_handler(kinesis, idempotency = app_idempotency)]
pub async fn record_reading(#[state] app: &App, data: &[u8]) {
    let _ = (app.idempotency.store().len(), data.len());
}

fn main() {
    let _ = lambda_runtime::service_fn(charge);
    let app = App { idempotency: Idempotency::new(MemoryStore::new()) };
    let _ = lambda_runtime::service_fn(|event| record_reading(&app, event));
}
