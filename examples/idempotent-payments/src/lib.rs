//! A payment function fed by an SQS queue, idempotent through a DynamoDB
//! table: a payment delivered twice (SQS redelivers after a visibility
//! timeout, a producer resends after a timeout of its own) is charged once.
//!
//! The key is the payment's own id, inside the body, so two messages
//! carrying the same payment count as one; the same id with a different
//! body is refused, never replayed. The table, its TTL and the function's
//! permissions are in `deploy/idempotent_payments/template.yaml`.
//!
//! The only example package with lambda-batch's `dynamodb-store` feature:
//! cargo unifies features per package, so a function sharing a package
//! with this one would carry the AWS SDK's dependency features too (hyper's
//! `http2`, and so `h2`, in its Runtime API client).

use std::time::Duration;

use lambda_batch::idempotency::{DynamoDbStore, Idempotency, KeyFrom, StoreError, key_from};
use lambda_batch::sqs::SqsMessage;
use lambda_batch::{Context, Json, batch_handler};
use serde::Deserialize;

/// The environment variable naming the idempotency table.
pub const TABLE_VARIABLE: &str = "IDEMPOTENCY_TABLE";

/// How long a charged payment is remembered: a day, longer than any
/// redelivery or resend is expected to take.
pub const REMEMBERED_FOR: Duration = Duration::from_secs(24 * 3600);

/// One payment message.
#[derive(Debug, Deserialize)]
pub struct Payment {
    /// The payment's id, chosen by its sender: the idempotency key.
    pub id: String,
    /// The account charged.
    pub account: String,
    /// The amount, in the currency's smallest unit.
    pub amount_cents: u64,
    /// The ISO 4217 currency code, such as `EUR`.
    pub currency: String,
}

/// Why a payment cannot be charged. Each fails its message, which SQS
/// redelivers and in the end moves to the dead-letter queue.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// The amount is zero.
    #[error("payment {0} is for 0: send a positive amount_cents")]
    Zero(String),
    /// The currency is not a three-letter code.
    #[error("payment {id}: currency {currency:?} is not a three-letter ISO 4217 code such as \"EUR\"")]
    Currency {
        /// The payment's id.
        id: String,
        /// The currency given.
        currency: String,
    },
}

/// Why the function cannot start.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The table's name is not set.
    #[error("{TABLE_VARIABLE} is not set: set it to the idempotency table's name (the template does)")]
    NoTable,
    /// The DynamoDB client could not be configured.
    #[error("the idempotency store could not be set up")]
    Store(#[source] StoreError),
}

/// The idempotency key of a payment message: its payment id.
pub type PaymentKey = KeyFrom<Json<Payment>, fn(Json<Payment>) -> String>;

/// What the handler keeps across invocations: the idempotency settings
/// (the DynamoDB client inside is created once per execution environment).
#[derive(Debug)]
pub struct Payments {
    idempotency: Idempotency<DynamoDbStore, PaymentKey>,
}

fn payment_id(Json(payment): Json<Payment>) -> String {
    payment.id
}

impl Payments {
    /// Payments kept idempotent in `store`, keyed on the payment id.
    pub fn new(store: DynamoDbStore) -> Self {
        let key: PaymentKey = key_from(payment_id as fn(Json<Payment>) -> String);
        Payments { idempotency: Idempotency::new(store).with_key(key).with_completed_expiry(REMEMBERED_FOR) }
    }

    /// Payments in the table named by [`TABLE_VARIABLE`], with a DynamoDB
    /// client configured from the environment (Lambda sets the region and
    /// credentials).
    ///
    /// # Errors
    /// [`SetupError`] when the variable or the region is missing.
    pub async fn from_env() -> Result<Self, SetupError> {
        let table = std::env::var(TABLE_VARIABLE)
            .ok()
            .filter(|table| !table.is_empty())
            .ok_or(SetupError::NoTable)?;
        Ok(Payments::new(DynamoDbStore::from_env(table).await.map_err(SetupError::Store)?))
    }

    /// The idempotency table's name.
    pub fn table(&self) -> &str {
        self.idempotency.store().table()
    }
}

/// The idempotency settings, for `#[batch_handler(idempotency = ..)]`.
pub fn idempotency(payments: &Payments) -> &Idempotency<DynamoDbStore, PaymentKey> {
    &payments.idempotency
}

/// Charges one payment, once: the engine claims every payment id of the
/// batch in the table before any runs, skips (and acknowledges) the ones
/// charged before, and records the outcome of the others after the batch.
#[batch_handler(sqs, idempotency = idempotency)]
pub async fn charge(
    #[state] payments: &Payments,
    Json(payment): Json<Payment>,
    message: &SqsMessage,
    cx: &Context,
) -> Result<(), PaymentError> {
    if payment.amount_cents == 0 {
        return Err(PaymentError::Zero(payment.id));
    }
    if payment.currency.len() != 3 || !payment.currency.bytes().all(|byte| byte.is_ascii_uppercase()) {
        return Err(PaymentError::Currency { id: payment.id, currency: payment.currency });
    }
    // Here the payment provider is called, with `payment.id` as its own
    // idempotency key where it has one: this table guards the redeliveries,
    // the provider the window no store can close (a crash after the charge,
    // before the batch's results are written).
    tracing::info!(
        payment = %payment.id,
        account = %payment.account,
        amount_cents = payment.amount_cents,
        currency = %payment.currency,
        message = ?message.message_id,
        request_id = %cx.request_id,
        table = payments.table(),
        "charged"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_batch::idempotency::aws_sdk_dynamodb::config::{BehaviorVersion, Region};
    use lambda_batch::idempotency::aws_sdk_dynamodb::{Client, Config};

    fn payments() -> Payments {
        let config =
            Config::builder().behavior_version(BehaviorVersion::latest()).region(Region::new("eu-west-1"));
        Payments::new(DynamoDbStore::new(Client::from_conf(config.build()), "payments"))
    }

    fn payment(amount_cents: u64, currency: &str) -> Json<Payment> {
        Json(Payment {
            id: "p-1".to_owned(),
            account: "acc-9".to_owned(),
            amount_cents,
            currency: currency.to_owned(),
        })
    }

    #[tokio::test]
    async fn record_logic_is_unit_testable() {
        let (payments, message, cx) = (payments(), SqsMessage::default(), Context::default());
        assert!(charge::record(&payments, payment(1250, "EUR"), &message, &cx).await.is_ok());
        let zero = charge::record(&payments, payment(0, "EUR"), &message, &cx).await;
        assert!(matches!(zero, Err(PaymentError::Zero(id)) if id == "p-1"));
        let currency = charge::record(&payments, payment(5, "euro"), &message, &cx).await;
        assert!(matches!(currency, Err(PaymentError::Currency { .. })));
    }

    #[test]
    fn the_key_is_the_payment_id() {
        assert_eq!(payment_id(payment(1, "EUR")), "p-1");
    }
}
