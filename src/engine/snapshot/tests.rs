//! Restore equality over simulated days: engine A runs a day and collects its changelog per
//! batch; at pseudo-random cuts engine B gets the config, restores the compacted changelog
//! and runs the rest; B's outputs after the cut and its final state equal A's. Plus at-least-
//! once overlap, version and corruption handling.

use super::*;
use crate::cli::process::feed_envelope;
use crate::engine::snapshot::person::is_fresh;
use crate::engine::{EngineOptions, OutTopic, Output, Outputs};
use crate::envelope::Envelope;
use crate::simulate::{generate, SimOptions};
use std::collections::BTreeMap;

const BATCH: usize = 500;

type Log = BTreeMap<String, Option<Vec<u8>>>;
/// Output values per (topic, key).
type PerKey = BTreeMap<(u8, Option<String>), Vec<Option<Vec<u8>>>>;

fn day(persons: usize, seed: u64) -> Vec<Envelope> {
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("a date");
    generate(&SimOptions::new(persons, date, seed))
}

fn short_retention() -> EngineOptions {
    EngineOptions {
        retention: 4 * 3_600_000,
        prune_slack: 3_600_000,
        ..EngineOptions::default()
    }
}

/// Apply the log as log compaction keeps it (latest per key).
fn compact(log: &mut Log, cl: &Changelog) {
    for (k, v) in cl.iter() {
        log.insert(k.to_string(), v.map(<[u8]>::to_vec));
    }
}

/// What A did: outputs per input record (and the finish), and the compacted changelog at
/// every batch boundary that is a cut.
struct Run {
    outputs: Vec<Vec<Output>>,
    logs: BTreeMap<usize, Log>,
    engine: Engine,
    changelog_bytes: usize,
    changelog_records: usize,
}

fn run_a(input: &[Envelope], opts: &EngineOptions, cuts: &[usize]) -> Run {
    let mut a = Engine::new(opts.clone());
    let mut out = Outputs::default();
    let mut cl = Changelog::default();
    let mut log = Log::new();
    let mut run = Run {
        outputs: Vec::new(),
        logs: BTreeMap::new(),
        engine: Engine::new(opts.clone()),
        changelog_bytes: 0,
        changelog_records: 0,
    };
    for (i, env) in input.iter().enumerate() {
        if i % BATCH == 0 {
            cl.clear();
            a.collect_changelog(&mut cl);
            run.changelog_bytes += cl.bytes();
            run.changelog_records += cl.len();
            compact(&mut log, &cl);
            if cuts.contains(&i) {
                run.logs.insert(i, log.clone());
            }
        }
        feed_envelope(&mut a, env, i as i64, &mut out);
        run.outputs.push(out.to_vec());
        out.clear();
    }
    a.finish(None, &mut out);
    run.outputs.push(out.to_vec());
    run.engine = a;
    run
}

/// An engine that applied the config records of `input` (what materializing an account from
/// the config table does before a restore).
fn with_config(input: &[Envelope], opts: &EngineOptions) -> Engine {
    let mut e = Engine::new(opts.clone());
    let mut out = Outputs::default();
    for (i, env) in input.iter().enumerate() {
        if env.topic == crate::cli::process::CONFIG_TOPIC {
            feed_envelope(&mut e, env, i as i64, &mut out);
        }
    }
    e
}

/// B: the config records before the cut, the restored changelog, then the input from `from`.
fn run_b(
    input: &[Envelope],
    opts: &EngineOptions,
    cut: usize,
    log: &Log,
    from: usize,
) -> (Engine, Vec<Output>) {
    let mut b = with_config(&input[..cut], opts);
    let mut out = Outputs::default();
    out.clear();
    for (k, v) in log {
        b.restore(k.as_bytes(), v.as_deref())
            .expect("the record restores");
    }
    let bad = b.finish_restore();
    assert!(bad.is_empty(), "cut {cut}: {bad:?}");
    b.discard_changelog();
    for (i, env) in input.iter().enumerate().skip(from) {
        feed_envelope(&mut b, env, i as i64, &mut out);
    }
    b.finish(None, &mut out);
    (b, out.to_vec())
}

/// Outputs per (topic, key), in order: Kafka's order (persons restored in another order fire
/// their timers at the same instant in another order, each person's records in order).
fn per_key(outs: impl IntoIterator<Item = Output>) -> PerKey {
    let mut m: BTreeMap<_, Vec<_>> = BTreeMap::new();
    for o in outs {
        m.entry((o.topic as u8, o.key)).or_default().push(o.value);
    }
    m
}

