//! CPU-bound record work on every core, without giving up the ordering
//! rules.
//!
//! The engine runs the records of an invocation on one task: under
//! `concurrency = N` their futures take turns on one thread, which is what
//! I/O-bound records need and all a CPU-bound record function can use.
//! [`Parallel::run`] moves a record's work to other threads: within the
//! engine, to the invocation's crew (up to one runner per core, each a task
//! on tokio's blocking pool that takes work from one queue, in the order
//! the engine started the records: see `crew`), elsewhere to
//! `spawn_blocking`. So up to `concurrency` records compute at once, one per
//! core. The engine's scheduling does not change: it still decides which
//! record may start (FIFO message groups and stream keys one record at a
//! time, the stop rules, the deadline's cut-off), isolates panics (a panic
//! on a runner is resumed in the record's future, where the engine catches
//! it), and bounds each record by its timeout.
//!
//! Moving work to another thread costs a few microseconds, more than a
//! trivial record takes. [`Parallel`] therefore times the work it runs and
//! keeps a moving average: while records take less than
//! [`Parallel::OFFLOAD_ABOVE`], it runs them inline on the engine's task,
//! exactly as without `parallel`; once they take longer, it moves them to
//! the pool. Both paths run the same closure, once.
//!
//! With [`Parallel::engine_helps`] (`parallel = "engine_helps"`), the
//! engine's own thread runs queued work too, beside one runner fewer: no
//! third thread then takes turns on the cores, which makes light work
//! faster, at the price its documentation gives.
//!
//! `#[batch_handler(parallel)]` uses this for you; a hand-written
//! [`RecordHandler`](crate::RecordHandler) calls [`Parallel::run`] with the
//! values it took from the record, and sets its concurrency with
//! [`Limits::with_concurrency_per_core`](crate::Limits::with_concurrency_per_core).
//!
//! What a thread cannot do: a running closure cannot be stopped. A record
//! that runs past its record timeout, or is still running at the
//! invocation's abandon point, is reported failed (and so delivered again)
//! while its closure runs to its end on the worker, whose result is then
//! dropped. Its effects may therefore happen twice, as with any record that
//! fails after acting; make such records idempotent.

pub(crate) mod crew;
mod handoff;

use std::panic::resume_unwind;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Runs record work inline or on other threads, whichever is
/// faster for the work seen so far. One per record function (a `static`
/// works: [`Parallel::new`] is `const`).
///
/// ```
/// use lambda_batch::parallel::Parallel;
/// use lambda_batch::sqs::{Sqs, SqsRecord};
/// use lambda_batch::{Context, RecordHandler, RecordOutcome};
///
/// /// Hashes each body many times: CPU-bound work.
/// fn digest(body: String) -> u64 {
///     (0..10_000u64).fold(body.len() as u64, |h, i| h.rotate_left(5) ^ i.wrapping_mul(0x9e37_79b9))
/// }
///
/// static DIGESTS: Parallel = Parallel::new();
///
/// struct Digester;
///
/// impl RecordHandler<Sqs> for Digester {
///     async fn handle(&self, record: &SqsRecord<'_>, _cx: &Context) -> RecordOutcome {
///         // Take what the work needs out of the record: it may run on
///         // another thread, so it owns its data.
///         let Some(body) = record.body().map(str::to_owned) else {
///             return RecordOutcome::failure("the message has no body");
///         };
///         let digest = DIGESTS.run(move || digest(body)).await;
///         if digest == 0 { RecordOutcome::failure("empty digest") } else { RecordOutcome::Success }
///     }
/// }
/// # let _ = Digester;
/// ```
#[derive(Debug)]
pub struct Parallel {
    /// Moving average of the work's duration in nanoseconds;
    /// [`UNMEASURED`] before the first run.
    pace: AtomicU64,
    /// Inline runs so far, to time one in [`SAMPLE`].
    inline_runs: AtomicU32,
    /// Made by [`Parallel::always`]: never inline.
    always: bool,
    /// Set by [`Parallel::engine_helps`]: the engine's thread runs
    /// queued work too.
    engine_helps: bool,
}

/// No work measured yet.
const UNMEASURED: u64 = u64::MAX;

/// One inline run in this many is timed: reading the clock twice costs
/// about a tenth of a trivial record.
const SAMPLE: u32 = 8;

impl Default for Parallel {
    fn default() -> Self {
        Self::new()
    }
}

impl Parallel {
    /// Work that takes longer than this on average runs on other threads;
    /// shorter work runs inline, where it costs next to nothing more than
    /// without `Parallel`. The `parallel` benchmark measures the gain on
    /// either side of it: on 2 cores, ~1.8x for 20 µs records and
    /// ~1.95x for 200 µs ones, trivial records ~0.95x.
    pub const OFFLOAD_ABOVE: Duration = Duration::from_micros(10);

