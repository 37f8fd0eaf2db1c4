//! Topics read as tables: every partition of a list of (mostly compacted) topics, from the
//! beginning, without a consumer group, followed live. `rta dashboard` keeps the latest record
//! per key of the output topics and the config this way; it commits nothing and any number of
//! dashboards can read side by side.

use super::client;
use anyhow::{Context, Result};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(30);
/// How often topics that did not exist yet are looked for again.
const RETRY_MISSING: Duration = Duration::from_secs(5);

/// One record of a table topic.
pub struct TableRecord<'a> {
    pub topic: &'a str,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
}

/// What the reader tells its owner.
pub trait TableSink {
    fn record(&mut self, r: &TableRecord);
    /// Every topic was read up to the end offsets it had when it was first assigned.
    fn caught_up(&mut self);
    /// Called between polls (about every 100 ms at least): periodic work.
    fn idle(&mut self) {}
}

/// Read `topics` until `stop` is raised. Topics that do not exist yet are waited for (and
/// logged once), not an error: a dashboard may start before the processors create them.
pub fn follow(
    s: &crate::settings::Settings,
    brokers: &str,
    topics: &[String],
    sink: &mut dyn TableSink,
    stop: &AtomicBool,
) -> Result<()> {
    let c: BaseConsumer = client::table_consumer(s, brokers)
        .create()
        .context("cannot create the Kafka consumer; check the [kafka] properties")?;
    let mut assigned: Vec<String> = Vec::new();
    let mut tpl = TopicPartitionList::new();
    let mut ends: BTreeMap<(String, i32), i64> = BTreeMap::new();
    let mut caught_up = false;
    let mut last_look = Instant::now() - RETRY_MISSING;
    let mut warned = false;
    while !stop.load(Ordering::Acquire) {
        if assigned.len() < topics.len() && last_look.elapsed() >= RETRY_MISSING {
            last_look = Instant::now();
            let md = c
                .fetch_metadata(None, TIMEOUT)
                .with_context(|| format!("cannot reach Kafka at {brokers}; check --brokers"))?;
            let mut added = false;
            let missing: Vec<&String> = topics.iter().filter(|t| !assigned.contains(t)).collect();
            for t in missing {
                let Some(meta) = md
                    .topics()
                    .iter()
                    .find(|m| m.name() == t && m.error().is_none() && !m.partitions().is_empty())
                else {
                    continue;
                };
                for p in meta.partitions() {
                    tpl.add_partition_offset(t, p.id(), Offset::Beginning)?;
                    let (low, high) = c
                        .fetch_watermarks(t, p.id(), TIMEOUT)
                        .with_context(|| format!("cannot read the end offsets of {t}"))?;
                    if high > low {
                        ends.insert((t.clone(), p.id()), high);
                    }
                }
                assigned.push(t.clone());
                added = true;
            }
            if added {
                c.assign(&tpl).context("cannot read the topics")?;
                tracing::info!(topics = ?assigned, "reading topics from the beginning");
            }
            if assigned.len() < topics.len() && !warned {
                let missing: Vec<&String> =
                    topics.iter().filter(|t| !assigned.contains(t)).collect();
                tracing::warn!(topics = ?missing, "topics do not exist yet; waiting for them (rta run creates them)");
                warned = true;
            }
        }
        match c.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => sink.record(&TableRecord {
                topic: m.topic(),
                key: m.key(),
                value: m.payload(),
            }),
            Some(Err(e)) => tracing::warn!(error = %e, "topic read error"),
            None => {}
        }
        if !caught_up {
            // the position passes transaction markers and deleted ranges; offsets do not
            if let Ok(pos) = c.position() {
                ends.retain(|(t, p), high| {
                    !matches!(
                        pos.find_partition(t, *p).map(|e| e.offset()),
                        Some(Offset::Offset(o)) if o >= *high
                    )
                });
            }
            if ends.is_empty() && !assigned.is_empty() {
                caught_up = true;
                tracing::info!("topics read to their end; following live");
                sink.caught_up();
            }
        }
        sink.idle();
    }
    Ok(())
}