fn state(e: &mut Engine) -> Log {
    let mut cl = Changelog::default();
    e.snapshot_all(&mut cl);
    let mut log = Log::new();
    compact(&mut log, &cl);
    // a tombstone is no record once compacted
    log.retain(|_, v| v.is_some());
    log
}

/// Pseudo-random batch boundaries (a fixed LCG), plus the very start (during the config).
fn cuts(n: usize, seed: u64, k: usize) -> Vec<usize> {
    let batches = n / BATCH;
    let mut x = seed;
    let mut v: Vec<usize> = (0..k)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((x >> 33) as usize % batches.max(1)) * BATCH
        })
        .collect();
    v.push(0);
    v.push(BATCH);
    v.sort_unstable();
    v.dedup();
    v
}

fn assert_restores(input: &[Envelope], opts: &EngineOptions, seed: u64) {
    let cuts = cuts(input.len(), seed, 5);
    let mut a = run_a(input, opts, &cuts);
    assert!(a.changelog_records > 0);
    let a_state = state(&mut a.engine);
    // every kind of record is restored: parked events of unmapped agents included
    for kind in ["/a", "/q", "/p/", "/h/", "/r/", "/k/"] {
        let mut keys = a.logs.values().chain([&a_state]).flat_map(|l| l.keys());
        assert!(keys.any(|k| k.contains(kind)), "a {kind} record");
    }
    for (&cut, log) in &a.logs {
        let (mut b, outs) = run_b(input, opts, cut, log, cut);
        let a_outs = a.outputs[cut..].iter().flatten().cloned();
        let (want, got) = (per_key(a_outs), per_key(outs));
        if want != got {
            let diff = want
                .iter()
                .find(|(k, v)| got.get(*k) != Some(*v))
                .map(|(k, v)| (k.clone(), v.len(), got.get(k).map(Vec::len)));
            panic!("cut {cut}: outputs differ, first at {diff:?}");
        }
        let b_state = state(&mut b);
        let differing: Vec<&String> = a_state
            .iter()
            .filter(|(k, v)| b_state.get(*k) != Some(*v))
            .map(|(k, _)| k)
            .collect();
        assert!(
            differing.is_empty(),
            "cut {cut}: final states differ at {differing:?}"
        );
        assert_eq!(a_state.len(), b_state.len(), "cut {cut}");
    }
}

#[test]
fn restored_engines_continue_like_the_original() {
    let input = day(300, 11);
    assert_restores(&input, &EngineOptions::default(), 1);
}

#[test]
fn restored_engines_continue_like_the_original_with_pruning() {
    let input = day(200, 5);
    let opts = short_retention();
    assert_restores(&input, &opts, 2);
    // the short retention pruned: some person's base moved forward
    let a = run_a(&input, &opts, &[]);
    let pruned = a
        .engine
        .accounts()
        .flat_map(|acct| acct.persons.iter())
        .any(|p| !p.pristine);
    assert!(pruned, "the short retention prunes");
}

#[test]
fn changelog_is_coalesced_and_only_touched_keys() {
    let input = day(50, 3);
    let mut e = Engine::new(EngineOptions::default());
    let mut out = Outputs::default();
    let mut cl = Changelog::default();
    for (i, env) in input.iter().enumerate().take(2 * BATCH) {
        feed_envelope(&mut e, env, i as i64, &mut out);
    }
    e.collect_changelog(&mut cl);
    let keys: Vec<&str> = cl.iter().map(|(k, _)| k).collect();
    let mut unique = keys.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(keys.len(), unique.len(), "one record per key");
    assert!(keys.contains(&"acme/a"));
    assert!(keys.iter().any(|k| k.starts_with("acme/p/")));
    // nothing touched since: nothing collected
    cl.clear();
    e.collect_changelog(&mut cl);
    assert!(cl.is_empty());
    // one event touches its person and the account clock, no one else
    let next = input
        .iter()
        .enumerate()
        .skip(2 * BATCH)
        .find(|(_, env)| env.topic == crate::cli::process::EVENTS_TOPIC)
        .map(|(i, _)| i)
        .expect("an event");
    feed_envelope(&mut e, &input[next], next as i64, &mut out);
    e.collect_changelog(&mut cl);
    assert!(cl.len() <= 4, "{} records for one event", cl.len());
    // timers alone (the clock moves an hour, intervals close) change no history: state
    // records only, and the resubmission digests of no hour
    cl.clear();
    let now = e.accounts().filter_map(|a| a.clock).max().expect("a clock");
    e.finish(Some(now + 3_600_000), &mut out);
    assert!(!out.is_empty(), "intervals closed");
    e.collect_changelog(&mut cl);
    let keys: Vec<&str> = cl.iter().map(|(k, _)| k).collect();
    assert!(keys.iter().any(|k| k.starts_with("acme/p/")), "{keys:?}");
    assert!(
        !keys
            .iter()
            .any(|k| k.starts_with("acme/h/") || k.starts_with("acme/r/")),
        "{keys:?}"
    );
}

