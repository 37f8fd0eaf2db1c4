//! One config reader for every worker thread of an instance: it keeps the shared config table
//! ([`SharedTable`]) and feeds each worker the records, in order, to apply to the accounts it
//! runs. A record is applied to the table and queued for the workers under the table's write
//! lock, so a worker that reads the table (to bring an account to life) at sequence number `n`
//! has every record up to `n` there and every later one still in its queue.
//!
//! The reader parses each record once ([`config_input`]); the table keeps the typed record and
//! each worker gets the same parsed change in its [`FedRecord`], so no worker parses it again.

use super::config_table::{ConfigTable, SharedTable};
use crate::config::{ConfigChange, ConfigError};
use crate::engine::{config_input, Limits, Origin};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// A config record as read and checked, with the table's sequence number after it.
#[derive(Debug)]
pub struct FedRecord {
    /// The record's change, or why it is a dead letter (parsed by the reader, once).
    pub checked: Result<ConfigChange, ConfigError>,
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

    /// A record checked ([`config_input`]): its change, or why it is invalid. Apart from
    /// [`ConfigFeed::apply_checked`] so that a reader can check a batch on several threads.
    pub fn check(&self, origin: &Origin) -> Result<ConfigChange, ConfigError> {
        config_input(origin, &self.limits)
    }

