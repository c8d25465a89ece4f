//! gd's helper threads: where [`super::both`] sends its second half and
//! [`super::fan_out`] its later items (a sharded batch's shards, the halves
//! of a threaded product, map or optimizer step).
//!
//! Why not a rayon pool: its idle threads sleep on a futex after a few
//! microseconds of yielding, and waking one took ~40 µs on this project's
//! 2-core VM: `both` of two 50 µs halves took 93 µs after a 100 µs gap
//! (67 µs back to back; the pool's second thread also competed with the
//! caller for a core), against 50.2–50.6 µs with helpers. An MLP step threads
//! 3–4 such pieces (two products, a map, the optimizer's largest leaf),
//! and each paid the wake. A helper instead polls for [`SPIN`] after its
//! last job, yielding between polls (as OpenMP's and Eigen's pools spin
//! before they sleep), and the caller takes its half back if the helper
//! has not started it by the time its own half ends, so a parked helper
//! costs an `unpark`, never the wait. A caller waiting for a helper's half
//! spins only [`WAIT_SPIN`], then parks. Neither holds a CPU another of
//! gd's threads needs: Linux sometimes runs both on one CPU for a while,
//! and this VM sometimes gives its two vCPUs about one core's throughput
//! for seconds at a time ([`WAIT_SPIN`]).
//!
//! Helpers are started on demand ([`ensure`]: a budget of `n` threads wants
//! `n - 1`) and kept for the process. A helper's own pieces go to the other
//! helpers; with none idle, both halves run inline.

use std::any::Any;
use std::cell::UnsafeCell;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// How long a helper keeps polling for work after its last job before it
/// parks: longer than the serial stretches between the threaded pieces of a
/// training step (an MLP's elementwise rules, a batch's selection), short
/// enough that an idle process stops burning a core almost at once.
const SPIN: Duration = Duration::from_micros(500);

/// How long a caller spins for its helper's half before it parks. Short:
/// when this VM's two vCPUs get about one core between them (seen here for
/// up to tens of seconds: the MLP-784 loop at 1.5e-5 s a sample instead of
/// 6.2e-6, with caller and helper on different vCPUs and no migration), a
/// spinning caller takes the core from the helper it waits for. Parking,
/// not spinning on with a yield now and then: that variant put the peers
/// bench's MLP-784 loop in that slow state in 4 of 6 rounds (two runs of
/// `benches/peers/run.sh`), parking in none of 9; it costs a futex wake-up
/// when a shard is tiny (`cargo bench --bench threads -- overhead`, two
/// threads: 1.56 ms an epoch parking, 1.12 ms yielding).
const WAIT_SPIN: Duration = Duration::from_micros(20);

/// A job handed to a helper: its header, first in a `#[repr(C)]` frame on
/// the caller's stack, which the caller does not leave before `done`.
#[repr(C)]
struct Header {
    run: unsafe fn(*const Header),
    done: AtomicBool,
    /// The caller, unparked after `done` (it may have parked waiting).
    caller: Thread,
}

/// The caller's frame: the header, the closure, and where a panic in it goes.
#[repr(C)]
struct Job<F> {
    header: Header,
    f: UnsafeCell<Option<F>>,
    panic: UnsafeCell<Option<Box<dyn Any + Send>>>,
}

impl<F: FnOnce()> Job<F> {
    /// Run the closure once, keeping a panic for the caller.
    ///
    /// # Safety
    /// `h` is the header of a live `Job<F>` whose closure no one else runs.
    unsafe fn run(h: *const Header) {
        let job = unsafe { &*(h as *const Job<F>) };
        let f = unsafe { (*job.f.get()).take() }.expect("a job runs once");
        if let Err(p) = catch_unwind(AssertUnwindSafe(f)) {
            unsafe { *job.panic.get() = Some(p) };
        }
    }
}

/// One helper's mailbox, on cache lines of its own (a helper polls it).
#[repr(align(128))]
struct Slot {
    /// Claimed by a caller for one job, until it has run (so two callers
    /// never share a slot, and no job waits behind another).
    busy: AtomicBool,
    /// The job posted, null when none: the helper takes it with a swap, the
    /// caller takes it back with a compare-exchange, so exactly one runs it.
    job: AtomicPtr<Header>,
    /// Set by the helper before it parks; a caller that posts unparks it.
    parked: AtomicBool,
    thread: OnceLock<Thread>,
}

thread_local! {
    /// This thread's slot if it is a helper (it never posts to itself).
    static MY_SLOT: std::cell::Cell<usize> = const { std::cell::Cell::new(usize::MAX) };
}

