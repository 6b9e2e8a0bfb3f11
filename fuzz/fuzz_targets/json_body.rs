//! Arbitrary bytes as the escaped text of an SQS body, through `Json<T>`
//! (which may read the document straight from that text), judged by
//! `src/json_body.rs` (serde_json on the body serde_json decoded).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    lambda_batch_fuzz::json_body::check(data);
});
