//! Cold start of the example Lambda functions against the same functions
//! written by hand on `lambda_runtime` and `aws_lambda_events` (the
//! `lambda-batch-baselines` package): for each, the size of the release
//! binary (thin LTO, one codegen unit, symbols stripped: the workspace's
//! release profile, as deployed) and the time from starting the process to
//! receiving its first response from the loopback Runtime API
//! (`lambda_batch_cold_start::runtime_api`), with a real-shaped event of
//! 10 records, some failing.
//!
//! The bench builds the binaries itself, one package per `cargo build
//! --release` (the deploy build's shape, `-p lambda-batch-examples`), so
//! neither side gets features unified from the other or from this bench's
//! dev-dependencies. Times: the median of [`BLOCKS`] blocks, each the
//! fastest of its [`RUNS_PER_BLOCK`] runs per side (the sides alternate run
//! by run, and which goes first alternates too); on a shared machine other
//! work only ever adds time, and a start takes ~2 ms, so one preempted run
//! would move a plain median of few runs. Before timing, one run each whose
//! responses must be equal (same logic). No timed assertion: it prints a
//! table with the ratios. Run:
//! `cargo bench -p lambda-batch-cold-start --bench cold_start`
//! (`COLD_START_BLOCKS=n` for another number of blocks).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use lambda_batch_cold_start::function::{Function, lambda_command};
use lambda_batch_cold_start::runtime_api::RuntimeApi;
use lambda_batch_testkit::{dynamodb, kafka, kinesis, sqs};
use serde_json::json;

/// Blocks of runs per function, unless `COLD_START_BLOCKS` says otherwise.
const BLOCKS: usize = 21;

/// Runs per side in a block.
const RUNS_PER_BLOCK: usize = 10;

/// The bar: generated within 10% of hand-written, on size and on time.
const BAR: f64 = 1.10;

/// One example function and its hand-written twin.
struct Case {
    /// The example binary (package `lambda-batch-examples`).
    generated: &'static str,
    /// The baseline binary (package `lambda-batch-baselines`).
    by_hand: &'static str,
    /// The event of the first invocation.
    event: fn() -> String,
}

const CASES: [Case; 4] = [
    Case { generated: "sqs_orders", by_hand: "sqs_orders_by_hand", event: sqs_event },
    Case { generated: "kinesis_telemetry", by_hand: "kinesis_telemetry_by_hand", event: kinesis_event },
    Case { generated: "dynamodb_orders", by_hand: "dynamodb_orders_by_hand", event: dynamodb_event },
    Case { generated: "kafka_clicks", by_hand: "kafka_clicks_by_hand", event: kafka_event },
];

/// Why `idempotent_payments` is left out.
const PAYMENTS_LEFT_OUT: &str = "idempotent_payments: not measured. Its first response waits for a DynamoDB API \
     (it claims every payment id in its table before charging), so its time would be the store's, and its \
     hand-written twin would be a hand-written idempotency store.";

/// 10 orders on a standard queue; the fifth asks for nothing.
fn sqs_event() -> String {
    sqs::event_json((0..10).map(|i| {
        let quantity = if i == 4 { 0 } else { i + 1 };
        let body = json!({"id": i, "sku": format!("BOOK-{i}"), "quantity": quantity, "warehouse": i % 2});
        sqs::message(&format!("m{i}"), &body.to_string())
    }))
}

/// 10 readings; the fourth is impossible (poison), the eighth's sensor is
/// calibrating (retried from there).
fn kinesis_event() -> String {
    kinesis::event_json((0..10_u8).map(|i| {
        let sensor = if i == 7 { format!("calibrating-{i}") } else { format!("sensor-{i}") };
        let celsius = if i == 3 { 99.5 } else { 20.0 + f64::from(i) / 4.0 };
        let data = json!({"sensor": sensor, "celsius": celsius}).to_string();
        kinesis::record(&kinesis::sequence_number(u64::from(i)), &format!("shard-key-{i}"), data.as_bytes())
    }))
}

/// 10 changes to the orders table; the ninth's image does not match its key.
fn dynamodb_event() -> String {
    dynamodb::event_json((0..10).map(|i| {
        let id = format!("o-{}", i % 8);
        let keys = json!({"id": {"S": id}});
        let image_id = if i == 8 { "o-other".to_owned() } else { id };
        let image = json!({"id": {"S": image_id}, "units": {"N": (i + 1).to_string()}});
        let (name, new, old) = match i {
            9 => ("REMOVE", None, Some(image)),
            8 => ("MODIFY", Some(image.clone()), Some(image)),
            _ => ("INSERT", Some(image), None),
        };
        dynamodb::record(&format!("{:021}", 100 + i), name, keys, new, old)
    }))
}

/// 10 clicks on two partitions; one without a user (poison), one on an
/// empty page (partition `clicks-0` retried from there).
fn kafka_event() -> String {
    kafka::event_json((0..10_u64).map(|i| {
        let (partition, offset) = (u32::from(i >= 5), 100 + i % 5);
        let page = if i == 2 { String::new() } else { format!("/page/{i}") };
        let value = json!({"page": page, "dwell_ms": 1000 + i}).to_string();
        let user = format!("user-{i}");
        let key = (i != 6).then_some(user.as_bytes());
        kafka::record("clicks", partition, offset, key, Some(value.as_bytes()))
    }))
}