/// At most this many helpers (a budget asking for more threads runs the
/// rest of its pieces inline).
const MAX_HELPERS: usize = 255;

static SLOTS: [Slot; MAX_HELPERS] = [const { Slot::new() }; MAX_HELPERS];

/// How many of `SLOTS` have a thread serving them (a prefix).
static STARTED: AtomicUsize = AtomicUsize::new(0);

impl Slot {
    const fn new() -> Self {
        Slot {
            busy: AtomicBool::new(false),
            job: AtomicPtr::new(ptr::null_mut()),
            parked: AtomicBool::new(false),
            thread: OnceLock::new(),
        }
    }
}

/// The helpers started so far.
fn slots() -> &'static [Slot] {
    &SLOTS[..STARTED.load(Ordering::Acquire)]
}

/// Start helpers until there are `n` (at most [`MAX_HELPERS`]); they are
/// kept for the process.
pub(super) fn ensure(n: usize) {
    let n = n.min(MAX_HELPERS);
    if STARTED.load(Ordering::Acquire) >= n {
        return;
    }
    static STARTING: Mutex<()> = Mutex::new(());
    let _one_at_a_time = STARTING.lock().unwrap_or_else(|e| e.into_inner());
    for i in STARTED.load(Ordering::Acquire)..n {
        let slot = &SLOTS[i];
        match std::thread::Builder::new().name(format!("gd-helper-{i}")).spawn(move || serve(i, slot)) {
            Ok(t) => {
                let _ = slot.thread.set(t.thread().clone());
                STARTED.store(i + 1, Ordering::Release);
            }
            // No thread: run inline what would have gone to it.
            Err(_) => return,
        }
    }
}

/// Whether this thread is one of the helpers.
pub(super) fn on_helper() -> bool {
    MY_SLOT.with(|s| s.get()) != usize::MAX
}

/// A helper's life: take jobs, poll for [`SPIN`] after each, then park.
fn serve(me: usize, slot: &'static Slot) {
    MY_SLOT.with(|s| s.set(me));
    let mut idle_since = Instant::now();
    let mut polls = 0u32;
    loop {
        // Read before swapping: a swap every poll would pull the slot's
        // line away from a caller about to post.
        let h = if slot.job.load(Ordering::Relaxed).is_null() { ptr::null_mut() } else { slot.job.swap(ptr::null_mut(), Ordering::Acquire) };
        if !h.is_null() {
            unsafe { ((*h).run)(h) };
            // Free for the next job before this one is marked done (busy
            // means posted or running), and nothing touches the header
            // after `done`: the caller's frame may be gone.
            slot.busy.store(false, Ordering::Release);
            let caller = unsafe { (*h).caller.clone() };
            unsafe { (*h).done.store(true, Ordering::Release) };
            // Cheap unless the caller is parked (then one futex wake); a
            // caller that is not keeps the token, and its next park
            // returns at once (parks allow spurious wake-ups).
            caller.unpark();
            idle_since = Instant::now();
            continue;
        }
        polls = polls.wrapping_add(1);
        // Reading the clock every poll would slow the poll itself.
        if polls % 8 != 0 || idle_since.elapsed() < SPIN {
            // Yield, not PAUSE: Linux sometimes leaves a helper on its
            // caller's CPU for tens of milliseconds while the other idles;
            // a yielding helper gives that CPU back at once (both pinned to
            // one CPU: the MLP-784 f32 loop 9.3e-6 s a sample, the serial
            // time, against 1.5e-5 polling on PAUSE).
            std::thread::yield_now();
            continue;
        }
        slot.parked.store(true, Ordering::SeqCst);
        // A job posted between the swap above and `parked` saw no parked
        // helper and sent no unpark: look once more before parking.
        if slot.job.load(Ordering::SeqCst).is_null() {
            std::thread::park();
        }
        slot.parked.store(false, Ordering::SeqCst);
        idle_since = Instant::now();
    }
}

