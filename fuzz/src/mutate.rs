//! A JSON-aware mutator (libFuzzer's custom mutator hook).
//!
//! Byte-level mutation of JSON text gives mostly invalid JSON (about 97% of
//! the inputs in a first run), which the oracles can only check for "no
//! panic". One time in five the input is mutated by libFuzzer as usual;
//! otherwise, when its event (or response) reads as a JSON tree, one to
//! three changes are made to the tree: a value replaced by one of the
//! values the rules care about (empty and `null` identifiers, numbers that
//! are not whole or do not fit, leading zeros, lone surrogates, payloads
//! that make the record functions fail, panic, poison or retry), a member
//! written twice, dropped, renamed or moved, a record duplicated or moved,
//! a subtree copied elsewhere; a response's values are also taken from its
//! event (identifiers, and Kafka positions built from its strings and numbers).
//! An input that is not JSON is, half the time, replaced by one of a few
//! small events (or responses) before the changes.
//! One time in four the tree is also written with another spelling: spaces,
//! tabs and newlines between tokens, characters of keys and strings as
//! `\uXXXX` escapes (the project's own scanner walks that text). The tree is written back with its keys in
//! order, duplicates kept, and lone surrogates as `\ud800` escapes.

use base64::Engine as _;

use crate::json::{self, J, MARK};

/// How a target's input is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// The whole input is the event.
    Event,
    /// One byte (the handler variant), then the event.
    Prefixed,
    /// One byte (the checker), the event, a NUL byte, the response.
    Pair,
}

struct Rng(u64);

