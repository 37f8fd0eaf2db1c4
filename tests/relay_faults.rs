//! `rta relay` when the broker goes away (its own broker, killed and restarted): 503 with
//! `Retry-After` within the ack bound, the in-flight limit, `/readyz` 503, a request in flight at
//! SIGTERM answered before the relay exits 0, and 202 again once the broker is back.

mod common;

use common::relay::*;
use common::*;
use std::time::Duration;

const WITHIN: Duration = Duration::from_secs(120);

#[test]
fn broker_down_gives_503_with_retry_after_in_flight_limit_and_graceful_drain() {
    let mut broker = Broker::start();
    let names = Names::new("relay-down.");
    setup(&broker, &names);
    let conf = std::env::temp_dir().join(format!("rta-relay-down-{}.toml", std::process::id()));
    std::fs::write(
        &conf,
        "ack_timeout_ms = 3000\nmax_in_flight_requests = 1\nretry_after_seconds = 2\n",
    )
    .unwrap();
    let relay = RelayProc::start(&broker, &names, &["--config", conf.to_str().unwrap()]);
    // a second relay, to be stopped while a request waits
    let mut second = RelayProc::start(&broker, &names, &["--config", conf.to_str().unwrap()]);
    let token = secret_of(&admin_ok(
        &broker,
        &names,
        &[
            "integration",
            "add",
            "--account",
            "acme",
            "--vendor",
            "odigo",
            "--name",
            "D",
        ],
    ));
    relay.wait_ready(WITHIN);
    let path = format!("/v1/odigo/{token}");
    let body = br#"{"login":"a","state":"READY","timestamp":1}"#;
    eventually("the relay knows the token", WITHIN, || {
        relay.post(&path, &[JSON], body).status == 202
    });
    second.wait_ready(WITHIN);
    eventually("the second relay knows the token", WITHIN, || {
        second.post(&path, &[JSON], body).status == 202
    });
    broker.stop();
    // graceful shutdown: a request in flight at SIGTERM is answered (here 503, the broker is
    // gone) before the relay exits 0
    let pid = second.child.as_ref().unwrap().id().to_string();
    let port = second.port;
    std::thread::scope(|s| {
        let waiting = s.spawn(|| request(port, "POST", &path, &[JSON], body));
        eventually("a request in flight at the second relay", WITHIN, || {
            request(port, "GET", "/metrics", &[], b"")
                .is_some_and(|m| m.body.contains("rta_relay_in_flight_requests 1"))
        });
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
        let a = waiting
            .join()
            .unwrap()
            .expect("the request in flight was answered");
        assert_eq!(
            (a.status, a.code().as_str()),
            (503, "unavailable"),
            "{}",
            a.body
        );
        assert_eq!(a.header("retry-after"), Some("2"));
    });
    assert_eq!(second.terminate(), Some(0), "graceful shutdown exits 0");
    std::thread::scope(|s| {
        // one request waits for an acknowledgement that cannot come…
        let waiting = s.spawn(|| relay.post(&path, &[JSON], body));
        eventually("one request in flight", WITHIN, || {
            relay
                .get("/metrics")
                .is_some_and(|m| m.body.contains("rta_relay_in_flight_requests 1"))
        });
        // …so a second one is beyond the in-flight limit
        let b = relay.post(&path, &[JSON], body);
        assert_eq!(
            (b.status, b.code().as_str()),
            (503, "unavailable"),
            "{}",
            b.body
        );
        assert!(b.body.contains("in-flight limit"), "{}", b.body);
        let a = waiting.join().unwrap();
        assert_eq!(
            (a.status, a.code().as_str()),
            (503, "unavailable"),
            "{}",
            a.body
        );
        assert_eq!(a.header("retry-after"), Some("2"));
        assert!(a.body.contains("did not acknowledge"), "{}", a.body);
    });
    eventually("readyz says 503 while the broker is down", WITHIN, || {
        relay.get("/readyz").is_some_and(|r| r.status == 503)
    });
    broker.restart();
    eventually("202 once the broker is back", WITHIN, || {
        relay.post(&path, &[JSON], body).status == 202
    });
    let _ = std::fs::remove_file(&conf);
}
