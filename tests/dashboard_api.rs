//! The dashboard's API over HTTP against `rta run` on the embedded default (issue 12): the page
//! is served from the binary, the API is strict (unknown values and parameters are 400s with a
//! one-line JSON error), filters by team, sorts persons naturally, compresses when asked,
//! needs the access token when one is set, and the stream pushes changes.

mod embedded_rta;

use embedded_rta::Rta;
use std::time::{Duration, Instant};

/// A busy simulated morning, 60× real time: states change every few wall-clock seconds.
const MORNING: [&str; 6] = [
    "--persons",
    "40",
    "--embedded-speed",
    "60",
    "--embedded-start",
    "2026-11-23T10:15:00+01:00",
];

const TOKEN: &str = "test-token-0123456789";

#[test]
fn page_and_strict_api() {
    let rta = Rta::start(&MORNING);
    let page = rta.get("/").unwrap();
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(page.text().contains("/assets/app.js"), "{}", page.text());
    assert!(page.header("content-security-policy").is_some());
    for asset in ["app.js", "data.js", "table.js", "charts.js", "app.css"] {
        let r = rta.get(&format!("/assets/{asset}")).unwrap();
        assert_eq!(r.status, 200, "{asset}");
        assert!(!r.body.is_empty());
    }

    let bogus = rta
        .get("/api/accounts/acme/states?adherence=bogus")
        .unwrap();
    assert_eq!(bogus.status, 400);
    let err = bogus.text();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(bogus.json()["error"]
        .as_str()
        .unwrap()
        .contains("adherence must be one of"));
    let unknown = rta.get("/api/accounts/acme/states?adherance=out").unwrap();
    assert_eq!(unknown.status, 400, "{}", unknown.text());
    assert!(unknown.text().contains("unknown query parameter"));
    let twice = rta.get("/api/accounts/acme/states?team=a&team=b").unwrap();
    assert_eq!(twice.status, 400);
    let bad_date = rta
        .get("/api/accounts/acme/intervals?date=23.11.2026")
        .unwrap();
    assert_eq!(bad_date.status, 400);
    assert_eq!(rta.get("/api/accounts/nobody/states").unwrap().status, 404);

    // persons in natural order: p2 before p10
    let all = rta.get("/api/accounts/acme/states").unwrap().json();
    let ids: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["person"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 40);
    let pos = |p: &str| ids.iter().position(|i| *i == p).unwrap();
    assert!(pos("p2") < pos("p10"), "{ids:?}");
    let mut sorted = ids.clone();
    sorted.sort_by(|a, b| rta::service::views::natural_cmp(a, b));
    assert_eq!(ids, sorted);

    // ?team= filters by the person records' team
    let dir = rta.get("/api/accounts/acme/directory").unwrap().json();
    let teams = dir["teams"].as_array().unwrap();
    assert!(teams.len() >= 2, "{dir}");
    let team = teams[0].as_str().unwrap();
    let q = team.replace(' ', "%20");
    let some = rta
        .get(&format!("/api/accounts/acme/states?team={q}"))
        .unwrap()
        .json();
    let some = some.as_array().unwrap();
    assert!(
        !some.is_empty() && some.len() < 40,
        "{team}: {}",
        some.len()
    );
    for s in some {
        let p = s["person"].as_str().unwrap();
        assert_eq!(dir["persons"][p]["team"], team, "{p}");
    }
    assert_eq!(
        rta.get("/api/accounts/acme/states?team=no%20such%20team")
            .unwrap()
            .json(),
        serde_json::json!([])
    );
    let out = rta
        .get("/api/accounts/acme/states?adherence=out")
        .unwrap()
        .json();
    assert!(out
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["adherence"] == "out"));

    // gzip when asked, identity otherwise
    let gz = rta
        .request("/api/accounts/acme/states", &[("Accept-Encoding", "gzip")])
        .unwrap();
    assert_eq!(gz.status, 200);
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert_eq!(&gz.body[..2], &[0x1f, 0x8b]);
    let plain = rta.get("/api/accounts/acme/states").unwrap();
    assert_eq!(plain.header("content-encoding"), None);

    // summary figures of the page
    let sum = rta.get("/api/accounts/acme").unwrap().json();
    assert_eq!(sum["targetPercent"], 90.0);
    let (sched, adhering) = (
        sum["scheduledNow"].as_u64().unwrap(),
        sum["adheringNow"].as_u64().unwrap(),
    );
    assert!(sched > 0 && adhering <= sched, "{sum}");

    // intervals of the morning so far, a person's day with schedule and actual activity
    let iv = rta.get("/api/accounts/acme/intervals").unwrap().json();
    assert_eq!(iv["date"], "2026-11-23");
    let list = iv["intervals"].as_array().unwrap();
    assert!(list.len() >= 4, "{iv}");
    assert!(list
        .iter()
        .all(|i| i["scheduledSeconds"].as_f64().unwrap() >= 0.0));
    let scheduled = all
        .as_array()
        .unwrap()
        .iter()
        .find(|s| !s["scheduled"].is_null())
        .expect("someone is scheduled at 10:15");
    let p = scheduled["person"].as_str().unwrap();
    let day = rta
        .get(&format!("/api/accounts/acme/persons/{p}/day"))
        .unwrap()
        .json();
    assert!(!day["schedule"].as_array().unwrap().is_empty(), "{day}");
    assert!(!day["actual"].as_array().unwrap().is_empty(), "{day}");
    assert!(day["name"].is_string());
    assert_eq!(
        rta.get("/api/accounts/acme/persons/nobody/day")
            .unwrap()
            .status,
        404
    );
    let unmapped = rta.get("/api/accounts/acme/unmapped").unwrap().json();
    assert!(unmapped.is_array());
}

