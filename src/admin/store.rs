//! Where the admin commands read and write config records: `rta.config` on the brokers (read
//! to its end offsets; written with `acks=all` and idempotence, each write acknowledged), or an
//! NDJSON file of envelopes (`--output`; its existing records are the current state, new ones
//! are appended, so `rta process` can read it).

use crate::envelope::Envelope;
use crate::settings::Settings;
use anyhow::{bail, Context, Result};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The target of an admin command.
#[derive(Clone, Debug)]
pub enum Target {
    Kafka {
        brokers: String,
        prefix: String,
        kafka: BTreeMap<String, String>,
    },
    File(PathBuf),
}

impl Target {
    fn settings(&self) -> Settings {
        let mut s = Settings::default();
        if let Target::Kafka {
            brokers,
            prefix,
            kafka,
        } = self
        {
            s.brokers = Some(brokers.clone());
            s.group_id = "rta-admin".into();
            s.kafka = kafka.clone();
            s.topics.prefix(prefix);
        }
        s
    }

    /// The topic name for a default name (`rta.config`, `rta.unmapped`).
    pub fn topic(&self, default: &str) -> String {
        match self {
            Target::Kafka { prefix, .. } => format!("{prefix}{default}"),
            Target::File(_) => default.to_string(),
        }
    }

    /// The latest value of every key of `topic` (`default` name): tombstoned keys are absent.
    pub fn read_topic(&self, default: &str) -> Result<BTreeMap<String, Vec<u8>>> {
        let mut out = BTreeMap::new();
        match self {
            Target::File(path) => {
                if !path.exists() {
                    return Ok(out);
                }
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                for (i, line) in text.lines().enumerate() {
                    if line.trim().is_empty() {
                        continue;
                    }
                    let e = Envelope::parse_line(line)
                        .map_err(|e| anyhow::anyhow!("{} line {}: {e}", path.display(), i + 1))?;
                    if e.topic != default {
                        continue;
                    }
                    if let Some(k) = e.key {
                        match e.value {
                            Some(v) => out.insert(k, v),
                            None => out.remove(&k),
                        };
                    }
                }
            }
            Target::Kafka { brokers, .. } => {
                let topic = self.topic(default);
                let c: BaseConsumer =
                    crate::kafka::client::config_consumer(&self.settings(), brokers)
                        .create()
                        .context("cannot create a Kafka consumer; check the --kafka properties")?;
                let n = crate::relay::table::partitions(&c, &topic)?;
                let mut tpl = TopicPartitionList::new();
                let mut ends = BTreeMap::new();
                for p in 0..n {
                    tpl.add_partition_offset(&topic, p, Offset::Beginning)?;
                    let (low, high) = crate::relay::table::watermarks(&c, &topic, p)?;
                    if high > low {
                        ends.insert(p, high);
                    }
                }
                c.assign(&tpl)?;
                let deadline = Instant::now() + Duration::from_secs(120);
                while !ends.is_empty() {
                    if Instant::now() > deadline {
                        bail!("could not read {topic} to its end within 120 s");
                    }
                    if let Some(Ok(m)) = c.poll(Duration::from_millis(100)) {
                        if let Some(k) = m.key().map(|k| String::from_utf8_lossy(k).into_owned()) {
                            match m.payload() {
                                Some(v) => out.insert(k, v.to_vec()),
                                None => out.remove(&k),
                            };
                        }
                    }
                    if let Ok(pos) = c.position() {
                        ends.retain(|p, high| {
                            !matches!(pos.find_partition(&topic, *p).map(|e| e.offset()),
                                Some(Offset::Offset(o)) if o >= *high)
                        });
                    }
                }
            }
        }
        Ok(out)
    }

    /// Write config records (key, value or tombstone), in order; returns once every one is
    /// acknowledged (Kafka) or appended (file).
    pub fn write_config(&self, records: &[(String, Option<Vec<u8>>)]) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        match self {
            Target::File(path) => {
                let mut buf = Vec::new();
                for (k, v) in records {
                    Envelope {
                        topic: "rta.config".into(),
                        key: Some(k.clone()),
                        headers: Vec::new(),
                        value: v.clone(),
                    }
                    .write_line(&mut buf);
                    buf.push(b'\n');
                }
                let mut f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                f.write_all(&buf)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            Target::Kafka { brokers, .. } => {
                let topic = self.topic("rta.config");
                let mut c = crate::kafka::client::base(&self.settings(), brokers);
                c.set("client.id", "rta-admin")
                    .set("enable.idempotence", "true")
                    .set("acks", "all")
                    .set("message.timeout.ms", "30000");
                let p: FutureProducer = c
                    .create()
                    .context("cannot create a Kafka producer; check the --kafka properties")?;
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .context("cannot start a runtime")?;
                rt.block_on(async {
                    let mut pending = Vec::with_capacity(records.len());
                    for (k, v) in records {
                        let mut rec: FutureRecord<'_, str, [u8]> = FutureRecord::to(&topic).key(k);
                        if let Some(v) = v {
                            rec = rec.payload(v.as_slice());
                        }
                        let f = p
                            .send_result(rec)
                            .map_err(|(e, _)| anyhow::anyhow!("cannot queue a record for {topic}: {e}"))?;
                        pending.push(f);
                    }
                    for f in pending {
                        match f.await {
                            Ok(Ok(_)) => {}
                            Ok(Err((e, _))) => bail!("Kafka did not acknowledge a write to {topic}: {e}"),
                            Err(_) => bail!("the producer stopped before every write to {topic} was acknowledged"),
                        }
                    }
                    Ok(())
                })?;
            }
        }
        Ok(())
    }
}

/// The current config records: key → JSON value.
pub struct ConfigState {
    pub records: BTreeMap<String, serde_json::Value>,
}

impl ConfigState {
    pub fn load(t: &Target) -> Result<ConfigState> {
        let raw = t.read_topic("rta.config")?;
        let records = raw
            .into_iter()
            .filter_map(|(k, v)| serde_json::from_slice(&v).ok().map(|v| (k, v)))
            .collect();
        Ok(ConfigState { records })
    }

    /// The records of one account and kind: (key, value).
    pub fn of_kind<'a>(
        &'a self,
        account: &'a str,
        kind: crate::config::ConfigKind,
    ) -> impl Iterator<Item = (&'a String, &'a serde_json::Value)> + 'a {
        let prefix = kind.render(account, &[""]);
        self.records
            .range(prefix.clone()..)
            .take_while(move |(k, _)| k.starts_with(&prefix))
    }
}
