//! Hostile and extreme input (issue 10): every case runs `rta process` as a child process
//! under an address-space limit (`prlimit --as`) and a wall-time bound, and checks what it
//! wrote. Scaling cases run two sizes (n and 4n) and check the time ratio stays far from
//! quadratic. `tests/hostile_http.rs` covers the HTTP limits.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const DAY0: i64 = 1_795_392_000_000; // 2026-11-23T00:00:00Z
const MIB: u64 = 1 << 20;

/// The config every case starts from: one account, an Odigo and an injixo integration, two
/// mapped statuses, one mapped agent `a0` → person `p0`.
fn config() -> String {
    let mut s = String::new();
    for line in [
        r#"{"topic":"rta.config","key":"acme/integration/8431","value":{"kind":"integration","account":"acme","id":"8431","vendor":"odigo","name":"O"}}"#,
        r#"{"topic":"rta.config","key":"acme/integration/9100","value":{"kind":"integration","account":"acme","id":"9100","vendor":"injixo-api","name":"I"}}"#,
        r#"{"topic":"rta.config","key":"acme/status/8431/READY","value":{"kind":"status","account":"acme","integration":"8431","externalStatus":"READY","activity":"1"}}"#,
        r#"{"topic":"rta.config","key":"acme/status/8431/BUSY","value":{"kind":"status","account":"acme","integration":"8431","externalStatus":"BUSY","activity":"1"}}"#,
        r#"{"topic":"rta.config","key":"acme/identifier/8431/a0","value":{"kind":"identifier","account":"acme","integration":"8431","externalId":"a0","person":"p0"}}"#,
        r#"{"topic":"rta.config","key":"acme/identifier/9100/a0","value":{"kind":"identifier","account":"acme","integration":"9100","externalId":"a0","person":"p0"}}"#,
    ] {
        s.push_str(line);
        s.push('\n');
    }
    s
}

fn identifier(agent: &str, person: &str) -> String {
    format!(
        r#"{{"topic":"rta.config","key":"acme/identifier/8431/{agent}","value":{{"kind":"identifier","account":"acme","integration":"8431","externalId":"{agent}","person":"{person}"}}}}"#
    ) + "\n"
}