impl Rng {
    fn new(seed: u32) -> Self {
        Rng(u64::from(seed).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const KEYS: &[&str] = &[
    "Records",
    "records",
    "messageId",
    "body",
    "attributes",
    "MessageGroupId",
    "ApproximateReceiveCount",
    "eventSourceARN",
    "kinesis",
    "sequenceNumber",
    "partitionKey",
    "data",
    "dynamodb",
    "SequenceNumber",
    "Keys",
    "NewImage",
    "eventName",
    "topic",
    "partition",
    "offset",
    "value",
    "key",
    "headers",
    "batchItemFailures",
    "itemIdentifier",
    "x",
];

const PAYLOADS: &[&str] =
    &["ok", "E", "Err", "P", "P!", "Xa", "Xe", "Xp", "Xe1", "R", "R2", "{\"a\":1}", "[]", "E2y"];

const TEXTS: &[&str] = &[
    "",
    "0",
    "007",
    "7",
    "99",
    "100",
    "1000",
    "49568167373333333333333333333333333333333333333333333333",
    "a",
    "g1",
    "g2",
    "t",
    "t-0",
    "orders-0",
    "q.fifo",
    "arn:aws:sqs:us-east-1:1:q.fifo",
    "2",
    "3",
    "x",
    "@",
    "t@1-0",
];

fn number(rng: &mut Rng) -> J {
    let text = *rng.pick(&[
        "0",
        "1",
        "2",
        "5",
        "6",
        "-1",
        "1.0",
        "-0",
        "1e3",
        "9223372036854775807",
        "9223372036854775808",
        "18446744073709551616",
        "0.5",
    ]);
    serde_json::from_str::<J>(text).unwrap_or(J::Null)
}

fn string(rng: &mut Rng) -> J {
    match rng.below(4) {
        0 => J::Str((*rng.pick(PAYLOADS)).to_owned()),
        1 => J::Str(base64::engine::general_purpose::STANDARD.encode(rng.pick(PAYLOADS).as_bytes())),
        2 => J::Str(MARK.to_string()),
        _ => J::Str((*rng.pick(TEXTS)).to_owned()),
    }
}

fn scalar(rng: &mut Rng) -> J {
    match rng.below(8) {
        0 => J::Null,
        1 => J::Bool(true),
        2 => J::Arr(Vec::new()),
        3 => J::Obj(Vec::new()),
        4 | 5 => number(rng),
        _ => string(rng),
    }
}

fn count(node: &J) -> usize {
    1 + match node {
        J::Arr(items) => items.iter().map(count).sum(),
        J::Obj(members) => members.iter().map(|(_, v)| count(v)).sum(),
        _ => 0,
    }
}

fn nth(node: &J, k: &mut usize) -> Option<J> {
    if *k == 0 {
        return Some(node.clone());
    }
    *k -= 1;
    match node {
        J::Arr(items) => items.iter().find_map(|item| nth(item, k)),
        J::Obj(members) => members.iter().find_map(|(_, v)| nth(v, k)),
        _ => None,
    }
}

fn nth_mut<'a>(node: &'a mut J, k: &mut usize) -> Option<&'a mut J> {
    if *k == 0 {
        return Some(node);
    }
    *k -= 1;
    match node {
        J::Arr(items) => items.iter_mut().find_map(|item| nth_mut(item, k)),
        J::Obj(members) => members.iter_mut().find_map(|(_, v)| nth_mut(v, k)),
        _ => None,
    }
}

/// Every object key and string value of a tree, and every number.
fn harvest(node: &J, strings: &mut Vec<String>, numbers: &mut Vec<J>) {
    match node {
        J::Str(s) => strings.push(s.clone()),
        J::Num(_) => numbers.push(node.clone()),
        J::Arr(items) => items.iter().for_each(|item| harvest(item, strings, numbers)),
        J::Obj(members) => members.iter().for_each(|(k, v)| {
            strings.push(k.clone());
            harvest(v, strings, numbers);
        }),
        _ => {}
    }
}

/// A value made of another tree's parts (the event's, when the response is
/// mutated): one of its strings or numbers, or a Kafka position built of a
/// string and a number.
fn borrowed(other: &J, rng: &mut Rng) -> Option<J> {
    let (mut strings, mut numbers) = (Vec::new(), Vec::new());
    harvest(other, &mut strings, &mut numbers);
    let string = || J::Str(String::new());
    match rng.below(3) {
        0 if !numbers.is_empty() => Some(rng.pick(&numbers).clone()),
        1 if !strings.is_empty() && !numbers.is_empty() => {
            let partition = J::Str(rng.pick(&strings).clone());
            let offset = rng.pick(&numbers).clone();
            Some(J::Obj(vec![("partition".to_owned(), partition), ("offset".to_owned(), offset)]))
        }
        _ if !strings.is_empty() => Some(J::Str(rng.pick(&strings).clone())),
        _ => Some(string()),
    }
}

/// One change somewhere in the tree; `other` is a tree to borrow values from.
fn change(root: &mut J, rng: &mut Rng, other: Option<&J>) {
    let total = count(root);
    let donor = match other {
        Some(other) if rng.below(2) == 0 => borrowed(other, rng),
        _ => nth(root, &mut rng.below(total)),
    };
    let Some(node) = nth_mut(root, &mut rng.below(total)) else { return };
    let op = rng.below(6);
    if op == 0 {
        *node = donor.unwrap_or(J::Null);
        return;
    }
    match node {
        J::Obj(members) if op <= 2 && !members.is_empty() => {
            let at = rng.below(members.len());
            match rng.below(5) {
                0 => {
                    let copy = members[at].clone();
                    let to = rng.below(members.len() + 1);
                    members.insert(to, copy);
                }
                1 => {
                    members.remove(at);
                }
                2 => members[at].0 = (*rng.pick(KEYS)).to_owned(),
                3 => {
                    let other = rng.below(members.len());
                    members.swap(at, other);
                }
                _ => {
                    let key = (*rng.pick(KEYS)).to_owned();
                    let value = scalar(rng);
                    members.insert(rng.below(members.len() + 1), (key, value));
                }
            }
        }
        J::Arr(items) if op <= 2 && !items.is_empty() => {
            let at = rng.below(items.len());
            match rng.below(3) {
                0 => {
                    let copy = items[at].clone();
                    let to = rng.below(items.len() + 1);
                    items.insert(to, copy);
                }
                1 => {
                    items.remove(at);
                }
                _ => {
                    let other = rng.below(items.len());
                    items.swap(at, other);
                }
            }
        }
        J::Str(text) if op == 3 => {
            let suffix = *rng.pick(&["", "0", "1", "x", "E", "9"]);
            text.push_str(suffix);
        }
        J::Str(text) if op == 4 && !text.is_empty() => {
            let first = *rng.pick(&["E", "P", "X", "R", "0", ""]);
            let end = text.chars().next().map_or(0, char::len_utf8);
            text.replace_range(..end, first);
        }
        J::Num(_) => *node = number(rng),
        _ => *node = scalar(rng),
    }
}

/// Writes a tree back as JSON text, keys in order, duplicates kept, the
/// lone-surrogate mark as `\ud800`.
pub fn write(root: &J) -> String {
    let mut out = String::new();
    write_into(root, &mut out);
    out
}

fn write_into(value: &J, out: &mut String) {
    let text = |s: &str| serde_json::to_string(s).unwrap_or_default().replace(MARK, "\\ud800");
    match value {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Num(n) => out.push_str(&n.to_string()),
        J::Str(s) => out.push_str(&text(s)),
        J::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_into(item, out);
            }
            out.push(']');
        }
        J::Obj(members) => {
            out.push('{');
            for (i, (key, item)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&text(key));
                out.push(':');
                write_into(item, out);
            }
            out.push('}');
        }
    }
}

