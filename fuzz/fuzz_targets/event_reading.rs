//! Arbitrary bytes as an event: `BatchEvent::from_slice`, then
//! `SourceKind::identify_event` for every kind, judged by the oracle in
//! `src/event.rs` (serde_json, keys in order, first occurrence counts).
#![no_main]

use libfuzzer_sys::{fuzz_mutator, fuzz_target};

fuzz_target!(|data: &[u8]| {
    lambda_batch_fuzz::event_reading::check(data);
});

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    lambda_batch_fuzz::mutate::mutate(data, size, max_size, seed, lambda_batch_fuzz::mutate::Layout::Event)
});
