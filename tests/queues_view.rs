//! `GET /api/accounts/{account}/queues` (SPEC §10 view): today's queue intervals per queue with
//! totals and AHT, served by the HTTP server from the processor's live views — by hand-computed
//! expectation for a small day, and consistent with itself for a simulated day.

use rta::engine::{ClockMode, EngineOptions, Origin};
use rta::envelope::Envelope;
use rta::http::{HttpLimits, HttpServer};
use rta::metrics::Metrics;
use rta::service::{LiveViews, Ownership, Processor};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

fn processor(clock: ClockMode) -> (Processor, Arc<LiveViews>, Arc<Metrics>) {
    let views = Arc::new(LiveViews::default());
    let metrics = Arc::new(Metrics::new());
    let opts = EngineOptions {
        clock,
        ..EngineOptions::default()
    };
    let p = Processor::new(opts, Ownership::All, views.clone(), metrics.clone());
    (p, views, metrics)
}

fn feed(p: &mut Processor, envs: &[Envelope]) {
    for (i, e) in envs.iter().enumerate() {
        let origin = e.origin(i as i64);
        let integ = e.header("rta-integration");
        match e.topic.as_str() {
            "rta.config" => p.on_config(&origin),
            "rta.contact-events" => p.on_contacts(&origin, integ, false, false),
            _ => p.on_event(&origin, integ, false, false),
        }
    }
}

fn get(addr: std::net::SocketAddr, path: &str) -> (u16, Value) {
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").unwrap();
    let mut buf = String::new();
    s.read_to_string(&mut buf).unwrap();
    let code = buf.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = buf.split_once("\r\n\r\n").unwrap().1;
    (
        code,
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}")),
    )
}

fn serve(views: Arc<LiveViews>, metrics: Arc<Metrics>) -> HttpServer {
    let addr = "127.0.0.1:0".parse().unwrap();
    HttpServer::start(addr, views, metrics, HttpLimits::default()).expect("http")
}

fn config(key: &str, v: Value) -> Envelope {
    Envelope::json("rta.config", key, &v)
}

fn contacts(items: &[(&str, &str, &str, &str, bool, f64)]) -> Envelope {
    let data: Vec<Value> = items
        .iter()
        .map(|(qid, qname, ch, ts, handled, d)| {
            json!({"properties":{"offered":true,"handled":handled,"duration":d},
                   "queueName":qname,"queueIdentifier":qid,"timestamp":ts,"channel":ch})
        })
        .collect();
    Envelope::json(
        "rta.contact-events",
        "acme",
        &json!({"data":data,"meta":{"integrationConfigurationId":1234}}),
    )
    .with_header("rta-integration", "1234")
}

#[test]
fn todays_queue_intervals_with_totals_and_aht() {
    let (mut p, views, metrics) = processor(ClockMode::EventTime);
    feed(
        &mut p,
        &[
            config(
                "acme/settings",
                json!({"kind":"settings","account":"acme","timeZone":"Asia/Kathmandu","intervalMinutes":30}),
            ),
            config(
                "acme/integration/1234",
                json!({"kind":"integration","account":"acme","id":"1234","vendor":"injixo-api","name":"ACD"}),
            ),
            // yesterday in Kathmandu (+05:45): not today's
            contacts(&[("1", "Sales", "calls", "2026-11-23T18:00:00Z", true, 100.0)]),
            // today starts 2026-11-23T18:15Z; intervals [18:15,18:45) [18:45,19:15) UTC
            contacts(&[
                ("1", "Sales", "calls", "2026-11-23T18:20:00Z", true, 120.0),
                ("1", "Sales", "chat", "2026-11-23T18:40:00Z", true, 60.5),
                ("1", "Sales", "calls", "2026-11-23T18:44:59Z", false, 30.0),
                ("1", "Sales", "calls", "2026-11-23T18:50:00Z", false, 0.0),
                ("2", "Sales", "calls", "2026-11-23T19:00:00Z", true, 90.0),
            ]),
        ],
    );
    p.refresh_summaries();
    let http = serve(views, metrics);
    let (code, v) = get(http.addr, "/api/accounts/acme/queues");
    assert_eq!(code, 200, "{v}");
    assert_eq!(v["account"], "acme");
    assert_eq!(v["date"], "2026-11-24");
    let queues = v["queues"].as_array().unwrap();
    assert_eq!(
        queues.len(),
        2,
        "same name, two identifiers: two queues: {v}"
    );
    let q1 = &queues[0];
    assert_eq!(
        (&q1["integration"], &q1["queueIdentifier"], &q1["queueName"]),
        (&json!("1234"), &json!("1"), &json!("Sales"))
    );
    assert_eq!(
        (&q1["offered"], &q1["handled"], &q1["abandoned"]),
        (&json!(4), &json!(2), &json!(2))
    );
    assert_eq!(q1["handledSeconds"], json!(180.5));
    assert_eq!(q1["averageHandleSeconds"], json!(90.25));
    let ivs = q1["intervals"].as_array().unwrap();
    assert_eq!(ivs.len(), 2);
    assert_eq!(ivs[0]["intervalStart"], "2026-11-23T18:15:00Z");
    assert_eq!(ivs[0]["intervalEnd"], "2026-11-23T18:45:00Z");
    assert_eq!(
        (&ivs[0]["offered"], &ivs[0]["handled"]),
        (&json!(3), &json!(2))
    );
    assert_eq!(ivs[0]["averageHandleSeconds"], json!(90.25));
    assert_eq!(
        ivs[0]["channels"],
        json!({"calls":{"offered":2,"handled":1,"handledSeconds":120},
               "chat":{"offered":1,"handled":1,"handledSeconds":60.5}})
    );
    assert_eq!(ivs[1]["intervalStart"], "2026-11-23T18:45:00Z");
    assert_eq!(
        (&ivs[1]["abandoned"], &ivs[1]["averageHandleSeconds"]),
        (&json!(1), &Value::Null)
    );
    assert_eq!(queues[1]["queueIdentifier"], "2");
    assert_eq!(queues[1]["averageHandleSeconds"], json!(90));

    let (code, v) = get(http.addr, "/api/accounts/nobody/queues");
    assert_eq!(code, 404);
    assert!(v["error"].as_str().unwrap().contains("not known"), "{v}");
    http.stop();
}

