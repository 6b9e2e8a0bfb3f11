//! Tests of the crew: grouped wake-ups, stuck runners, lingering.

#![allow(clippy::expect_used, clippy::panic, reason = "a test fails loudly on what it does not expect")]

use super::*;
use crate::parallel::Parallel;
use futures_util::stream::{FuturesUnordered, StreamExt};

/// Runs `work` for each of `jobs`, `in_flight` at a time, within one
/// crew, like the engine; returns the values in the order they came.
async fn run_all<T: Send + 'static>(jobs: Vec<Box<dyn FnOnce() -> T + Send>>, in_flight: usize) -> Vec<T> {
    static ALWAYS: Parallel = Parallel::always();
    scope(async {
        let mut jobs = jobs.into_iter();
        let mut running = FuturesUnordered::new();
        let mut values = Vec::new();
        loop {
            while running.len() < in_flight {
                let Some(job) = jobs.next() else { break };
                running.push(ALWAYS.run(job));
            }
            let Some(value) = running.next().await else { break };
            values.push(value);
        }
        values
    })
    .await
}

fn spin(duration: Duration) {
    let start = Instant::now();
    while start.elapsed() < duration {
        std::hint::spin_loop();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_record_hears_of_its_work_even_when_wake_ups_are_grouped() {
    let jobs = (0..500u32)
        .map(|i| {
            Box::new(move || {
                spin(Duration::from_micros(20));
                i
            }) as Box<dyn FnOnce() -> u32 + Send>
        })
        .collect();
    let done = tokio::time::timeout(Duration::from_secs(10), run_all(jobs, 32)).await;
    let mut values = done.expect("a record never heard that its work was done");
    values.sort_unstable();
    assert_eq!(values, (0..500).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wake_ups_relayed_through_a_record_that_gave_up_still_arrive() {
    // Every fourth record gives up while its work runs, so the waker its
    // job hands back is stale; a group of wake-ups led by such a waker
    // must still reach the records it relays to.
    static ALWAYS: Parallel = Parallel::always();
    let finished = scope(async {
        let mut running = FuturesUnordered::new();
        for i in 0..400u32 {
            running.push(async move {
                let gives_up = i % 4 == 0;
                let work = ALWAYS.run(move || spin(Duration::from_micros(if gives_up { 300 } else { 20 })));
                let limit = if gives_up { Duration::from_micros(50) } else { Duration::from_secs(60) };
                tokio::time::timeout(limit, work).await.is_ok()
            });
        }
        let mut finished = 0;
        while let Some(done) = running.next().await {
            finished += usize::from(done);
        }
        finished
    });
    let finished = tokio::time::timeout(Duration::from_secs(20), finished)
        .await
        .expect("a record never heard that its work was done: a relayed wake-up was lost");
    assert!(finished >= 300, "only {finished} of the 300 records that wait for their work finished");
}

/// A waker that remembers it was woken.
#[derive(Default)]
struct Flag(std::sync::atomic::AtomicBool);

impl std::task::Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_record_woken_first_is_gone_the_watch_wakes_the_relayed_ones() {
    let shared = scope(async { current().expect("a crew inside the scope") }).await;
    let relayed = Arc::new(Flag::default());
    // The first waker wakes nothing, as a record that gave up would not
    // wake; nothing else happens in the crew afterwards.
    shared.wake_group(shared.lock(), Waker::noop().clone(), vec![Waker::from(Arc::clone(&relayed))]);
    let start = Instant::now();
    while !relayed.0.load(Ordering::SeqCst) {
        assert!(
            start.elapsed() < STUCK_AFTER * 20,
            "a relayed wake-up was lost: the record woken first was gone and nobody woke the others"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_stuck_on_every_runner_do_not_hold_up_the_others() {
    let stuck = super::super::cores();
    let started = Instant::now();
    let jobs = (0..stuck + 20)
        .map(|i| {
            Box::new(move || {
                if i < stuck {
                    std::thread::sleep(Duration::from_secs(2));
                }
                (i, started.elapsed())
            }) as Box<dyn FnOnce() -> (usize, Duration) + Send>
        })
        .collect();
    let values = run_all(jobs, stuck + 20).await;
    let quick_done =
        values.iter().filter(|(i, _)| *i >= stuck).map(|(_, at)| *at).max().expect("quick records");
    assert!(
        quick_done < Duration::from_secs(1),
        "records queued behind {stuck} stuck ones finished only after {quick_done:?}: no runner replaced the stuck ones"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runners_end_once_the_queue_stays_empty() {
    static ALWAYS: Parallel = Parallel::always();
    let shared = scope(async {
        ALWAYS.run(|| ()).await;
        current().expect("a crew inside the scope")
    })
    .await;
    tokio::time::sleep(LINGER * 20).await;
    assert!(shared.lock().runners.is_empty(), "a runner outlived the work by more than its linger time");
}

#[test]
fn outside_the_engine_there_is_no_crew() {
    assert!(current().is_none());
}
