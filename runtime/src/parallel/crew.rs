//! The invocation's crew: the threads that run its records' work.
//!
//! Each invocation gets a crew of its own ([`scope`], entered by the
//! pipeline around the engine). Work handed to it waits in one queue, in
//! the order the engine started the records; up to one runner per core
//! takes it from there (one fewer when the engine's thread helps, see
//! [`Shared::help`]). A runner is a task on tokio's blocking pool that
//! runs jobs one after another; out of work, it looks for more for
//! [`SPIN`] (yielding its core, which the engine's thread, just woken to
//! hand over more, usually wants), then sleeps up to [`LINGER`], then
//! ends. So while records keep coming no thread is put to sleep and woken
//! per record, and the pool's threads are free again soon after the batch
//! is done. Being tokio
//! blocking tasks, runners also hold tokio's paused test clock while they
//! work, so a paused-clock test sees their work as taking no time, as it
//! sees inline work.
//!
//! What keeps the hand-off cheap:
//! - no thread per record: runners take the next job themselves;
//! - a sleeping runner is woken once, by the first job queued after it
//!   fell asleep, not by every job queued while it wakes up (a wake-up is
//!   a system call on the engine's thread);
//! - wake-ups in groups: while more jobs wait in the queue than runners are
//!   working, a finished record's waker is kept, and the kept ones are woken
//!   together when the queue runs low. The engine then settles several
//!   records and starts as many in one turn, while the runners still have a
//!   job each;
//! - one wake-up of the engine's thread per group: a runner wakes one
//!   record of the group and relays the others to the engine's thread,
//!   which wakes them as that record returns ([`Shared::wake_group`]).
//!   Woken one by one from the runner, each would be a system call after
//!   which the runner loses its core to the engine's thread, which settles
//!   that one record and sleeps again: on 2 cores that bounce cost ~760
//!   context switches per 1,000 records and held `parallel` at ~1.6x.
//!
//! A record that never returns holds its runner. A runner busy with one job
//! for longer than [`STUCK_AFTER`] is not counted as working, so a record
//! handed over, a job finishing, or the watch ([`Shared::watch`], every
//! half `STUCK_AFTER` while jobs wait) starts a runner in its place.
//! Wake-ups are never kept while a runner is stuck.

use std::collections::VecDeque;
use std::mem;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::Waker;
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use super::handoff::Job;

/// How long a runner waits for more work before it ends: longer than the
/// engine takes to settle a record and hand over the next.
const LINGER: Duration = Duration::from_millis(1);

/// How long a runner out of work keeps looking before it sleeps.
const SPIN: Duration = Duration::from_micros(50);

/// A runner busy with one job for this long is taken as stuck, and another
/// runner may start beside it.
const STUCK_AFTER: Duration = Duration::from_millis(20);

tokio::task_local! {
    /// The crew of the invocation being run on this task.
    static CREW: Crew;
}

/// Runs `future` (one invocation's records) with a crew of its own, made
/// on first use.
pub(crate) async fn scope<F: Future>(future: F) -> F::Output {
    CREW.scope(Crew::default(), future).await
}

/// The crew of the invocation run on this task; `None` outside the engine
/// or outside a tokio runtime.
pub(super) fn current() -> Option<Arc<Shared>> {
    CREW.try_with(|crew| crew.shared.get_or_init(Shared::new).clone()).ok().flatten()
}

/// One invocation's crew; nothing is allocated until work is handed over.
#[derive(Default)]
struct Crew {
    shared: OnceLock<Option<Arc<Shared>>>,
}

/// The queue and the runners, shared by the engine's task and the runners.
pub(super) struct Shared {
    runtime: tokio::runtime::Handle,
    /// What [`Runner::busy_since`] counts from.
    epoch: Instant,
    state: Mutex<State>,
    /// Jobs in the queue, readable without the lock.
    queued: AtomicUsize,
}

#[derive(Default)]
struct State {
    /// Jobs not yet taken, oldest first.
    queue: VecDeque<Job>,
    /// The runners alive.
    runners: Vec<Arc<Runner>>,
    /// Wakers of finished records, to be woken when the queue runs low.
    kept: Vec<Waker>,
    /// Wakers of finished records handed to the engine's thread: a group
    /// of wake-ups wakes one record from a runner and leaves the others
    /// here, for the engine's thread to wake ([`Shared::relay`]).
    relayed: Vec<Waker>,
    /// Runners asleep waiting for a job and not yet woken: each is woken
    /// once, by the first job queued after it fell asleep.
    asleep: Vec<Arc<Runner>>,
    /// The watch is on (see [`Shared::watch`]).
    watched: bool,
    /// The engine's thread runs queued work too (as of the last job
    /// handed over): one runner fewer.
    engine_helps: bool,
}

