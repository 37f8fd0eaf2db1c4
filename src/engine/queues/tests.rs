use super::*;

fn contact<'a>(qid: &'a str, ch: &'a str, time: Millis) -> ContactIn<'a> {
    ContactIn {
        integration: 0,
        queue_id: qid,
        queue_name: "Q",
        channel: ch,
        time,
        offered: true,
        handled: true,
        duration_ms: 1000,
    }
}

const H: Millis = 3_600_000;

#[test]
fn queues_and_channels_are_capped() {
    let mut q = Queues::default();
    assert!(q.count(&contact("a", "calls", 0), 2, 2).is_ok());
    assert!(q.count(&contact("b", "chat", 0), 2, 2).is_ok());
    let e = q.count(&contact("c", "calls", 0), 2, 2).unwrap_err();
    assert_eq!(e.reason, Reason::QueuesFull);
    let e = q.count(&contact("a", "email", 0), 2, 2).unwrap_err();
    assert_eq!(e.reason, Reason::QueuesFull);
    // known queue and channel still count
    assert!(q.count(&contact("b", "calls", 0), 2, 2).is_ok());
    assert_eq!(q.len(), 2);
}

#[test]
fn flush_publishes_each_interval_once_and_revises_on_change() {
    let grid = Grid::utc(60);
    let mut q = Queues::default();
    for m in [0, 20, 40] {
        q.count(&contact("a", "calls", 10 * H + m * 60_000), 10, 10)
            .unwrap();
    }
    let mut got = Vec::new();
    q.flush(&grid, 11 * H - 1, |_| false, |_, iv| got.push(iv.clone()));
    assert!(got.is_empty(), "the interval is not over");
    q.flush(&grid, 11 * H, |_| false, |_, iv| got.push(iv.clone()));
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].start, got[0].end, got[0].revision),
        (10 * H, 11 * H, 0)
    );
    assert_eq!(got[0].total.offered, 3);
    q.flush(&grid, 12 * H, |_| false, |_, iv| got.push(iv.clone()));
    assert_eq!(got.len(), 1, "nothing changed, nothing republished");
    q.count(&contact("a", "calls", 10 * H + 59 * 60_000), 10, 10)
        .unwrap();
    q.flush(&grid, 12 * H, |_| false, |_, iv| got.push(iv.clone()));
    assert_eq!(got.len(), 2);
    assert_eq!((got[1].revision, got[1].total.offered), (1, 4));
}

#[test]
fn prune_forgets_what_left_the_retention_and_empty_queues() {
    let grid = Grid::utc(15);
    let mut q = Queues::default();
    q.count(&contact("old", "calls", H), 10, 10).unwrap();
    q.count(&contact("new", "calls", 50 * H), 10, 10).unwrap();
    q.flush(&grid, 51 * H, |_| false, |_, _| {});
    q.prune(&grid, 2 * H, 51 * H);
    assert_eq!(q.len(), 1);
    assert_eq!(&*q.queue(0).id, "new");
    assert_eq!(q.slot_count(), 1);
    // the surviving queue keeps its identity: a new contact lands in it
    q.count(&contact("new", "calls", 50 * H + 1), 10, 10)
        .unwrap();
    assert_eq!(q.len(), 1);
}

#[test]
fn paused_integrations_are_held_until_resumed() {
    let grid = Grid::utc(15);
    let mut q = Queues::default();
    q.count(&contact("a", "calls", 0), 10, 10).unwrap();
    let mut n = 0;
    q.flush(&grid, H, |_| true, |_, _| n += 1);
    assert_eq!(n, 0);
    q.flush(&grid, H, |_| false, |_, _| n += 1);
    assert_eq!(n, 0, "held, not dirty");
    q.resume(|_| false);
    q.flush(&grid, H, |_| false, |_, _| n += 1);
    assert_eq!(n, 1);
}
