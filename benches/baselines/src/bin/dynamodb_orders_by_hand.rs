//! `dynamodb_orders` written by hand on `lambda_runtime` and
//! `aws_lambda_events` (images decoded with `serde_dynamo`): the
//! cold-start bench's baseline for that function (the same changes, the
//! same answers). Not deployed.

use std::collections::HashMap;
use std::sync::Mutex;

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde::Deserialize;

/// The table's key.
#[derive(Debug, Deserialize)]
struct OrderKey {
    id: String,
}

/// An order item as stored in the table.
#[derive(Debug, Deserialize)]
struct OrderItem {
    id: String,
    units: u32,
}

/// Units on order per order id.
#[derive(Debug, Default)]
struct Projection {
    units: Mutex<HashMap<String, u32>>,
}

fn project(projection: &Projection, record: &EventRecord) -> Result<(), String> {
    let key: OrderKey =
        serde_dynamo::from_item(record.change.keys.clone()).map_err(|error| error.to_string())?;
    let new = if record.change.new_image.is_empty() {
        None
    } else {
        Some(
            serde_dynamo::from_item::<_, OrderItem>(record.change.new_image.clone())
                .map_err(|error| error.to_string())?,
        )
    };
    let mut units = projection.units.lock().map_err(|_| "projection lock poisoned".to_owned())?;
    match (record.event_name.as_str(), new) {
        ("INSERT" | "MODIFY", Some(item)) => {
            if item.id != key.id {
                return Err(format!("image id {} does not match key {}", item.id, key.id));
            }
            units.insert(item.id, item.units);
        }
        ("REMOVE", _) => {
            units.remove(&key.id);
        }
        ("INSERT" | "MODIFY", None) => {
            return Err(format!(
                "{} of {} without NewImage: is the stream view KEYS_ONLY?",
                record.event_name, key.id
            ));
        }
        (other, _) => return Err(format!("unknown eventName {other:?}")),
    }
    Ok(())
}

/// Changes in order; the first that fails stops the batch and is the only
/// one reported (Lambda retries from its sequence number).
async fn handle(projection: &Projection, event: LambdaEvent<Event>) -> Result<DynamoDbEventResponse, Error> {
    let mut response = DynamoDbEventResponse::default();
    for record in &event.payload.records {
        if let Err(error) = project(projection, record) {
            let id = record.change.sequence_number.clone().unwrap_or_default();
            tracing::error!(record_id = id, error, "record failed");
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = Some(id);
            response.batch_item_failures.push(failure);
            break;
        }
    }
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let projection = Projection::default();
    lambda_runtime::run(service_fn(|event| handle(&projection, event))).await
}
