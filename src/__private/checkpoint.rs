//! The schedule of a `#[checkpoint]` loop's reverse sweep: binomial
//! checkpointing (Griewank's revolve). The generated code stores the loop's
//! carried state in at most `K` slots and asks this schedule, one action at a
//! time, what to do next; the schedule decides which trips to recompute. It
//! knows nothing of the state itself, so the macro only prints the four
//! actions' bodies.
//!
//! With `s` slots and `r` repetitions (no trip recomputed more than `r`
//! times) one can reverse `β(s, r) = C(s + r, s)` trips; reversing `l` trips
//! with the smallest such `r` costs `r·l − β(s + 1, r − 1)` recomputed trips,
//! which is optimal (Griewank & Walther, *Algorithm 799: revolve*, 2000).

/// What the generated code does next.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Act {
    /// Copy the current state into slot `.0` (slots are filled in order).
    Store(usize),
    /// Make slot `.0`'s state the current one.
    Restore(usize),
    /// Run trips `from..to` primal-only: the current state goes from the
    /// state before trip `from` to the state before trip `to`.
    Advance(usize, usize),
    /// Run trip `.0` from the current state (the state before it) with the
    /// full forward sweep, then its reverse. Trips come in reverse order,
    /// each once. The current state is still the state before the trip.
    Reverse(usize),
}

/// `Reverse trips start..start+len, whose starting state is in `slot`,
/// using slots slot..slot+s`.
#[derive(Clone, Copy)]
struct Task {
    start: usize,
    len: usize,
    slot: usize,
    s: usize,
}

pub struct Revolve {
    tasks: Vec<Task>,
    /// Actions already decided, taken from the back.
    pending: Vec<Act>,
    /// The trip the current state precedes, when known.
    cur: Option<usize>,
}

impl Revolve {
    /// The schedule for reversing `n` trips with `k ≥ 1` slots; slot 0
    /// holds the state before trip 0 when it starts (the current state is
    /// taken as unknown: the first action restores it).
    pub fn new(n: usize, k: usize) -> Self {
        let k = k.max(1);
        Revolve { tasks: vec![Task { start: 0, len: n, slot: 0, s: k }], pending: Vec::new(), cur: None }
    }

    /// For a forward sweep that knows `n` before it runs the trips: the
    /// trips before which the schedule's opening (its actions up to the first
    /// `Reverse`) stores the state, in the order of its `Store`s (slots 1,
    /// 2, …), then the first reversed trip (`n − 1`, whose state the reverse
    /// sweep starts from). A forward sweep that keeps these states saves the
    /// reverse sweep the opening's recomputation, about n trips.
    pub fn opening(n: usize, k: usize) -> Vec<usize> {
        let (mut sched, mut out, mut cur) = (Revolve::new(n, k), Vec::new(), 0);
        while let Some(a) = sched.next() {
            match a {
                Act::Restore(_) => {}
                Act::Advance(_, to) => cur = to,
                Act::Store(_) => out.push(cur),
                Act::Reverse(t) => {
                    out.push(t);
                    break;
                }
            }
        }
        out
    }

    /// The next action, `None` once every trip was reversed.
    #[allow(clippy::should_implement_trait)]
    #[inline]
    pub fn next(&mut self) -> Option<Act> {
        loop {
            if let Some(a) = self.pending.pop() {
                self.cur = match a {
                    Act::Store(_) => self.cur,
                    Act::Advance(_, to) => Some(to),
                    Act::Reverse(t) => Some(t),
                    Act::Restore(_) => unreachable!("restores are returned at once"),
                };
                return Some(a);
            }
            let Task { start, len, slot, s } = self.tasks.pop()?;
            if len == 0 {
                continue;
            }
            if self.cur != Some(start) {
                // The pending list is empty: restore first, then come back.
                self.tasks.push(Task { start, len, slot, s });
                self.cur = Some(start);
                return Some(Act::Restore(slot));
            }
            if len == 1 {
                self.pending.push(Act::Reverse(start));
                continue;
            }
            // Pushed in reverse order of execution.
            let l1 = if s <= 1 { len - 1 } else { split(len, s) };
            let m = start + l1;
            self.tasks.push(Task { start, len: l1, slot, s });
            if s <= 1 || len - l1 == 1 {
                // One trip after `m`: taped straight from the current state.
                self.tasks.push(Task { start: m, len: len - l1, slot, s });
                self.pending.push(Act::Advance(start, m));
            } else {
                self.tasks.push(Task { start: m, len: len - l1, slot: slot + 1, s: s - 1 });
                self.pending.push(Act::Store(slot + 1));
                self.pending.push(Act::Advance(start, m));
            }
        }
    }
}

/// `C(s + r, s)`, saturating.
fn beta(s: usize, r: usize) -> usize {
    let mut b: u128 = 1;
    // C(s+r, r) built up as Π (s + i) / i, exact at every step.
    for i in 1..=r as u128 {
        b = b * (s as u128 + i) / i;
        if b > usize::MAX as u128 {
            return usize::MAX;
        }
    }
    b as usize
}

