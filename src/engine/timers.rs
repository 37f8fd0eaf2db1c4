//! An account's person timers, bucketed by due time: most persons wake at the same instants
//! (interval and schedule boundaries), so a timer is a push onto its instant's bucket and
//! firing takes a whole bucket at once, instead of a binary-heap sift per timer. Timers fire
//! in (due, person) order, as the heap they replace did; a timer re-armed while a bucket fires
//! joins it in order if it is due no later.

use crate::time::Millis;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default)]
pub struct Timers {
    buckets: BTreeMap<Millis, Vec<u32>>,
    /// The bucket being fired, next one last: (due, person) in descending order.
    firing: Vec<(Millis, u32)>,
    /// Timers held (superseded ones included until they come due).
    len: usize,
}

impl Timers {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn push(&mut self, due: Millis, p: u32) {
        self.len += 1;
        match self.firing.first() {
            Some(&(d, _)) if due <= d => {
                let at = self.firing.partition_point(|&x| x > (due, p));
                self.firing.insert(at, (due, p));
            }
            _ => self.buckets.entry(due).or_default().push(p),
        }
    }

    /// The next timer due at or before `watermark`, removed.
    pub fn pop_due(&mut self, watermark: Millis) -> Option<(Millis, u32)> {
        if self.firing.is_empty() {
            let e = self.buckets.first_entry()?;
            if *e.key() > watermark {
                return None;
            }
            let (due, mut ps) = e.remove_entry();
            // (persons re-armed while a bucket fires arrive in order: often sorted already)
            if !ps.is_sorted() {
                ps.sort_unstable();
            }
            self.firing.extend(ps.iter().rev().map(|&p| (due, p)));
        }
        let next = self.firing.pop()?;
        if next.0 > watermark {
            // (only a timer re-armed into the firing bucket's past can be later: none is)
            self.firing.push(next);
            return None;
        }
        self.len -= 1;
        Some(next)
    }

    /// Rebuild from each person's pending timer (`Millis::MAX` = none), dropping superseded
    /// entries.
    pub fn rebuild(&mut self, timers: impl Iterator<Item = (usize, Millis)>) {
        self.buckets.clear();
        self.firing.clear();
        self.len = 0;
        for (p, due) in timers {
            if due != Millis::MAX {
                self.push(due, p as u32);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Timers;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    /// Same order as a binary heap of (due, person), pushes while firing included.
    #[test]
    fn fires_in_heap_order() {
        let mut seed = 7u64;
        let mut rnd = |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        for _ in 0..200 {
            let (mut t, mut h) = (Timers::default(), BinaryHeap::new());
            for _ in 0..rnd(40) {
                let (due, p) = (rnd(10) as i64 * 100, rnd(8) as u32);
                t.push(due, p);
                h.push(Reverse((due, p)));
            }
            let mut watermark = 0;
            while watermark < 1500 {
                loop {
                    let want = match h.peek() {
                        Some(&Reverse((d, p))) if d <= watermark => {
                            h.pop();
                            Some((d, p))
                        }
                        _ => None,
                    };
                    let got = t.pop_due(watermark);
                    assert_eq!(got, want);
                    let Some((d, _)) = got else { break };
                    // re-arm some, now or later, as a fired person does
                    if rnd(3) == 0 {
                        let (due, p) = (d + rnd(3) as i64 * 100, rnd(8) as u32);
                        t.push(due, p);
                        h.push(Reverse((due, p)));
                    }
                }
                assert_eq!(t.len(), h.len());
                watermark += rnd(300) as i64;
            }
        }
    }
}