#[test]
fn history_and_resubmissions_are_written_when_they_change() {
    // batches of 25 records over 100 persons: a person's events are mostly in batches of
    // their own, as at a real day's pace
    let input = day(100, 6);
    let count = |prefix: &str| {
        let mut cl = Changelog::default();
        let mut e = Engine::new(EngineOptions::default());
        let mut out = Outputs::default();
        let mut n = 0;
        for (i, env) in input.iter().enumerate() {
            if i % 25 == 0 {
                cl.clear();
                e.collect_changelog(&mut cl);
                n += cl.iter().filter(|(k, _)| k.starts_with(prefix)).count();
            }
            feed_envelope(&mut e, env, i as i64, &mut out);
        }
        n
    };
    let (states, histories, hours) = (count("acme/p/"), count("acme/h/"), count("acme/r/"));
    assert!(states > 0 && histories > 0 && hours > 0);
    // timers touch every online person each interval; only events and config change history
    assert!(
        histories * 4 < states * 3,
        "{histories} histories, {states} states"
    );
    // a batch writes the hours its contacts fell in, not every remembered digest
    let batches = input.len() / 25 + 1;
    assert!(
        hours < batches * 3,
        "{hours} hour records in {batches} batches"
    );
}

#[test]
fn records_that_do_not_belong_together_are_found_after_the_restore() {
    let input = day(100, 8);
    let opts = EngineOptions::default();
    let (c1, c2) = (2 * BATCH, 5 * BATCH);
    let a = run_a(&input, &opts, &[c1, c2]);
    let (old, new) = (&a.logs[&c1], &a.logs[&c2]);
    // a person whose history changed between the two cuts: the newer log with its older
    // history record (a crash between the two writes, at-least-once)
    let (hk, hv) = new
        .iter()
        .find(|(k, v)| k.starts_with("acme/h/") && old.get(*k).is_some_and(|o| o != *v))
        .map(|(k, _)| (k.clone(), old[k].clone()))
        .expect("a history that changed");
    let mut log = new.clone();
    log.insert(hk.clone(), hv);
    let mut b = with_config(&input[..c2], &opts);
    for (k, v) in &log {
        b.restore(k.as_bytes(), v.as_deref())
            .expect("each record reads");
    }
    let bad = b.finish_restore();
    let person = hk.trim_start_matches("acme/h/");
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert_eq!(bad[0].0, format!("acme/p/{person}"));
    assert!(bad[0].1.to_string().contains("do not belong together"));
    let p = b
        .account("acme")
        .and_then(|a| a.person_idx(person))
        .expect("the person");
    assert!(is_fresh(
        &b.account("acme").expect("acme").persons[p as usize]
    ));
    // the untouched log restores cleanly
    let mut c = Engine::new(opts);
    for (k, v) in new {
        c.restore(k.as_bytes(), v.as_deref())
            .expect("each record reads");
    }
    assert!(c.finish_restore().is_empty());
}

#[test]
fn keys_round_trip_and_escape() {
    let k = ChangeKey {
        account: "a/b%".into(),
        kind: KeyKind::Person("p/1".into()),
    };
    let mut buf = Vec::new();
    k.write(&mut buf);
    assert_eq!(buf, b"a%2Fb%25/p/p%2F1");
    assert_eq!(ChangeKey::parse(&buf), Ok(k));
    assert_eq!(
        ChangeKey::parse(b"acme/q").map(|k| k.kind),
        Ok(KeyKind::Queues)
    );
    let k = ChangeKey {
        account: "acme".into(),
        kind: KeyKind::Parked {
            integration: "84/31".into(),
            external: "a.b@c%d".into(),
        },
    };
    let mut buf = Vec::new();
    k.write(&mut buf);
    assert_eq!(buf, b"acme/k/84%2F31/a.b@c%25d");
    assert_eq!(ChangeKey::parse(&buf), Ok(k));
    assert_eq!(
        ChangeKey::parse(b"acme/r/7200000").map(|k| k.kind),
        Ok(KeyKind::Resubmissions(7_200_000))
    );
    for bad in [
        &b"acme"[..],
        b"acme/x",
        b"/a",
        b"acme/p",
        b"acme/a/x",
        b"acme/k/8431",
        b"acme/k/8431/x/y",
        b"acme/r/1",
        b"acme/r/03600000",
        b"acme/h",
        b"a%2/a",
        b"\xff/a",
    ] {
        assert_eq!(ChangeKey::parse(bad), Err(SnapshotError::BadKey), "{bad:?}");
    }
}

