//! `rta process --workers N`: the accounts spread over N engine threads (accounts share
//! nothing), for backfills. The calling thread reads lines and routes each by its account (a
//! config key's first part, an event's key) to a worker; each worker runs its own engine over
//! its accounts and hands back its output lines, which the calling thread writes. The set of
//! output records equals the one-worker run's, and each account's records keep their order;
//! only the interleaving of different accounts differs.

use super::process::{feed_line, write_outputs};
use crate::engine::{Engine, EngineOptions, Origin, Outputs, Stats};
use crate::reason::Reason;
use crate::time::Millis;
use std::borrow::Cow;
use std::io::{BufRead, Write};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};

/// Lines handed to a worker at once.
const BATCH: usize = 512;
/// Batches waiting per worker (the reader's backpressure).
const QUEUED: usize = 32;

/// Lines handed to a worker at once: their bytes in one buffer (one allocation per batch, not
/// per line: a buffer freed by another thread than the one that allocated it costs a lock of
/// the allocator's arena), and per line its index (the dead letter's offset), its end in
/// `bytes` and whether it was cut.
#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    lines: Vec<(i64, usize, bool)>,
}

impl Batch {
    fn push(&mut self, offset: i64, line: &[u8], too_long: bool) {
        self.bytes.extend_from_slice(line);
        self.lines.push((offset, self.bytes.len(), too_long));
    }

    fn len(&self) -> usize {
        self.lines.len()
    }

    fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Each line: offset, bytes, cut.
    fn iter(&self) -> impl Iterator<Item = (i64, &[u8], bool)> {
        let mut start = 0;
        self.lines.iter().map(move |&(offset, end, cut)| {
            let line = &self.bytes[start..end];
            start = end;
            (offset, line, cut)
        })
    }
}

/// Routes lines to workers by account: an account goes to the worker with the fewest
/// accounts when it is first seen (ties: the lowest index), and stays there — the split is
/// even in accounts and depends only on the input. Lines without a readable head go to
/// worker 0.
pub struct Router {
    workers: usize,
    of: ahash::AHashMap<Box<str>, usize>,
    accounts: Vec<usize>,
}

impl Router {
    pub fn new(workers: usize) -> Router {
        let workers = workers.max(1);
        Router {
            workers,
            of: ahash::AHashMap::new(),
            accounts: vec![0; workers],
        }
    }

    /// The worker that owns a line's account.
    pub fn worker_of(&mut self, line: &[u8]) -> usize {
        let head = envelope_head(line);
        let (Some(topic), Some(Some(key))) = (head.topic, head.key) else {
            return 0;
        };
        let account = if topic == crate::wire::CONFIG_TOPIC {
            key.split('/').next().unwrap_or("")
        } else {
            &key
        };
        if let Some(w) = self.of.get(account) {
            return *w;
        }
        let w = (0..self.workers)
            .min_by_key(|w| self.accounts[*w])
            .unwrap_or(0);
        self.accounts[w] += 1;
        self.of.insert(account.into(), w);
        w
    }
}

/// The `topic` and `key` of an envelope line.
#[derive(Default)]
struct Head {
    topic: Option<String>,
    key: Option<Option<String>>,
}

/// Read an envelope's fields only until `topic` and `key` are both known: the value (usually
/// last, and most of the line) is not parsed on the routing thread — the worker parses it.
fn envelope_head(line: &[u8]) -> Head {
    struct Fields<'a>(&'a mut Head);
    impl<'de> serde::de::Visitor<'de> for Fields<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an envelope object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(name) = map.next_key::<Cow<'de, str>>()? {
                match &*name {
                    "topic" => self.0.topic = Some(map.next_value()?),
                    "key" => self.0.key = Some(map.next_value()?),
                    _ => {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                if self.0.topic.is_some() && self.0.key.is_some() {
                    break;
                }
            }
            Ok(())
        }
    }
    let mut head = Head::default();
    let mut de = serde_json::Deserializer::from_slice(line);
    // stopping early leaves the object unfinished, which the deserializer reports: expected
    let _ = serde::Deserializer::deserialize_map(&mut de, Fields(&mut head));
    head
}

