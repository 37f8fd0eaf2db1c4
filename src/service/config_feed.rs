//! One config reader for every worker thread of an instance: it keeps the shared config table
//! ([`SharedTable`]) and feeds each worker the records, in order, to apply to the accounts it
//! runs. A record is applied to the table and queued for the workers under the table's write
//! lock, so a worker that reads the table (to bring an account to life) at sequence number `n`
//! has every record up to `n` there and every later one still in its queue.

use super::config_table::SharedTable;
use super::processor::{apply_to_table, config_change};
use crate::config::ConfigChange;
use crate::engine::{Limits, Origin};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// A config record as read, with the table's sequence number after it.
#[derive(Debug)]
pub struct FedRecord {
    pub seq: u64,
    pub topic: Box<str>,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Box<[u8]>>,
    pub payload: Option<Box<[u8]>>,
}

impl FedRecord {
    pub fn origin(&self) -> Origin<'_> {
        Origin {
            topic: &self.topic,
            partition: self.partition,
            offset: self.offset,
            key: self.key.as_deref(),
            payload: self.payload.as_deref(),
        }
    }
}

pub struct ConfigFeed {
    pub table: SharedTable,
    /// One queue per worker thread.
    queues: Vec<Mutex<VecDeque<Arc<FedRecord>>>>,
    limits: Limits,
}

impl ConfigFeed {
    pub fn new(workers: usize, limits: Limits) -> ConfigFeed {
        ConfigFeed {
            table: SharedTable::default(),
            queues: (0..workers.max(1))
                .map(|_| Mutex::new(VecDeque::new()))
                .collect(),
            limits,
        }
    }

    /// One record of the config topic. While catching up (before any worker runs an account)
    /// valid records only fill the table; invalid ones are queued too, for whichever worker
    /// takes their account over to report.
    pub fn apply(&self, origin: &Origin, catching_up: bool) {
        self.apply_checked(origin, self.check(origin), catching_up);
    }

    /// A record checked ([`config_change`]): its change, `None` when invalid. Apart from
    /// [`ConfigFeed::apply_checked`] so that a reader can check a batch on several threads.
    pub fn check(&self, origin: &Origin) -> Option<ConfigChange> {
        config_change(origin, &self.limits)
    }

    /// [`ConfigFeed::apply`] with the record already checked.
    pub fn apply_checked(&self, origin: &Origin, change: Option<ConfigChange>, catching_up: bool) {
        let Ok(mut table) = self.table.write() else {
            return;
        };
        if let Some(c) = &change {
            apply_to_table(&mut table, origin, c);
            if catching_up {
                return;
            }
        }
        let rec = Arc::new(FedRecord {
            seq: table.seq(),
            topic: origin.topic.into(),
            partition: origin.partition,
            offset: origin.offset,
            key: origin.key.map(Into::into),
            payload: origin.payload.map(Into::into),
        });
        for q in &self.queues {
            if let Ok(mut q) = q.lock() {
                q.push_back(rec.clone());
            }
        }
        drop(table);
    }

    /// The records fed to worker `shard` since it last asked, in order.
    pub fn take(&self, shard: usize) -> VecDeque<Arc<FedRecord>> {
        self.queues
            .get(shard)
            .and_then(|q| q.lock().ok())
            .map(|mut q| std::mem::take(&mut *q))
            .unwrap_or_default()
    }

    /// Records the table holds.
    pub fn records(&self) -> usize {
        self.table.read().map_or(0, |t| t.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{EngineOptions, Origin};
    use crate::metrics::Metrics;
    use crate::service::{LiveViews, Ownership, Processor};

    fn processor() -> Processor {
        let ownership = Ownership::Partitions {
            count: 1,
            assigned: Default::default(),
            partitioner: crate::settings::PartitionerSetting::Murmur2,
        };
        Processor::new(
            EngineOptions::default(),
            ownership,
            Arc::new(LiveViews::default()),
            Arc::new(Metrics::new()),
        )
    }

    fn outputs(p: &mut Processor) -> Vec<String> {
        let v = p
            .outputs
            .iter()
            .map(|o| {
                let value = o.value.map(String::from_utf8_lossy).unwrap_or_default();
                format!("{:?} {:?} {value}", o.topic, o.key)
            })
            .collect();
        p.outputs.clear();
        v
    }

    fn origin(e: &crate::envelope::Envelope) -> Origin<'_> {
        Origin {
            topic: crate::wire::CONFIG_TOPIC,
            partition: 0,
            offset: 0,
            key: e.key.as_deref().map(str::as_bytes),
            payload: e.value.as_deref(),
        }
    }

    /// A worker fed by the shared reader ends with the outputs of a processor that keeps its
    /// own table, whether a record arrives before its account comes alive, while (queued,
    /// already in the table) or after.
    #[test]
    fn a_fed_worker_applies_each_record_once() {
        let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
        let mut sim = crate::simulate::SimOptions::new(6, date, 3);
        sim.contacts_per_day = 0;
        let config: Vec<_> = crate::simulate::generate(&sim)
            .into_iter()
            .filter(|e| e.topic == "rta.config")
            .collect();
        assert!(config.len() > 12);
        let (early, late) = config.split_at(config.len() / 2);
        let (queued, after) = late.split_at(late.len() / 2);

        let mut own = processor();
        let feed = ConfigFeed::new(1, Limits::builtin());
        let mut fed = processor().with_shared_table(feed.table.clone());
        // catch-up: only the table
        for e in early {
            own.on_config(&origin(e));
            feed.apply(&origin(e), true);
        }
        assert!(
            feed.take(0).is_empty(),
            "valid catch-up records fill the table only"
        );
        // live, before the account is assigned: in the table and in the worker's queue
        for e in queued {
            own.on_config(&origin(e));
            feed.apply(&origin(e), false);
        }
        own.assign(1, &[0], false);
        fed.assign(1, &[0], false);
        let queue = feed.take(0);
        assert_eq!(queue.len(), queued.len());
        for r in queue {
            fed.on_config_fed(&r.origin(), r.seq);
        }
        for e in after {
            own.on_config(&origin(e));
            feed.apply(&origin(e), false);
        }
        for r in feed.take(0) {
            fed.on_config_fed(&r.origin(), r.seq);
        }
        // the day under way: timers fire on what each engine holds
        let noon = crate::time::parse_rfc3339("2026-11-23T12:00:00Z").expect("time");
        own.advance_clock(noon);
        fed.advance_clock(noon);
        let (want, got) = (outputs(&mut own), outputs(&mut fed));
        assert!(!want.is_empty());
        assert_eq!(got, want);
        assert_eq!(feed.records(), own.config_records());
        // the queued records already in the table when the account came alive were skipped:
        // the engines did the same work
        assert_eq!(fed.stats(), own.stats());
    }
}
