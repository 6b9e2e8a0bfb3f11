use serde::Deserialize;
use serde_json::{json, value::RawValue};
use std::time::Instant;

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Order {
    order_id: String,
    customer: String,
    items: Vec<Item>,
    fail: bool,
}
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Item {
    sku: String,
    quantity: u32,
    price_cents: u64,
}

fn event(records: usize, fifo: bool) -> Vec<u8> {
    let records: Vec<_> = (0..records)
        .map(|i| {
            let fail = i % 10 == 9;
            let items: Vec<_> = (0..5)
                .map(|k| json!({"sku": format!("SKU-{:08}-{k}", i * 7 + k), "quantity": (i + k) % 9 + 1, "price_cents": 1999 + k * 100}))
                .collect();
            let body = json!({"order_id": format!("order-{i:012}"), "customer": format!("customer-{:06}@example.com", i % 977), "items": items, "fail": fail});
            let id = format!("{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}", i * 2_654_435_761 % (1 << 32), i % 65_536, i % 4096, (i * 7) % 4096, i * 97);
            let mut record = if fifo {
                lambda_batch_testkit::sqs::fifo_message(&id, &format!("group-{}", i % 10), &body.to_string())
            } else {
                lambda_batch_testkit::sqs::message(&id, &body.to_string())
            };
            record["md5OfBody"] = json!(format!("{:032x}", i * 31_337));
            record
        })
        .collect();
    serde_json::to_vec(&json!({ "Records": records })).expect("event bytes")
}

fn t(name: &str, n: usize, mut f: impl FnMut()) {
    let mut s: Vec<f64> = (0..200)
        .map(|_| {
            let st = Instant::now();
            f();
            st.elapsed().as_nanos() as f64 / n as f64
        })
        .collect();
    s.sort_by(f64::total_cmp);
    println!("{name:<30} {:>8.0} ns/record", s[s.len() / 2]);
}

