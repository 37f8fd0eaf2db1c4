use super::*;

pub(super) fn write(text: &str) -> tempfile_path::TempPath {
    tempfile_path::TempPath::new(text)
}

/// A throwaway file under the target dir (no extra crate).
pub(super) mod tempfile_path {
    pub struct TempPath(pub std::path::PathBuf);
    impl TempPath {
        pub fn new(text: &str) -> TempPath {
            use std::sync::atomic::{AtomicU32, Ordering};
            static N: AtomicU32 = AtomicU32::new(0);
            let p = std::env::temp_dir().join(format!(
                "rta-settings-{}-{}.toml",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::write(&p, text).expect("write temp file");
            TempPath(p)
        }
    }
    impl Drop for TempPath {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

/// Overrides from flags only: (flag name, value).
pub(super) fn flags(pairs: &[(&str, &str)]) -> Overrides {
    Overrides {
        env: Vec::new(),
        flags: pairs
            .iter()
            .map(|(f, v)| (f.to_string(), v.to_string()))
            .collect(),
    }
}

#[test]
fn defaults_run_embedded() {
    let s = Settings::load(None, &Overrides::default()).unwrap();
    assert_eq!(s.brokers, None);
    assert_eq!(s.topics.agent_events, "rta.agent-events");
    assert_eq!(s.clock, ClockSetting::Wall);
    assert_eq!(s.retention, 48 * 3_600_000);
}

#[test]
fn file_then_flags_win() {
    let f = write(
        r#"
brokers = "k1:9092"
group_id = "from-file"
clock = "event-time"
partitions = 3
[topics]
prefix = "stg."
dlq = "dead"
[kafka]
"security.protocol" = "SSL"
"queue.buffering.max.ms" = 5
"#,
    );
    let over = flags(&[("group-id", "from-flag"), ("kafka", "linger.ms=1")]);
    let s = Settings::load(Some(&f.0), &over).unwrap();
    assert_eq!(s.brokers.as_deref(), Some("k1:9092"));
    assert_eq!(s.group_id, "from-flag");
    assert_eq!(s.clock, ClockSetting::EventTime);
    assert_eq!(s.partitions, 3);
    assert_eq!(s.topics.config, "stg.rta.config");
    assert_eq!(s.topics.dlq, "stg.dead");
    assert_eq!(s.kafka["security.protocol"], "SSL");
    assert_eq!(s.kafka["queue.buffering.max.ms"], "5");
    assert_eq!(s.kafka["linger.ms"], "1");
}

#[test]
fn unknown_key_fails_with_one_line() {
    let f = write("brokerz = \"x\"\n");
    let e = Settings::load(Some(&f.0), &Overrides::default()).unwrap_err();
    let msg = format!("{e:#}");
    assert!(msg.contains("brokerz"), "{msg}");
    assert!(!msg.trim_end().contains('\n'), "{msg}");
}

#[test]
fn bad_values_are_refused() {
    let cases: Vec<(&str, Overrides)> = vec![
        ("KEY=VALUE", flags(&[("kafka", "nonsense")])),
        (
            "managed by rta",
            flags(&[("kafka", "enable.auto.commit=true")]),
        ),
        ("address", flags(&[("http", "localhost")])),
        ("partitions", flags(&[("partitions", "0")])),
        (
            "not a valid Kafka topic name",
            flags(&[("topic-prefix", "bad prefix/")]),
        ),
        ("positive number", flags(&[("speed", "0")])),
    ];
    for (want, over) in cases {
        let e = Settings::load(None, &over).unwrap_err().to_string();
        assert!(e.contains(want), "{e} should mention {want}");
    }
}

#[test]
fn missing_file_is_one_clear_line() {
    let e = Settings::load(
        Some(Path::new("/nonexistent/rta.toml")),
        &Overrides::default(),
    )
    .unwrap_err();
    assert!(format!("{e:#}").contains("cannot read the config file /nonexistent/rta.toml"));
}

#[test]
fn example_file_is_valid() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/rta.example.toml");
    let s = Settings::load(Some(&p), &Overrides::default()).unwrap();
    // as shipped it runs the embedded default instead of waiting for example hosts
    assert_eq!(s.brokers, None);
    assert_eq!(s.guarantee, super::Guarantee::AtLeastOnce);
    assert_eq!(s.transaction_max, 100);
}

#[test]
fn kafka_values_keep_their_commas() {
    use super::split_kafka_env;
    assert_eq!(
        split_kafka_env("debug=broker,topic,msg,sasl.password=a,b"),
        vec!["debug=broker,topic,msg", "sasl.password=a,b"]
    );
    assert_eq!(
        split_kafka_env("security.protocol=SASL_SSL, sasl.mechanism=SCRAM-SHA-512"),
        vec!["security.protocol=SASL_SSL", "sasl.mechanism=SCRAM-SHA-512"]
    );
    // the newline form keeps anything, `x=y` after a comma included
    assert_eq!(
        split_kafka_env("sasl.password=p,q=r\nlinger.ms=1\n"),
        vec!["sasl.password=p,q=r", "linger.ms=1"]
    );
    let env = Overrides {
        env: vec![("RTA_KAFKA".into(), "debug=broker,topic,msg".into())],
        flags: Vec::new(),
    };
    let s = Settings::load(None, &env).unwrap();
    assert_eq!(s.kafka["debug"], "broker,topic,msg");
}

#[test]
fn exactly_once_is_a_setting_of_file_and_flag() {
    let dir = std::env::temp_dir().join(format!("rta-eos-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("rta.toml");
    std::fs::write(
        &f,
        "processing_guarantee = \"exactly-once\"\ntransaction_max_ms = 50\ninstance_id = \"a-1\"\n",
    )
    .unwrap();
    let s = Settings::load(Some(&f), &Overrides::default()).unwrap();
    assert_eq!(s.guarantee, super::Guarantee::ExactlyOnce);
    assert_eq!(s.transaction_max, 50);
    assert_eq!(s.instance_id, "a-1");
    let s = Settings::load(
        Some(&f),
        &flags(&[
            ("processing-guarantee", "at-least-once"),
            ("instance-id", "bad id"),
        ]),
    );
    assert!(s.unwrap_err().to_string().contains("instance id"));
    assert!(Settings::load(None, &flags(&[("kafka", "transactional.id=x")])).is_err());
}
