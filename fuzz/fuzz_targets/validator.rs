//! Arbitrary (event, response) pairs through the response validator
//! (`BatchView::check_text` for every source, SQS under each FIFO rule),
//! judged by the oracle in `src/validator.rs`.
#![no_main]

use libfuzzer_sys::{fuzz_mutator, fuzz_target};

fuzz_target!(|data: &[u8]| {
    lambda_batch_fuzz::validator::check(data);
});

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    lambda_batch_fuzz::mutate::mutate(data, size, max_size, seed, lambda_batch_fuzz::mutate::Layout::Pair)
});
