//! `rta process`: NDJSON envelopes in (file or stdin), the engine on event time, NDJSON
//! envelopes out on stdout.

use crate::engine::{ClockMode, Engine, EngineOptions, Origin, OutTopic, OutputRef, Outputs};
use crate::envelope::Envelope;
use crate::reason::Reason;
use crate::time::{parse_rfc3339, Millis};
use anyhow::{bail, Context, Result};
use std::io::{BufRead, Write};
use std::path::PathBuf;

/// Default input topic names (SPEC §2) and the integration header (see [`crate::wire`]).
pub use crate::wire::{
    AGENT_EVENTS_TOPIC as EVENTS_TOPIC, CONFIG_TOPIC, CONTACT_EVENTS_TOPIC as CONTACTS_TOPIC,
    INTEGRATION_HEADER,
};

#[derive(clap::Args, Debug)]
pub struct ProcessArgs {
    /// NDJSON input file (default: stdin).
    #[arg(long, short)]
    pub input: Option<PathBuf>,
    /// Advance the clock to this RFC 3339 time at the end (closes intervals, fires timers).
    #[arg(long)]
    pub until: Option<String>,
    /// Retention window in hours: how late events may arrive and still count.
    #[arg(long, default_value_t = 48)]
    pub retention_hours: u32,
    /// Longest input line in bytes; a longer line is a dead letter `too_large` (read in
    /// bounded memory, never held whole).
    #[arg(long, default_value_t = DEFAULT_MAX_LINE)]
    pub max_line_bytes: usize,
    /// Engine threads; accounts are spread over them (0: one per core). The same output
    /// records; each account's in order, accounts interleaved differently.
    #[arg(long, default_value_t = 1)]
    pub workers: usize,
}

/// Default of `--max-line-bytes`: room for a record at the value limit, escaped as a string.
pub const DEFAULT_MAX_LINE: usize = 4 << 20;

/// Run the command; errors are for unusable arguments or unreadable input only.
pub fn run(args: &ProcessArgs) -> Result<()> {
    let until = match &args.until {
        None => None,
        Some(s) => match parse_rfc3339(s) {
            Some(t) => Some(t),
            None => bail!("--until {s:?} is not an RFC 3339 time; use e.g. 2026-11-23T12:30:00Z"),
        },
    };
    if args.retention_hours == 0 {
        bail!("--retention-hours must be at least 1");
    }
    if args.max_line_bytes < 1024 {
        bail!("--max-line-bytes must be at least 1024");
    }
    let opts = EngineOptions {
        clock: ClockMode::EventTime,
        retention: args.retention_hours as Millis * 3_600_000,
        ..EngineOptions::default()
    };
    let stdout = std::io::stdout();
    let mut out = WatchedWriter {
        inner: std::io::BufWriter::with_capacity(1 << 16, stdout.lock()),
        failed: false,
    };
    let (stats, what) = match &args.input {
        Some(path) => {
            let f = std::fs::File::open(path)
                .with_context(|| format!("cannot read --input {}", path.display()))?;
            let r = std::io::BufReader::with_capacity(1 << 16, f);
            let stats = drive(r, opts, until, args, &mut out);
            (stats, format!("cannot read --input {}", path.display()))
        }
        None => {
            let r = std::io::stdin().lock();
            let stats = drive(r, opts, until, args, &mut out);
            (stats, "cannot read stdin".to_string())
        }
    };
    // a failed write (a closed pipe, a full disk) is about stdout, not the input
    let stats = match stats {
        Err(e) if out.failed => return Err(e).context("cannot write to stdout"),
        other => other.context(what)?,
    };
    out.flush().context("cannot write to stdout")?;
    tracing::info!(
        records = stats.config_records + stats.event_records + stats.contact_records,
        events_applied = stats.events_applied,
        contacts_applied = stats.contacts_applied,
        dead_letters = stats.dead_letter_total(),
        duplicates = stats.duplicates,
        recomputations = stats.recomputations,
        interval_revisions = stats.interval_revisions,
        "processed"
    );
    Ok(())
}

/// One engine on this thread, or `--workers` engine threads.
fn drive(
    input: impl BufRead,
    opts: EngineOptions,
    until: Option<Millis>,
    args: &ProcessArgs,
    out: &mut impl Write,
) -> std::io::Result<crate::engine::Stats> {
    let workers = match args.workers {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    if workers == 1 {
        process_max(input, opts, until, args.max_line_bytes, out)
    } else {
        super::process_workers::process_parallel(
            input,
            opts,
            until,
            args.max_line_bytes,
            workers,
            out,
        )
    }
}

/// A writer that remembers whether a write failed (to tell output errors from input errors).
struct WatchedWriter<W> {
    inner: W,
    failed: bool,
}

impl<W: Write> Write for WatchedWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf).inspect_err(|_| self.failed = true)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush().inspect_err(|_| self.failed = true)
    }
}

/// The whole offline run over a reader; returns the engine's counters.
pub fn process(
    input: impl BufRead,
    opts: EngineOptions,
    until: Option<Millis>,
    out: &mut impl Write,
) -> std::io::Result<crate::engine::Stats> {
    process_max(input, opts, until, DEFAULT_MAX_LINE, out)
}

