//! Runs each case of the suite for several proptest seeds and prints a
//! table: how many seeds caught the defect (or passed, for a correct
//! handler), the slowest seed, and the first shrunk counterexample.

use std::fmt::Debug;
use std::time::{Duration, Instant};

use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};

/// Who wrote the handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Written {
    ByHand,
    ByMacro,
}

/// One handler under test: a correct one (`defect: None`) or one with a
/// single planted defect.
pub(crate) struct Case {
    pub(crate) source: &'static str,
    pub(crate) written: Written,
    /// The failure class and the defect planted.
    pub(crate) defect: Option<&'static str>,
    /// Proptest cases per seed.
    pub(crate) cases: u32,
    /// The documented default test of the handler, run by this runner:
    /// `Err` with the failure and its shrunk input.
    pub(crate) test: Test,
}

/// A case's test: its documented default test run by the runner given.
pub(crate) type Test = Box<dyn Fn(&mut TestRunner) -> Result<(), String>>;

/// What a proptest run found, as text.
pub(crate) fn outcome<V: Debug>(result: Result<(), TestError<V>>) -> Result<(), String> {
    match result {
        Ok(()) => Ok(()),
        Err(TestError::Fail(reason, value)) => Err(format!("{reason}\n      shrunk input: {value:?}")),
        Err(TestError::Abort(reason)) => Err(format!("aborted: {reason}")),
    }
}

/// A runner of `cases` cases seeded with `seed` (no failure persistence).
pub(crate) fn runner(seed: u64, cases: u32) -> TestRunner {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config { cases, failure_persistence: None, ..Config::default() };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

/// One case's results over the seeds.
struct Row {
    caught: usize,
    slowest: Duration,
    example: Option<String>,
}

fn run_case(case: &Case, seeds: u64) -> Row {
    let mut row = Row { caught: 0, slowest: Duration::ZERO, example: None };
    for seed in 0..seeds {
        let mut runner = runner(seed, case.cases);
        let started = Instant::now();
        let result = (case.test)(&mut runner);
        row.slowest = row.slowest.max(started.elapsed());
        if let Err(message) = result {
            row.caught += 1;
            row.example.get_or_insert(message);
        }
    }
    row
}

/// Runs every case for `seeds` seeds; returns what went wrong (a defect
/// not caught by some seed, a correct handler failed).
pub(crate) fn run_suite(cases: &[Case], seeds: u64) -> Vec<String> {
    let mut problems = Vec::new();
    let mut examples = Vec::new();
    println!("\n| source | handler | defect (class: what) | caught | slowest seed |");
    println!("|---|---|---|---|---|");
    for case in cases {
        let row = run_case(case, seeds);
        let written = match case.written {
            Written::ByHand => "hand-written",
            Written::ByMacro => "#[batch_handler]",
        };
        let (what, verdict) = match case.defect {
            Some(defect) => (defect, format!("{}/{seeds}", row.caught)),
            None => ("none (correct control)", format!("{}/{seeds} false alarms", row.caught)),
        };
        println!("| {} | {written} | {what} | {verdict} | {:.2} s |", case.source, row.slowest.as_secs_f64());
        if let (Some(defect), Some(example)) = (case.defect, &row.example) {
            examples.push(format!(
                "{} / {defect}:
      {example}",
                case.source
            ));
        }
        if case.defect.is_some() && row.caught as u64 != seeds {
            problems.push(format!(
                "{} ({written}): the defect `{}` escaped {} of {seeds} seeds",
                case.source,
                case.defect.unwrap_or_default(),
                seeds - row.caught as u64
            ));
        }
        if let (None, Some(example)) = (case.defect, &row.example) {
            problems.push(format!("{} ({written}): a correct handler failed: {example}", case.source));
        }
    }
    println!("\nFirst shrunk counterexample of each defect:");
    for example in examples {
        println!("  {example}");
    }
    problems
}
