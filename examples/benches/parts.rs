//! Reading an SQS record's members: lambda-batch's scanner (`scan.rs`,
//! through `SqsRecord`) against the crates that could do it.
//!
//! The real use: every record's `messageId` up front (nothing runs before
//! every record is identified), then the body (decoded) of each record the
//! handler is called for. For the records of a standard 1,000-record event
//! (each already split out as raw JSON, as `BatchEvent` keeps them), in
//! the same process, interleaved:
//! - `scan.rs`: `SqsRecord::parse` (the id), then `body()`;
//! - `serde_json` borrowed: a struct of `Cow<str>` fields with
//!   `#[serde(borrow)]` (a full pass over the record; the other members
//!   are validated and skipped);
//! - `serde_json` raw: a struct of `&RawValue` fields, the body then
//!   decoded from its raw text (what a lazy reader on serde_json does);
//! - `sonic-rs` lazy: `sonic_rs::get` for each member and `LazyValue::as_str`
//!   (SIMD; validates what it skips);
//! - `sonic-rs` borrowed: the `Cow<str>` struct through sonic-rs's serde
//!   deserializer.
//!
//! Run: `cargo bench -p lambda-batch-examples --bench parts`.

use std::borrow::Cow;
use std::hint::black_box;
use std::time::Instant;

use lambda_batch::BatchEvent;
use lambda_batch::sqs::SqsRecord;
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Deserialize)]
struct Borrowed<'a> {
    #[serde(rename = "messageId", borrow)]
    message_id: Cow<'a, str>,
    #[serde(borrow)]
    body: Cow<'a, str>,
}

#[derive(Deserialize)]
struct Raw<'a> {
    #[serde(rename = "messageId", borrow)]
    message_id: &'a RawValue,
    #[serde(borrow)]
    body: &'a RawValue,
}

/// The id and body length of every record, with lambda-batch's reader.
fn scanner(records: &[&str]) -> usize {
    let read: Vec<SqsRecord<'_>> =
        records.iter().enumerate().map(|(i, raw)| SqsRecord::parse(i, raw).expect("id")).collect();
    read.iter().map(|record| record.message_id().len() + record.body().expect("body").len()).sum()
}

fn serde_borrowed(records: &[&str]) -> usize {
    records
        .iter()
        .map(|raw| {
            let record: Borrowed<'_> = serde_json::from_str(raw).expect("record");
            record.message_id.len() + record.body.len()
        })
        .sum()
}

fn serde_raw(records: &[&str]) -> usize {
    records
        .iter()
        .map(|raw| {
            let record: Raw<'_> = serde_json::from_str(raw).expect("record");
            let id: Cow<'_, str> = serde_json::from_str(record.message_id.get()).expect("id");
            let body: String = serde_json::from_str(record.body.get()).expect("body");
            id.len() + body.len()
        })
        .sum()
}

fn sonic_lazy(records: &[&str]) -> usize {
    let ids: Vec<sonic_rs::LazyValue<'_>> =
        records.iter().map(|raw| sonic_rs::get(*raw, ["messageId"]).expect("id")).collect();
    records
        .iter()
        .zip(&ids)
        .map(|(raw, id)| {
            use sonic_rs::JsonValueTrait as _;
            let body = sonic_rs::get(*raw, ["body"]).expect("body");
            id.as_str().expect("id").len() + body.as_str().expect("body").len()
        })
        .sum()
}

fn sonic_borrowed(records: &[&str]) -> usize {
    records
        .iter()
        .map(|raw| {
            let record: Borrowed<'_> = sonic_rs::from_str(raw).expect("record");
            record.message_id.len() + record.body.len()
        })
        .sum()
}

/// Reads every record's id and body; returns their total length.
type Reader = fn(&[&str]) -> usize;

/// Nanoseconds per record: the median of 7 interleaved blocks, each the
/// fastest of its runs.
fn per_record(records: &[&str], readers: &[(&str, Reader)]) -> Vec<f64> {
    let mut times = vec![Vec::new(); readers.len()];
    for _ in 0..7 {
        for ((_, read), block) in readers.iter().zip(&mut times) {
            let fastest = (0..60)
                .map(|_| {
                    let start = Instant::now();
                    black_box(read(black_box(records)));
                    start.elapsed().as_nanos() as f64 / records.len() as f64
                })
                .fold(f64::INFINITY, f64::min);
            block.push(fastest);
        }
    }
    times
        .into_iter()
        .map(|mut block| {
            block.sort_by(f64::total_cmp);
            block[block.len() / 2]
        })
        .collect()
}

fn main() {
    let bytes = events::sqs_event(1_000, false, false);
    let event = BatchEvent::from_slice(&bytes).expect("event");
    let records: Vec<&str> = event.records().expect("records").iter().map(|raw| raw.get()).collect();
    let readers: [(&str, Reader); 5] = [
        ("scan.rs (SqsRecord)", scanner),
        ("serde_json, Cow<str> fields", serde_borrowed),
        ("serde_json, &RawValue fields", serde_raw),
        ("sonic-rs, get + LazyValue", sonic_lazy),
        ("sonic-rs, Cow<str> fields", sonic_borrowed),
    ];
    let expected = scanner(&records);
    for (name, read) in &readers {
        assert_eq!(read(&records), expected, "{name} reads what the scanner reads");
    }
    let times = per_record(&records, &readers);
    println!(
        "reading an SQS record's messageId and decoded body, ns per record (standard 1,000; median of 7 blocks)"
    );
    for ((name, _), ns) in readers.iter().zip(&times) {
        println!("{name:<32} {ns:>7.0} {:>7.2}x scan.rs", ns / times[0]);
    }
}

#[path = "event_path/events.rs"]
#[allow(dead_code, reason = "shared with the event_path benchmark, which uses all of it")]
mod events;
