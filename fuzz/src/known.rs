//! Divergences the fuzzer found and that are reported (docs/fuzzing.md,
//! "Findings"). By default the oracles accept the project's current
//! behaviour for these cases only, so that a campaign goes on looking for
//! other bugs; `LAMBDA_BATCH_FUZZ_STRICT=1` makes them crash again (to
//! reproduce them, or to check a fix).

use crate::event;
use crate::json::{Doc, J};
use crate::stats;

/// `true` when known divergences must crash.
pub fn strict() -> bool {
    thread_local! {
        static STRICT: bool = std::env::var("LAMBDA_BATCH_FUZZ_STRICT").is_ok_and(|v| v == "1");
    }
    STRICT.with(|s| *s)
}

/// Finding 1 (runtime/src/sqs/record.rs, `Fields::read_attributes`): of
/// several `attributes.MessageGroupId` members the project takes the first
/// one that is a usable string, where its rule ("the first of each key
/// counts. Wrong types read as absent.") takes the first one. The same for
/// `ApproximateReceiveCount`.
///
/// The group the oracle must expect: the documented one, or (not strict)
/// the one the project reads today.
pub fn message_group<'a>(doc: &Doc, record: &'a J) -> Option<&'a str> {
    let documented = event::message_group(doc, record);
    if strict() {
        return documented;
    }
    let today = usable_members(record, "MessageGroupId").find_map(|value| doc.text(value));
    if today != documented {
        stats::count("known divergence 1: MessageGroupId");
    }
    today
}

/// See [`message_group`]: the receive count the oracle must expect.
pub fn receive_count(doc: &Doc, record: &J) -> Option<u32> {
    let documented = event::receive_count(doc, record);
    if strict() {
        return documented;
    }
    let today = usable_members(record, "ApproximateReceiveCount")
        .find_map(|value| doc.text(value).and_then(|text| text.parse::<u32>().ok()));
    if today != documented {
        stats::count("known divergence 1: ApproximateReceiveCount");
    }
    today
}

/// The members named `key` of the record's first `attributes`.
fn usable_members<'a>(record: &'a J, key: &'a str) -> impl Iterator<Item = &'a J> + 'a {
    record
        .first("attributes")
        .and_then(J::members)
        .into_iter()
        .flatten()
        .filter(move |(k, _)| k == key)
        .map(|(_, v)| v)
}
