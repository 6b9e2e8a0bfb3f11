//! The example order function (`lambda_batch_examples::orders::handle_order`,
//! the one the `sqs_orders` Lambda binary runs) fed by a real SQS queue
//! through the bridge.
//!
//! ```text
//! # a self-contained run: creates a queue and its DLQ, sends sample orders
//! # (some of them bad), drains the queue and shows what ended where
//! cargo run -p lambda-batch-bridge --example orders -- --endpoint-url http://127.0.0.1:5000 --demo
//!
//! # your own queue, until Ctrl-C (or --drain: until it is empty)
//! cargo run -p lambda-batch-bridge --example orders -- --endpoint-url http://127.0.0.1:5000 \
//!     --queue-url http://127.0.0.1:5000/123456789012/orders
//! ```
//!
//! Credentials and region come from the environment (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, or a profile). For an endpoint on
//! 127.0.0.1 or localhost with none set, the example signs with dummy
//! credentials in us-east-1, which every local emulator accepts.

use std::collections::BTreeMap;
use std::error::Error;
use std::process::ExitCode;
use std::time::Duration;

use lambda_batch_bridge::aws_sdk_sqs::Client;
use lambda_batch_bridge::aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use lambda_batch_bridge::{
    Backoff, Bridge, BridgeConfig, BridgeError, ClientSettings, DrainLimits, StopReason,
};
use lambda_batch_examples::orders::handle_order;