/// `a` here and `b` on an idle helper, or here after `a` when none is idle
/// or the helper has not started it by then; a panic in either is raised
/// here once both have ended.
pub(super) fn both<A: FnOnce(), B: FnOnce() + Send>(a: A, b: B) {
    let me = MY_SLOT.with(|s| s.get());
    let free = |(i, s): &(usize, &Slot)| *i != me && s.busy.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed).is_ok();
    let Some((_, slot)) = slots().iter().enumerate().find(free) else {
        // Both here, `b` even when `a` panics, as when a helper runs it.
        let mine = catch_unwind(AssertUnwindSafe(a));
        b();
        return mine.unwrap_or_else(|p| resume_unwind(p));
    };
    let header = Header { run: Job::<B>::run, done: AtomicBool::new(false), caller: std::thread::current() };
    let job = Job { header, f: UnsafeCell::new(Some(b)), panic: UnsafeCell::new(None) };
    // From the whole frame (not its header field), so `run` may read it all.
    let h = &job as *const Job<B> as *const Header as *mut Header;
    slot.job.store(h, Ordering::SeqCst);
    if slot.parked.load(Ordering::SeqCst) {
        if let Some(t) = slot.thread.get() {
            t.unpark();
        }
    }
    let mine = catch_unwind(AssertUnwindSafe(a));
    if slot.job.compare_exchange(h, ptr::null_mut(), Ordering::AcqRel, Ordering::Acquire).is_ok() {
        // Not started: run it here, and free the slot ourselves.
        slot.busy.store(false, Ordering::Release);
        unsafe { Job::<B>::run(h) };
    } else {
        wait(&job.header.done);
    }
    if let Err(p) = mine {
        resume_unwind(p);
    }
    if let Some(p) = job.panic.into_inner() {
        resume_unwind(p);
    }
}

/// Wait for a helper's `done`: spin for [`WAIT_SPIN`] (the halves are
/// sized to end together), then park until the helper unparks this thread.
fn wait(done: &AtomicBool) {
    let start = Instant::now();
    let mut polls = 0u32;
    while !done.load(Ordering::Acquire) {
        polls = polls.wrapping_add(1);
        if polls % 64 != 0 || start.elapsed() < WAIT_SPIN {
            std::hint::spin_loop();
        } else {
            std::thread::park();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    fn name() -> String {
        std::thread::current().name().unwrap_or("").to_string()
    }

    /// Both halves run, each exactly once, from many callers at once (more
    /// callers than helpers: the rest run inline), nested ones included.
    #[test]
    fn every_half_runs_once_under_contention() {
        ensure(2);
        let sum = AtomicU64::new(0);
        std::thread::scope(|s| {
            for t in 0..4u64 {
                let sum = &sum;
                s.spawn(move || {
                    for i in 0..2000u64 {
                        both(
                            || {
                                sum.fetch_add(t * 10_000 + i, Ordering::Relaxed);
                            },
                            || {
                                both(
                                    || {
                                        sum.fetch_add(1, Ordering::Relaxed);
                                    },
                                    || {
                                        sum.fetch_add(2, Ordering::Relaxed);
                                    },
                                );
                            },
                        );
                    }
                });
            }
        });
        let want: u64 = (0..4u64).map(|t| (0..2000u64).map(|i| t * 10_000 + i + 3).sum::<u64>()).sum();
        assert_eq!(sum.into_inner(), want);
    }

    /// Where the second half ran, the first waiting (1 s at most) for it,
    /// so that a helper that took it cannot have it taken back.
    fn second_half_on() -> String {
        let (tx, rx) = std::sync::mpsc::channel();
        let mut on = String::new();
        both(
            || {
                let _ = rx.recv_timeout(Duration::from_secs(1));
            },
            || {
                on = name();
                tx.send(()).unwrap();
            },
        );
        on
    }

    /// With an idle helper the second half runs on it, a parked one (after
    /// its spin) woken by the caller. Other tests of this
    /// process may hold the helper: a few tries.
    #[test]
    fn the_second_half_goes_to_a_helper_parked_or_not() {
        ensure(1);
        for parked in [false, true] {
            let on_helper = (0..10).any(|_| {
                if parked {
                    std::thread::sleep(SPIN * 2);
                }
                second_half_on().starts_with("gd-helper-")
            });
            assert!(on_helper, "parked first: {parked}");
        }
    }

    /// A panic in either half reaches the caller, with its payload, after
    /// both halves have ended (on a helper or, with none idle, inline);
    /// the helpers keep serving.
    #[test]
    fn panics_reach_the_caller() {
        ensure(1);
        let msg = |r: std::thread::Result<()>| *r.unwrap_err().downcast::<&str>().unwrap();
        let b_done = AtomicBool::new(false);
        let r = catch_unwind(AssertUnwindSafe(|| {
            both(|| panic!("in a"), || {
                std::thread::sleep(Duration::from_millis(20));
                b_done.store(true, Ordering::SeqCst);
            })
        }));
        assert_eq!(msg(r), "in a");
        assert!(b_done.load(Ordering::SeqCst), "returned before b ended");
        let r = catch_unwind(AssertUnwindSafe(|| both(|| (), || panic!("in b"))));
        assert_eq!(msg(r), "in b");
        let mut ran = (false, false);
        both(|| ran.0 = true, || ran.1 = true);
        assert_eq!(ran, (true, true));
    }
}
