//! A stand-in for the Lambda Runtime API on 127.0.0.1 (a free port): it
//! answers `GET /2018-06-01/runtime/invocation/next` with the given events
//! in turn, each with the headers Lambda sends (request id, deadline,
//! function ARN, trace id), and reports every `POST` (the function's
//! `.../response` or `.../error`) with the instant its body arrived. Once
//! the events run out, `next` is left unanswered until the function goes
//! away, as Lambda leaves a function waiting between invocations.
//!
//! Minimal HTTP/1.1, enough for `lambda_runtime`'s client: a request line,
//! headers, and a body of `content-length` bytes on a kept-alive
//! connection.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// What the function posted back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    /// The request path: `/2018-06-01/runtime/invocation/<id>/response` or `.../error`.
    pub path: String,
    /// The body, as text.
    pub body: String,
    /// When its last byte arrived.
    pub at: Instant,
}

/// The events still to hand out, each with its index (the request id is
/// `request-<index>`).
type Events = Mutex<Vec<(usize, String)>>;

/// A running loopback Runtime API; it stops accepting connections when
/// dropped (connections already open end when their function goes away).
#[derive(Debug)]
pub struct RuntimeApi {
    address: String,
    posted: Receiver<Posted>,
    stopped: Arc<AtomicBool>,
}

impl RuntimeApi {
    /// Serves `events`, one per `next` call, on a free loopback port.
    ///
    /// # Errors
    /// When no loopback port can be bound.
    pub fn serve(events: Vec<String>) -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let address = listener.local_addr()?.to_string();
        let (posted, received) = mpsc::channel();
        let events: Arc<Events> = Arc::new(Mutex::new(events.into_iter().enumerate().collect()));
        let stopped = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&stopped);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::Acquire) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let (events, posted) = (Arc::clone(&events), posted.clone());
                // An error ends the connection; the function sees it closed.
                std::thread::spawn(move || connection(stream, &events, &posted));
            }
        });
        Ok(RuntimeApi { address, posted: received, stopped })
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The next thing the function posted, waiting up to `timeout`.
    ///
    /// # Errors
    /// [`RecvTimeoutError::Timeout`] when the function posted nothing in
    /// time (it may have failed to start: check its stderr).
    pub fn posted(&self, timeout: Duration) -> Result<Posted, RecvTimeoutError> {
        self.posted.recv_timeout(timeout)
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::Release);
        // Wakes the accepting thread, which then sees the flag and ends.
        let _ = TcpStream::connect(&self.address);
    }
}

/// One request: its path and body.
fn read_request(reader: &mut impl BufRead) -> io::Result<Option<(String, Vec<u8>)>> {
    let mut request_line = String::new();
    if reader.read_line(&mut request_line)? == 0 {
        return Ok(None);
    }
    let mut length = 0;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 {
            return Ok(None);
        }
        if header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length =
                value.trim().parse().map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let path = request_line.split_whitespace().nth(1).unwrap_or_default().to_owned();
    Ok(Some((path, body)))
}

fn connection(stream: TcpStream, events: &Events, posted: &Sender<Posted>) -> io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    while let Some((path, body)) = read_request(&mut reader)? {
        if !path.ends_with("/invocation/next") {
            let report =
                Posted { path, body: String::from_utf8_lossy(&body).into_owned(), at: Instant::now() };
            writer.write_all(b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n")?;
            // Nobody listening any more: the caller has what it wanted.
            let _ = posted.send(report);
            continue;
        }
        let next = {
            let mut events = events.lock().map_err(|_| io::Error::other("events lock poisoned"))?;
            (!events.is_empty()).then(|| events.remove(0))
        };
        let Some((index, event)) = next else {
            // No more events: wait for the function to close the connection.
            let _ = reader.read(&mut [0; 1]);
            return Ok(());
        };
        let deadline = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_millis() + 60_000;
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nlambda-runtime-aws-request-id: request-{index}\r\n\
             lambda-runtime-deadline-ms: {deadline}\r\n\
             lambda-runtime-invoked-function-arn: arn:aws:lambda:eu-west-1:123456789012:function:example\r\n\
             lambda-runtime-trace-id: Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1\r\n\
             content-length: {}\r\n\r\n{event}",
            event.len()
        );
        writer.write_all(response.as_bytes())?;
    }
    Ok(())
}
