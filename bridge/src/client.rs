//! An SQS client for any SQS-compatible endpoint, on one small HTTP stack.

use aws_config::{BehaviorVersion, Region};
use aws_sdk_sqs::Client;
use aws_sdk_sqs::config::Credentials;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

use crate::config::{ConfigError, is_http_url};

/// Where the SQS API is and how to sign for it. Unset parts come from the
/// usual AWS sources (environment variables such as `AWS_ENDPOINT_URL`,
/// `AWS_REGION`, `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`, then the
/// shared config files).
///
/// ```no_run
/// # async fn f() -> Result<(), lambda_batch_bridge::ConfigError> {
/// use lambda_batch_bridge::ClientSettings;
/// // A local emulator accepts any credentials.
/// let client = ClientSettings::new()
///     .endpoint_url("http://127.0.0.1:4566")
///     .region("us-east-1")
///     .static_credentials("test", "test")
///     .client()
///     .await?;
/// # let _ = client; Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct ClientSettings {
    endpoint_url: Option<String>,
    region: Option<String>,
    credentials: Option<Credentials>,
}

impl ClientSettings {
    /// Nothing set: everything from the environment.
    pub fn new() -> Self {
        ClientSettings::default()
    }

    /// The SQS API's address, such as `http://127.0.0.1:4566`.
    #[must_use]
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into());
        self
    }

    /// The region to sign for (and the events' `awsRegion` when the queue
    /// ARN has none).
    #[must_use]
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Fixed credentials, such as dummy ones for a local emulator.
    #[must_use]
    pub fn static_credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> Self {
        self.credentials =
            Some(Credentials::new(access_key_id, secret_access_key, None, None, "lambda-batch-bridge"));
        self
    }

    /// Builds the client. Fails when the endpoint URL is not http(s) or no
    /// region is set anywhere; missing credentials show on the first call.
    pub async fn client(&self) -> Result<Client, ConfigError> {
        if let Some(url) = &self.endpoint_url
            && !is_http_url(url)
        {
            return Err(ConfigError::EndpointUrl(url.clone()));
        }
        // hyper 1 with rustls on ring: https for AWS, plain http for local
        // emulators, and no second TLS stack.
        let http_client = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http_client);
        if let Some(url) = &self.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        if let Some(region) = &self.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(credentials) = &self.credentials {
            loader = loader.credentials_provider(credentials.clone());
        }
        let sdk_config = loader.load().await;
        if sdk_config.region().is_none() {
            return Err(ConfigError::NoRegion);
        }
        Ok(Client::new(&sdk_config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refuses_an_endpoint_that_is_not_http() {
        let settings = ClientSettings::new().endpoint_url("127.0.0.1:4566").region("us-east-1");
        assert_eq!(
            settings.client().await.err(),
            Some(ConfigError::EndpointUrl("127.0.0.1:4566".to_owned()))
        );
    }

    #[tokio::test]
    async fn builds_a_client_for_a_local_endpoint() {
        let settings = ClientSettings::new()
            .endpoint_url("http://127.0.0.1:1")
            .region("us-east-1")
            .static_credentials("test", "test");
        let client = settings.client().await;
        assert!(client.is_ok(), "{:?}", client.err());
    }
}
