//! Calling the function in process, as the Lambda runtime would: the event
//! deserialized into the handler's payload type, a `Context`, the function
//! timeout, panics caught, the response serialized.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use futures_util::FutureExt as _;
use lambda_runtime::{Context, Diagnostic, LambdaEvent};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A function the bridge can invoke: anything `lambda_runtime::service_fn`
/// accepts, `Fn(LambdaEvent<P>) -> impl Future<Output = Result<R, E>>` with
/// `R: Serialize` and `E: Into<Diagnostic>`, such as a
/// `#[batch_handler]` function, a closure passing it state, or a
/// hand-written `async fn(LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, Error>`.
pub trait Handler<P> {
    /// The response (serialized to JSON, as the runtime does).
    type Response: Serialize;
    /// The error (a function error, as the runtime reports it).
    type Error: Into<Diagnostic>;
    /// The invocation.
    fn call(&self, event: LambdaEvent<P>) -> impl Future<Output = Result<Self::Response, Self::Error>>;
}

impl<F, P, Fut, R, E> Handler<P> for F
where
    F: Fn(LambdaEvent<P>) -> Fut,
    Fut: Future<Output = Result<R, E>>,
    R: Serialize,
    E: Into<Diagnostic>,
{
    type Response = R;
    type Error = E;

    fn call(&self, event: LambdaEvent<P>) -> impl Future<Output = Result<R, E>> {
        self(event)
    }
}

/// How an invocation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Invocation {
    /// The function returned this response (JSON text).
    Response(String),
    /// A function error: the whole batch comes back after the visibility
    /// timeout.
    Failed(FunctionError),
}

/// Why an invocation is a function error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FunctionError {
    /// The handler returned an error.
    #[error("the function returned an error: {error_type}: {error_message}")]
    Returned {
        /// `errorType`, as the runtime reports it.
        error_type: String,
        /// `errorMessage`.
        error_message: String,
    },
    /// The handler panicked.
    #[error("the function panicked: {0}")]
    Panicked(String),
    /// The handler ran past the function timeout.
    #[error("the function timed out after {0:?}")]
    TimedOut(Duration),
    /// The event does not deserialize into the handler's payload type.
    #[error("the event does not deserialize into the handler's payload type: {0}")]
    Unmarshal(String),
    /// The response does not serialize to JSON.
    #[error("the function's response does not serialize to JSON: {0}")]
    ResponseNotSerializable(String),
}

/// Invokes `handler` with the event `text` and `cx`, stopping it at
/// `timeout`.
pub(crate) async fn invoke<P, H>(handler: &H, text: &str, cx: Context, timeout: Duration) -> Invocation
where
    P: DeserializeOwned,
    H: Handler<P>,
{
    let payload: P = match serde_json::from_str(text) {
        Ok(payload) => payload,
        Err(error) => return Invocation::Failed(FunctionError::Unmarshal(error.to_string())),
    };
    let event = LambdaEvent::new(payload, cx);
    let future = match catch_unwind(AssertUnwindSafe(|| handler.call(event))) {
        Ok(future) => future,
        Err(panic) => return Invocation::Failed(FunctionError::Panicked(panic_message(panic.as_ref()))),
    };
    let outcome = match tokio::time::timeout(timeout, AssertUnwindSafe(future).catch_unwind()).await {
        Err(_) => return Invocation::Failed(FunctionError::TimedOut(timeout)),
        Ok(Err(panic)) => return Invocation::Failed(FunctionError::Panicked(panic_message(panic.as_ref()))),
        Ok(Ok(outcome)) => outcome,
    };
    match outcome {
        Ok(response) => match serde_json::to_string(&response) {
            Ok(text) => Invocation::Response(text),
            Err(error) => Invocation::Failed(FunctionError::ResponseNotSerializable(error.to_string())),
        },
        Err(error) => {
            let Diagnostic { error_type, error_message } = error.into();
            Invocation::Failed(FunctionError::Returned { error_type, error_message })
        }
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

#[cfg(test)]
mod tests {
    use lambda_batch::aws_events::{SqsBatchResponse, SqsEvent};
    use serde_json::{Value, json};

    use super::*;

    const EVENT: &str = r#"{"Records":[{"messageId":"m-1","body":"hello"}]}"#;
    const SECOND: Duration = Duration::from_secs(1);

    fn cx() -> Context {
        let mut cx = Context::default();
        cx.request_id = "r-1".to_owned();
        cx
    }

    #[tokio::test]
    async fn hands_over_the_event_and_the_context_and_serializes_the_response() {
        let handler = |event: LambdaEvent<SqsEvent>| async move {
            assert_eq!(event.context.request_id, "r-1");
            let mut response = SqsBatchResponse::default();
            response.batch_item_failures.push(Default::default());
            response.batch_item_failures[0].item_identifier =
                event.payload.records[0].message_id.clone().unwrap();
            Ok::<_, lambda_runtime::Error>(response)
        };
        let outcome = invoke(&handler, EVENT, cx(), SECOND).await;
        let Invocation::Response(text) = outcome else { panic!("{outcome:?}") };
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            json!({"batchItemFailures": [{"itemIdentifier": "m-1"}]})
        );
    }

    #[tokio::test]
    async fn an_error_is_a_function_error() {
        let handler = |_: LambdaEvent<Value>| async {
            Err::<(), _>(Diagnostic {
                error_type: "Database.Down".to_owned(),
                error_message: "no database".to_owned(),
            })
        };
        assert_eq!(
            invoke(&handler, EVENT, cx(), SECOND).await,
            Invocation::Failed(FunctionError::Returned {
                error_type: "Database.Down".to_owned(),
                error_message: "no database".to_owned()
            })
        );
    }

    #[tokio::test]
    async fn a_panic_is_a_function_error() {
        let in_future =
            |_: LambdaEvent<Value>| async { if true { panic!("boom") } else { Ok::<(), &str>(()) } };
        assert_eq!(
            invoke(&in_future, EVENT, cx(), SECOND).await,
            Invocation::Failed(FunctionError::Panicked("boom".to_owned()))
        );
        let before_future = |_: LambdaEvent<Value>| -> std::future::Ready<Result<(), &'static str>> {
            panic!("{}", String::from("early"))
        };
        assert_eq!(
            invoke(&before_future, EVENT, cx(), SECOND).await,
            Invocation::Failed(FunctionError::Panicked("early".to_owned()))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn running_past_the_timeout_is_a_function_error() {
        let handler = |_: LambdaEvent<Value>| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok::<(), &str>(())
        };
        assert_eq!(
            invoke(&handler, EVENT, cx(), SECOND).await,
            Invocation::Failed(FunctionError::TimedOut(SECOND))
        );
    }

    #[tokio::test]
    async fn an_event_the_payload_type_cannot_hold_is_a_function_error() {
        let handler = |_: LambdaEvent<Vec<u8>>| async { Ok::<(), &str>(()) };
        assert!(matches!(
            invoke(&handler, EVENT, cx(), SECOND).await,
            Invocation::Failed(FunctionError::Unmarshal(_))
        ));
    }

    #[tokio::test]
    async fn null_is_a_response() {
        let handler = |_: LambdaEvent<Value>| async { Ok::<(), &str>(()) };
        assert_eq!(invoke(&handler, EVENT, cx(), SECOND).await, Invocation::Response("null".to_owned()));
    }
}