/// One runner's progress, read by whoever counts the working runners.
#[derive(Default)]
struct Runner {
    /// When the job it runs started, in microseconds from the crew's epoch
    /// plus one; 0 while it has no job.
    busy_since: AtomicU64,
    /// Its thread, known once it runs; woken by [`Runner::wake`].
    thread: OnceLock<Thread>,
}

impl Runner {
    /// Wakes the runner from [`Shared::sleep`].
    fn wake(&self) {
        if let Some(thread) = self.thread.get() {
            thread.unpark();
        }
    }
}

impl Shared {
    fn new() -> Option<Arc<Self>> {
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        Some(Arc::new(Shared {
            runtime,
            epoch: Instant::now(),
            state: Mutex::default(),
            queued: AtomicUsize::new(0),
        }))
    }

    /// Locks the state. No job runs under the lock, so a poisoned lock
    /// still holds a consistent state.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Microseconds since the epoch, plus one (0 means idle).
    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX - 1) + 1
    }

    /// Queues `job`: wakes a waiting runner, or starts one if fewer than
    /// one per core are working, and puts the watch on. `engine_helps`:
    /// the engine's thread runs queued work too (see [`Self::help`]), so
    /// one runner fewer is started.
    pub(super) fn hand_over(self: &Arc<Self>, job: Job, engine_helps: bool) {
        let mut state = self.lock();
        state.engine_helps = engine_helps;
        state.queue.push_back(job);
        self.queued.fetch_add(1, Ordering::Relaxed);
        let sleeper = state.asleep.pop();
        let runner = if sleeper.is_some() { None } else { self.top_up(&mut state) };
        let watch = !mem::replace(&mut state.watched, true);
        drop(state);
        if let Some(sleeper) = sleeper {
            sleeper.wake();
        }
        if let Some(runner) = runner {
            self.spawn(runner);
        }
        if watch {
            self.start_watch();
        }
    }

    /// Starts the watch on tokio's blocking pool (the caller has set
    /// [`State::watched`]).
    fn start_watch(self: &Arc<Self>) {
        let shared = Arc::clone(self);
        drop(self.runtime.spawn_blocking(move || shared.watch()));
    }

    /// A new runner, counted in, if jobs wait and fewer than one per core
    /// are working; [`Self::spawn`] starts it.
    fn top_up(&self, state: &mut State) -> Option<Arc<Runner>> {
        let runners =
            if state.engine_helps { super::cores().saturating_sub(1).max(1) } else { super::cores() };
        (!state.queue.is_empty() && self.working(state) < runners).then(|| Self::add_runner(state))
    }

    /// The engine's thread helps: runs the oldest queued job here, if more
    /// jobs wait than runners are working (each working runner keeps one
    /// to take next, so the engine's thread does not take the work the
    /// runners would have done anyway and leave them idle), and fewer
    /// runners work than there are cores (a runner started while the work
    /// was too heavy for help may still be on: the engine's thread then
    /// stays out, so no more than one job per core runs at once).
    pub(super) fn help(self: &Arc<Self>) {
        let mut state = self.lock();
        let working = self.working(&state);
        if state.queue.len() <= working || working >= super::cores() {
            return;
        }
        let Some(job) = state.queue.pop_front() else { return };
        self.queued.fetch_sub(1, Ordering::Relaxed);
        drop(state);
        if let Some(waker) = job() {
            waker.wake();
        }
    }

    /// The watch: while jobs wait, looks every half [`STUCK_AFTER`] for
    /// runners stuck in a job and starts others in their place, and wakes
    /// the records whose wake-ups are still relayed. Without it, records
    /// queued behind records that never return would wait for them, when
    /// nothing else is handed over or finishes.
    fn watch(self: &Arc<Self>) {
        loop {
            std::thread::sleep(STUCK_AFTER / 2);
            let mut state = self.lock();
            let relayed = mem::take(&mut state.relayed);
            if state.queue.is_empty() {
                state.watched = false;
                drop(state);
                relayed.into_iter().for_each(Waker::wake);
                return;
            }
            let runner = self.top_up(&mut state);
            drop(state);
            relayed.into_iter().for_each(Waker::wake);
            if let Some(runner) = runner {
                self.spawn(runner);
            }
        }
    }

    /// Counts a new runner in; [`Self::spawn`] starts it.
    fn add_runner(state: &mut State) -> Arc<Runner> {
        let runner = Arc::new(Runner::default());
        state.runners.push(Arc::clone(&runner));
        runner
    }

    /// Starts `runner` on tokio's blocking pool. Detached: it ends by
    /// itself once the queue is empty.
    fn spawn(self: &Arc<Self>, runner: Arc<Runner>) {
        let shared = Arc::clone(self);
        drop(self.runtime.spawn_blocking(move || shared.serve(&runner)));
    }

    /// Runners alive and not stuck.
    fn working(&self, state: &State) -> usize {
        let stuck_since = self.now().saturating_sub(STUCK_AFTER.as_micros() as u64);
        state
            .runners
            .iter()
            .filter(|runner| {
                let since = runner.busy_since.load(Ordering::Relaxed);
                since == 0 || since > stuck_since
            })
            .count()
    }

    /// A runner: takes jobs until the queue has stayed empty for [`LINGER`].
    fn serve(self: &Arc<Self>, me: &Arc<Runner>) {
        let _ = me.thread.set(thread::current());
        while let Some(job) = self.next_job(me) {
            let waker = job();
            me.busy_since.store(0, Ordering::Relaxed);
            if let Some(waker) = waker {
                self.finished(waker);
            }
        }
    }

    /// The next job, marking `me` busy; waits up to [`LINGER`] for one
    /// (asleep, so that the engine's thread gets this core), and `None`
    /// once none came: `me` is then counted out.
    fn next_job(self: &Arc<Self>, me: &Arc<Runner>) -> Option<Job> {
        let mut state = self.lock();
        let mut waited = false;
        let mut spun = false;
        loop {
            if let Some(job) = state.queue.pop_front() {
                self.queued.fetch_sub(1, Ordering::Relaxed);
                me.busy_since.store(self.now(), Ordering::Relaxed);
                return Some(job);
            }
            let mut kept = mem::take(&mut state.kept);
            if waited {
                kept.append(&mut state.relayed);
                state.runners.retain(|runner| !Arc::ptr_eq(runner, me));
                drop(state);
                kept.into_iter().for_each(Waker::wake);
                return None;
            }
            if let Some(first) = kept.pop() {
                self.wake_group(state, first, kept);
                state = self.lock();
                continue;
            }
            if !spun {
                spun = true;
                drop(state);
                self.spin();
                state = self.lock();
                continue;
            }
            (state, waited) = self.sleep(me, state);
        }
    }

    /// Puts `me` to sleep until a job is queued (see [`Self::hand_over`])
    /// or [`LINGER`] has passed; returns the lock again and whether the
    /// time ran out. Whoever queues a job takes a sleeper off the list and
    /// wakes it, so one job wakes one runner, once.
    fn sleep<'a>(
        &'a self,
        me: &Arc<Runner>,
        mut state: MutexGuard<'a, State>,
    ) -> (MutexGuard<'a, State>, bool) {
        let until = Instant::now() + LINGER;
        state.asleep.push(Arc::clone(me));
        loop {
            drop(state);
            thread::park_timeout(until.saturating_duration_since(Instant::now()));
            state = self.lock();
            let Some(at) = state.asleep.iter().position(|runner| Arc::ptr_eq(runner, me)) else {
                return (state, false);
            };
            if Instant::now() >= until {
                state.asleep.swap_remove(at);
                return (state, true);
            }
        }
    }

    /// Waits a little for a job without sleeping (waking a sleeping
    /// thread costs more than a short record takes), yielding the core
    /// meanwhile: on 2 cores the thread that would queue the job is often
    /// waiting for one (FIFO with 10 groups went from ~1.56x to ~1.65x).
    fn spin(&self) {
        let start = Instant::now();
        while self.queued.load(Ordering::Relaxed) == 0 && start.elapsed() < SPIN {
            thread::yield_now();
        }
    }

    /// A record's work is done: wakes the record, now or with the next
    /// ones (while enough jobs wait to keep every runner busy), and starts
    /// a runner in place of a stuck one if jobs wait.
    fn finished(self: &Arc<Self>, waker: Waker) {
        let mut state = self.lock();
        let working = self.working(&state);
        if state.queue.len() > working && working == state.runners.len() {
            state.kept.push(waker);
            return;
        }
        let kept = mem::take(&mut state.kept);
        let runner = self.top_up(&mut state);
        self.wake_group(state, waker, kept);
        if let Some(runner) = runner {
            self.spawn(runner);
        }
    }

    /// Wakes `first` now and relays `rest` to the engine's thread, where
    /// the record woken first wakes them as it returns ([`Self::relay`]).
    /// Should `first` be gone (its record gave up while the work ran), the
    /// next record to return, a runner out of work or the watch (within
    /// half [`STUCK_AFTER`]) wakes them.
    fn wake_group(self: &Arc<Self>, mut state: MutexGuard<'_, State>, first: Waker, rest: Vec<Waker>) {
        state.relayed.extend(rest);
        let watch = !state.relayed.is_empty() && !mem::replace(&mut state.watched, true);
        drop(state);
        first.wake();
        if watch {
            self.start_watch();
        }
    }

    /// Wakes the records whose wake-ups were relayed to the engine's
    /// thread (see [`Self::wake_group`]). Called there, where waking a
    /// record costs no system call, as each handed-over record returns.
    pub(super) fn relay(&self) {
        let relayed = mem::take(&mut self.lock().relayed);
        relayed.into_iter().for_each(Waker::wake);
    }
}

#[cfg(test)]
mod tests;
