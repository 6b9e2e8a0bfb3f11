//! `RecordStatus::Replayed` where the testkit reads record statuses: the
//! timeline draws a replayed attempt in its own colour, with a legend
//! entry and hover text; the invariants of `check` count a replayed record
//! as handled.

use lambda_batch_testkit::prelude::{Batch, FaultPlan, SourceKind, check, run};
use lambda_batch_testkit::sim::{self, InvocationFaults, StoreFaults, lambda_function};
use lambda_batch_testkit::sqs::message;

use super::{Shop, charge, sqs_run};

#[test]
fn the_timeline_draws_a_replayed_attempt_with_its_legend_and_hover_text() {
    let shop = Shop::new(StoreFaults::none(), 3);
    let faults = InvocationFaults { lost_delete: 0.3, ..InvocationFaults::none() };
    let report = sqs_run(3, faults, &mut lambda_function(|event| charge(&shop, event)));
    let replays: u32 = report.messages.iter().map(|message| message.replayed).sum();
    assert!(replays > 0);
    let html = sim::timeline::html(&report, "replays");
    let words = "replayed: handled in an earlier delivery, not run again";
    assert!(html.contains(&format!(r#"<span class="k" style="background:#2b7bb9"></span>attempt, {words}"#)));
    let marks = html.matches(r##"fill="#2b7bb9"><title>invocation "##).count();
    assert_eq!(marks as u32, replays, "one replayed mark per replayed delivery");
    assert!(html.contains(&format!(": {words}; deleted")), "the hover text says what a replay is");
    assert!(html.contains(&format!(", {replays} deliveries replayed,")), "the header counts them");
}

#[test]
fn checks_count_a_replayed_record_as_handled() {
    // The same batch twice through one store: the second time every record
    // is replayed, acknowledged without running, and that is correct.
    let shop = Shop::new(StoreFaults::none(), 0);
    let batch = Batch::new(SourceKind::Sqs, vec![message("m-1", "a"), message("m-2", "b")]);
    let first = run(|event| charge(&shop, event), &batch, &FaultPlan::none());
    check(&first, charge::CONFIG).unwrap();
    let again = run(|event| charge(&shop, event), &batch, &FaultPlan::none());
    let statuses: Vec<_> = again.calls.iter().map(|call| call.status.clone()).collect();
    assert_eq!(
        statuses,
        [Some(lambda_batch::RecordStatus::Replayed), Some(lambda_batch::RecordStatus::Replayed)]
    );
    check(&again, charge::CONFIG).unwrap();
    assert_eq!(shop.charges.lock().unwrap().len(), 2);
}
