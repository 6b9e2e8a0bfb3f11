//! [`DynamoDbStore`]: claims and results in a DynamoDB table, shared by
//! every execution environment of a function (feature `dynamodb-store`).
//!
//! # The table
//!
//! One item per key; the partition key is the only key (no sort key):
//!
//! | attribute | type | holds |
//! |---|---|---|
//! | `id` (partition key, renamed with [`DynamoDbStore::with_key_attribute`]) | S | the hashed key, `<prefix>#<SHA-256 hex>` |
//! | `status` | S | `IN_PROGRESS` or `COMPLETED` |
//! | `expiration` (the table's TTL attribute, renamed with [`DynamoDbStore::with_ttl_attribute`]) | N | when the item expires, epoch **seconds**, rounded up |
//! | `expires_at_ms` | N | when the item expires, epoch milliseconds: what the conditions compare |
//! | `payload_hash` | S | the hash of the payload the key was claimed with |
//! | `token` | S | who holds an in-progress claim (absent once completed) |
//! | `response` | S | the stored response of an asynchronous invocation (optional) |
//!
//! DynamoDB's TTL deletes expired items late (typically within two days,
//! says the `UpdateTimeToLive` API reference) and expired items stay
//! readable until then, so the store never relies on it: a claim's
//! condition treats an item whose `expires_at_ms` has passed as absent.
//! TTL only keeps the table small.
//!
//! # Round trips
//!
//! A batch of up to 100 records costs two calls: one `TransactWriteItems`
//! claiming every key (a put per key, on condition that the key has no
//! live item), and one `TransactWriteItems` settling them (a put of each
//! result and a delete of each release, on condition that the claim is
//! still this invocation's). Larger batches take one transaction per 100
//! keys, sent one after the other. A transaction is all or nothing: when one key is
//! taken, DynamoDB cancels it and says why for each key, and the store
//! sends a second one for the keys that were free.
//!
//! # Permissions
//!
//! `TransactWriteItems` is authorized per action it contains: the
//! function's role needs `dynamodb:PutItem` and `dynamodb:DeleteItem` (the
//! puts and deletes of its transactions) and `dynamodb:BatchGetItem` (its
//! reads), on the table only.

mod claim;
mod error;
mod item;
mod read;
mod settle;
mod transact;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::SharedHttpClient;
use aws_sdk_dynamodb::error::BuildError;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

use self::error::{corrupt, misconfigured};
use self::item::{Attributes, decode};
use super::key::Key;
use super::store::{Claim, ClaimAnswer, Completion, Release, Store, StoreError, StoreErrorKind, Stored};

/// The AWS SDK for DynamoDB this store is built on, for making its
/// [`Client`](aws_sdk_dynamodb::Client) with the same version.
#[doc(no_inline)]
pub use aws_sdk_dynamodb;

/// A [`Store`] in a DynamoDB table: one claim and one settling call per
/// batch of up to 100 records, conditional writes so that two invocations
/// never both hold a key, and items that expire on their own (the table's
/// TTL attribute).
///
/// The table needs a String partition key named `id` (or see
/// [`with_key_attribute`](Self::with_key_attribute)) and, to be cleaned
/// up, TTL turned on for `expiration`. Its layout, the role's permissions
/// and a SAM template are in the guide's chapter "Idempotency with
/// DynamoDB".
///
/// ```no_run
/// use lambda_batch::idempotency::{DynamoDbStore, Idempotency};
///
/// # async fn f() -> Result<(), lambda_batch::idempotency::StoreError> {
/// // The region and credentials come from the environment (Lambda sets them).
/// let store = DynamoDbStore::from_env("idempotency").await?;
/// let idempotency = Idempotency::new(store);
/// # let _ = idempotency; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct DynamoDbStore {
    client: Client,
    table: String,
    attributes: Attributes,
}

