//! The example Lambda binary, unchanged, against a stand-in for the Lambda
//! Runtime API on loopback: proves `lambda_runtime::run(service_fn(handler))`
//! needs no glue, and shows the exact bytes Lambda would receive.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What the function posted back: the path (`.../response` or `.../error`) and body.
pub(crate) type Posted = (String, String);

/// Serves `events` one per `next` call, then leaves `next` hanging
/// (also used by `payments_api`).
pub(crate) fn serve(events: Vec<String>) -> (String, mpsc::Receiver<Posted>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let address = listener.local_addr().expect("address").to_string();
    let (posted, received) = mpsc::channel();
    let events = Arc::new(Mutex::new(events.into_iter().enumerate().collect::<Vec<_>>()));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (events, posted) = (Arc::clone(&events), posted.clone());
            std::thread::spawn(move || connection(stream, &events, &posted));
        }
    });
    (address, received)
}

fn connection(stream: TcpStream, events: &Mutex<Vec<(usize, String)>>, posted: &Sender<Posted>) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).expect("header");
            if header.trim().is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().expect("content-length");
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).expect("body");
        let path = request_line.split_whitespace().nth(1).unwrap_or_default().to_owned();
        if path.ends_with("/invocation/next") {
            let next = {
                let mut events = events.lock().expect("lock");
                (!events.is_empty()).then(|| events.remove(0))
            };
            let Some((index, event)) = next else {
                std::thread::sleep(Duration::from_secs(3600));
                return;
            };
            let deadline = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_millis() + 60_000;
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nlambda-runtime-aws-request-id: request-{index}\r\n\
                 lambda-runtime-deadline-ms: {deadline}\r\n\
                 lambda-runtime-invoked-function-arn: arn:aws:lambda:eu-west-1:123456789012:function:orders\r\n\
                 content-length: {}\r\n\r\n{event}",
                event.len()
            );
            writer.write_all(response.as_bytes()).expect("write event");
        } else {
            posted.send((path, String::from_utf8_lossy(&body).into_owned())).expect("report");
            writer.write_all(b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n").expect("write ack");
        }
    }
}

struct Function(Child);

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_function(address: &str) -> Function {
    let child = Command::new(env!("CARGO_BIN_EXE_sqs_orders"))
        .env("AWS_LAMBDA_RUNTIME_API", address)
        .env("AWS_LAMBDA_FUNCTION_NAME", "orders")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the example function");
    Function(child)
}

#[test]
fn the_example_binary_answers_the_runtime_api_with_partial_failures_and_clear_errors() {
    let order = |id: u32, quantity: u32| {
        format!(r#"{{\"id\":{id},\"sku\":\"B\",\"quantity\":{quantity},\"warehouse\":0}}"#)
    };
    let batch = format!(
        r#"{{"Records":[{{"messageId":"m1","body":"{}"}},{{"messageId":"m2","body":"{}"}},{{"messageId":"m3","body":"nope"}}]}}"#,
        order(1, 1),
        order(2, 0)
    );
    let events = vec![batch, r#"{"detail":{}}"#.to_owned()];
    let (address, posted) = serve(events);
    let _function = start_function(&address);

    let wait = || posted.recv_timeout(Duration::from_secs(60)).expect("the function answered");
    let (path, body) = wait();
    assert_eq!(path, "/2018-06-01/runtime/invocation/request-0/response");
    assert_eq!(body, r#"{"batchItemFailures":[{"itemIdentifier":"m2"},{"itemIdentifier":"m3"}]}"#);

    let (path, body) = wait();
    assert_eq!(path, "/2018-06-01/runtime/invocation/request-1/error");
    let error: serde_json::Value = serde_json::from_str(&body).expect("error JSON");
    assert_eq!(error["errorType"], "LambdaBatch.InvalidEvent");
    assert!(error["errorMessage"].as_str().unwrap_or_default().contains("no `Records` array"), "{error}");
}