/// One Odigo event; `ts` is raw JSON (a number of epoch ms, or a quoted RFC 3339 string).
fn odigo(login: &str, state: &str, ts: &str, event_id: Option<&str>) -> String {
    let id = event_id.map_or(String::new(), |e| format!(r#","eventId":"{e}""#));
    format!(
        r#"{{"topic":"rta.agent-events","key":"acme","headers":{{"rta-integration":"8431"}},"value":{{"timestamp":{ts},"login":"{login}","state":"{state}"{id}}}}}"#
    ) + "\n"
}

fn odigo_raw(value: &str) -> String {
    format!(
        r#"{{"topic":"rta.agent-events","key":"acme","headers":{{"rta-integration":"8431"}},"value":{value}}}"#
    ) + "\n"
}

/// What a bounded run produced.
struct Run {
    out: String,
    took: Duration,
}

impl Run {
    fn count(&self, needle: &str) -> usize {
        self.out.matches(needle).count()
    }
    fn dead(&self, reason: &str) -> usize {
        self.count(&format!(r#""reason":"{reason}""#))
    }
    fn topic(&self, topic: &str) -> usize {
        self.count(&format!(r#"{{"topic":"{topic}""#))
    }
}

/// Run `rta process` over `input` with at most `mem` bytes of address space and `secs` of wall
/// time; fails the test when either is exceeded or the exit status is not 0.
fn run(name: &str, input: &str, mem: u64, secs: u64, args: &[&str]) -> Run {
    let path: PathBuf =
        std::env::temp_dir().join(format!("rta-hostile-{name}-{}.ndjson", std::process::id()));
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(input.as_bytes()))
        .expect("write the input");
    let out_path = path.with_extension("out");
    let out_file = std::fs::File::create(&out_path).expect("create the output file");
    let start = Instant::now();
    let mut child = Command::new("prlimit")
        .arg(format!("--as={mem}"))
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_rta"))
        .arg("process")
        .arg("--input")
        .arg(&path)
        .args(args)
        .env("RTA_LOG", "warn")
        .stdout(out_file)
        .stderr(Stdio::piped())
        .spawn()
        .expect("prlimit (util-linux) runs rta");
    let deadline = start + Duration::from_secs(secs);
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for rta") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{name}: rta process took more than {secs} s");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let took = start.elapsed();
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut e, &mut err);
    }
    assert!(
        status.success(),
        "{name}: rta process failed under {} MiB ({status}): {err}",
        mem / MIB
    );
    let out = std::fs::read_to_string(&out_path).expect("read the output");
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(&out_path);
    eprintln!(
        "{name}: {} input bytes, {:.3} s, {} output bytes",
        input.len(),
        took.as_secs_f64(),
        out.len()
    );
    Run { out, took }
}

/// Two sizes: the time of the larger (4×) must stay well below quadratic growth (16×).
fn assert_scales(name: &str, small: &Run, big: &Run) {
    let ratio = big.took.as_secs_f64() / small.took.as_secs_f64().max(0.02);
    eprintln!("{name}: 4× input → {ratio:.1}× time");
    assert!(
        ratio < 9.0,
        "{name}: 4× the input took {ratio:.1}× the time"
    );
}

/// Persons a1..=n online (mapped), one event each.
fn online_persons(n: usize, t: i64) -> String {
    let mut s = String::new();
    for i in 1..=n {
        s += &identifier(&format!("a{i}"), &format!("p{i}"));
        s += &odigo(&format!("a{i}"), "READY", &(t + i as i64).to_string(), None);
    }
    s
}

#[test]
fn poison_times_are_refused_and_the_clock_stays_bounded() {
    let mut s = config() + &online_persons(1000, DAY0 + 8 * 3_600_000);
    let late = DAY0 + 9 * 3_600_000;
    // far future: outside the accepted range, and inside it but weeks ahead of the clock
    s += &odigo("a1", "BUSY", r#""9999-12-31T23:59:59Z""#, None);
    s += &odigo("a1", "BUSY", r#""2099-12-31T00:00:00Z""#, None);
    s += &odigo("a1", "BUSY", "253402300799999", None);
    // far past: year 0000 text, year 0001, epoch 1970
    s += &odigo("a2", "BUSY", r#""0000-01-01T00:00:00Z""#, None);
    s += &odigo("a2", "BUSY", r#""0001-01-01T00:00:00Z""#, None);
    s += &odigo("a2", "BUSY", "1", None);
    s += &odigo("a3", "BUSY", &late.to_string(), None);
    let r = run(
        "poison",
        &s,
        512 * MIB,
        10,
        &["--until", "2026-11-23T10:00:00Z"],
    );
    assert_eq!(r.dead("bad_timestamp"), 5, "range");
    assert_eq!(r.dead("future_timestamp"), 1, "clock jump");
    // the clock stayed on 2026-11-23: no interval of another day was published
    assert_eq!(r.count(r#""intervalStart":"2027"#), 0);
    assert_eq!(r.count(r#""intervalStart":"2099"#), 0);
}

#[test]
fn a_poison_first_event_cannot_poison_the_account() {
    // a first event of year 0001 is refused; the day that follows is processed normally
    let s = config()
        + &odigo("a0", "READY", r#""0001-01-01T00:00:00Z""#, None)
        + &online_persons(200, DAY0 + 8 * 3_600_000);
    let r = run("poison-first", &s, 512 * MIB, 10, &[]);
    assert_eq!(r.dead("bad_timestamp"), 1);
    assert_eq!(r.dead("future_timestamp"), 0);
    assert!(r.topic("rta.agent-states") >= 400);
}

#[test]
fn multi_day_backfills_still_work() {
    // one event a day for 20 days: each step (1 day) is within the clock-jump bound (7 days)
    let mut s = config();
    for d in 0..20 {
        s += &odigo(
            "a0",
            if d % 2 == 0 { "READY" } else { "BUSY" },
            &(DAY0 + d * 86_400_000).to_string(),
            None,
        );
    }
    let r = run("backfill", &s, 512 * MIB, 10, &[]);
    assert_eq!(r.dead("future_timestamp"), 0);
    assert_eq!(r.dead_total(), 0);
}

impl Run {
    fn dead_total(&self) -> usize {
        self.topic("rta.dlq")
    }
}

fn schedule(person: &str, date: &str, segments: &[(String, String)]) -> String {
    let segs: Vec<String> = segments
        .iter()
        .map(|(a, b)| format!(r#"{{"activity":"1","start":"{a}","end":"{b}"}}"#))
        .collect();
    format!(
        r#"{{"topic":"rta.config","key":"acme/schedule/{person}/{date}","value":{{"kind":"schedule","account":"acme","person":"{person}","date":"{date}","segments":[{}]}}}}"#,
        segs.join(",")
    ) + "\n"
}

#[test]
fn schedule_segments_stay_near_their_date() {
    let millennium = schedule(
        "p0",
        "2026-11-23",
        &[("2026-11-23T08:00:00Z".into(), "3026-11-23T08:00:00Z".into())],
    );
    let old_date = schedule(
        "p0",
        "1900-01-01",
        &[("1900-01-01T08:00:00Z".into(), "1900-01-01T09:00:00Z".into())],
    );
    let many: Vec<(String, String)> = (0..300)
        .map(|i| {
            let f = |m: i64| rta::time::format_rfc3339(DAY0 + m * 60_000);
            (f(i * 2), f(i * 2 + 1))
        })
        .collect();
    let too_many = schedule("p0", "2026-11-23", &many);
    let night = schedule(
        "p0",
        "2026-11-24",
        &[("2026-11-23T22:00:00Z".into(), "2026-11-24T06:00:00Z".into())],
    );
    let s = config()
        + &millennium
        + &old_date
        + &too_many
        + &night
        + &odigo("a0", "READY", &(DAY0 + 8 * 3_600_000).to_string(), None);
    let r = run(
        "schedule",
        &s,
        512 * MIB,
        10,
        &["--until", "2026-11-24T12:00:00Z"],
    );
    assert_eq!(r.dead("invalid_config"), 3);
    assert!(r.out.contains("is not within its date ± one day"));
    assert!(r.out.contains("segments exceed the limit of 200"));
    // the night shift of the 24th was accepted and is scheduled
    assert!(r.out.contains(r#""start":"2026-11-23T22:00:00Z""#));
}

#[test]
fn dead_letters_hold_one_payload_per_record() {
    // 9,000 bad elements (under the element limit): 2 dead letters, not 9,000
    let arr = format!("[{}]", vec!["{}"; 9000].join(","));
    let padded: Vec<String> = (0..8000)
        .map(|i| format!(r#"{{"login":"x{i}","pad":"{}"}}"#, "y".repeat(90)))
        .collect();
    let s = config()
        + &odigo_raw(&arr)
        + &odigo_raw(&format!("[{}]", padded.join(",")))
        // a million {} (3 MB): over the record limit, one dead letter
        + &odigo_raw(&format!("[{}]", vec!["{}"; 1_000_000].join(",")));
    let r = run("dlq-array", &s, 512 * MIB, 10, &[]);
    assert_eq!(r.dead("missing_field"), 4);
    assert_eq!(r.dead("too_large"), 1);
    assert!(r.out.len() < 400 * 1024, "{} output bytes", r.out.len());
    assert!(r.out.contains("8999 more elements with this reason"));
}

#[test]
fn oversized_fields_and_lines_are_refused() {
    let long = "x".repeat(100_000);
    let line = odigo_raw(&format!(
        r#"{{"timestamp":{},"login":"a0","state":"READY","pad":"{}"}}"#,
        DAY0,
        "z".repeat(6 << 20)
    ));
    let s = config()
        + &odigo(&long, "READY", &DAY0.to_string(), None)
        + &odigo("a0", &long, &DAY0.to_string(), None)
        + &line
        + &identifier(&long, "p9");
    let r = run("too-large", &s, 512 * MIB, 10, &[]);
    assert_eq!(r.dead("too_large"), 3, "field, field, line");
    assert_eq!(
        r.dead("invalid_config"),
        1,
        "identifier record with a long id"
    );
}

/// One agent, `n` events with event ids in time order, every one sent twice.
fn one_agent_events(n: usize) -> String {
    let mut s = config();
    for i in 0..n {
        let e = odigo(
            "a0",
            if i % 2 == 0 { "READY" } else { "BUSY" },
            &(DAY0 + i as i64 * 300).to_string(),
            Some(&format!("e{i}")),
        );
        s += &e;
        s += &e;
    }
    s
}

#[test]
fn duplicate_detection_scales_with_one_busy_agent() {
    let small = run("dups-25k", &one_agent_events(25_000), 512 * MIB, 10, &[]);
    let big = run("dups-100k", &one_agent_events(100_000), 1024 * MIB, 20, &[]);
    assert_eq!(big.dead_total(), 0);
    assert_scales("duplicates", &small, &big);
}

#[test]
fn a_person_timeline_is_capped() {
    let s = one_agent_events(101_000);
    let r = run("person-full", &s, 1024 * MIB, 20, &[]);
    assert_eq!(
        r.dead("person_full"),
        2000,
        "1,000 events past the cap, each sent twice"
    );
    assert_eq!(r.dead_total(), 2000);
}

/// One injixo agent, `n` items of 5 s, one request each: back to back (`gap` false: each item
/// starts where the previous one ended) or 5 s apart.
fn injixo_items(n: usize, gap: bool) -> String {
    let mut s = config();
    let (every, len) = if gap {
        (10_000, 5_000)
    } else {
        (10_000, 10_000)
    };
    for i in 0..n as i64 {
        let start = rta::time::format_rfc3339(DAY0 + i * every);
        let end = rta::time::format_rfc3339(DAY0 + i * every + len);
        let act = if i % 2 == 0 { "Calls" } else { "Mails" };
        s += &format!(
            r#"{{"topic":"rta.agent-events","key":"acme","value":{{"data":[{{"agentIdentifier":"a0","activityIdentifier":"{act}","startTime":"{start}","endTime":"{end}"}}],"meta":{{"integrationConfigurationId":9100}}}}}}"#
        );
        s.push('\n');
    }
    s
}

/// Item ends are resolved through the interval index (O(log n) per affected end) and an item
/// that changes nothing before the live cursor costs no copy of the timeline: a day of items
/// in arrival order grows linearly.
#[test]
fn injixo_item_ends_scale_with_a_day_of_items() {
    let small = run("injixo-4k", &injixo_items(4000, true), 512 * MIB, 10, &[]);
    let big = run(
        "injixo-16k",
        &injixo_items(16_000, true),
        512 * MIB,
        10,
        &[],
    );
    assert_eq!(big.dead_total(), 0);
    let states = big.topic("rta.agent-states");
    assert!(
        (32_000..32_010).contains(&states),
        "an online and an offline state per item: {states}"
    );
    assert_scales("injixo", &small, &big);
}

/// Back-to-back items: each start changes the end the live cursor has just passed (the
/// agent is no longer offline at that instant). The recomputation starts from the person's
/// rewind checkpoint just before that instant (`engine::rewind`), not from the retention
/// checkpoint, so a day of items grows linearly (it was O(n) per item: 4× items, ~16× time).
#[test]
fn back_to_back_injixo_items_scale_linearly() {
    let small = run(
        "injixo-b2b-4k",
        &injixo_items(4000, false),
        512 * MIB,
        10,
        &[],
    );
    let big = run(
        "injixo-b2b-16k",
        &injixo_items(16_000, false),
        512 * MIB,
        10,
        &[],
    );
    assert_eq!(big.dead_total(), 0);
    let states = big.topic("rta.agent-states");
    assert!(
        (32_000..32_010).contains(&states),
        "per item: offline at its end, then online again when the next one starts there: {states}"
    );
    let ratio = big.took.as_secs_f64() / small.took.as_secs_f64().max(0.05);
    eprintln!("injixo back to back: 4× items → {ratio:.1}× time");
    assert!(ratio < 6.0, "4× the items took {ratio:.1}× the time");
}

/// One agent, `n` events 2 s apart with event ids, every second one sent after the next: a
/// late event per pair, just before the live cursor.
fn late_by_one(n: usize) -> String {
    let mut s = config();
    let ev = |i: usize| {
        let state = if i.is_multiple_of(2) { "READY" } else { "BUSY" };
        let ts = (DAY0 + i as i64 * 2000).to_string();
        odigo("a0", state, &ts, Some(&format!("e{i}")))
    };
    for i in (0..n).step_by(2) {
        if i + 1 < n {
            s += &ev(i + 1);
        }
        s += &ev(i);
    }
    s
}

/// A late event recomputes from the rewind checkpoint just before it, not from the retention
/// checkpoint: late events near the cursor cost O(1) each, whatever the retained timeline
/// (it was O(n) per late event: 40,000 such events took seconds).
#[test]
fn late_events_near_the_cursor_scale_linearly() {
    let small = run("late-10k", &late_by_one(10_000), 512 * MIB, 10, &[]);
    let big = run("late-40k", &late_by_one(40_000), 512 * MIB, 10, &[]);
    assert_eq!(big.dead_total(), 0);
    let states = big.topic("rta.agent-states");
    assert!(
        (20_000..20_010).contains(&states),
        "a state per pair (the late one is folded in by its recomputation): {states}"
    );
    let ratio = big.took.as_secs_f64() / small.took.as_secs_f64().max(0.05);
    eprintln!("late by one: 4× events → {ratio:.1}× time");
    assert!(ratio < 6.0, "4× the late events took {ratio:.1}× the time");
}

/// `n` status mapping records, then events using some of them.
fn status_mappings(n: usize) -> String {
    let mut s = config();
    for i in 0..n {
        s += &format!(
            r#"{{"topic":"rta.config","key":"acme/status/8431/S{i}","value":{{"kind":"status","account":"acme","integration":"8431","externalStatus":"S{i}","activity":"1"}}}}"#
        );
        s.push('\n');
    }
    s += &online_persons(100, DAY0 + 8 * 3_600_000);
    // remap a status every person has seen (a recomputation per remap, no rule-set copy)
    for i in 0..100 {
        s += &format!(
            r#"{{"topic":"rta.config","key":"acme/status/8431/READY","value":{{"kind":"status","account":"acme","integration":"8431","externalStatus":"READY","activity":"{}"}}}}"#,
            if i % 2 == 0 { "7" } else { "1" }
        );
        s.push('\n');
    }
    s
}

#[test]
fn status_mapping_loads_are_linear() {
    let small = run("status-25k", &status_mappings(25_000), 512 * MIB, 10, &[]);
    let big = run("status-100k", &status_mappings(100_000), 512 * MIB, 10, &[]);
    assert_eq!(big.dead_total(), 0);
    assert_scales("status mappings", &small, &big);
}

/// `n` distinct unmapped statuses and `n` distinct unmapped identifiers, with mapped
/// statuses to suggest from.
fn unmapped(n: usize) -> String {
    let mut s = config();
    for i in 0..1000 {
        s += &format!(
            r#"{{"topic":"rta.config","key":"acme/status/8431/M{i}","value":{{"kind":"status","account":"acme","integration":"8431","externalStatus":"M{i}","activity":"1"}}}}"#
        );
        s.push('\n');
    }
    for i in 0..n as i64 {
        s += &odigo("a0", &format!("m{i}"), &(DAY0 + i).to_string(), None);
        s += &odigo(&format!("u{i}"), "READY", &(DAY0 + i).to_string(), None);
    }
    s
}

#[test]
fn unmapped_values_are_capped_and_suggested_by_index() {
    let small = run("unmapped-5k", &unmapped(5_000), 512 * MIB, 10, &[]);
    let big = run("unmapped-20k", &unmapped(20_000), 512 * MIB, 10, &[]);
    // 10,000 distinct values per account: the rest are unmapped_full
    assert_eq!(big.dead("unmapped_full"), 2 * 20_000 - 10_000);
    assert!(small.out.contains(r#""value":"m5","count":1,"#));
    assert!(small.out.contains(r#""suggestions":["M5"]"#));
    assert_scales("unmapped", &small, &big);
}

#[test]
fn duplicates_do_not_count_in_unmapped_reports() {
    let e = odigo("ghost", "READY", &DAY0.to_string(), Some("g1"));
    let st = odigo("a0", "WEIRD", &(DAY0 + 5).to_string(), Some("w1"));
    let s = config() + &e + &e + &e + &st + &st;
    let r = run("dup-report", &s, 512 * MIB, 10, &[]);
    assert_eq!(r.count(r#""value":"ghost","count":1"#), 1);
    assert_eq!(r.count(r#""value":"ghost","count":2"#), 0);
    assert_eq!(r.count(r#""value":"WEIRD","count":2"#), 0);
}

#[test]
fn config_that_changes_nothing_publishes_nothing() {
    let base = config() + &online_persons(200, DAY0 + 8 * 3_600_000);
    let mut s = base.clone();
    for i in 0..1000 {
        s += &format!(
            r#"{{"topic":"rta.config","key":"acme/activity/{id}","value":{{"kind":"activity","account":"acme","id":"{id}","name":"unused","type":"meeting"}}}}"#,
            id = 100 + i
        );
        s.push('\n');
    }
    let without = run("noop-config-base", &base, 512 * MIB, 10, &[]);
    let with = run("noop-config", &s, 512 * MIB, 10, &[]);
    assert_eq!(
        with.topic("rta.agent-states"),
        without.topic("rta.agent-states"),
        "1,000 activity records that change nothing publish no agent state"
    );
}

#[test]
fn parking_is_bounded() {
    // one unmapped identifier with 5,000 events: 1,000 parked, the rest parking_full
    let mut s = config();
    for i in 0..5000 {
        s += &odigo(
            "ghost",
            if i % 2 == 0 { "READY" } else { "BUSY" },
            &(DAY0 + i * 1000).to_string(),
            None,
        );
    }
    let r = run("parking", &s, 512 * MIB, 10, &[]);
    assert_eq!(r.dead("parking_full"), 4000);
}

/// A generated abuse corpus: every class above, plus random garbage, in one input.
#[test]
fn abuse_corpus() {
    let mut s = config() + &online_persons(500, DAY0 + 8 * 3_600_000);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let garbage = [
        "{",
        "[",
        "null",
        "\"\\ud800\"",
        "1e999999",
        "[[[[[[[[[[[[[[[[",
        "{\"a\":",
        "NaN",
    ];
    for i in 0..20_000u64 {
        let r = rnd();
        let t = DAY0 + 8 * 3_600_000 + (i as i64) * 1000;
        s += &match r % 12 {
            0 => odigo("a1", "BUSY", r#""9999-12-31T23:59:59Z""#, None),
            1 => odigo("a2", "BUSY", r#""0000-01-01T00:00:00Z""#, None),
            2 => odigo_raw(
                &serde_json::to_string(garbage[(r >> 8) as usize % garbage.len()])
                    .unwrap_or_default(),
            ),
            3 => odigo(&format!("u{}", r % 50_000), "READY", &t.to_string(), None),
            4 => odigo("a3", &format!("S{}", r % 50_000), &t.to_string(), None),
            5 => odigo_raw(&format!("[{}]", vec!["{}"; 500].join(","))),
            6 => schedule(
                "p4",
                "2026-11-23",
                &[("2026-11-23T08:00:00Z".into(), "2999-01-01T00:00:00Z".into())],
            ),
            7 => odigo("a5", "READY", &t.to_string(), Some("same")),
            8 => odigo(&"L".repeat(5000), "READY", &t.to_string(), None),
            9 => odigo(
                &format!("a{}", 1 + r % 500),
                if r & 1 == 0 { "READY" } else { "BUSY" },
                &(t - (r % 3_600_000) as i64).to_string(),
                None,
            ),
            10 => format!("{}\n", "\u{0}\u{1}garbage"),
            _ => odigo("a6", "BUSY", &(t + 30 * 86_400_000).to_string(), None),
        };
    }
    let r = run(
        "abuse",
        &s,
        768 * MIB,
        20,
        &["--until", "2026-11-24T00:00:00Z"],
    );
    for reason in [
        "bad_timestamp",
        "invalid_json",
        "invalid_config",
        "too_large",
        "future_timestamp",
    ] {
        assert!(r.dead(reason) > 0, "{reason}");
    }
}