    /// [`ConfigFeed::apply`] with the record already checked.
    pub fn apply_checked(
        &self,
        origin: &Origin,
        checked: Result<ConfigChange, ConfigError>,
        catching_up: bool,
    ) {
        let Ok(mut table) = self.table.write() else {
            return;
        };
        if let Ok(c) = &checked {
            table.apply(c);
            if catching_up {
                return;
            }
        }
        let rec = Arc::new(FedRecord {
            checked,
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

    /// The table the catch-up assembled ([`ConfigTable::overlay`]), in place of the table
    /// (before any worker runs).
    pub fn install(&self, table: ConfigTable) {
        if let Ok(mut t) = self.table.write() {
            *t = table;
        }
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
        let parses = crate::config::parses;
        // catch-up: only the table; each record parsed once by each (the reader for all
        // workers)
        let before = parses();
        for e in early {
            own.on_config(&origin(e));
            feed.apply(&origin(e), true);
        }
        assert_eq!(parses() - before, 2 * early.len());
        assert!(
            feed.take(0).is_empty(),
            "valid catch-up records fill the table only"
        );
        // live, before the account is assigned: in the table and in the worker's queue
        for e in queued {
            own.on_config(&origin(e));
            feed.apply(&origin(e), false);
        }
        // bringing the account to life replays the table's typed records: no parse
        let before = parses();
        own.assign(1, &[0], false);
        fed.assign(1, &[0], false);
        let queue = feed.take(0);
        assert_eq!(queue.len(), queued.len());
        for r in queue {
            fed.on_config_fed(&r);
        }
        assert_eq!(
            parses(),
            before,
            "materialize and fed records parse nothing"
        );
        for e in after {
            own.on_config(&origin(e));
            feed.apply(&origin(e), false);
        }
        let before = parses();
        for r in feed.take(0) {
            fed.on_config_fed(&r);
        }
        assert_eq!(parses(), before, "a fed worker parses nothing");
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

    /// An invalid record of an account not live here is dead-lettered when the account comes
    /// alive, exactly as the engine dead-letters it on its own (reason, key, payload, detail),
    /// without parsing it again.
    #[test]
    fn kept_invalid_records_are_dead_lettered_as_the_engine_does() {
        let records: [(&str, &[u8]); 3] = [
            (
                "acme/person/p1",
                br#"{"kind":"person","account":"acme","id":"p1","x":1}"#,
            ),
            ("acme/person/p2", b"{not json"),
            (
                "acme/settings",
                br#"{"kind":"settings","account":"acme","intervalMinutes":45}"#,
            ),
        ];
        let mut p = processor();
        let mut engine = crate::engine::Engine::new(EngineOptions::default());
        let mut want = crate::engine::Outputs::default();
        for (key, value) in records {
            let o = Origin {
                topic: crate::wire::CONFIG_TOPIC,
                partition: 0,
                offset: 7,
                key: Some(key.as_bytes()),
                payload: Some(value),
            };
            p.on_config(&o);
            engine.on_config(&o, &mut want);
        }
        assert!(outputs(&mut p).is_empty(), "not live here yet");
        let before = crate::config::parses();
        p.assign(1, &[0], false);
        assert_eq!(crate::config::parses(), before);
        let want: Vec<String> = want
            .iter()
            .map(|o| {
                let value = o.value.map(String::from_utf8_lossy).unwrap_or_default();
                format!("{:?} {:?} {value}", o.topic, o.key)
            })
            .collect();
        assert_eq!(want.len(), 3);
        assert!(want[0].contains("invalid_config") && want[0].contains("unknown field `x`"));
        assert!(want[1].contains("invalid_json"));
        assert!(want[2].contains("intervalMinutes"));
        assert_eq!(outputs(&mut p), want);
    }

    /// Each config record is parsed once on every service path: by the processor that keeps
    /// its own table, or by the config reader for every worker; bringing an account to life and
    /// fed records parse nothing (counts printed with `--nocapture`; before this change: 2 per
    /// record for a live account, 2 per table record on materialize, 1 per queued record a fed
    /// worker skipped and 2 per one it applied).
    #[test]
    fn count_parses_per_path() {
        let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
        let mut sim = crate::simulate::SimOptions::new(6, date, 3);
        sim.contacts_per_day = 0;
        let config: Vec<_> = crate::simulate::generate(&sim)
            .into_iter()
            .filter(|e| e.topic == "rta.config")
            .collect();
        let (early, late) = config.split_at(config.len() / 2);
        let n = |v: usize, of: usize| format!("{v} ({:.2}/record)", v as f64 / of as f64);
        let mut own = processor();
        let feed = ConfigFeed::new(2, Limits::builtin());
        let mut fed = processor().with_shared_table(feed.table.clone());
        let mut idle = processor().with_shared_table(feed.table.clone());
        let c0 = crate::config::parses();
        for e in early {
            own.on_config(&origin(e));
        }
        let c1 = crate::config::parses();
        for e in early {
            feed.apply(&origin(e), false);
        }
        let c2 = crate::config::parses();
        own.assign(1, &[0], false);
        let c3 = crate::config::parses();
        fed.assign(1, &[0], false);
        let c4 = crate::config::parses();
        for e in late {
            own.on_config(&origin(e));
        }
        let c5 = crate::config::parses();
        for e in late {
            feed.apply(&origin(e), false);
        }
        let c6 = crate::config::parses();
        let q = feed.take(0);
        let nq0 = q.len();
        for r in q {
            fed.on_config_fed(&r);
        }
        let c7 = crate::config::parses();
        let q = feed.take(1);
        let nq = q.len();
        for r in q {
            idle.on_config_fed(&r);
        }
        let c8 = crate::config::parses();
        println!(
            "PARSES own table, account not live: {}",
            n(c1 - c0, early.len())
        );
        println!("PARSES config reader: {}", n(c2 - c1, early.len()));
        println!(
            "PARSES materialize (own): {} for {} table records",
            n(c3 - c2, early.len()),
            early.len()
        );
        println!(
            "PARSES materialize (fed worker): {}",
            n(c4 - c3, early.len())
        );
        println!("PARSES own table, account live: {}", n(c5 - c4, late.len()));
        println!("PARSES config reader (live): {}", n(c6 - c5, late.len()));
        println!("PARSES fed worker, account live ({nq0} queued, {} already in the table at materialize): {}", early.len(), n(c7 - c6, nq0));
        println!("PARSES fed worker, account not here: {}", n(c8 - c7, nq));
        assert_eq!((c1 - c0, c2 - c1), (early.len(), early.len()));
        assert_eq!((c3 - c2, c4 - c3), (0, 0), "materialize parses nothing");
        assert_eq!((c5 - c4, c6 - c5), (late.len(), late.len()));
        assert_eq!((c7 - c6, c8 - c7), (0, 0), "fed workers parse nothing");
    }
}
