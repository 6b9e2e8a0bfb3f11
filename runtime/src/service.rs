//! The whole batch handler as a [`tower::Service`], for stacking with
//! other `lambda_runtime` layers.
//!
//! A generated handler is already a plain `async fn` that
//! `lambda_runtime::service_fn` accepts; [`BatchService`] is the same thing
//! as a named type, built from any [`RecordHandler`] and its settings, so
//! it can sit under tower layers (tracing, timeouts, your own middleware):
//!
//! ```
//! use lambda_batch::{batch_handler, sqs::Sqs, BatchService};
//! use lambda_runtime::tower::ServiceBuilder;
//!
//! #[batch_handler(sqs)]
//! async fn handle_order(body: &str) -> Result<(), String> {
//!     if body.is_empty() { Err("empty order".into()) } else { Ok(()) }
//! }
//!
//! # async fn run() -> Result<(), lambda_batch::Error> {
//! let service = ServiceBuilder::new()
//!     // .layer(...) your layers here
//!     .service(BatchService::<Sqs, _>::new(handle_order {}, handle_order::CONFIG));
//! lambda_runtime::run(service).await
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use lambda_runtime::{LambdaEvent, tower};

use crate::error::BatchError;
use crate::event::BatchEvent;
use crate::handler::RecordHandler;
use crate::pipeline::BatchPipeline;
use crate::response::BatchResponse;
use crate::source::Source;

/// A batch handler for source `S` as a [`tower::Service`] of
/// `LambdaEvent<BatchEvent>`: each call handles one invocation exactly as
/// [`BatchPipeline::handle`] does.
///
/// Cloning it is cheap (the handler is shared).
pub struct BatchService<S: Source, H> {
    handler: Arc<H>,
    config: S::Config,
    source: PhantomData<fn() -> S>,
}

impl<S: Source, H> BatchService<S, H> {
    /// A service running `handler` under `config` (for a `#[batch_handler]`
    /// function `name`: `BatchService::new(name {}, name::CONFIG)`).
    pub fn new(handler: H, config: S::Config) -> Self {
        BatchService { handler: Arc::new(handler), config, source: PhantomData }
    }

    /// The settings the service runs under.
    pub fn config(&self) -> &S::Config {
        &self.config
    }
}

impl<S: Source, H> Clone for BatchService<S, H> {
    fn clone(&self) -> Self {
        BatchService { handler: Arc::clone(&self.handler), config: self.config, source: PhantomData }
    }
}

impl<S: Source, H> fmt::Debug for BatchService<S, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchService").field("source", &S::KIND).field("config", &self.config).finish()
    }
}

impl<S, H> tower::Service<LambdaEvent<BatchEvent>> for BatchService<S, H>
where
    S: Source,
    H: RecordHandler<S> + Send + Sync + 'static,
{
    type Response = BatchResponse;
    type Error = BatchError;
    type Future = Pin<Box<dyn Future<Output = Result<BatchResponse, BatchError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, event: LambdaEvent<BatchEvent>) -> Self::Future {
        let handler = Arc::clone(&self.handler);
        let config = self.config;
        Box::pin(async move { S::handle(&*handler, &config, event).await })
    }
}
