//! Memory per person for 100,000 persons, each with a day's schedule and a retained timeline
//! of a day's status changes: the engine's live heap bytes (counted by a wrapping global
//! allocator) after a simulated day has been applied and the input dropped.
//!
//! Then memory per queue interval (SPEC §10): a day of contact events (06:00–20:00 UTC) over
//! 1,000 queues and three channels, about ten contacts per queue and 15-minute interval, every
//! interval published; the engine's heap divided by the queue intervals held (counter slots),
//! measured with the resubmission digests (one per body, `limits.max_contact_bodies`) and
//! without them (`max_contact_bodies = 0`).
//!
//! Run: `cargo bench --bench memory` (about a minute). `RTA_MEM_PERSONS` overrides the count
//! of persons, a number argument (`cargo bench --bench memory -- 200`) the queues.
//! Resident memory of the whole process is measured separately with
//! `/usr/bin/time -f %M rta process …` (see README).

#[path = "support/mod.rs"]
mod support;

use rta::engine::{Engine, EngineOptions, Outputs};
use rta::simulate::{plan_day, SimOptions};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        LIVE.fetch_add(n as isize - l.size() as isize, Ordering::Relaxed);
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static A: Counting = Counting;

/// The engine heap after a day of contact events; (bytes, queue intervals held).
fn contact_day(bodies: &[Vec<u8>], remember_bodies: bool) -> (isize, usize) {
    let baseline = LIVE.load(Ordering::Relaxed);
    let mut opts = EngineOptions::default();
    if !remember_bodies {
        opts.limits.max_contact_bodies = 0;
    }
    let mut engine = support::contact_engine_with(opts);
    let mut out = Outputs::default();
    support::run_contacts(&mut engine, bodies, &mut out);
    drop(out);
    let live = LIVE.load(Ordering::Relaxed) - baseline;
    let slots = engine.account("acme").map_or(0, |a| a.queues.slot_count());
    (live, slots)
}

fn contacts(queues: usize) {
    // ten contacts per queue and 15-minute interval over 14 hours
    let intervals = 14 * 4;
    let n_bodies = queues * intervals;
    let (bodies, n) = support::contact_bodies(n_bodies, 10, queues, 0);
    let (with, slots) = contact_day(&bodies, true);
    let (without, _) = contact_day(&bodies, false);
    println!(
        "queues: {queues}; contacts fed: {n} in {n_bodies} bodies; queue intervals held: {slots}"
    );
    println!(
        "engine heap: {with} bytes = {:.0} bytes/queue interval; without resubmission digests: {:.0} bytes/queue interval; digests: {:.0} bytes/body",
        with as f64 / slots as f64,
        without as f64 / slots as f64,
        (with - without) as f64 / n_bodies as f64
    );
}

fn main() {
    // `cargo bench` adds `--bench`; a number is the queues of the contact part
    let queues = std::env::args()
        .skip(1)
        .find_map(|a| a.parse::<usize>().ok())
        .unwrap_or(1_000);
    if queues > 0 {
        contacts(queues);
    }
    let persons: usize = std::env::var("RTA_MEM_PERSONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let mut opts = SimOptions::new(persons, date, 3);
    opts.injixo_integration = None;
    let baseline = LIVE.load(Ordering::Relaxed);
    let mut engine = Engine::new(EngineOptions::default());
    let mut out = Outputs::default();
    let n_events;
    {
        let plan = plan_day(&opts);
        support::load_config(&mut engine, &plan.config);
        n_events = plan.events.len();
        for (i, t) in plan.events.iter().enumerate() {
            let e = &t.envelope;
            let origin = e.origin(i as i64);
            engine.on_event(&origin, e.header("rta-integration"), &mut out);
            out.clear();
        }
    }
    drop(out);
    let live = LIVE.load(Ordering::Relaxed) - baseline;
    let acct = engine.account("acme").expect("account");
    let tracked = acct.persons.len();
    let entries: usize = acct.persons.iter().map(|p| p.timeline.len()).sum();
    let segments: usize = acct.persons.iter().map(|p| p.schedule.len()).sum();
    println!(
        "persons: {tracked}; events fed: {n_events}; retained entries: {:.1}/person; segments: {:.1}/person",
        entries as f64 / tracked as f64,
        segments as f64 / tracked as f64
    );
    println!(
        "engine heap: {live} bytes = {:.0} bytes/person (goal ≤ 2048)",
        live as f64 / tracked as f64
    );
}