/// Where to place the next checkpoint when reversing `len ≥ 2` trips with
/// `s ≥ 2` slots: `l1` trips before it, reversed later with `s` slots and
/// one repetition less; the `len − l1` after it with `s − 1` slots. The
/// earliest place that keeps the optimal cost: the second part must fit
/// `s − 1` slots (`len − l1 ≤ β(s − 1, r)`), and a first part shorter than
/// `β(s, r − 2)` would leave its repetitions unused (checked against the
/// dynamic-programming optimum for small cases).
fn split(len: usize, s: usize) -> usize {
    let mut r = 1;
    while beta(s, r) < len {
        r += 1;
    }
    let early = if r >= 2 { beta(s, r - 2) } else { 0 };
    early.max(len.saturating_sub(beta(s - 1, r))).clamp(1, len - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a schedule on a fake state (the trip it precedes), checking each
    /// action; returns (recomputed trips, slots used).
    fn run(n: usize, k: usize) -> (usize, usize) {
        let mut sched = Revolve::new(n, k);
        let mut slots: Vec<Option<usize>> = vec![Some(0)];
        let mut cur: Option<usize> = None;
        let mut next_rev = n;
        let mut advanced = 0;
        while let Some(a) = sched.next() {
            match a {
                Act::Store(i) => {
                    assert!(i < k, "slot {i} of {k}");
                    assert!(i <= slots.len());
                    if i == slots.len() {
                        slots.push(None);
                    }
                    slots[i] = Some(cur.expect("store of an unknown state"));
                }
                Act::Restore(i) => cur = Some(slots[i].expect("restore of an empty slot")),
                Act::Advance(from, to) => {
                    assert_eq!(cur, Some(from));
                    assert!(from < to && to < next_rev, "advance {from}..{to} past {next_rev}");
                    advanced += to - from;
                    cur = Some(to);
                }
                Act::Reverse(t) => {
                    assert_eq!(cur, Some(t));
                    assert_eq!(t + 1, next_rev, "trips reversed out of order");
                    next_rev = t;
                }
            }
        }
        assert_eq!(next_rev, 0, "n = {n}, k = {k}: not every trip reversed");
        (advanced, slots.len())
    }

    /// Griewank's minimal number of recomputed trips.
    fn bound(n: usize, s: usize) -> usize {
        if n <= 1 {
            return 0;
        }
        let mut r = 0;
        while beta(s, r) < n {
            r += 1;
        }
        r * n - beta(s + 1, r - 1)
    }

    #[test]
    fn every_trip_once_in_reverse_within_slots() {
        for k in 1..=6 {
            for n in 0..200 {
                let (adv, used) = run(n, k);
                assert!(used <= k);
                assert!(adv <= bound(n, k), "n = {n}, k = {k}: {adv} recomputed trips, bound {}", bound(n, k));
            }
        }
    }

    #[test]
    fn meets_the_revolve_bound_for_large_n() {
        for &(n, k) in &[(1000, 3), (4097, 8), (65535, 16), (2_000_000, 32)] {
            let (adv, used) = run(n, k);
            assert!(used <= k);
            assert!(adv <= bound(n, k), "n = {n}, k = {k}: {adv} recomputed trips, bound {}", bound(n, k));
        }
        // 2·10⁶ trips in 32 slots: each trip recomputed under 6 times.
        let (adv, _) = run(2_000_000, 32);
        assert!(adv < 6 * 2_000_000);
    }

    /// The opening's stores fill slots 1, 2, … in order at rising trips,
    /// and the schedule then needs no state the opening did not store.
    #[test]
    fn opening_stores_in_slot_order() {
        for k in 1..=5 {
            for n in 0..120 {
                let open = Revolve::opening(n, k);
                assert_eq!(open.len() >= 1, n >= 1);
                if n == 0 {
                    continue;
                }
                assert_eq!(*open.last().unwrap(), n - 1);
                assert!(open.windows(2).all(|w| w[0] < w[1]));
                let mut sched = Revolve::new(n, k);
                let mut slot = 1;
                loop {
                    match sched.next().unwrap() {
                        Act::Store(i) => {
                            assert_eq!(i, slot);
                            slot += 1;
                        }
                        Act::Reverse(t) => {
                            assert_eq!(t, n - 1);
                            break;
                        }
                        _ => {}
                    }
                }
                assert_eq!(slot, open.len(), "n = {n}, k = {k}");
            }
        }
    }

    #[test]
    fn enough_slots_store_every_state() {
        let (adv, used) = run(10, 10);
        assert_eq!(adv, 9);
        assert_eq!(used, 9);
    }

    #[test]
    fn binomial() {
        assert_eq!(beta(3, 2), 10);
        assert_eq!(beta(32, 6), 2_760_681);
        assert_eq!(beta(1, 5), 6);
        assert_eq!(beta(0, 5), 1);
    }
}