    /// Under [`Self::engine_helps`], the engine's thread runs queued work
    /// only while the work takes less than this on average (and once an
    /// average is known).
    pub const ENGINE_HELPS_BELOW: Duration = Duration::from_millis(1);

    /// Nothing measured yet: the first run is inline and sets the pace.
    pub const fn new() -> Self {
        Parallel {
            pace: AtomicU64::new(UNMEASURED),
            inline_runs: AtomicU32::new(0),
            always: false,
            engine_helps: false,
        }
    }

    /// Always runs work on other threads, never inline: for work known to be
    /// heavy, where the first records should not run inline while the pace
    /// is learnt.
    pub const fn always() -> Self {
        Parallel {
            pace: AtomicU64::new(UNMEASURED),
            inline_runs: AtomicU32::new(0),
            always: true,
            engine_helps: false,
        }
    }

    /// Lets the engine's own thread run queued work too, beside one runner
    /// fewer: on 2 cores, ~20 µs records then run ~1.9x as fast as
    /// without `Parallel` instead of ~1.8x, and a FIFO queue with 10
    /// groups ~1.85x instead of ~1.65x (the `parallel` benchmark), because
    /// no third thread takes turns on the two cores.
    ///
    /// The price: while the engine's thread runs a record's work, it does
    /// nothing else. A record whose work runs on and on there holds back
    /// the deadline guard and every record timeout until it returns, and a
    /// record that never returns holds the response until Lambda ends the
    /// invocation, which then delivers the whole batch again. The engine's
    /// thread therefore helps only while the work takes under
    /// [`Self::ENGINE_HELPS_BELOW`] on average (heavier work gains little
    /// from it), so the guard is late by about that much for work that
    /// behaves like its average. Without this option the guard and the
    /// timeouts act on every record, whatever its work does.
    pub const fn engine_helps(mut self) -> Self {
        self.engine_helps = true;
        self
    }

    /// Runs `work` and returns its result: inline, or on another thread so
    /// that other records' work runs on the other cores (the invocation's
    /// crew under the engine, tokio's blocking pool elsewhere). A record
    /// dropped before its work started (timed out, abandoned at the
    /// deadline) leaves the work unrun.
    ///
    /// A panic in `work` is resumed here, so the engine reports the record
    /// as panicked, as it would inline. Outside a tokio runtime `work` runs
    /// inline.
    ///
    /// # Panics
    ///
    /// Resumes `work`'s panic. Outside the engine, panics if the runtime
    /// shuts down before the pool ran `work` (a record then fails, so it is
    /// delivered again).
    #[allow(clippy::panic, reason = "a record whose work never ran must fail, not succeed")]
    pub async fn run<F, T>(&self, work: F) -> T
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        if !self.offloads() {
            return self.run_inline(work);
        }
        if let Some(crew) = crew::current() {
            let (job, handoff) = handoff::handoff(work);
            let helps = self.engine_helps && self.helps_now();
            crew.hand_over(job, helps);
            if helps {
                crew.help();
            }
            let relay = Relay(&crew);
            let (value, took) = handoff.await;
            drop(relay);
            self.learn(took);
            return value;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return self.run_inline(work) };
        let job = runtime.spawn_blocking(move || {
            let start = Instant::now();
            let value = work();
            (value, start.elapsed())
        });
        match job.await {
            Ok((value, took)) => {
                self.learn(took);
                value
            }
            Err(error) if error.is_panic() => resume_unwind(error.into_panic()),
            Err(_) => panic!(
                "the tokio runtime shut down before a worker ran this record's work; the record fails and \
                 will be delivered again"
            ),
        }
    }

    /// Runs `work` here, timing one run in [`SAMPLE`] (the first one
    /// always). A timed run slower than [`Self::OFFLOAD_ABOVE`] moves the
    /// pace there at once, so heavy work leaves the engine's thread after
    /// one record rather than after an average has caught up.
    fn run_inline<T>(&self, work: impl FnOnce() -> T) -> T {
        // A load and a store, not an atomic add: two records counting at
        // once may count one run, which sampling can afford.
        let runs = self.inline_runs.load(Ordering::Relaxed);
        self.inline_runs.store(runs.wrapping_add(1), Ordering::Relaxed);
        if !runs.is_multiple_of(SAMPLE) {
            return work();
        }
        let start = Instant::now();
        let value = work();
        let took = start.elapsed();
        if took > Self::OFFLOAD_ABOVE {
            let took = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX - 1);
            self.pace.store(took, Ordering::Relaxed);
        } else {
            self.learn(took);
        }
        value
    }

    /// `true` when the work seen so far is slow enough to be worth moving
    /// to another thread.
    pub fn offloads(&self) -> bool {
        let pace = self.pace.load(Ordering::Relaxed);
        self.always || (pace != UNMEASURED && pace > Self::OFFLOAD_ABOVE.as_nanos() as u64)
    }

    /// Under [`Self::engine_helps`]: `true` while the work's average is
    /// known and under [`Self::ENGINE_HELPS_BELOW`].
    fn helps_now(&self) -> bool {
        let pace = self.pace.load(Ordering::Relaxed);
        pace != UNMEASURED && pace < Self::ENGINE_HELPS_BELOW.as_nanos() as u64
    }

    /// Folds one run's duration into the moving average (weight 1/8: a
    /// change of pace shows within a few records). Concurrent updates may
    /// lose one sample, which an average can afford.
    fn learn(&self, took: Duration) {
        let took = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX - 1);
        let pace = match self.pace.load(Ordering::Relaxed) {
            UNMEASURED => took,
            pace => pace - pace / 8 + took / 8,
        };
        self.pace.store(pace, Ordering::Relaxed);
    }
}