impl DynamoDbStore {
    /// The store in `table`, through `client`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoDbStore { client, table: table.into(), attributes: Attributes::default() }
    }

    /// The store in `table`, with a client configured from the environment
    /// (region, credentials, and `AWS_ENDPOINT_URL_DYNAMODB` or
    /// `AWS_ENDPOINT_URL` for a local endpoint), over
    /// [`http_client`](Self::http_client).
    ///
    /// # Errors
    /// [`StoreErrorKind::Unreachable`] when no region is configured.
    pub async fn from_env(table: impl Into<String>) -> Result<Self, StoreError> {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(Self::http_client())
            .load()
            .await;
        if config.region().is_none() {
            return Err(StoreError::new(
                StoreErrorKind::Unreachable,
                "no AWS region is configured for the DynamoDB store: set AWS_REGION (Lambda sets it for every \
                 function) or a region in the AWS config file",
            ));
        }
        Ok(Self::new(Client::new(&config), table))
    }

    /// The HTTP client [`from_env`](Self::from_env) uses: hyper 1 with
    /// rustls on ring (https for AWS, plain http for a local emulator).
    /// Give it to your own `aws_sdk_dynamodb::Config` so the function
    /// carries one TLS stack.
    pub fn http_client() -> SharedHttpClient {
        aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .build_https()
    }

    /// Names the table's partition key `name` instead of `id` (a String
    /// attribute). It must not be one of the names the store writes
    /// itself (`status`, `expires_at_ms`, `payload_hash`, `token`,
    /// `response`); calls fail saying so if it is.
    #[must_use]
    pub fn with_key_attribute(mut self, name: impl Into<String>) -> Self {
        self.attributes.key = name.into();
        self
    }

    /// Names the table's TTL attribute `name` instead of `expiration`
    /// (epoch seconds). The same rule as
    /// [`with_key_attribute`](Self::with_key_attribute) applies.
    #[must_use]
    pub fn with_ttl_attribute(mut self, name: impl Into<String>) -> Self {
        self.attributes.ttl = name.into();
        self
    }

    /// The SDK client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// An error when the attribute names cannot be used.
    fn check(&self) -> Result<(), StoreError> {
        self.attributes.problem().map_or(Ok(()), |problem| Err(misconfigured(&self.table, problem)))
    }

    fn build_error(&self, error: BuildError) -> StoreError {
        StoreError::new(
            StoreErrorKind::Other,
            format!(
                "a request to table `{}` could not be built: a bug in lambda-batch, please report it",
                self.table
            ),
        )
        .with_source(error)
    }
}

impl Store for DynamoDbStore {
    async fn claim<'a>(&'a self, claims: &'a [Claim<'a>]) -> Result<Vec<ClaimAnswer>, StoreError> {
        self.check()?;
        if claims.is_empty() {
            return Ok(Vec::new());
        }
        claim::claim(self, claims).await
    }

    async fn complete<'a>(&'a self, completions: &'a [Completion<'a>]) -> Result<(), StoreError> {
        self.settle(completions, &[]).await
    }

    async fn release<'a>(&'a self, releases: &'a [Release<'a>]) -> Result<(), StoreError> {
        self.settle(&[], releases).await
    }

    async fn read<'a>(&'a self, keys: &'a [&'a Key]) -> Result<Vec<Option<Stored>>, StoreError> {
        self.check()?;
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let items = read::read_items(self, keys).await?;
        keys.iter()
            .zip(items)
            .map(|(key, item)| {
                item.map(|item| decode(&item).map_err(|problem| corrupt(key, &self.table, &problem)))
                    .transpose()
            })
            .collect()
    }

    async fn settle<'a>(
        &'a self,
        completions: &'a [Completion<'a>],
        releases: &'a [Release<'a>],
    ) -> Result<(), StoreError> {
        self.check()?;
        if completions.is_empty() && releases.is_empty() {
            return Ok(());
        }
        settle::settle(self, completions, releases).await
    }
}
