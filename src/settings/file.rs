//! The TOML file's shape. Unknown keys are refused, so a typo fails at start instead of being
//! silently ignored.

use super::{parse_addr, ClockSetting, Guarantee, LogFormat, PartitionerSetting, Settings};
use anyhow::Result;
use std::collections::BTreeMap;

#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    pub brokers: Option<String>,
    pub group_id: Option<String>,
    pub clock: Option<ClockSetting>,
    pub retention_hours: Option<u32>,
    pub lateness_ms: Option<u32>,
    pub future_tolerance_seconds: Option<u32>,
    pub tick_ms: Option<u32>,
    pub commit_interval_ms: Option<u32>,
    pub processing_guarantee: Option<Guarantee>,
    pub transaction_max_ms: Option<u32>,
    pub transaction_max_records: Option<usize>,
    pub instance_id: Option<String>,
    pub create_topics: Option<bool>,
    pub partitions: Option<i32>,
    pub replication_factor: Option<i32>,
    pub partitioner: Option<PartitionerSetting>,
    pub http: Option<String>,
    pub http_header_timeout_ms: Option<u32>,
    pub http_idle_timeout_ms: Option<u32>,
    pub http_max_connections: Option<usize>,
    pub log_format: Option<LogFormat>,
    #[serde(default)]
    pub topics: FileTopics,
    /// librdkafka properties, passed through unchanged. Values may be strings, numbers or
    /// booleans.
    #[serde(default)]
    pub kafka: BTreeMap<String, toml::Value>,
    #[serde(default)]
    pub embedded: FileEmbedded,
    #[serde(default)]
    pub limits: FileLimits,
}

/// The `[limits]` table (README "Limits"); absent keys keep the defaults.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileLimits {
    pub min_time: Option<String>,
    pub max_time: Option<String>,
    pub max_clock_jump_hours: Option<u32>,
    pub max_record_bytes: Option<usize>,
    pub max_field_bytes: Option<usize>,
    pub max_elements: Option<usize>,
    pub max_segments: Option<usize>,
    pub max_timeline: Option<usize>,
    pub park_per_identifier: Option<usize>,
    pub park_per_account: Option<usize>,
    pub park_bytes: Option<usize>,
    pub hold_per_integration: Option<usize>,
    pub hold_bytes: Option<usize>,
    pub max_unmapped: Option<usize>,
}

impl FileLimits {
    fn apply(self, l: &mut crate::engine::Limits) -> Result<()> {
        let time = |v: Option<String>, what: &str| -> Result<Option<i64>> {
            v.map(|t| {
                crate::time::parse_rfc3339(&t)
                    .ok_or_else(|| anyhow::anyhow!("limits.{what} {t:?} is not an RFC 3339 time"))
            })
            .transpose()
        };
        set(&mut l.min_time, time(self.min_time, "min_time")?);
        set(&mut l.max_time, time(self.max_time, "max_time")?);
        set(
            &mut l.max_clock_jump,
            self.max_clock_jump_hours.map(|h| h as i64 * 3_600_000),
        );
        set(&mut l.max_record_bytes, self.max_record_bytes);
        set(&mut l.max_field_bytes, self.max_field_bytes);
        set(&mut l.max_elements, self.max_elements);
        set(&mut l.max_segments, self.max_segments);
        set(&mut l.max_timeline, self.max_timeline);
        set(&mut l.park_limit, self.park_per_identifier);
        set(&mut l.park_total_limit, self.park_per_account);
        set(&mut l.park_bytes_limit, self.park_bytes);
        set(&mut l.hold_limit, self.hold_per_integration);
        set(&mut l.hold_bytes_limit, self.hold_bytes);
        set(&mut l.max_unmapped, self.max_unmapped);
        Ok(())
    }
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileTopics {
    pub prefix: Option<String>,
    pub agent_events: Option<String>,
    pub config: Option<String>,
    pub agent_states: Option<String>,
    pub adherence_events: Option<String>,
    pub intervals: Option<String>,
    pub unmapped: Option<String>,
    pub dlq: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEmbedded {
    pub persons: Option<usize>,
    pub seed: Option<u64>,
    pub time_zone: Option<String>,
    pub speed: Option<f64>,
}

fn set<T>(slot: &mut T, v: Option<T>) {
    if let Some(v) = v {
        *slot = v;
    }
}

impl FileSettings {
    pub fn apply(self, s: &mut Settings) -> Result<()> {
        if let Some(b) = self.brokers {
            s.brokers = Some(b).filter(|b| !b.trim().is_empty());
        }
        set(&mut s.group_id, self.group_id);
        set(&mut s.clock, self.clock);
        set(
            &mut s.retention,
            self.retention_hours.map(|h| h as i64 * 3_600_000),
        );
        set(&mut s.lateness, self.lateness_ms.map(i64::from));
        set(
            &mut s.future_tolerance,
            self.future_tolerance_seconds.map(|v| v as i64 * 1000),
        );
        set(&mut s.tick, self.tick_ms.map(i64::from));
        set(
            &mut s.commit_interval,
            self.commit_interval_ms.map(i64::from),
        );
        set(&mut s.guarantee, self.processing_guarantee);
        set(
            &mut s.transaction_max,
            self.transaction_max_ms.map(i64::from),
        );
        set(&mut s.transaction_max_records, self.transaction_max_records);
        set(&mut s.instance_id, self.instance_id);
        set(&mut s.create_topics, self.create_topics);
        set(&mut s.partitions, self.partitions);
        set(&mut s.replication_factor, self.replication_factor);
        set(&mut s.partitioner, self.partitioner);
        if let Some(a) = self.http {
            s.http_addr = parse_addr(&a, "http")?;
        }
        set(
            &mut s.http_header_timeout,
            self.http_header_timeout_ms.map(i64::from),
        );
        set(
            &mut s.http_idle_timeout,
            self.http_idle_timeout_ms.map(i64::from),
        );
        set(&mut s.http_max_connections, self.http_max_connections);
        self.limits.apply(&mut s.limits)?;
        set(&mut s.log_format, self.log_format);
        let t = self.topics;
        set(&mut s.topics.agent_events, t.agent_events);
        set(&mut s.topics.config, t.config);
        set(&mut s.topics.agent_states, t.agent_states);
        set(&mut s.topics.adherence_events, t.adherence_events);
        set(&mut s.topics.intervals, t.intervals);
        set(&mut s.topics.unmapped, t.unmapped);
        set(&mut s.topics.dlq, t.dlq);
        if let Some(p) = t.prefix {
            s.topics.prefix(&p);
        }
        for (k, v) in self.kafka {
            let v = match v {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) => f.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                other => anyhow::bail!(
                    "kafka property {k:?} must be a string, number or boolean (got {})",
                    other.type_str()
                ),
            };
            s.kafka.insert(k, v);
        }
        let e = self.embedded;
        set(&mut s.embedded.persons, e.persons);
        set(&mut s.embedded.seed, e.seed);
        set(&mut s.embedded.time_zone, e.time_zone);
        set(&mut s.embedded.speed, e.speed);
        Ok(())
    }
}