/// Builds `bins` of `package` with `cargo build --release` and returns each
/// binary's path.
fn build(package: &str, bins: &[&str]) -> Result<HashMap<String, PathBuf>, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut command = Command::new(cargo);
    command.current_dir(root).args([
        "build",
        "--release",
        "--message-format=json-render-diagnostics",
        "-p",
        package,
    ]);
    for bin in bins {
        command.args(["--bin", bin]);
    }
    eprintln!("building: cargo build --release -p {package} --bin {}", bins.join(" --bin "));
    let output =
        command.stderr(Stdio::inherit()).output().map_err(|error| format!("cannot run cargo: {error}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo build --release -p {package} failed ({}): see its messages above",
            output.status
        ));
    }
    let mut paths = HashMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        if let (Some(name), Some(path)) = (message["target"]["name"].as_str(), message["executable"].as_str())
        {
            paths.insert(name.to_owned(), PathBuf::from(path));
        }
    }
    Ok(paths)
}

/// Starts `binary`, hands it `event`, and returns the time from starting
/// the process to receiving its response, and the response.
fn first_response(binary: &Path, event: &str) -> Result<(Duration, String), String> {
    let api =
        RuntimeApi::serve(vec![event.to_owned()]).map_err(|error| format!("no loopback port: {error}"))?;
    let function = Function::spawn(&mut lambda_command(binary, api.address(), "cold-start"))
        .map_err(|error| format!("cannot start {}: {error}", binary.display()))?;
    let posted = api.posted(Duration::from_secs(30)).map_err(|_| {
        format!(
            "{} sent no response within 30 s: run it by hand with AWS_LAMBDA_RUNTIME_API set",
            binary.display()
        )
    })?;
    if !posted.path.ends_with("/response") {
        return Err(format!("{} answered {} with {}", binary.display(), posted.path, posted.body));
    }
    let elapsed = posted.at.duration_since(function.started());
    drop(function);
    Ok((elapsed, posted.body))
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// The measured figures of one case.
struct Figures {
    sizes: (u64, u64),
    times: (Duration, Duration),
}

fn measure(case: &Case, generated: &Path, by_hand: &Path, blocks: usize) -> Result<Figures, String> {
    let size = |path: &Path| {
        std::fs::metadata(path).map(|m| m.len()).map_err(|e| format!("{}: {e}", path.display()))
    };
    let sizes = (size(generated)?, size(by_hand)?);
    let event = (case.event)();
    let (_, expected) = first_response(generated, &event)?;
    let (_, answered) = first_response(by_hand, &event)?;
    if answered != expected {
        return Err(format!(
            "{} and {} answer differently, so they do not do the same work; make \
             benches/baselines/src/bin/{}.rs do what the example does:\n  generated: {expected}\n  by hand:   {answered}",
            case.generated, case.by_hand, case.by_hand
        ));
    }
    let (mut generated_times, mut by_hand_times) = (Vec::new(), Vec::new());
    for _ in 0..blocks {
        let (mut generated_fastest, mut by_hand_fastest) = (Duration::MAX, Duration::MAX);
        for run in 0..RUNS_PER_BLOCK {
            let mut order = [(generated, &mut generated_fastest), (by_hand, &mut by_hand_fastest)];
            if run % 2 == 1 {
                order.reverse();
            }
            for (binary, fastest) in order {
                let (elapsed, body) = first_response(binary, &event)?;
                if body != expected {
                    return Err(format!("{} answered {body}, earlier {expected}", binary.display()));
                }
                *fastest = (*fastest).min(elapsed);
            }
        }
        generated_times.push(generated_fastest);
        by_hand_times.push(by_hand_fastest);
    }
    eprintln!("{}: {expected}", case.generated);
    Ok(Figures { sizes, times: (median(generated_times), median(by_hand_times)) })
}

fn run() -> Result<(), String> {
    let blocks = std::env::var("COLD_START_BLOCKS")
        .ok()
        .and_then(|blocks| blocks.parse().ok())
        .unwrap_or(BLOCKS)
        .max(1);
    let generated: Vec<&str> = CASES.iter().map(|case| case.generated).collect();
    let by_hand: Vec<&str> = CASES.iter().map(|case| case.by_hand).collect();
    let mut binaries = build("lambda-batch-examples", &generated)?;
    binaries.extend(build("lambda-batch-baselines", &by_hand)?);
    let path =
        |name: &str| binaries.get(name).cloned().ok_or_else(|| format!("cargo built no binary {name}"));
    println!(
        "cold start: release binaries (thin LTO, stripped); time from process start to first response: median of {blocks} blocks, each the fastest of {RUNS_PER_BLOCK} interleaved runs per side"
    );
    println!(
        "{:<18} {:>10} {:>10} {:>7}   {:>8} {:>8} {:>7}   within 10%",
        "function", "size gen", "size hand", "ratio", "ms gen", "ms hand", "ratio"
    );
    for case in &CASES {
        let figures = measure(case, &path(case.generated)?, &path(case.by_hand)?, blocks)?;
        let size_ratio = figures.sizes.0 as f64 / figures.sizes.1 as f64;
        let time_ratio = figures.times.0.as_secs_f64() / figures.times.1.as_secs_f64();
        let verdict = match (size_ratio <= BAR, time_ratio <= BAR) {
            (true, true) => "yes",
            (false, true) => "NO: size",
            (true, false) => "NO: time",
            (false, false) => "NO: size and time",
        };
        println!(
            "{:<18} {:>10} {:>10} {:>6.3}x   {:>8.2} {:>8.2} {:>6.3}x   {verdict}",
            case.generated,
            figures.sizes.0,
            figures.sizes.1,
            size_ratio,
            figures.times.0.as_secs_f64() * 1e3,
            figures.times.1.as_secs_f64() * 1e3,
            time_ratio
        );
    }
    println!("{PAYMENTS_LEFT_OUT}");
    Ok(())
}

fn main() {
    if let Err(error) = run() {
        eprintln!("cold_start: {error}");
        std::process::exit(1);
    }
}