/// Lines of the stream until `want` events were seen (bounded in time).
fn read_events(
    rx: &std::sync::mpsc::Receiver<String>,
    want: &[&str],
    within: Duration,
) -> Vec<(String, String)> {
    let start = Instant::now();
    let mut events = Vec::new();
    let mut name = String::new();
    while start.elapsed() < within {
        let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) else {
            continue;
        };
        if let Some(n) = line.strip_prefix("event: ").or(line.strip_prefix("event:")) {
            name = n.trim().to_string();
        } else if let Some(d) = line.strip_prefix("data: ").or(line.strip_prefix("data:")) {
            events.push((name.clone(), d.to_string()));
            if want.iter().all(|w| events.iter().any(|(n, _)| n == w)) {
                break;
            }
        }
    }
    events
}

#[test]
fn the_stream_pushes_changes_behind_the_token() {
    let mut args = MORNING.to_vec();
    args.extend(["--http-token", TOKEN]);
    let rta = Rta::start(&args);
    // the page is open, the data is not
    assert_eq!(rta.get("/").unwrap().status, 200);
    assert_eq!(rta.get("/metrics").unwrap().status, 200);
    let denied = rta.get("/api/accounts").unwrap();
    assert_eq!(denied.status, 401);
    assert!(denied.header("www-authenticate").is_some());
    assert_eq!(denied.text().lines().count(), 1);
    assert_eq!(
        rta.get("/api/accounts?token=wrong-token-0123456789")
            .unwrap()
            .status,
        401
    );
    let bearer = format!("Bearer {TOKEN}");
    assert_eq!(
        rta.request("/api/accounts", &[("Authorization", &bearer)])
            .unwrap()
            .status,
        200
    );
    assert_eq!(
        rta.get(&format!("/api/accounts?token={TOKEN}"))
            .unwrap()
            .status,
        200
    );
    assert_eq!(rta.get("/api/accounts/acme/stream").unwrap().status, 401);

    let rx = rta.events(&format!("/api/accounts/acme/stream?token={TOKEN}"));
    let events = read_events(
        &rx,
        &["hello", "summary", "intervals", "states"],
        Duration::from_secs(30),
    );
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.first(), Some(&"hello"), "{names:?}");
    for want in ["summary", "intervals", "states"] {
        assert!(names.contains(&want), "no {want} event in 30 s: {names:?}");
    }
    let (_, states) = events.iter().find(|(n, _)| n == "states").unwrap();
    let states: serde_json::Value = serde_json::from_str(states).unwrap();
    let first = &states.as_array().unwrap()[0];
    assert_eq!(first["account"], "acme");
    // a pushed change is the person's current state (or an older one already superseded)
    let p = first["person"].as_str().unwrap();
    let now = rta
        .get(&format!("/api/accounts/acme/persons/{p}?token={TOKEN}"))
        .unwrap()
        .json();
    assert!(now["at"].as_str().unwrap() >= first["at"].as_str().unwrap());
}