/// Wakes the records whose wake-ups the crew relayed to the engine's
/// thread, when the record holding it returns or is dropped.
struct Relay<'a>(&'a std::sync::Arc<crew::Shared>);

impl Drop for Relay<'_> {
    fn drop(&mut self) {
        self.0.relay();
    }
}

/// Records in flight per core that `#[batch_handler(parallel)]` sets when
/// no `concurrency = N` is given. A deep queue keeps every core busy while
/// the engine settles finished records and hands over the next ones in
/// groups (see the crew's module); records not yet started when the
/// deadline's cut-off comes are reported failed and delivered again.
pub const IN_FLIGHT_PER_CORE: usize = 32;

/// How many threads this process may run at once (1 if unknown): what
/// [`Limits::with_concurrency_per_core`](crate::Limits::with_concurrency_per_core)
/// multiplies. Read once.
pub fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from))
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::panic, reason = "a test fails loudly on what it does not expect")]
mod tests {
    use super::*;

    fn spin(duration: Duration) -> u64 {
        let start = Instant::now();
        let mut turns = 0u64;
        while start.elapsed() < duration {
            turns = std::hint::black_box(turns + 1);
        }
        turns
    }

    #[tokio::test]
    async fn short_work_stays_inline_and_long_work_moves_to_the_pool() {
        let parallel = Parallel::new();
        assert!(!parallel.offloads(), "nothing measured yet");
        let here = std::thread::current().id();
        let ran_on = parallel.run(|| std::thread::current().id()).await;
        assert_eq!(ran_on, here, "the first run is inline");
        assert!(!parallel.offloads(), "trivial work stays inline");
        for _ in 0..SAMPLE {
            parallel.run(|| spin(Duration::from_micros(200))).await;
        }
        assert!(parallel.offloads(), "200 µs work moves to the pool once a timed run sees it");
        let ran_on = parallel.run(|| std::thread::current().id()).await;
        assert_ne!(ran_on, here, "it ran on a pool thread");
        for _ in 0..64 {
            parallel.run(|| ()).await;
        }
        assert!(!parallel.offloads(), "once work is trivial again it comes back inline");
    }

    #[tokio::test]
    async fn a_panic_on_a_worker_is_resumed_in_the_caller() {
        let parallel = Parallel::new();
        parallel.learn(Duration::from_millis(1));
        assert!(parallel.offloads());
        let future = std::panic::AssertUnwindSafe(parallel.run(|| -> u8 { panic!("worker boom") }));
        let payload = futures_util::FutureExt::catch_unwind(future).await.expect_err("the panic comes back");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"worker boom"));
    }

    #[test]
    fn outside_a_runtime_work_runs_inline() {
        let parallel = Parallel::new();
        parallel.learn(Duration::from_millis(1));
        let value = futures_util::FutureExt::now_or_never(parallel.run(|| 7)).expect("no await needed");
        assert_eq!(value, 7);
    }

    #[tokio::test]
    async fn always_never_runs_inline() {
        static ALWAYS: Parallel = Parallel::always();
        let here = std::thread::current().id();
        for _ in 0..3 {
            assert_ne!(ALWAYS.run(|| std::thread::current().id()).await, here);
        }
    }

    #[test]
    fn the_engine_helps_only_with_work_known_to_be_light() {
        let parallel = Parallel::new().engine_helps();
        assert!(!parallel.helps_now(), "nothing measured yet: the work may be heavy");
        parallel.learn(Duration::from_micros(300));
        assert!(parallel.helps_now(), "300 µs on average: under the bound");
        for _ in 0..64 {
            parallel.learn(Duration::from_millis(5));
        }
        assert!(!parallel.helps_now(), "5 ms on average: over the bound, the engine's thread stays free");
    }

    #[test]
    fn there_is_at_least_one_core() {
        assert!(cores() >= 1);
    }
}