/// Writes a tree back with another spelling of the same JSON: whitespace
/// between tokens, and characters of keys and strings written as `\uXXXX`
/// (surrogate pairs beyond the BMP) or `\/` escapes. The readers must see
/// the same document (the scanner of `scan.rs` walks this text itself).
fn write_spelled(value: &J, out: &mut String, rng: &mut Rng) {
    const SPACES: &[&str] = &[" ", "\n", "\t", "\r\n", "  ", " \n  "];
    let space = |out: &mut String, rng: &mut Rng| {
        if rng.below(3) == 0 {
            out.push_str(rng.pick::<&str>(SPACES));
        }
    };
    space(out, rng);
    match value {
        J::Str(text) => write_string(text, out, rng),
        J::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    space(out, rng);
                    out.push(',');
                }
                write_spelled(item, out, rng);
            }
            space(out, rng);
            out.push(']');
        }
        J::Obj(members) => {
            out.push('{');
            for (i, (key, item)) in members.iter().enumerate() {
                if i > 0 {
                    space(out, rng);
                    out.push(',');
                }
                space(out, rng);
                write_string(key, out, rng);
                space(out, rng);
                out.push(':');
                write_spelled(item, out, rng);
            }
            space(out, rng);
            out.push('}');
        }
        other => write_into(other, out),
    }
    space(out, rng);
}