fn skip_string(b: &[u8], mut i: usize) -> usize {
    // i at opening quote; returns index after closing quote
    i += 1;
    loop {
        match b[i] {
            b'"' => return i + 1,
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
}
fn skip_string_memchr(b: &[u8], mut i: usize) -> usize {
    i += 1;
    loop {
        let j = i + memchr::memchr2(b'"', b'\\', &b[i..]).unwrap();
        if b[j] == b'"' {
            return j + 1;
        }
        i = j + 2;
    }
}
fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b[i], b' ' | b'\n' | b'\r' | b'\t') {
        i += 1
    }
    i
}
fn skip_value(b: &[u8], i: usize, ss: fn(&[u8], usize) -> usize) -> usize {
    match b[i] {
        b'"' => ss(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = i;
            loop {
                match b[i] {
                    b'"' => {
                        i = ss(b, i);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return i + 1;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            let mut i = i;
            while !matches!(b[i], b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t') {
                i += 1
            }
            i
        }
    }
}
fn split(b: &[u8], ss: fn(&[u8], usize) -> usize) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    let mut i = skip_ws(b, 0) + 1;
    loop {
        i = skip_ws(b, i);
        if b[i] == b']' {
            return out;
        }
        let e = skip_value(b, i, ss);
        out.push((i as u32, e as u32));
        i = skip_ws(b, e);
        if b[i] == b',' {
            i += 1
        }
    }
}
fn keys(b: &[u8], ss: fn(&[u8], usize) -> usize, mut f: impl FnMut(&[u8], usize, usize)) {
    let mut i = skip_ws(b, 0) + 1;
    loop {
        i = skip_ws(b, i);
        if b[i] == b'}' {
            return;
        }
        let ke = ss(b, i);
        let key = &b[i + 1..ke - 1];
        i = skip_ws(b, ke) + 1;
        i = skip_ws(b, i);
        let ve = skip_value(b, i, ss);
        f(key, i, ve);
        i = skip_ws(b, ve);
        if b[i] == b',' {
            i += 1
        }
    }
}

#[derive(Deserialize)]
struct Env {
    #[serde(rename = "Records")]
    records: Box<RawValue>,
}

fn main() {
    let n = 1000;
    let bytes = event(n, false);
    println!("event {} bytes, {} per record", bytes.len(), bytes.len() / n);
    t("floor IgnoredAny", n, || {
        let _: serde::de::IgnoredAny = serde_json::from_slice(&bytes).unwrap();
    });
    t("BatchEvent::from_slice", n, || {
        std::hint::black_box(lambda_batch::BatchEvent::from_slice(&bytes).unwrap());
    });
    t("Records as one RawValue", n, || {
        std::hint::black_box(serde_json::from_slice::<Env>(&bytes).unwrap());
    });
    let env: Env = serde_json::from_slice(&bytes).unwrap();
    let text = env.records.get().as_bytes();
    t("split byte loop", n, || {
        std::hint::black_box(split(text, skip_string));
    });
    t("split memchr", n, || {
        std::hint::black_box(split(text, skip_string_memchr));
    });
    let spans = split(text, skip_string);
    t("keys byte loop", n, || {
        for &(s, e) in &spans {
            keys(&text[s as usize..e as usize], skip_string, |k, a, b| {
                std::hint::black_box((k, a, b));
            });
        }
    });
    t("keys memchr", n, || {
        for &(s, e) in &spans {
            keys(&text[s as usize..e as usize], skip_string_memchr, |k, a, b| {
                std::hint::black_box((k, a, b));
            });
        }
    });
    let text_s = env.records.get();
    let bodies: Vec<&str> = spans
        .iter()
        .map(|&(s, e)| {
            let mut body = "";
            keys(&text[s as usize..e as usize], skip_string, |k, a, b| {
                if k == b"body" {
                    body = &text_s[s as usize + a..s as usize + b]
                }
            });
            body
        })
        .collect();
    t("unescape serde String", n, || {
        for b in &bodies {
            std::hint::black_box(serde_json::from_str::<String>(b).unwrap());
        }
    });
    let unesc: Vec<String> = bodies.iter().map(|b| serde_json::from_str::<String>(b).unwrap()).collect();
    println!("body escaped {} unescaped {}", bodies[0].len(), unesc[0].len());
    t("Order parse", n, || {
        for b in &unesc {
            std::hint::black_box(serde_json::from_str::<Order>(b).unwrap());
        }
    });
    t("Order IgnoredAny", n, || {
        for b in &unesc {
            std::hint::black_box(serde_json::from_str::<serde::de::IgnoredAny>(b).unwrap());
        }
    });
    t("SqsEvent parse", n, || {
        std::hint::black_box(serde_json::from_slice::<aws_lambda_events::sqs::SqsEvent>(&bytes).unwrap());
    });
    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Head<'e> {
        #[serde(rename = "messageId", borrow, default)]
        message_id: Option<&'e RawValue>,
        #[serde(borrow, default)]
        body: Option<&'e RawValue>,
        #[serde(rename = "eventSourceARN", borrow, default)]
        queue_arn: Option<&'e RawValue>,
        #[serde(borrow, default)]
        attributes: Option<&'e RawValue>,
    }
    let recs: Vec<&str> = spans.iter().map(|&(s, e)| &text_s[s as usize..e as usize]).collect();
    t("serde Head", n, || {
        for r in &recs {
            std::hint::black_box(serde_json::from_str::<Head>(r).unwrap());
        }
    });
    t("unescape memchr", n, || {
        for b in &bodies {
            std::hint::black_box(unescape_memchr(b.as_bytes()));
        }
    });
    t("unescape loop", n, || {
        for b in &bodies {
            std::hint::black_box(unescape_loop(b.as_bytes()));
        }
    });
    assert_eq!(unescape_memchr(bodies[0].as_bytes()), unesc[0].as_bytes());
    assert_eq!(unescape_loop(bodies[0].as_bytes()), unesc[0].as_bytes());
    t("unescape idx", n, || {
        for b in &bodies {
            std::hint::black_box(unescape_idx(b.as_bytes()));
        }
    });
    t("unescape swar", n, || {
        for b in &bodies {
            std::hint::black_box(unescape_swar(b.as_bytes()));
        }
    });
    assert_eq!(unescape_swar(bodies[0].as_bytes()), unesc[0].as_bytes());
    t("skip body memchr", n, || {
        for b in &bodies {
            std::hint::black_box(skip_string_memchr(b.as_bytes(), 0));
        }
    });
    t("skip body loop", n, || {
        for b in &bodies {
            std::hint::black_box(skip_string(b.as_bytes(), 0));
        }
    });
    t("memcpy event", n, || {
        std::hint::black_box(bytes.clone());
    });
}

fn unescape_memchr(b: &[u8]) -> Vec<u8> {
    let b = &b[1..b.len() - 1];
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(j) = memchr::memchr(b'\\', &b[i..]) {
        out.extend_from_slice(&b[i..i + j]);
        let e = b[i + j + 1];
        out.push(match e {
            b'n' => b'\n',
            b't' => b'\t',
            b'r' => b'\r',
            b'b' => 8,
            b'f' => 12,
            other => other,
        });
        i += j + 2;
    }
    out.extend_from_slice(&b[i..]);
    out
}
fn unescape_loop(b: &[u8]) -> Vec<u8> {
    let b = &b[1..b.len() - 1];
    let mut out = Vec::with_capacity(b.len());
    let mut it = b.iter();
    while let Some(&c) = it.next() {
        if c == b'\\' {
            let e = *it.next().unwrap();
            out.push(match e {
                b'n' => b'\n',
                b't' => b'\t',
                b'r' => b'\r',
                b'b' => 8,
                b'f' => 12,
                other => other,
            });
        } else {
            out.push(c)
        }
    }
    out
}

fn unescape_idx(b: &[u8]) -> Vec<u8> {
    let b = &b[1..b.len() - 1];
    let mut out = vec![0u8; b.len()];
    let (mut r, mut w) = (0, 0);
    while r < b.len() {
        let c = b[r];
        if c == b'\\' {
            out[w] = match b[r + 1] {
                b'n' => b'\n',
                b't' => b'\t',
                b'r' => b'\r',
                b'b' => 8,
                b'f' => 12,
                other => other,
            };
            r += 2;
        } else {
            out[w] = c;
            r += 1;
        }
        w += 1;
    }
    out.truncate(w);
    out
}
fn unescape_swar(b: &[u8]) -> Vec<u8> {
    let b = &b[1..b.len() - 1];
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        // copy 8-byte chunks without backslash
        while i + 8 <= b.len() {
            let x = u64::from_le_bytes(b[i..i + 8].try_into().unwrap());
            let y = x ^ 0x5c5c5c5c5c5c5c5c;
            let m = (y.wrapping_sub(0x0101010101010101)) & !y & 0x8080808080808080;
            if m == 0 {
                out.extend_from_slice(&b[i..i + 8]);
                i += 8;
            } else {
                let k = (m.trailing_zeros() / 8) as usize;
                out.extend_from_slice(&b[i..i + k]);
                i += k;
                break;
            }
        }
        if i >= b.len() {
            break;
        }
        let c = b[i];
        if c == b'\\' {
            out.push(match b[i + 1] {
                b'n' => b'\n',
                b't' => b'\t',
                b'r' => b'\r',
                b'b' => 8,
                b'f' => 12,
                other => other,
            });
            i += 2;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}
