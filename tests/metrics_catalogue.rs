//! The metrics catalogue passes `promtool check metrics` (installed by .ci/run) with every
//! labelled series present, and carries no per-person label.

use rta::metrics::Metrics;
use std::io::Write;
use std::process::{Command, Stdio};

fn populated() -> String {
    let m = Metrics::new();
    m.records_consumed
        .with_label_values(&["rta.agent-events"])
        .inc();
    m.dead_letters.with_label_values(&["too_late"]).inc();
    m.contact_dead_letters
        .with_label_values(&["queues_full"])
        .inc();
    m.unmapped_events.with_label_values(&["identifier"]).inc();
    m.unmapped_values.with_label_values(&["status"]).set(2);
    m.outputs.with_label_values(&["agent_states"]).inc();
    m.persons_by_adherence
        .with_label_values(&["acme", "out"])
        .set(3);
    m.processing_latency.observe(0.004);
    m.event_age.observe(1.5);
    m.consumer_lag
        .with_label_values(&["rta.agent-events", "0"])
        .set(10);
    m.commits.with_label_values(&["ok"]).inc();
    m.rebalances.with_label_values(&["assign"]).inc();
    m.batch_duration
        .with_label_values(&["kafka"])
        .observe(0.001);
    m.render()
}

/// `promtool check metrics` over an exposition: it must succeed and report nothing.
fn promtool_check_metrics(text: &str) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool must be on PATH: .ci/run installs it");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "promtool failed: {report}");
    assert_eq!(report.trim(), "", "promtool reported problems");
}

#[test]
fn promtool_check_metrics_reports_nothing() {
    let text = populated();
    promtool_check_metrics(&text);
}

#[test]
fn no_metric_has_a_person_or_agent_label() {
    let text = populated();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        for banned in ["person=", "agent=", "login=", "identifier="] {
            assert!(!line.contains(banned), "personal label in {line}");
        }
    }
    for name in [
        "rta_records_consumed_total",
        "rta_dead_letters_total",
        "rta_events_applied_total",
        "rta_unmapped_values",
        "rta_persons_tracked",
        "rta_persons_by_adherence",
        "rta_processing_latency_seconds_bucket",
        "rta_event_age_seconds_bucket",
        "rta_consumer_lag_records",
        "rta_producer_queue_records",
        "rta_commits_total",
        "rta_rebalances_total",
        "rta_contact_records_total",
        "rta_contacts_applied_total",
        "rta_contact_resubmissions_total",
        "rta_contact_bodies_unchecked_total",
        "rta_contact_dead_letters_total{reason=\"queues_full\"}",
        "rta_output_records_total{topic=\"queue_intervals\"}",
    ] {
        assert!(text.contains(name), "catalogue lacks {name}");
    }
}

#[test]
fn alerting_rules_use_the_catalogue_and_pass_promtool() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/alerts.yaml");
    let out = Command::new("promtool")
        .args(["check", "rules", path])
        .output()
        .expect("promtool must be on PATH: .ci/run installs it");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let rules = std::fs::read_to_string(path).unwrap();
    let catalogue = populated();
    for name in rules
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("rta_"))
    {
        let base = name.trim_end_matches("_bucket");
        assert!(catalogue.contains(base), "alert uses unknown metric {name}");
    }
}

/// The relay's catalogue (`rta relay`'s /metrics), every labelled series populated.
fn relay_populated() -> String {
    let m = rta::relay::metrics::RelayMetrics::new();
    m.requests.with_label_values(&["odigo", "202"]).inc();
    m.requests.with_label_values(&["other", "404"]).inc();
    m.received_bytes.with_label_values(&["odigo"]).inc_by(900);
    m.rejections.with_label_values(&["unauthorized"]).inc();
    m.produce_latency.observe(0.003);
    m.in_flight_requests.set(2);
    m.in_flight_bytes.set(1800);
    m.integrations.set(3);
    m.config_caught_up.set(1);
    m.broker_reachable.set(1);
    m.render()
}

#[test]
fn relay_catalogue_passes_promtool_and_has_no_secret_or_account_label() {
    let text = relay_populated();
    promtool_check_metrics(&text);
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        for banned in ["token=", "account=", "integration=", "person=", "key="] {
            assert!(!line.contains(banned), "forbidden label in {line}");
        }
    }
    for name in [
        "rta_relay_requests_total{route=\"odigo\",status=\"202\"} 1",
        "rta_relay_received_bytes_total{route=\"odigo\"} 900",
        "rta_relay_rejections_total{reason=\"unauthorized\"} 1",
        "rta_relay_produce_latency_seconds_bucket",
        "rta_relay_in_flight_requests 2",
        "rta_relay_in_flight_bytes 1800",
        "rta_relay_integrations 3",
        "rta_relay_config_caught_up 1",
        "rta_relay_broker_reachable 1",
        "rta_build_info{",
    ] {
        assert!(text.contains(name), "relay catalogue lacks {name}: {text}");
    }
}