/// [`super::process::process_max`] on `workers` threads.
pub fn process_parallel(
    mut input: impl BufRead,
    opts: EngineOptions,
    until: Option<Millis>,
    max_line: usize,
    workers: usize,
    out: &mut impl Write,
) -> std::io::Result<Stats> {
    let workers = workers.max(1);
    let (out_tx, out_rx) = mpsc::channel::<Vec<u8>>();
    std::thread::scope(|scope| {
        let mut senders: Vec<SyncSender<Batch>> = Vec::new();
        let mut handles = Vec::new();
        for _ in 0..workers {
            let (tx, rx) = mpsc::sync_channel::<Batch>(QUEUED);
            senders.push(tx);
            let out_tx = out_tx.clone();
            let opts = opts.clone();
            handles.push(scope.spawn(move || work(rx, out_tx, opts, until, max_line)));
        }
        drop(out_tx);
        let mut batches: Vec<Batch> = (0..workers).map(|_| Batch::default()).collect();
        let mut router = Router::new(workers);
        let mut line = Vec::new();
        let mut n: i64 = 0;
        let mut result = Ok(());
        loop {
            let too_long = match super::process::read_line(&mut input, &mut line, max_line) {
                Ok(Some(t)) => t,
                Ok(None) => break,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            };
            let offset = n;
            n += 1;
            let trimmed = line.trim_ascii();
            if trimmed.is_empty() && !too_long {
                continue;
            }
            let w = if too_long {
                0
            } else {
                router.worker_of(trimmed)
            };
            batches[w].push(offset, trimmed, too_long);
            if batches[w].len() >= BATCH {
                let b = std::mem::take(&mut batches[w]);
                if let Err(e) = send(&senders[w], b, &out_rx, out) {
                    result = Err(e);
                    break;
                }
            }
        }
        for (w, b) in batches.into_iter().enumerate() {
            if result.is_ok() && !b.is_empty() {
                if let Err(e) = send(&senders[w], b, &out_rx, out) {
                    result = Err(e);
                }
            }
        }
        drop(senders);
        // the workers finish (end of input) and hand over their last lines
        for chunk in out_rx.iter() {
            if result.is_ok() {
                if let Err(e) = out.write_all(&chunk) {
                    result = Err(e);
                }
            }
        }
        let mut stats = Stats::default();
        for h in handles {
            if let Ok(s) = h.join() {
                stats.merge(&s);
            }
        }
        result.map(|()| stats)
    })
}

/// Hand a batch to a worker, writing finished output while its queue is full.
fn send(
    to: &SyncSender<Batch>,
    mut batch: Batch,
    outputs: &Receiver<Vec<u8>>,
    out: &mut impl Write,
) -> std::io::Result<()> {
    loop {
        for chunk in outputs.try_iter() {
            out.write_all(&chunk)?;
        }
        match to.try_send(batch) {
            Ok(()) => return Ok(()),
            Err(TrySendError::Full(b)) => {
                batch = b;
                match outputs.recv_timeout(std::time::Duration::from_millis(1)) {
                    Ok(chunk) => out.write_all(&chunk)?,
                    Err(_) => std::thread::yield_now(),
                }
            }
            Err(TrySendError::Disconnected(_)) => {
                return Err(std::io::Error::other("a worker thread stopped"))
            }
        }
    }
}

/// One worker: its engine over the lines it gets, output lines back to the writer.
fn work(
    lines: Receiver<Batch>,
    out: mpsc::Sender<Vec<u8>>,
    opts: EngineOptions,
    until: Option<Millis>,
    max_line: usize,
) -> Stats {
    let mut engine = Engine::new(opts);
    let mut outputs = Outputs::default();
    let mut buf = Vec::new();
    for batch in lines.iter() {
        let mut text = Vec::new();
        for (offset, line, too_long) in batch.iter() {
            if too_long {
                let origin = Origin {
                    topic: "",
                    partition: 0,
                    offset,
                    key: None,
                    payload: Some(line),
                };
                let detail = format!("the line is longer than {max_line} bytes (--max-line-bytes)");
                engine.dead_letter(&origin, Reason::TooLarge, &detail, &mut outputs);
            } else {
                feed_line(&mut engine, line, offset, &mut outputs);
            }
            // writing into a Vec cannot fail
            let _ = write_outputs(&mut outputs, &mut buf, &mut text);
        }
        if !text.is_empty() && out.send(text).is_err() {
            return engine.stats;
        }
    }
    engine.finish(until, &mut outputs);
    let mut text = Vec::new();
    let _ = write_outputs(&mut outputs, &mut buf, &mut text);
    let _ = out.send(text);
    engine.stats
}