/// Records of every kind from the middle of a day.
fn sample_records() -> Vec<(String, Vec<u8>)> {
    let input = day(60, 9);
    let mut e = Engine::new(EngineOptions::default());
    let mut out = Outputs::default();
    for (i, env) in input.iter().enumerate().take(input.len() * 2 / 3) {
        feed_envelope(&mut e, env, i as i64, &mut out);
    }
    let mut cl = Changelog::default();
    e.snapshot_all(&mut cl);
    let recs: Vec<(String, Vec<u8>)> = cl
        .iter()
        .filter_map(|(k, v)| Some((k.to_string(), v?.to_vec())))
        .collect();
    for kind in ["acme/a", "acme/q", "acme/p/", "acme/h/", "acme/r/"] {
        assert!(recs.iter().any(|(k, _)| k.starts_with(kind)), "{kind}");
    }
    recs
}

#[test]
fn a_newer_version_is_refused_with_one_clear_line() {
    let recs = sample_records();
    let (k, v) = &recs[0];
    let mut v = v.clone();
    v[0] = 7;
    let err = Engine::new(EngineOptions::default())
        .restore(k.as_bytes(), Some(&v))
        .expect_err("refused");
    assert_eq!(
        err,
        SnapshotError::NewerVersion {
            found: 7,
            supported: 2
        }
    );
    let line = err.to_string();
    assert!(line.starts_with(
        "changelog record format version 7 is newer than this rta understands (2); upgrade rta"
    ));
    assert!(!line.contains('\n'));
}

#[test]
fn an_older_version_is_refused_with_one_clear_line() {
    for (k, v) in sample_records().iter().step_by(50) {
        let mut v = v.clone();
        v[0] = 1;
        let err = Engine::new(EngineOptions::default())
            .restore(k.as_bytes(), Some(&v))
            .expect_err("refused");
        assert_eq!(
            err,
            SnapshotError::OlderVersion {
                found: 1,
                supported: 2
            }
        );
        let line = err.to_string();
        assert!(line.starts_with("changelog record format version 1 is older than the one this rta reads (2); the partition is rebuilt from the retained input"), "{line}");
        assert!(!line.contains('\n'));
    }
}

#[test]
fn truncated_or_mislabelled_records_are_errors() {
    let recs = sample_records();
    let mut checked = 0;
    for (k, v) in recs.iter().step_by(7) {
        for n in 0..v.len() {
            let mut e = Engine::new(EngineOptions::default());
            let r = e.restore(k.as_bytes(), Some(&v[..n]));
            assert!(
                r.is_err(),
                "{k}: a prefix of {n} of {} bytes restored",
                v.len()
            );
            checked += 1;
        }
        let mut e = Engine::new(EngineOptions::default());
        assert!(e.restore(k.as_bytes(), Some(v)).is_ok());
        let mut longer = v.clone();
        longer.push(0);
        assert!(e.restore(k.as_bytes(), Some(&longer)).is_err());
    }
    assert!(checked > 100);
    // a person record under an account key
    let person = recs
        .iter()
        .find(|(k, _)| k.contains("/p/"))
        .expect("a person");
    let mut e = Engine::new(EngineOptions::default());
    assert_eq!(
        e.restore(b"acme/a", Some(&person.1)),
        Err(SnapshotError::KindMismatch)
    );
    assert!(
        e.account("acme").is_none(),
        "a refused record creates nothing"
    );
}

mod corrupt {
    use super::*;
    use proptest::prelude::*;
    use std::sync::OnceLock;

