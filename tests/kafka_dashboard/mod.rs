//! A supervisor's morning on Apache Kafka for the dashboard's browser test and its latency
//! benchmark: a simulated day (`rta::simulate`) produced up to 10:15 local time, `rta run` on
//! event time processing it, `rta dashboard` (behind an access token) reading its output topics,
//! and live changes produced one at a time to `rta.agent-events` (Odigo notifications of mapped
//! logins, alternating between READY and a break so that each one changes the agent's state).
//! Needs `mod common;` at the crate root. Every wait is bounded.

#![allow(dead_code)]

use crate::common::*;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rta::envelope::Envelope;
use rta::simulate::{plan_day, SimOptions};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const WITHIN: Duration = Duration::from_secs(180);
/// 2026-11-23T10:15:00+01:00: the morning is produced up to here.
const CUTOFF_MS: i64 = 1_795_425_300_000;
const ODIGO: &str = "8431";

/// One live change: who, the event's time (RFC 3339) and when it was handed to the producer
/// (milliseconds since the Unix epoch).
pub struct Change {
    pub person: String,
    pub at: String,
    pub produced_ms: i64,
}

pub struct Morning {
    pub broker: &'static Broker,
    pub names: Names,
    pub rta: Rta,
    pub dashboard: Rta,
    pub token: String,
    /// Agents the dashboard lists once it caught up.
    pub agents: usize,
    /// (person, Odigo login, on break now) of the agents that get live changes.
    live: Vec<(String, String, bool)>,
    next: usize,
    next_id: usize,
    clock_ms: i64,
    producer: ThreadedProducer<DefaultProducerContext>,
}

