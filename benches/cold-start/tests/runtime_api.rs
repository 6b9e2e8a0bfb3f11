//! The loopback Runtime API spoken to by hand, as `lambda_runtime`'s client
//! speaks to it: `next` gets the events in turn with Lambda's headers, a
//! posted response is reported with its path and body, and `next` after
//! the last event is left unanswered.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use lambda_batch_cold_start::runtime_api::RuntimeApi;

/// Sends a request and reads the response's head and body.
fn exchange(stream: &mut TcpStream, request: &str) -> (String, String) {
    stream.write_all(request.as_bytes()).expect("send");
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let (mut head, mut length) = (String::new(), 0);
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("head");
        if line.trim().is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("content-length:") {
            length = value.trim().parse().expect("length");
        }
        head.push_str(&line);
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).expect("body");
    (head, String::from_utf8(body).expect("text"))
}

const NEXT: &str = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nhost: x\r\n\r\n";

#[test]
fn events_are_handed_out_in_turn_and_responses_reported() {
    let api = RuntimeApi::serve(vec![r#"{"Records":[]}"#.to_owned(), "{}".to_owned()]).expect("serve");
    let mut stream = TcpStream::connect(api.address()).expect("connect");

    let (head, body) = exchange(&mut stream, NEXT);
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.contains("lambda-runtime-aws-request-id: request-0\r\n"), "{head}");
    assert!(head.contains("lambda-runtime-deadline-ms: "), "{head}");
    assert!(head.contains("lambda-runtime-invoked-function-arn: arn:aws:lambda:"), "{head}");
    assert_eq!(body, r#"{"Records":[]}"#);

    let before = Instant::now();
    let answer = r#"{"batchItemFailures":[]}"#;
    let post = format!(
        "POST /2018-06-01/runtime/invocation/request-0/response HTTP/1.1\r\ncontent-length: {}\r\n\r\n{answer}",
        answer.len()
    );
    let (head, _) = exchange(&mut stream, &post);
    assert!(head.starts_with("HTTP/1.1 202"), "{head}");
    let posted = api.posted(Duration::from_secs(5)).expect("reported");
    assert_eq!(posted.path, "/2018-06-01/runtime/invocation/request-0/response");
    assert_eq!(posted.body, answer);
    assert!(posted.at >= before);

    let (head, body) = exchange(&mut stream, NEXT);
    assert!(head.contains("request-1"), "{head}");
    assert_eq!(body, "{}");

    // No event left: `next` is not answered.
    stream.write_all(NEXT.as_bytes()).expect("send");
    stream.set_read_timeout(Some(Duration::from_millis(300))).expect("timeout");
    let mut byte = [0; 1];
    assert!(stream.read(&mut byte).is_err(), "next answered after the last event");
}

#[test]
fn a_dropped_api_accepts_no_more_connections() {
    let api = RuntimeApi::serve(Vec::new()).expect("serve");
    let address = api.address().to_owned();
    drop(api);
    // The accepting thread, woken by the drop, ends and closes the
    // listener; a connection attempt after a moment is refused (while the
    // listener lives, the kernel would complete it).
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        TcpStream::connect(&address).is_err(),
        "{address} still accepts connections after the API was dropped"
    );
}
