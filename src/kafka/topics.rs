//! Creating missing topics at start: compacted ones with `cleanup.policy=compact`, the input
//! topic with a retention long enough to rebuild state from.

use crate::settings::Settings;
use anyhow::{bail, Context, Result};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::types::RDKafkaErrorCode;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(30);

/// Create the topics that do not exist yet.
pub async fn ensure(s: &Settings, brokers: &str) -> Result<()> {
    let probe: BaseConsumer = super::client::base(s, brokers)
        .create()
        .context("cannot create a Kafka client; check the [kafka] properties")?;
    let md = probe
        .fetch_metadata(None, TIMEOUT)
        .with_context(|| format!("cannot reach Kafka at {brokers}; check --brokers"))?;
    let existing: Vec<String> = md
        .topics()
        .iter()
        .filter(|t| t.error().is_none() && !t.partitions().is_empty())
        .map(|t| t.name().to_string())
        .collect();
    let retention_ms = (s.retention + 24 * 3_600_000).to_string();
    let missing: Vec<(&str, bool)> = s
        .topics
        .all()
        .into_iter()
        .filter(|(n, _)| !existing.iter().any(|e| e == n))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !s.create_topics {
        let names: Vec<&str> = missing.iter().map(|(n, _)| *n).collect();
        bail!(
            "topics {} do not exist and create_topics is off; create them or set create_topics = true",
            names.join(", ")
        );
    }
    let admin: AdminClient<DefaultClientContext> = super::client::base(s, brokers)
        .create()
        .context("cannot create a Kafka admin client")?;
    let new: Vec<NewTopic> = missing
        .iter()
        .map(|(name, compacted)| {
            let partitions = if *name == s.topics.config {
                1
            } else {
                s.partitions
            };
            let t = NewTopic::new(
                name,
                partitions,
                TopicReplication::Fixed(s.replication_factor),
            );
            if *compacted {
                t.set("cleanup.policy", "compact")
            } else if *name == s.topics.agent_events {
                t.set("retention.ms", &retention_ms)
            } else {
                t
            }
        })
        .collect();
    let results = admin
        .create_topics(&new, &AdminOptions::new().operation_timeout(Some(TIMEOUT)))
        .await
        .context("cannot create topics")?;
    for r in results {
        match r {
            Ok(name) => tracing::info!(topic = %name, "topic created"),
            Err((name, RDKafkaErrorCode::TopicAlreadyExists)) => {
                tracing::debug!(topic = %name, "topic already exists")
            }
            Err((name, code)) => bail!(
                "cannot create topic {name}: {code}; create it yourself or check the broker's permissions"
            ),
        }
    }
    Ok(())
}
