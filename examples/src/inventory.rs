//! A projection fed by the DynamoDB stream of an `orders` table.

use std::collections::HashMap;
use std::sync::Mutex;

use lambda_batch::batch_handler;
use lambda_batch::dynamodb::{EventName, Keys, NewImage, OldImage};
use serde::Deserialize;

/// The table's key.
#[derive(Debug, Deserialize)]
pub struct OrderKey {
    /// The order id (partition key).
    pub id: String,
}

/// An order item as stored in the table.
#[derive(Debug, Deserialize)]
pub struct OrderItem {
    /// The order id.
    pub id: String,
    /// Units ordered.
    pub units: u32,
}

/// Units on order per order id: the projection this function keeps.
#[derive(Debug, Default)]
pub struct Projection {
    units: Mutex<HashMap<String, u32>>,
}

impl Projection {
    /// Units recorded for an order.
    pub fn units(&self, id: &str) -> Option<u32> {
        self.units.lock().ok()?.get(id).copied()
    }
}

/// Applies one change to the projection (passed in as shared state).
#[batch_handler(dynamodb)]
pub async fn project_order(
    #[state] projection: &Projection,
    change: EventName,
    Keys(key): Keys<OrderKey>,
    new: Option<NewImage<OrderItem>>,
    old: Option<OldImage<OrderItem>>,
) -> Result<(), String> {
    let mut units = projection.units.lock().map_err(|_| "projection lock poisoned".to_owned())?;
    match (change, new) {
        (EventName::Insert | EventName::Modify, Some(NewImage(item))) => {
            if item.id != key.id {
                return Err(format!("image id {} does not match key {}", item.id, key.id));
            }
            units.insert(item.id, item.units);
        }
        (EventName::Remove, _) => {
            units.remove(&key.id);
            let _ = old;
        }
        (_, None) => {
            return Err(format!("{change:?} of {} without NewImage: is the stream view KEYS_ONLY?", key.id));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn changes_update_the_projection() {
        let projection = Projection::default();
        let key = |id: &str| Keys(OrderKey { id: id.to_owned() });
        let item = |id: &str, units| Some(NewImage(OrderItem { id: id.to_owned(), units }));
        project_order::record(&projection, EventName::Insert, key("o"), item("o", 2), None).await.unwrap();
        assert_eq!(projection.units("o"), Some(2));
        assert!(
            project_order::record(&projection, EventName::Modify, key("o"), item("x", 1), None)
                .await
                .is_err()
        );
        project_order::record(&projection, EventName::Remove, key("o"), None, None).await.unwrap();
        assert_eq!(projection.units("o"), None);
    }
}