fn write_string(text: &str, out: &mut String, rng: &mut Rng) {
    use std::fmt::Write as _;
    let dense = rng.below(3) == 0;
    out.push('"');
    for c in text.chars() {
        let escape = if dense { rng.below(2) == 0 } else { rng.below(8) == 0 };
        match c {
            MARK => out.push_str("\\ud800"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || escape => {
                if c == '/' && rng.below(2) == 0 {
                    out.push_str("\\/");
                    continue;
                }
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    if rng.below(2) == 0 {
                        let _ = write!(out, "\\u{unit:04x}");
                    } else {
                        let _ = write!(out, "\\u{unit:04X}");
                    }
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Small events of every source, to start again from when an input is not
/// JSON (libFuzzer keeps many such inputs: each parse error is new coverage).
const EVENTS: &[&str] = &[
    r#"{"Records":[{"messageId":"m1","body":"ok","attributes":{"ApproximateReceiveCount":"1","MessageGroupId":"g1"},"eventSourceARN":"arn:aws:sqs:us-east-1:1:q"},{"messageId":"m2","body":"E","attributes":{"MessageGroupId":"g2"}},{"messageId":"m3","body":"Xe","attributes":{"MessageGroupId":"g1"}}]}"#,
    r#"{"Records":[{"messageId":"a","body":"R","eventSourceARN":"arn:aws:sqs:us-east-1:1:q.fifo"},{"messageId":"b","body":"{}"}]}"#,
    r#"{"Records":[{"kinesis":{"partitionKey":"k1","sequenceNumber":"999","data":"b2s="}},{"kinesis":{"partitionKey":"k2","sequenceNumber":"1000","data":"RQ=="}},{"kinesis":{"partitionKey":"k1","sequenceNumber":"1001","data":"e30="}}]}"#,
    r#"{"Records":[{"eventName":"INSERT","dynamodb":{"Keys":{"id":{"S":"1"}},"SequenceNumber":"111"}},{"eventName":"Error","dynamodb":{"Keys":{"id":{"S":"2"}},"SequenceNumber":"112"}}]}"#,
    r#"{"records":{"t-0":[{"topic":"t","partition":0,"offset":5,"value":"b2s="},{"topic":"t","partition":0,"offset":6,"value":"RQ=="}],"t-1":[{"topic":"t","partition":1,"offset":9,"value":"WGU="}]}}"#,
];

/// Responses to start again from (the validator's second half).
const RESPONSES: &[&str] = &[
    r#"{"batchItemFailures":[{"itemIdentifier":"m1"}]}"#,
    r#"{"batchItemFailures":[{"itemIdentifier":"1000"},{"itemIdentifier":"999"}]}"#,
    r#"{"batchItemFailures":[{"itemIdentifier":{"partition":"t-0","offset":6}}]}"#,
    r#"{"batchItemFailures":[]}"#,
];

fn mutate_json(text: &[u8], rng: &mut Rng, other: Option<&J>) -> Option<Vec<u8>> {
    let mut doc = match json::read(text) {
        Ok(doc) => doc,
        // Not JSON: half the time libFuzzer mutates the bytes, half the time
        // a small event (or response) is mutated instead.
        Err(_) if rng.below(2) == 0 => {
            let templates = if other.is_some() { RESPONSES } else { EVENTS };
            json::read(rng.pick(templates).as_bytes()).ok()?
        }
        Err(_) => return None,
    };
    let respell = rng.below(4) == 0;
    if !respell || rng.below(2) == 0 {
        for _ in 0..=rng.below(3) {
            change(&mut doc.root, rng, other);
        }
    }
    if respell {
        let mut out = String::new();
        write_spelled(&doc.root, &mut out, rng);
        if std::env::var_os("LAMBDA_BATCH_FUZZ_CHECK_MUTATOR").is_some() {
            // Self-check: the new spelling reads back to the same tree.
            let back = json::read(out.as_bytes()).map(|back| back.root);
            assert!(
                back.as_ref().is_ok_and(|back| same(back, &doc.root)),
                "respelled {out} reads back as {back:?}"
            );
        }
        return Some(out.into_bytes());
    }
    Some(write(&doc.root).into_bytes())
}

/// Tree equality, floats within rounding (serde_json's default float parser
/// may read a printed float back one unit off in the last place).
fn same(a: &J, b: &J) -> bool {
    match (a, b) {
        (J::Num(x), J::Num(y)) if x.is_f64() && y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            (x - y).abs() <= 1e-12 * x.abs().max(y.abs())
        }
        (J::Arr(x), J::Arr(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y)),
        (J::Obj(x), J::Obj(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((kx, x), (ky, y))| kx == ky && same(x, y))
        }
        _ => a == b,
    }
}

/// The custom mutator: see the module doc.
pub fn mutate(data: &mut [u8], size: usize, max_size: usize, seed: u32, layout: Layout) -> usize {
    let mut rng = Rng::new(seed);
    if rng.below(5) == 0 || size == 0 {
        return libfuzzer_sys::fuzzer_mutate(data, size, max_size);
    }
    let input = &data[..size];
    let mutated: Option<Vec<u8>> = match layout {
        Layout::Event => mutate_json(input, &mut rng, None),
        Layout::Prefixed => {
            let mut pick = input[0];
            if rng.below(6) == 0 {
                pick = rng.next() as u8;
            }
            mutate_json(&input[1..], &mut rng, None).map(|event| [&[pick][..], &event].concat())
        }
        Layout::Pair => {
            let pick = if rng.below(6) == 0 { rng.next() as u8 } else { input[0] };
            let rest = &input[1..];
            let (event, response) = match rest.iter().position(|b| *b == 0) {
                Some(at) => (&rest[..at], &rest[at + 1..]),
                None => (rest, &[][..]),
            };
            let event_tree = json::read(event).ok().map(|doc| doc.root);
            let pair = if event_tree.is_none() || rng.below(2) == 0 {
                mutate_json(event, &mut rng, None).map(|event| (event, response.to_vec()))
            } else {
                mutate_json(response, &mut rng, event_tree.as_ref())
                    .map(|response| (event.to_vec(), response))
            };
            pair.map(|(event, response)| [&[pick][..], &event, &[0], &response].concat())
        }
    };
    match mutated {
        Some(bytes) if bytes.len() <= max_size => {
            data[..bytes.len()].copy_from_slice(&bytes);
            bytes.len()
        }
        _ => libfuzzer_sys::fuzzer_mutate(data, size, max_size),
    }
}
