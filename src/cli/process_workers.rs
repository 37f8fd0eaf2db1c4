//! `rta process --workers N`: the accounts spread over N engine threads (accounts share
//! nothing), for backfills. The calling thread reads lines and routes each by its account (a
//! config key's first part, an event's key) to a worker; each worker runs its own engine over
//! its accounts and hands back its output lines, which the calling thread writes. The set of
//! output records equals the one-worker run's, and each account's records keep their order;
//! only the interleaving of different accounts differs.

use super::process::{feed_line, write_outputs};
use crate::engine::{Engine, EngineOptions, Origin, Outputs, Stats};
use crate::time::Millis;
use std::borrow::Cow;
use std::io::{BufRead, Write};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};

/// Lines handed to a worker at once.
const BATCH: usize = 512;
/// Batches waiting per worker (the reader's backpressure).
const QUEUED: usize = 32;

/// One input line: its index (the dead letter's offset), its bytes, whether it was cut.
type Line = (i64, Vec<u8>, bool);

/// The worker (of `n`) that owns a line's account; lines without a readable head go to
/// worker 0.
pub fn worker_of(line: &[u8], n: usize) -> usize {
    let head = envelope_head(line);
    let (Some(topic), Some(Some(key))) = (head.topic, head.key) else {
        return 0;
    };
    let account = if topic == crate::wire::CONFIG_TOPIC {
        key.split('/').next().unwrap_or("")
    } else {
        &key
    };
    (crate::decode::stable_hash(&[account.as_bytes()]) % n as u64) as usize
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
        let mut senders: Vec<SyncSender<Vec<Line>>> = Vec::new();
        let mut handles = Vec::new();
        for _ in 0..workers {
            let (tx, rx) = mpsc::sync_channel::<Vec<Line>>(QUEUED);
            senders.push(tx);
            let out_tx = out_tx.clone();
            let opts = opts.clone();
            handles.push(scope.spawn(move || work(rx, out_tx, opts, until, max_line)));
        }
        drop(out_tx);
        let mut batches: Vec<Vec<Line>> = (0..workers).map(|_| Vec::new()).collect();
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
                worker_of(trimmed, workers)
            };
            batches[w].push((offset, trimmed.to_vec(), too_long));
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
    to: &SyncSender<Vec<Line>>,
    mut batch: Vec<Line>,
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
    lines: Receiver<Vec<Line>>,
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
        for (offset, line, too_long) in batch {
            if too_long {
                let origin = Origin {
                    topic: "",
                    partition: 0,
                    offset,
                    key: None,
                    payload: Some(&line),
                };
                let detail = format!("the line is longer than {max_line} bytes (--max-line-bytes)");
                engine.dead_letter(&origin, "too_large", &detail, &mut outputs);
            } else {
                feed_line(&mut engine, &line, offset, &mut outputs);
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
