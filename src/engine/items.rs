//! Interval index of a person's injixo items, per identifier: which item covers an instant.
//!
//! The items of one identifier sit in a **treap ordered by (start, status name, status, item
//! id)** — the order in which a covering item wins — where every node also carries the latest
//! end in its subtree (an augmented search tree, the classic interval tree on a balanced BST).
//! "The best item covering instant t" is the rightmost item with `start <= t` whose end is
//! after `t`: one descent that skips every subtree whose latest end is not after `t`, O(log n)
//! expected. Adding an item or setting its end is O(log n) too. Item ends are kept by event id
//! in a hash map, so an end that arrives before its item is known when the item comes.
//!
//! Priorities come from a per-index random seed, so the tree's shape (never its answers)
//! cannot be steered by the input's order.

use crate::config::Rules;
use crate::decode::item_end_id;
use crate::time::Millis;
use ahash::AHashMap;
use std::cmp::Ordering;

const NIL: u32 = u32::MAX;

#[derive(Clone, Debug)]
struct Node {
    start: Millis,
    status: u32,
    id: u64,
    /// `Millis::MAX` while the item has no end.
    end: Millis,
    /// Latest `end` in this node's subtree.
    max_end: Millis,
    prio: u64,
    left: u32,
    right: u32,
}

/// The items of one identifier (see the module doc).
#[derive(Clone, Debug)]
pub struct Items {
    nodes: Vec<Node>,
    root: u32,
    /// Item end event id → node of its item.
    by_end: AHashMap<u64, u32>,
    /// Item end event id → end time, for every retained item end of the identifier.
    ends: AHashMap<u64, Millis>,
    seed: u64,
}

/// splitmix64: a well-mixed priority from the seed and a counter.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Items {
    pub fn new() -> Items {
        Items {
            nodes: Vec::new(),
            root: NIL,
            by_end: AHashMap::new(),
            ends: AHashMap::new(),
            seed: ahash::RandomState::new().hash_one(0x5eed_u64),
        }
    }

    fn cmp(&self, rules: &Rules, a: u32, b: u32) -> Ordering {
        let (x, y) = (&self.nodes[a as usize], &self.nodes[b as usize]);
        x.start.cmp(&y.start).then_with(|| {
            let name = |s: u32| &*rules.status(s).external;
            name(x.status)
                .cmp(name(y.status))
                .then(x.status.cmp(&y.status))
                .then(x.id.cmp(&y.id))
        })
    }

    fn max_end(&self, n: u32) -> Millis {
        if n == NIL {
            Millis::MIN
        } else {
            self.nodes[n as usize].max_end
        }
    }

    fn pull(&mut self, n: u32) {
        let node = &self.nodes[n as usize];
        let m = node
            .end
            .max(self.max_end(node.left))
            .max(self.max_end(node.right));
        self.nodes[n as usize].max_end = m;
    }

    fn rotate_right(&mut self, n: u32) -> u32 {
        let l = self.nodes[n as usize].left;
        self.nodes[n as usize].left = self.nodes[l as usize].right;
        self.nodes[l as usize].right = n;
        self.pull(n);
        self.pull(l);
        l
    }

    fn rotate_left(&mut self, n: u32) -> u32 {
        let r = self.nodes[n as usize].right;
        self.nodes[n as usize].right = self.nodes[r as usize].left;
        self.nodes[r as usize].left = n;
        self.pull(n);
        self.pull(r);
        r
    }

    fn insert_at(&mut self, rules: &Rules, t: u32, n: u32) -> u32 {
        if t == NIL {
            return n;
        }
        let mut t = t;
        if self.cmp(rules, n, t) == Ordering::Less {
            let l = self.insert_at(rules, self.nodes[t as usize].left, n);
            self.nodes[t as usize].left = l;
            if self.nodes[l as usize].prio > self.nodes[t as usize].prio {
                t = self.rotate_right(t);
            }
        } else {
            let r = self.insert_at(rules, self.nodes[t as usize].right, n);
            self.nodes[t as usize].right = r;
            if self.nodes[r as usize].prio > self.nodes[t as usize].prio {
                t = self.rotate_left(t);
            }
        }
        self.pull(t);
        t
    }

    /// Add an item (an injixo item start); its end is the one already known, if any. Returns
    /// that end (`Millis::MAX` when open).
    pub fn add_item(&mut self, rules: &Rules, start: Millis, status: u32, id: u64) -> Millis {
        let end_id = item_end_id(id);
        let end = self.ends.get(&end_id).copied().unwrap_or(Millis::MAX);
        let n = self.nodes.len() as u32;
        self.nodes.push(Node {
            start,
            status,
            id,
            end,
            max_end: end,
            prio: mix(self.seed ^ u64::from(n)),
            left: NIL,
            right: NIL,
        });
        self.root = self.insert_at(rules, self.root, n);
        self.by_end.insert(end_id, n);
        end
    }

    /// Record an item end (new or moved). Returns the previous end of its item when the item
    /// is known (`Millis::MAX` if it had none), `None` when the item is not retained.
    pub fn set_end(&mut self, rules: &Rules, end_id: u64, t: Millis) -> Option<Millis> {
        self.ends.insert(end_id, t);
        let n = *self.by_end.get(&end_id)?;
        let old = self.nodes[n as usize].end;
        self.nodes[n as usize].end = t;
        self.repull(rules, self.root, n);
        Some(old)
    }

    /// Recompute `max_end` along the search path from `t` down to node `n`.
    fn repull(&mut self, rules: &Rules, t: u32, n: u32) {
        if t == NIL {
            return;
        }
        if t != n {
            let next = match self.cmp(rules, n, t) {
                Ordering::Less => self.nodes[t as usize].left,
                _ => self.nodes[t as usize].right,
            };
            self.repull(rules, next, n);
        }
        self.pull(t);
    }

    /// Status of the best item covering instant `t` (latest start, then status name, status
    /// and id), not counting the item that ends with event id `end_id`; `None` when no item
    /// covers `t`.
    pub fn best(&self, t: Millis, end_id: u64) -> Option<u32> {
        self.best_in(self.root, t, end_id)
            .map(|n| self.nodes[n as usize].status)
    }

    fn best_in(&self, n: u32, t: Millis, end_id: u64) -> Option<u32> {
        if n == NIL || self.max_end(n) <= t {
            return None;
        }
        let node = &self.nodes[n as usize];
        if node.start > t {
            return self.best_in(node.left, t, end_id);
        }
        if let Some(hit) = self.best_in(node.right, t, end_id) {
            return Some(hit);
        }
        if node.end > t && item_end_id(node.id) != end_id {
            return Some(n);
        }
        self.best_in(node.left, t, end_id)
    }
}

impl Items {
    /// The index of identifier `ident` over a timeline: O(n log n) in its entries.
    pub fn build(timeline: &[super::timeline::Entry], rules: &Rules, ident: u32) -> Items {
        use crate::decode::EventKind;
        let mut items = Items::new();
        let mine = || timeline.iter().filter(|x| x.ident() == ident);
        for x in mine().filter(|x| x.kind() == EventKind::ItemEnd) {
            items.ends.insert(x.event_id, x.t);
        }
        for x in mine().filter(|x| x.kind() == EventKind::ItemStart) {
            items.add_item(rules, x.t, x.status, x.event_id);
        }
        items
    }
}
