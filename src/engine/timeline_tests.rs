//! Oracle for the injixo item index: [`insert`] (interval index on long timelines) against the
//! naive resolution it replaced (every end of the identifier re-swept on every item insert),
//! over random item sequences with overlaps, out-of-order arrival, duplicates and moved ends.

use super::*;
use crate::decode::{item_end_id, stable_hash};
use proptest::prelude::*;

/// The insert as it was before the item index: every item start or end re-resolves all ends
/// of its identifier from its instant on (O(n log n) per insert).
fn insert_naive(
    timeline: &mut Vec<Entry>,
    index: &mut TimelineIndex,
    rules: &Rules,
    e: Entry,
) -> Inserted {
    if e.event_id != 0 {
        if let Some(i) = index.find(timeline, e.event_id, e.ident()) {
            if e.kind() == EventKind::ItemEnd && timeline[i].t != e.t {
                let old = timeline.remove(i);
                let at = place(timeline, rules, &e);
                timeline.insert(at, e);
                index.set(&e);
                let from = resolve_item_ends(timeline, rules, e.ident(), old.t.min(e.t))
                    .map_or(old.t.min(e.t), |c| c.min(old.t).min(e.t));
                return Inserted::ChangedFrom(from);
            }
            return Inserted::Duplicate;
        }
    }
    if same_instant_duplicate(timeline, &e) {
        return Inserted::Duplicate;
    }
    let at = place(timeline, rules, &e);
    timeline.insert(at, e);
    index.set(&e);
    let mut from = e.t;
    if e.kind() != EventKind::Point {
        if let Some(c) = resolve_item_ends(timeline, rules, e.ident(), e.t) {
            from = from.min(c);
        }
    }
    Inserted::ChangedFrom(from)
}

/// One input: an injixo item of identifier 1 or 2 (start, optional end, activity), sent with
/// its end first or last; or an Odigo point event of identifier 3.
#[derive(Clone, Debug)]
enum Op {
    Item {
        ident: u32,
        start: i64,
        len: Option<i64>,
        activity: usize,
        end_first: bool,
    },
    Point {
        t: i64,
        status: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1..3u32, 0..60i64, prop::option::weighted(0.8, 1..25i64), 0..4usize, any::<bool>())
            .prop_map(|(ident, start, len, activity, end_first)| Op::Item {
                ident,
                start,
                len,
                activity,
                end_first,
            }),
        1 => (0..90i64, 0..2usize).prop_map(|(t, status)| Op::Point { t, status }),
    ]
}

struct Fixture {
    rules: Rules,
    activities: Vec<u32>,
    points: Vec<u32>,
}

fn fixture() -> Fixture {
    let mut rules = Rules::default();
    let injixo = rules.intern_integration("9100");
    let odigo = rules.intern_integration("8431");
    // Names chosen so that name order and index order disagree.
    let activities = ["Mails", "Calls", "Break", "Calls "]
        .iter()
        .map(|n| rules.intern_status(injixo, n, false))
        .collect();
    let points = [("READY", false), ("LOGOUT", true)]
        .iter()
        .map(|(n, off)| rules.intern_status(odigo, n, *off))
        .collect();
    Fixture {
        rules,
        activities,
        points,
    }
}

/// The entries an op delivers, as the decoder and `Account` make them.
fn entries(f: &Fixture, op: &Op) -> Vec<Entry> {
    const S: i64 = 1_000;
    match *op {
        Op::Item {
            ident,
            start,
            len,
            activity,
            end_first,
        } => {
            let t = start * S;
            let id = stable_hash(&[&ident.to_le_bytes(), &t.to_le_bytes(), &[activity as u8]]);
            let status = f.activities[activity];
            let mut v = vec![Entry::new(t, id, status, ident, EventKind::ItemStart)];
            if let Some(len) = len {
                let end = Entry::new(
                    t + len * S,
                    item_end_id(id),
                    NO_STATUS,
                    ident,
                    EventKind::ItemEnd,
                );
                if end_first {
                    v.insert(0, end);
                } else {
                    v.push(end);
                }
            }
            v
        }
        Op::Point { t, status } => vec![Entry::new(
            t * S + 500,
            0,
            f.points[status],
            3,
            EventKind::Point,
        )],
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// After every insert the timeline and the reported change equal the naive resolution's,
    /// and a full re-sweep of every identifier changes nothing.
    #[test]
    fn item_index_agrees_with_the_naive_resolution(ops in prop::collection::vec(op(), 0..160)) {
        let f = fixture();
        let (mut fast, mut fast_ix) = (Vec::new(), TimelineIndex::default());
        let (mut naive, mut naive_ix) = (Vec::new(), TimelineIndex::default());
        for op in &ops {
            for e in entries(&f, op) {
                let predicted = change_from(&fast, &mut fast_ix, &e);
                let a = insert(&mut fast, &mut fast_ix, &f.rules, e);
                if let Inserted::ChangedFrom(from) = a {
                    prop_assert_eq!(from, predicted, "change_from of {:?}", e);
                }
                let b = insert_naive(&mut naive, &mut naive_ix, &f.rules, e);
                prop_assert_eq!(a, b, "reported change of {:?}", e);
                prop_assert_eq!(&fast, &naive, "timeline after {:?}", e);
            }
        }
        let mut swept = fast.clone();
        for ident in 1..3 {
            prop_assert_eq!(resolve_item_ends(&mut swept, &f.rules, ident, Millis::MIN), None);
        }
        prop_assert_eq!(swept, fast);
    }
}

/// A long timeline goes through the index (not the sweep), and pruning-like invalidation
/// rebuilds it from the timeline with the same answers.
#[test]
fn the_index_is_used_on_long_timelines_and_rebuilt_after_invalidation() {
    let f = fixture();
    let (mut tl, mut ix) = (Vec::new(), TimelineIndex::default());
    for i in 0..100 {
        let op = Op::Item {
            ident: 1,
            start: i * 2,
            len: Some(3),
            activity: (i % 4) as usize,
            end_first: false,
        };
        for e in entries(&f, &op) {
            insert(&mut tl, &mut ix, &f.rules, e);
        }
    }
    assert!(ix.items(1).is_some(), "built once the timeline is long");
    // Each end at 2i+3 is covered by the item starting at 2i+2 (ends at 2i+5).
    let ends: Vec<_> = tl
        .iter()
        .filter(|x| x.kind() == EventKind::ItemEnd)
        .collect();
    assert_eq!(ends[0].status, f.activities[1]);
    assert_eq!(ends[ends.len() - 1].status, NO_STATUS);
    ix.invalidate();
    let late = Op::Item {
        ident: 1,
        start: 1,
        len: None,
        activity: 2,
        end_first: false,
    };
    let mut naive = tl.clone();
    let mut naive_ix = TimelineIndex::default();
    for e in entries(&f, &late) {
        insert(&mut tl, &mut ix, &f.rules, e);
        insert_naive(&mut naive, &mut naive_ix, &f.rules, e);
    }
    assert_eq!(tl, naive);
    let last = tl
        .iter()
        .rfind(|x| x.kind() == EventKind::ItemEnd)
        .map(|x| x.status);
    assert_eq!(
        last,
        Some(f.activities[2]),
        "the open item now covers the last end"
    );
}