#[test]
fn an_account_without_contacts_has_an_empty_list() {
    let (mut p, views, _) = processor(ClockMode::External);
    feed(
        &mut p,
        &[config(
            "solo/settings",
            json!({"kind":"settings","account":"solo","timeZone":"UTC"}),
        )],
    );
    p.materialize("solo", 0, false);
    p.refresh_summaries();
    let v: Value = serde_json::from_slice(&views.queues("solo").expect("known")).unwrap();
    assert_eq!(v["queues"], json!([]));
    assert!(views.queues("other").is_none());
}

#[test]
fn a_simulated_day_adds_up() {
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let plan = rta::simulate::plan_day(&rta::simulate::SimOptions::new(30, date, 4));
    let (mut p, views, _) = processor(ClockMode::EventTime);
    feed(&mut p, &plan.config);
    let events: Vec<Envelope> = plan.events.into_iter().map(|t| t.envelope).collect();
    // up to 16:00 local: today so far
    let cut = rta::time::parse_rfc3339("2026-11-23T15:00:00Z").unwrap();
    let mut fed = 0;
    for (i, e) in events.iter().enumerate() {
        let origin: Origin = e.origin(i as i64);
        let integ = e.header("rta-integration");
        if e.topic == "rta.contact-events" {
            let v: Value = serde_json::from_slice(e.value.as_deref().unwrap()).unwrap();
            let t = rta::time::parse_rfc3339(v["data"][0]["timestamp"].as_str().unwrap());
            if t.is_some_and(|t| t >= cut) {
                continue;
            }
            p.on_contacts(&origin, integ, false, false);
            fed += 1;
        }
    }
    assert!(fed > 20);
    p.refresh_summaries();
    let v: Value = serde_json::from_slice(&views.queues("acme").unwrap()).unwrap();
    assert_eq!(v["date"], "2026-11-23");
    let queues = v["queues"].as_array().unwrap();
    // Level 1 support, Billing, and Sales under two queue identifiers
    assert_eq!(queues.len(), 4, "{v}");
    for q in queues {
        let ivs = q["intervals"].as_array().unwrap();
        assert!(!ivs.is_empty());
        let sum = |f: &str| ivs.iter().map(|i| i[f].as_f64().unwrap()).sum::<f64>();
        for f in ["offered", "handled", "abandoned"] {
            assert_eq!(q[f].as_f64().unwrap(), sum(f), "{f} of {q}");
        }
        let hs = q["handledSeconds"].as_f64().unwrap();
        assert!((hs - sum("handledSeconds")).abs() < 1e-6);
        let aht = q["averageHandleSeconds"].as_f64().unwrap();
        let want = hs / q["handled"].as_f64().unwrap();
        assert!((aht - want).abs() < 0.001, "{aht} vs {want}");
        assert!((60.0..900.0).contains(&aht), "AHT {aht}");
        assert!(ivs
            .windows(2)
            .all(|w| w[0]["intervalStart"].as_str() < w[1]["intervalStart"].as_str()));
        for iv in ivs {
            let start = iv["intervalStart"].as_str().unwrap();
            assert!(("2026-11-22T23:00:00Z".."2026-11-23T23:00:00Z").contains(&start));
        }
    }
}