    fn records() -> &'static Vec<(String, Vec<u8>)> {
        static R: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
        R.get_or_init(sample_records)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Flipped bytes: an error or a restore, never a panic (and a restored engine runs on).
        #[test]
        fn flipped_bytes_never_panic(pick in 0usize..1000, flips in proptest::collection::vec((0usize..100_000, any::<u8>()), 1..4)) {
            let recs = records();
            let (k, v) = &recs[pick % recs.len()];
            let mut v = v.clone();
            for (at, b) in flips {
                let i = at % v.len();
                v[i] = b;
            }
            let mut e = Engine::new(EngineOptions::default());
            let _ = e.restore(k.as_bytes(), Some(&v));
            let _ = e.finish_restore();
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut e = Engine::new(EngineOptions::default());
            for key in [&b"acme/a"[..], b"acme/q", b"acme/p/p1", b"acme/h/p1", b"acme/r/3600000"] {
                let mut with_version = vec![FORMAT_VERSION];
                with_version.extend_from_slice(&bytes);
                let _ = e.restore(key, Some(&bytes));
                let _ = e.restore(key, Some(&with_version));
            }
            let _ = e.finish_restore();
        }
    }
}

#[test]
fn replaying_applied_input_over_a_restore() {
    // At-least-once: after a crash the input since the last commit is applied again over
    // the restored state (the changelog may be ahead of the committed offsets).
    let input = day(200, 4);
    let opts = EngineOptions::default();
    let cut = (input.len() / BATCH / 2) * BATCH;
    let overlap = 300;
    let mut a = run_a(&input, &opts, &[cut]);
    let replay = &input[cut - overlap..cut];
    for topic in [
        crate::cli::process::EVENTS_TOPIC,
        crate::cli::process::CONTACTS_TOPIC,
    ] {
        assert!(replay.iter().any(|e| e.topic == topic), "{topic} replayed");
    }
    let (mut b, outs) = run_b(&input, &opts, cut, &a.logs[&cut], cut - overlap);
    assert!(b.stats.duplicates > 0 && b.stats.contact_resubmissions > 0);
    // the replayed records are duplicates (SPEC §5): the state ends the same...
    assert_eq!(state(&mut a.engine), state(&mut b));
    // ...and everything after the overlap is published as by A; the overlap itself publishes
    // again only its dead letters (a duplicate event changes nothing and publishes nothing)
    let after = per_key(a.outputs[cut..].iter().flatten().cloned());
    let mut got = per_key(outs);
    let replayed: Vec<Output> = a.outputs[cut - overlap..cut]
        .iter()
        .flatten()
        .filter(|o| o.topic == OutTopic::Dlq)
        .cloned()
        .collect();
    for (k, vs) in per_key(replayed) {
        let g = got.get_mut(&k).expect("the dead letters again");
        assert_eq!(&g[..vs.len()], &vs[..]);
        g.drain(..vs.len());
        if g.is_empty() {
            got.remove(&k);
        }
    }
    assert_eq!(after, got);
}

#[test]
fn a_state_record_without_a_history_record_restores_a_fresh_history() {
    // The config table can be newer than the changelog: the account is materialized from it
    // (a person gets its schedule), then a state record written while that person's history
    // was fresh is restored, with no history record. The history must be the log's (fresh),
    // so that the schedule applied again after the restore is a change.
    let input = day(50, 2);
    let mut b = with_config(&input, &EngineOptions::default());
    let (p, key, value) = {
        let acct = b.account("acme").expect("acme");
        let (p, person) = acct
            .persons
            .iter()
            .enumerate()
            .find(|(_, p)| !p.schedule.is_empty())
            .expect("a person with a schedule");
        let mut fresh = crate::engine::person::Person::new(&person.id);
        let t0 = person.schedule[0].start;
        fresh.live = Some(crate::engine::cursor::Cursor::new(t0, &acct.rules, &[]));
        fresh.last_visible = 1;
        let mut cl = Changelog::default();
        let (rules, idents) = (&acct.rules, &acct.idents);
        cl.record("acme", "p", &[&person.id], KIND_PERSON, |t, w| {
            encode_state(&fresh, rules, idents, 0, t, w);
            Some((rules, idents))
        });
        let (k, v) = cl.iter().next().expect("the record");
        (p, k.to_string(), v.map(<[u8]>::to_vec))
    };
    b.restore(key.as_bytes(), value.as_deref())
        .expect("the record restores");
    assert!(b.finish_restore().is_empty());
    let person = &b.account("acme").expect("acme").persons[p];
    assert!(person.schedule.is_empty() && person.timeline.is_empty() && person.base.is_none());
    assert!(person.live.is_some() && person.last_visible == 1);
}