const USAGE: &str = "\
usage: orders [--endpoint-url URL] (--demo | --queue-url URL [--drain]) [--batch-size N] [--function-timeout SECONDS]

  --endpoint-url URL        the SQS API, such as http://127.0.0.1:5000 (moto), http://127.0.0.1:9324
                            (ElasticMQ) or http://127.0.0.1:4566 (LocalStack); default: AWS_ENDPOINT_URL, or AWS
  --demo                    create a queue with a DLQ, send sample orders, drain it and show where each ended
  --queue-url URL           run the order function on this queue until Ctrl-C
  --drain                   with --queue-url: stop once the queue is empty
  --batch-size N            messages per invocation, 1 to 10 (default 10)
  --function-timeout SECONDS  the function timeout (default 3; at most the queue's visibility timeout)";

/// The command line.
#[derive(Debug, Default)]
struct Args {
    endpoint_url: Option<String>,
    queue_url: Option<String>,
    demo: bool,
    drain: bool,
    batch_size: Option<u32>,
    function_timeout: Option<u64>,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut parsed = Args::default();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value; see --help"));
        match arg.as_str() {
            "--help" | "-h" => return Ok(None),
            "--endpoint-url" => parsed.endpoint_url = Some(value("--endpoint-url")?),
            "--queue-url" => parsed.queue_url = Some(value("--queue-url")?),
            "--demo" => parsed.demo = true,
            "--drain" => parsed.drain = true,
            "--batch-size" => {
                let text = value("--batch-size")?;
                let size = text
                    .parse()
                    .map_err(|_| format!("--batch-size {text:?} is not a number; give 1 to 10"))?;
                parsed.batch_size = Some(size);
            }
            "--function-timeout" => {
                let text = value("--function-timeout")?;
                let seconds = text
                    .parse()
                    .map_err(|_| format!("--function-timeout {text:?} is not a whole number of seconds"))?;
                parsed.function_timeout = Some(seconds);
            }
            other => return Err(format!("unknown option {other:?}; see --help")),
        }
    }
    match (&parsed.queue_url, parsed.demo) {
        (None, false) => {
            Err("pass --demo to try the bridge on a new queue with sample orders, or --queue-url URL \
                              to run the order function on your queue; see --help"
                .to_owned())
        }
        (Some(_), true) => Err("--demo makes its own queue; leave out --queue-url".to_owned()),
        _ => Ok(Some(parsed)),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt().with_target(false).init();
    let args = match parse(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("error: {error}");
            // The bridge's own errors already name their causes.
            let mut source = if error.is::<BridgeError>() { None } else { error.source() };
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<bool, Box<dyn Error>> {
    let client = client(args.endpoint_url.as_deref()).await?;
    let config = |url: &str| {
        let mut config = BridgeConfig::new(url).function_name("sqs_orders");
        if let Some(size) = args.batch_size {
            config = config.batch_size(size);
        }
        if let Some(seconds) = args.function_timeout {
            config = config.function_timeout(Duration::from_secs(seconds));
        }
        config
    };
    if args.demo {
        return demo(&client, config).await;
    }
    let queue_url = args.queue_url.unwrap_or_default();
    let mut bridge = Bridge::new(client, config(&queue_url)).await?;
    if args.drain {
        let summary = bridge.drain(&handle_order, DrainLimits::default()).await?;
        println!("{summary:#?}");
        return Ok(summary.stopped == StopReason::QueueEmpty);
    }
    println!("handling orders from {queue_url}; Ctrl-C stops");
    let totals = bridge
        .run_until(&handle_order, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    println!("{totals:#?}");
    Ok(true)
}

/// The SQS client: the environment's settings, or for a local endpoint
/// without any, dummy credentials in us-east-1.
async fn client(endpoint_url: Option<&str>) -> Result<Client, Box<dyn Error>> {
    let mut settings = ClientSettings::new();
    if let Some(url) = endpoint_url {
        settings = settings.endpoint_url(url);
        let local = ["http://127.0.0.1", "http://localhost", "https://127.0.0.1", "https://localhost"]
            .iter()
            .any(|prefix| url.starts_with(prefix));
        let unset = |names: &[&str]| names.iter().all(|name| std::env::var_os(name).is_none());
        if local && unset(&["AWS_ACCESS_KEY_ID", "AWS_PROFILE"]) {
            tracing::info!("no AWS credentials set: signing with dummy ones for the local endpoint {url}");
            settings = settings.static_credentials("test", "test");
        }
        if local && unset(&["AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"]) {
            settings = settings.region("us-east-1");
        }
    }
    Ok(settings.client().await?)
}

/// Sample orders: the body, and what should become of it.
const ORDERS: [(&str, &str); 10] = [
    (r#"{"id": 1, "sku": "tea", "quantity": 2, "warehouse": 0}"#, "reserved"),
    (r#"{"id": 2, "sku": "cups", "quantity": 6, "warehouse": 1}"#, "reserved"),
    (r#"{"id": 3, "sku": "tea", "quantity": 0, "warehouse": 0}"#, "DLQ: quantity 0"),
    (r#"{"id": 4, "sku": "pot", "quantity": 1, "warehouse": 1}"#, "reserved"),
    (r#"{"id": 5, "sku": "cups", "quantity": 500, "warehouse": 0}"#, "DLQ: out of stock"),
    (r#"{"id": 6, "sku": "tea", "quantity": 3, "warehouse": 0}"#, "reserved"),
    ("an order, in words", "DLQ: not JSON"),
    (r#"{"id": 8, "sku": "mugs", "quantity": 1, "warehouse": 7}"#, "DLQ: panics (no warehouse 7)"),
    (r#"{"id": 9, "sku": "pot", "quantity": 2, "warehouse": 1}"#, "reserved"),
    (r#"{"id": 10, "sku": "tea", "quantity": 1, "warehouse": 1}"#, "reserved"),
];

/// Creates a queue (visibility timeout 2 s) with a DLQ (after 2 receives),
/// sends [`ORDERS`], drains the queue through the bridge and shows where
/// each order ended. `true` if each ended where it should.
async fn demo(client: &Client, config: impl Fn(&str) -> BridgeConfig) -> Result<bool, Box<dyn Error>> {
    let name = format!("lambda-batch-demo-{}", std::process::id());
    let dlq_url =
        client.create_queue().queue_name(format!("{name}-dlq")).send().await?.queue_url.unwrap_or_default();
    let dlq_arn = client
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await?
        .attributes
        .and_then(|mut map| map.remove(&QueueAttributeName::QueueArn))
        .ok_or("the DLQ has no QueueArn: the endpoint does not answer like SQS")?;
    let redrive = format!(r#"{{"deadLetterTargetArn": "{dlq_arn}", "maxReceiveCount": "2"}}"#);
    let queue_url = client
        .create_queue()
        .queue_name(&name)
        .attributes(QueueAttributeName::VisibilityTimeout, "2")
        .attributes(QueueAttributeName::RedrivePolicy, redrive)
        .send()
        .await?
        .queue_url
        .unwrap_or_default();
    println!("queue {queue_url}: visibility timeout 2 s, DLQ {dlq_url} after 2 receives");
    for (body, _) in ORDERS {
        client.send_message().queue_url(&queue_url).message_body(body).send().await?;
    }
    println!("sent {} orders; draining through the bridge", ORDERS.len());

    let config = config(&queue_url)
        .wait_time(Duration::from_secs(1))
        .function_timeout(Duration::from_secs(2))
        .backoff(Backoff { initial: Duration::from_millis(200), max: Duration::from_secs(1) });
    let mut bridge = Bridge::new(client.clone(), config).await?;
    let summary = bridge.drain(&handle_order, DrainLimits::default()).await?;
    let counters = &summary.counters;
    println!(
        "drained in {} polls ({:.1} s): {} received, {} deleted, {} left for retry, {} function errors",
        counters.polls,
        summary.elapsed.as_secs_f64(),
        counters.received,
        counters.deleted,
        counters.left_for_retry,
        counters.function_errors
    );

    let in_dlq = contents(client, &dlq_url).await?;
    let mut as_expected = summary.stopped == StopReason::QueueEmpty;
    println!("where each order ended:");
    for (body, expected) in ORDERS {
        let ended = match in_dlq.get(body) {
            Some(receives) => format!("DLQ after {receives} receives"),
            None => "reserved and deleted".to_owned(),
        };
        let right = expected.starts_with("DLQ") == in_dlq.contains_key(body);
        as_expected &= right;
        println!(
            "  {:<60} {ended:<26} (expected: {expected}){}",
            body,
            if right { "" } else { "  <- unexpected" }
        );
    }
    if as_expected {
        println!("every order ended where it should: the DLQ holds the 4 bad ones, the queue is empty");
    } else {
        println!(
            "some orders did not end where they should (see above); the queue stopped: {:?}",
            summary.stopped
        );
    }
    Ok(as_expected)
}

/// The bodies in a queue, with how many times each was received before
/// this look (which is one more receive).
async fn contents(client: &Client, url: &str) -> Result<BTreeMap<String, u64>, Box<dyn Error>> {
    let mut found = BTreeMap::new();
    loop {
        let output = client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .visibility_timeout(60)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await?;
        let messages = output.messages.unwrap_or_default();
        if messages.is_empty() {
            return Ok(found);
        }
        for message in messages {
            let receives = message
                .attributes()
                .and_then(|map| map.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                .and_then(|count| count.parse::<u64>().ok())
                .unwrap_or(1);
            found.insert(message.body.unwrap_or_default(), receives.saturating_sub(1));
        }
    }
}
