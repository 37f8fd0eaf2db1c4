//! Topics at start: existing ones checked (a topic rta needs compacted that is not is refused),
//! missing ones created — compacted ones with `cleanup.policy=compact`, the two event input
//! topics with a retention long enough to rebuild state from, and the contact-events topic with
//! as many partitions as the agent-events topic (one instance owns an account's both).

use crate::settings::Settings;
use anyhow::{bail, Context, Result};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::types::RDKafkaErrorCode;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(30);

/// Create the topics that do not exist yet.
/// Segments of the changelog roll at least this often (ms), so compaction can clean them.
const CHANGELOG_SEGMENT_MS: &str = "600000";

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
    // the agent-events topic's partition count, when it exists: the contact-events topic gets
    // the same
    let events_partitions = md
        .topics()
        .iter()
        .find(|t| t.name() == s.topics.agent_events && t.error().is_none())
        .map(|t| t.partitions().len() as i32)
        .filter(|n| *n > 0);
    let admin: AdminClient<DefaultClientContext> = super::client::base(s, brokers)
        .create()
        .context("cannot create a Kafka admin client")?;
    check_compaction(s, &admin, &existing).await?;
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
    let new: Vec<NewTopic> = missing
        .iter()
        .map(|(name, compacted)| {
            let partitions = if *name == s.topics.config {
                1
            } else if *name == s.topics.contact_events || *name == s.topics.changelog {
                events_partitions.unwrap_or(s.partitions)
            } else {
                s.partitions
            };
            let t = NewTopic::new(
                name,
                partitions,
                TopicReplication::Fixed(s.replication_factor),
            );
            if *name == s.topics.changelog {
                // a restore reads the log up to its end: keep the part not yet compacted small
                // (the broker only cleans closed segments; by default 1 GB or 7 days)
                t.set("cleanup.policy", "compact")
                    .set("segment.ms", CHANGELOG_SEGMENT_MS)
                    .set("min.cleanable.dirty.ratio", "0.1")
            } else if *compacted {
                t.set("cleanup.policy", "compact")
            } else if *name == s.topics.agent_events || *name == s.topics.contact_events {
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

/// Compacted topics hold the latest record per key (config, states, intervals, unmapped): with
/// `cleanup.policy=delete` they lose it after the retention time. Refuse to start on one.
async fn check_compaction(
    s: &Settings,
    admin: &AdminClient<DefaultClientContext>,
    existing: &[String],
) -> Result<()> {
    let compacted: Vec<&str> = s
        .topics
        .all()
        .into_iter()
        .filter(|(n, c)| *c && existing.iter().any(|e| e == n))
        .map(|(n, _)| n)
        .collect();
    if compacted.is_empty() {
        return Ok(());
    }
    let specs: Vec<ResourceSpecifier> = compacted
        .iter()
        .map(|n| ResourceSpecifier::Topic(n))
        .collect();
    let results = admin
        .describe_configs(&specs, &AdminOptions::new().request_timeout(Some(TIMEOUT)))
        .await
        .context("cannot read the configuration of the existing topics")?;
    for (name, r) in compacted.iter().zip(results) {
        let Ok(res) = r else {
            tracing::warn!(topic = %name, "cannot read the topic's configuration; compaction not checked");
            continue;
        };
        let policy = res
            .get("cleanup.policy")
            .and_then(|e| e.value.clone())
            .unwrap_or_default();
        if !policy.split(',').any(|p| p.trim() == "compact") {
            bail!(
                "topic {name} must be compacted but has cleanup.policy={policy}; set it with kafka-configs --alter --entity-type topics --entity-name {name} --add-config cleanup.policy=compact"
            );
        }
    }
    Ok(())
}
