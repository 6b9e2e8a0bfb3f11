//! How many inputs each oracle judged, and how: printed to stderr every
//! 50,000 counted inputs when `LAMBDA_BATCH_FUZZ_STATS` is set, so a
//! campaign shows what share of its inputs the oracles had an opinion on.

use std::cell::RefCell;
use std::collections::BTreeMap;

thread_local! {
    static COUNTS: RefCell<(u64, BTreeMap<&'static str, u64>)> = const { RefCell::new((0, BTreeMap::new())) };
    static ENABLED: bool = std::env::var_os("LAMBDA_BATCH_FUZZ_STATS").is_some();
}

/// Counts one input under `label`.
pub fn count(label: &'static str) {
    if !ENABLED.with(|on| *on) {
        return;
    }
    COUNTS.with(|counts| {
        let mut counts = counts.borrow_mut();
        counts.0 += 1;
        *counts.1.entry(label).or_insert(0) += 1;
        if counts.0 % 50_000 == 0 {
            let total = counts.0;
            let lines: Vec<String> = counts
                .1
                .iter()
                .map(|(label, n)| format!("  {label}: {n} ({:.1}%)", *n as f64 * 100.0 / total as f64))
                .collect();
            eprintln!("#oracle-stats after {total} inputs\n{}", lines.join("\n"));
        }
    });
}
