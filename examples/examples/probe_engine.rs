use lambda_batch::{BatchEvent, Json, batch_handler};
use serde::Deserialize;
use serde_json::json;
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

#[batch_handler(sqs, all_failed = "report_all")]
fn noop() {}
#[batch_handler(sqs, all_failed = "report_all")]
fn body(b: &str) {
    std::hint::black_box(b);
}
#[batch_handler(sqs, all_failed = "report_all")]
fn ignored(Json(v): Json<serde::de::IgnoredAny>) {
    std::hint::black_box(v);
}
#[batch_handler(sqs, all_failed = "report_all")]
fn order(Json(o): Json<Order>) -> Result<(), &'static str> {
    if o.fail { Err("x") } else { Ok(()) }
}

fn event(records: usize) -> Vec<u8> {
    let records: Vec<_> = (0..records)
        .map(|i| {
            let fail = i % 10 == 9;
            let items: Vec<_> = (0..5)
                .map(|k| json!({"sku": format!("SKU-{:08}-{k}", i * 7 + k), "quantity": (i + k) % 9 + 1, "price_cents": 1999 + k * 100}))
                .collect();
            let body = json!({"order_id": format!("order-{i:012}"), "customer": format!("customer-{:06}@example.com", i % 977), "items": items, "fail": fail});
            let id = format!("{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}", i * 2_654_435_761 % (1 << 32), i % 65_536, i % 4096, (i * 7) % 4096, i * 97);
            let mut record = lambda_batch_testkit::sqs::message(&id, &body.to_string());
            record["md5OfBody"] = json!(format!("{:032x}", i * 31_337));
            record
        })
        .collect();
    lambda_batch_testkit::sqs::event_json(records).into_bytes()
}

fn t(name: &str, n: usize, mut f: impl FnMut()) {
    let mut s: Vec<f64> = (0..300)
        .map(|_| {
            let st = Instant::now();
            f();
            st.elapsed().as_nanos() as f64 / n as f64
        })
        .collect();
    s.sort_by(f64::total_cmp);
    println!("{name:<30} {:>8.0} ns/record (min {:.0})", s[s.len() / 2], s[0]);
}

fn main() {
    let n = 1000;
    let bytes = event(n);
    let ev = BatchEvent::from_slice(&bytes).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let cx = lambda_batch::Context::default();
    macro_rules! run {
        ($h:ident) => {
            t(stringify!($h), n, || {
                let r = rt.block_on(lambda_batch::sqs::process(&$h {}, &$h::CONFIG, &ev, &cx)).unwrap();
                std::hint::black_box(r.into_response().unwrap());
            });
        };
    }
    run!(noop);
    run!(body);
    run!(ignored);
    run!(order);
    t("read+body", n, || {
        let recs = lambda_batch::sqs::read_records(&ev).unwrap();
        for r in &recs {
            std::hint::black_box(r.body());
        }
    });
    t("read+body+ignored", n, || {
        let recs = lambda_batch::sqs::read_records(&ev).unwrap();
        for r in &recs {
            std::hint::black_box(serde_json::from_str::<serde::de::IgnoredAny>(r.body().unwrap()).unwrap());
        }
    });
    t("read+body+order", n, || {
        let recs = lambda_batch::sqs::read_records(&ev).unwrap();
        for r in &recs {
            std::hint::black_box(serde_json::from_str::<Order>(r.body().unwrap()).unwrap());
        }
    });
    let small = event(10);
    let ev10 = BatchEvent::from_slice(&small).unwrap();
    t("10: noop process", 10, || { let r = rt.block_on(lambda_batch::sqs::process(&noop {}, &noop::CONFIG, &ev10, &cx)).unwrap(); std::hint::black_box(r.into_response().unwrap()); });
    t("10: order process", 10, || { let r = rt.block_on(lambda_batch::sqs::process(&order {}, &order::CONFIG, &ev10, &cx)).unwrap(); std::hint::black_box(r.into_response().unwrap()); });
    t("10: read event", 10, || { std::hint::black_box(BatchEvent::from_slice(&small).unwrap()); });
    t("10: empty block_on", 10, || { rt.block_on(async {}); });
    t("read_records", n, || {
        std::hint::black_box(lambda_batch::sqs::read_records(&ev).unwrap());
    });
}
