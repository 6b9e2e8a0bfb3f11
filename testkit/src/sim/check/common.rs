//! What the checks of every source share: failing with a message, order
//! per key, and effects at most once.

use std::collections::{HashMap, HashSet};

use proptest::test_runner::TestCaseError;

/// A failed check with this message.
pub(crate) fn fail(message: String) -> Result<(), TestCaseError> {
    Err(TestCaseError::fail(message))
}

/// Per key, the first successful handling of each item comes in the order
/// the items were sent. `sent` is `(key, id)` in send order; `handled` is
/// `(key, id)` in the order the function handled them successfully (the
/// function's own log, repeats allowed).
pub fn first_handlings_in_order(
    sent: &[(String, String)],
    handled: &[(String, String)],
) -> Result<(), TestCaseError> {
    let position: HashMap<(&str, &str), usize> =
        sent.iter().enumerate().map(|(i, (key, id))| ((key.as_str(), id.as_str()), i)).collect();
    let mut seen: HashSet<(&str, &str)> = HashSet::new();
    let mut last: HashMap<&str, (usize, &str)> = HashMap::new();
    for (key, id) in handled {
        let item = (key.as_str(), id.as_str());
        if !seen.insert(item) {
            continue;
        }
        let Some(&at) = position.get(&item) else {
            return fail(format!("{id} (key {key}) was handled but never sent"));
        };
        if let Some(&(before, before_id)) = last.get(key.as_str())
            && at < before
        {
            return fail(format!(
                "key {key}: {id} was first handled after {before_id}, which was sent after it"
            ));
        }
        last.insert(key, (at, id));
    }
    Ok(())
}

/// What to do about an effect that happened twice.
pub(crate) const MAKE_IDEMPOTENT: &str = "make the handler idempotent: claim the identifier before the effect, \
     in one atomic step (a conditional write, an insert that fails when the identifier is there), and skip \
     identifiers already claimed; a check followed later by a write lets two copies in flight at once both pass";

/// One item of a run, for [`effects_once`].
pub(crate) struct Delivered {
    /// Its identifier, as the effects name it.
    pub(crate) id: String,
    /// It was acknowledged (deleted, committed).
    pub(crate) acknowledged: bool,
    /// How many times it was delivered.
    pub(crate) deliveries: u32,
    /// Why it came back, in words ("" when not known).
    pub(crate) why: String,
    /// Deliveries in which the engine replayed it (handled earlier, not run).
    pub(crate) replayed: u32,
    /// Idempotency guarded it: some delivery was replayed, or not run
    /// because its key was in progress or had no claim.
    pub(crate) guarded: bool,
}

/// Why an effect repeats under `lambda_batch::idempotency`, and what to do.
pub(crate) const UNDER_IDEMPOTENCY: &str = "the key was not the same on every delivery (key on what stays the \
     same, such as the message id, never the receive count or a random value), the result was forgotten before \
     the item came back (`Idempotency::with_completed_expiry`), or a run's completion was never written (the \
     process stopped between the effect and the end of its batch, or the store lost the write) and a delivery \
     after its claim expired ran it again: no store closes that window, so make such an effect idempotent where \
     it lands (a conditional write, an idempotency key on the downstream call)";

/// What to do about an acknowledged item whose effect never happened
/// although the engine replayed it.
pub(crate) const COMPLETED_WITHOUT_EFFECT: &str = "its idempotency key was completed without its effect: \
     complete a key only once its effect is done, and give each effect its own key (items that share a key \
     share one effect)";

/// What to do about an acknowledged item whose effect never happened.
pub(crate) const ACKNOWLEDGED_WITHOUT_EFFECT: &str = "report an item failed until its effect is done, and \
     never mark it done before (a claim completed before the effect skips it on every later delivery)";

/// What to do about a batch that runs out of time on every retry.
pub(crate) const WATCH_THE_DEADLINE: &str = "the handler does not watch the deadline: stop starting records \
     shortly before `Context::deadline` and report the ones not done as failures (a deadline guard; \
     `#[batch_handler]` has one), or give each record a time limit";

/// Fails when an item never acknowledged came back only because its
/// invocations ran out of time: `(what, id, deliveries, out_of_time)`.
pub(crate) fn stuck_on_time(
    what: &str,
    id: &str,
    deliveries: u32,
    out_of_time: u32,
) -> Result<(), TestCaseError> {
    if deliveries >= 2 && out_of_time == deliveries {
        return fail(format!(
            "{what} {id} was delivered {deliveries} times and never got through: every invocation it was in ran \
             past the function timeout and was stopped; {WATCH_THE_DEADLINE}"
        ));
    }
    Ok(())
}

/// What to do about a record acknowledged without being processed.
pub(crate) const REPORT_OR_PARK: &str = "a record the handler does not process must be reported as failed (it \
     comes back), or parked with `RecordOutcome::poison` and a poison sink; acknowledging it any other way loses it";

/// The core of the `*_effects_exactly_once` checks: every effect belongs
/// to an item, none happened twice, and every acknowledged item's happened.
pub(crate) fn effects_once<'a>(
    what: &str,
    items: impl IntoIterator<Item = Delivered>,
    effects: &'a HashMap<String, u32>,
) -> Result<(), TestCaseError> {
    let mut known: HashSet<&'a str> = HashSet::new();
    for item in items {
        let done = effects.get(&item.id).copied().unwrap_or(0);
        if let Some((key, _)) = effects.get_key_value(&item.id) {
            known.insert(key);
        }
        if let Some(problem) = effect_problem(what, &item, done) {
            return fail(problem);
        }
    }
    match effects.keys().find(|id| !known.contains(id.as_str())) {
        Some(id) => fail(format!("an effect was recorded for {id}, which is no {what} of the run")),
        None => Ok(()),
    }
}

/// What is wrong with `item`'s effect, done `done` times, if anything.
fn effect_problem(what: &str, item: &Delivered, done: u32) -> Option<String> {
    let Delivered { id, acknowledged, deliveries, why, replayed, guarded } = item;
    let why = if why.is_empty() { String::new() } else { format!("; it came back because {why}") };
    let replays = if *replayed > 0 { format!(", replayed in {replayed}") } else { String::new() };
    if done > 1 {
        let fix = if *guarded {
            format!("idempotency guarded it, yet it ran again: {UNDER_IDEMPOTENCY}")
        } else {
            format!(
                "{MAKE_IDEMPOTENT}, or let `lambda_batch::idempotency` do it (if it is on already: {UNDER_IDEMPOTENCY})"
            )
        };
        return Some(format!(
            "{what} {id}: its effect happened {done} times ({deliveries} deliveries{replays}{why}): {fix}"
        ));
    }
    if *acknowledged && done == 0 {
        let fix = if *replayed > 0 { COMPLETED_WITHOUT_EFFECT } else { ACKNOWLEDGED_WITHOUT_EFFECT };
        return Some(format!(
            "{what} {id} was acknowledged ({deliveries} deliveries{replays}{why}) but its effect never \
             happened: {fix}"
        ));
    }
    None
}