/// `/states?omit=today` and its `rta-seq` header; `/stream?since=` sends the changes after that
/// snapshot right after `hello`: the page fetches the states and subscribes at once.
#[test]
fn states_and_stream_at_once() {
    let rta = Rta::start(&MORNING);
    let seq_of = |r: &embedded_rta::Resp| -> u64 {
        r.header("rta-seq")
            .and_then(|s| s.parse().ok())
            .expect("rta-seq header")
    };
    let first = rta.get("/api/accounts/acme/states?omit=today").unwrap();
    assert_eq!(first.status, 200);
    let seq = seq_of(&first);
    let snapshot = first.json();
    let snapshot = snapshot.as_array().unwrap();
    assert_eq!(snapshot.len(), 40);
    for s in snapshot {
        assert!(s.get("today").is_none(), "{s}");
        assert!(s["person"].is_string() && s["adherence"].is_string() && s["at"].is_string());
    }
    assert!(rta.get("/api/accounts/acme/states").unwrap().json()[0]["today"].is_object());
    let bogus = rta.get("/api/accounts/acme/states?omit=team").unwrap();
    assert_eq!(bogus.status, 400);
    assert!(bogus.json()["error"].as_str().unwrap().contains("omit"));
    assert_eq!(
        rta.get("/api/accounts/acme/stream?since=x").unwrap().status,
        400
    );

    // some agents change after the snapshot (60× real time: within seconds)
    let deadline = Instant::now() + Duration::from_secs(60);
    let now = loop {
        let r = rta.get("/api/accounts/acme/states").unwrap();
        if seq_of(&r) > seq {
            break r.json();
        }
        assert!(Instant::now() < deadline, "no change within 60 s");
        std::thread::sleep(Duration::from_millis(200));
    };
    let at = |list: &serde_json::Value, p: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|s| s["person"] == p)
            .map(|s| s["at"].clone())
    };
    let changed: Vec<String> = now
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["person"].as_str().unwrap().to_string())
        .filter(|p| at(&now, p) != at(&serde_json::Value::from(snapshot.clone()), p))
        .collect();
    assert!(!changed.is_empty());

    let rx = rta.events(&format!("/api/accounts/acme/stream?since={seq}"));
    let events = read_events(&rx, &["hello", "states"], Duration::from_secs(30));
    assert_eq!(events.first().map(|e| e.0.as_str()), Some("hello"));
    let (name, data) = events.get(1).expect("an event after hello");
    assert_eq!(
        name, "states",
        "the changes since the snapshot follow hello"
    );
    let caught: Vec<serde_json::Value> = serde_json::from_str(data).unwrap();
    for p in &changed {
        assert!(
            caught.iter().any(|s| s["person"] == p.as_str()),
            "{p} changed after the snapshot but is not sent"
        );
    }
    // from the beginning: every agent
    let rx = rta.events("/api/accounts/acme/stream?since=0");
    let events = read_events(&rx, &["hello", "states"], Duration::from_secs(30));
    let (name, data) = events.get(1).expect("an event after hello");
    assert_eq!(name, "states");
    let all: Vec<serde_json::Value> = serde_json::from_str(data).unwrap();
    assert_eq!(all.len(), 40);
}