impl Morning {
    /// The dashboard's base URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.dashboard.http)
    }

    /// Produce the morning of `persons` agents, start `rta run` and `rta dashboard` (topic
    /// prefix `prefix`) and wait until the dashboard lists what rta run published.
    pub fn start(prefix: &str, persons: usize, token: &str) -> Morning {
        let broker = Broker::shared();
        let names = Names::new(prefix);
        create_topics(broker, &names, 3);
        let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
        let plan = plan_day(&SimOptions::new(persons, date, 12));
        let events: Vec<Envelope> = plan
            .events
            .into_iter()
            .filter(|r| r.deliver_at <= CUTOFF_MS)
            .map(|r| r.envelope)
            .collect();
        let logins: Vec<(String, String)> = plan
            .config
            .iter()
            .filter_map(|e| {
                let v: serde_json::Value = serde_json::from_slice(e.value.as_deref()?).ok()?;
                (v["kind"] == "identifier" && v["integration"] == ODIGO).then(|| {
                    (
                        v["person"].as_str().unwrap_or_default().to_string(),
                        v["externalId"].as_str().unwrap_or_default().to_string(),
                    )
                })
            })
            .collect();
        produce(broker, &names, &plan.config);
        let group = format!("{prefix}group");
        let rta = Rta::start(broker, &names, &group, &[]);
        rta.wait_ready(WITHIN);
        produce(broker, &names, &events);
        for t in ["rta.agent-events", "rta.contact-events"] {
            let topic = names.topic(t);
            wait_committed(broker, &group, &topic, &end_offsets(broker, &topic), WITHIN);
        }
        let dashboard =
            crate::common::dashboard::start_dashboard(broker, &names, &["--http-token", token]);
        dashboard.wait_ready(WITHIN);
        // caught up: the states read twice a second apart agree
        let deadline = Instant::now() + WITHIN;
        let mut last = String::new();
        let states = loop {
            std::thread::sleep(Duration::from_millis(1000));
            let body = get(&dashboard, token, "/api/accounts/acme/states").unwrap_or_default();
            if !body.is_empty() && body == last {
                break serde_json::from_str::<serde_json::Value>(&body).expect("states JSON");
            }
            last = body;
            assert!(Instant::now() < deadline, "the dashboard did not settle");
        };
        let states = states.as_array().cloned().unwrap_or_default();
        let mut m = Morning {
            broker,
            rta,
            dashboard,
            token: token.to_string(),
            agents: states.len(),
            live: Vec::new(),
            next: 0,
            next_id: 0,
            clock_ms: CUTOFF_MS,
            producer: producer(broker, &[("linger.ms", "0")]),
            names,
        };
        let spare = m.colours(&states, &logins);
        m.live = spare
            .into_iter()
            .filter_map(|(person, login)| {
                let s = states.iter().find(|s| s["person"] == person.as_str())?;
                let on_break = s["actual"]["externalStatus"] != "READY";
                Some((person, login, on_break))
            })
            .collect();
        assert!(m.live.len() >= 10, "too few agents for live changes");
        m
    }

    /// Every colour of the table at once, whatever the simulated morning left: an agent not
    /// present, one in the wrong activity and one not scheduled, each past their buffer, then one
    /// in the wrong activity still in its buffer; waits until the dashboard shows them. The
    /// logins left for live changes.
    fn colours(
        &mut self,
        states: &[serde_json::Value],
        logins: &[(String, String)],
    ) -> Vec<(String, String)> {
        let state = |p: &str| states.iter().find(|s| s["person"] == p);
        let soon = chrono::DateTime::from_timestamp_millis(CUTOFF_MS + 20 * 60_000)
            .expect("time")
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let working: Vec<&(String, String)> = logins
            .iter()
            .filter(|(p, _)| {
                state(p).is_some_and(|s| {
                    s["scheduled"]["activityType"] == "presence"
                        && s["scheduled"]["end"]
                            .as_str()
                            .is_some_and(|e| e > soon.as_str())
                        && s["actual"]["online"] == true
                        && s["oooType"].is_null()
                })
            })
            .collect();
        // offline and nothing scheduled: logs in unscheduled (or never seen: no record yet)
        let idle = logins.iter().find(|(p, _)| {
            state(p).is_none_or(|s| s["scheduled"].is_null() && s["actual"]["online"] != true)
        });
        let (Some(idle), [absent, wrong, mover, buffered, ..]) = (idle, working.as_slice()) else {
            panic!("the simulated morning lacks agents for every colour");
        };
        let t0 = CUTOFF_MS + 1000;
        self.odigo(&absent.1, "LOGOUT", None, t0);
        self.odigo(&wrong.1, "PAUSE", Some("BREAK"), t0);
        self.odigo(&idle.1, "READY", None, t0);
        // six minutes later (past every buffer): timers fire on the account's event-time clock
        let t1 = t0 + 6 * 60_000;
        self.odigo(&mover.1, "BUSY", None, t1);
        self.odigo(&buffered.1, "PAUSE", Some("BREAK"), t1 + 1000);
        self.clock_ms = t1 + 1000;
        let want = [
            (&absent.0, "notPresent", false),
            (&wrong.0, "wrongActivity", false),
            (&idle.0, "notScheduled", false),
            (&buffered.0, "wrongActivity", true),
        ];
        let deadline = Instant::now() + WITHIN;
        loop {
            let body = get(&self.dashboard, &self.token, "/api/accounts/acme/states");
            let now: Vec<serde_json::Value> = body
                .and_then(|b| serde_json::from_str(&b).ok())
                .unwrap_or_default();
            let shown = want.iter().all(|(p, t, b)| {
                now.iter()
                    .any(|s| s["person"] == p.as_str() && s["oooType"] == *t && s["inBuffer"] == *b)
            });
            if shown {
                self.agents = now.len();
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the dashboard did not show every colour: {want:?}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        let used = [&absent.0, &wrong.0, &idle.0, &mover.0, &buffered.0];
        logins
            .iter()
            .filter(|(p, _)| !used.contains(&p))
            .cloned()
            .collect()
    }

    /// Produce the next live change (the next agent in turn, one second of event time later)
    /// and wait for its acknowledgement.
    pub fn change(&mut self) -> Change {
        self.clock_ms += 1000;
        let i = self.next % self.live.len();
        self.next += 1;
        let (person, login, on_break) = self.live[i].clone();
        self.live[i].2 = !on_break;
        let (state, code) = if on_break {
            ("READY", None)
        } else {
            ("PAUSE", Some("BREAK"))
        };
        let (at, produced_ms) = self.odigo(&login, state, code, self.clock_ms);
        Change {
            person,
            at,
            produced_ms,
        }
    }

    /// Produce one Odigo notification and wait for its acknowledgement: its timestamp (RFC
    /// 3339) and when it was handed to the producer.
    fn odigo(
        &mut self,
        login: &str,
        state: &str,
        pause: Option<&str>,
        at_ms: i64,
    ) -> (String, i64) {
        let at = chrono::DateTime::from_timestamp_millis(at_ms)
            .expect("time")
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        self.next_id += 1;
        let mut value = serde_json::json!({
            "eventId": format!("live-{}", self.next_id), "timestamp": at, "login": login, "state": state,
        });
        if let Some(code) = pause {
            value["pauseCode"] = code.into();
        }
        let payload = serde_json::to_vec(&value).expect("JSON");
        let topic = self.names.topic("rta.agent-events");
        let headers = OwnedHeaders::new().insert(Header {
            key: "rta-integration",
            value: Some(ODIGO.as_bytes()),
        });
        let produced_ms = now_ms();
        let rec = BaseRecord::to(&topic)
            .key("acme")
            .payload(&payload)
            .headers(headers);
        if let Err((e, _)) = self.producer.send(rec) {
            panic!("event not produced: {e}");
        }
        self.producer
            .flush(Duration::from_secs(30))
            .expect("event acknowledged");
        (at, produced_ms)
    }
}

/// Milliseconds since the Unix epoch (the browser's clock is the same machine's).
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// GET with the access token: the body of a 200.
fn get(d: &Rta, token: &str, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", d.http)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n"
    )
    .ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    let (head, body) = buf.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.1 200")
        .then(|| body.to_string())
        .or_else(|| head.starts_with("HTTP/1.0 200").then(|| body.to_string()))
}