/// [`process`] with a line length limit.
pub fn process_max(
    mut input: impl BufRead,
    opts: EngineOptions,
    until: Option<Millis>,
    max_line: usize,
    out: &mut impl Write,
) -> std::io::Result<crate::engine::Stats> {
    let mut engine = Engine::new(opts);
    let mut outputs = Outputs::default();
    let mut line_buf = Vec::new();
    let mut line = Vec::new();
    let mut n: i64 = 0;
    while let Some(too_long) = read_line(&mut input, &mut line, max_line)? {
        let offset = n;
        n += 1;
        let trimmed = line.trim_ascii();
        if too_long {
            let origin = Origin {
                topic: "",
                partition: 0,
                offset,
                key: None,
                payload: Some(trimmed),
            };
            let detail = format!("the line is longer than {max_line} bytes (--max-line-bytes)");
            engine.dead_letter(&origin, Reason::TooLarge, &detail, &mut outputs);
        } else if !trimmed.is_empty() {
            feed_line(&mut engine, trimmed, offset, &mut outputs);
        }
        write_outputs(&mut outputs, &mut line_buf, out)?;
    }
    engine.finish(until, &mut outputs);
    write_outputs(&mut outputs, &mut line_buf, out)?;
    Ok(engine.stats)
}

/// Read one line into `buf` (without its newline), keeping at most `max` bytes of it; the rest
/// of a longer line is skipped. `None` at the end of input, else whether the line was too long.
pub(crate) fn read_line(
    input: &mut impl BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Option<bool>> {
    buf.clear();
    let mut too_long = false;
    let mut any = false;
    loop {
        let avail = match input.fill_buf() {
            Ok(a) => a,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            return Ok(any.then_some(too_long));
        }
        any = true;
        let newline = avail.iter().position(|&b| b == b'\n');
        let chunk = &avail[..newline.unwrap_or(avail.len())];
        let room = max.saturating_sub(buf.len());
        if chunk.len() > room {
            too_long = true;
        }
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let used = newline.map_or(avail.len(), |i| i + 1);
        input.consume(used);
        if newline.is_some() {
            return Ok(Some(too_long));
        }
    }
}

/// Apply one NDJSON line; `offset` is its line index.
pub fn feed_line(engine: &mut Engine, line: &[u8], offset: i64, outputs: &mut Outputs) {
    let parsed = std::str::from_utf8(line)
        .map_err(|_| "the line is not UTF-8".to_string())
        .and_then(|s| Envelope::parse_line(s).map_err(|e| e.to_string()));
    match parsed {
        Err(detail) => {
            let origin = Origin {
                topic: "",
                partition: 0,
                offset,
                key: None,
                payload: Some(line),
            };
            engine.dead_letter(&origin, Reason::InvalidEnvelope, &detail, outputs);
        }
        Ok(env) => feed_envelope(engine, &env, offset, outputs),
    }
}

/// Apply one envelope by its topic.
pub fn feed_envelope(engine: &mut Engine, env: &Envelope, offset: i64, outputs: &mut Outputs) {
    let origin = env.origin(offset);
    match env.topic.as_str() {
        EVENTS_TOPIC => engine.on_event(&origin, env.header(INTEGRATION_HEADER), outputs),
        CONFIG_TOPIC => engine.on_config(&origin, outputs),
        CONTACTS_TOPIC => engine.on_contacts(&origin, env.header(INTEGRATION_HEADER), outputs),
        other => {
            let detail = format!(
                "topic {other:?} is not an input topic ({EVENTS_TOPIC}, {CONFIG_TOPIC}, {CONTACTS_TOPIC})"
            );
            engine.dead_letter(&origin, Reason::UnknownTopic, &detail, outputs);
        }
    }
}

/// Write and clear buffered outputs as NDJSON envelopes.
pub fn write_outputs(
    outputs: &mut Outputs,
    buf: &mut Vec<u8>,
    out: &mut impl Write,
) -> std::io::Result<()> {
    buf.clear();
    for o in outputs.iter() {
        write_output(&o, buf);
        buf.push(b'\n');
    }
    outputs.clear();
    out.write_all(buf)
}

/// One output as an NDJSON envelope (our values are always JSON, so they are embedded as is).
pub fn write_output(o: &OutputRef, buf: &mut Vec<u8>) {
    buf.extend_from_slice(b"{\"topic\":");
    crate::json::write_str(buf, topic_name(o.topic));
    buf.extend_from_slice(b",\"key\":");
    match o.key {
        Some(k) => crate::json::write_str(buf, k),
        None => buf.extend_from_slice(b"null"),
    }
    buf.extend_from_slice(b",\"value\":");
    match o.value {
        Some(v) => buf.extend_from_slice(v),
        None => buf.extend_from_slice(b"null"),
    }
    buf.push(b'}');
}

pub fn topic_name(t: OutTopic) -> &'static str {
    t.default_name()
}
