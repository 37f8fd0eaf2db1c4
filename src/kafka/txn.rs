//! Exactly-once (SPEC §11): the outputs caused by a batch of inputs and the batch's input
//! offsets commit in one Kafka transaction.
//!
//! A transaction opens with the first output or commit after the previous one ended and ends
//! when it is older than `transaction_max_ms` or holds `transaction_max_records` inputs, before
//! partitions are released on revoke, and at shutdown. Its offsets go in with the consumer's
//! group metadata (`send_offsets_to_transaction`, KIP-447), so an instance that lost its
//! partitions in a rebalance is fenced by the group coordinator: its commit fails and its
//! outputs are never visible to `read_committed` readers.
//!
//! Failures come in three kinds, as librdkafka classifies them:
//! - retriable (the broker is unreachable, a timeout): the same call is made again, for as long
//!   as it takes, while the service stays up;
//! - abortable (a delivery failed, the group moved on): the transaction is aborted and the
//!   worker rewinds every assigned partition to its committed offset, rebuilding state from
//!   retained input, so the aborted outputs are produced again in a later transaction;
//! - fatal (fenced by another producer with the same `transactional.id`): the instance stops
//!   with one line.

use super::acks::{AckContext, Tracker};
use crate::metrics::Metrics;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::KafkaError;
use rdkafka::producer::{Producer, ThreadedProducer};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long one attempt of a transactional call may take before it is tried again.
const ATTEMPT: Duration = Duration::from_secs(2);

/// Why a transaction did not commit.
#[derive(Debug)]
pub enum TxnError {
    /// Aborted: the worker must rewind its partitions to their committed offsets.
    Aborted(String),
    /// The instance cannot go on (fenced, misconfigured).
    Fatal(String),
    /// Stopped (shutdown requested) before the broker answered; nothing was committed.
    Stopped,
}

#[derive(Default)]
struct State {
    /// First input record or output since the last commit: the transaction's age.
    since: Option<Instant>,
    /// The broker-side transaction has begun (outputs were sent, or offsets are due).
    began: bool,
    /// Input records consumed since the last commit.
    records: usize,
}

/// The transactional producer's transaction state, shared by the worker and the rebalance
/// callback (both run on the worker thread, inside or outside `poll`).
pub struct Txn {
    producer: Arc<ThreadedProducer<AckContext>>,
    state: Mutex<State>,
    /// Outputs are being handed to the producer: a revoke now must abort, not commit.
    pub sending: AtomicBool,
    /// A transaction was aborted: state built from its inputs must be rebuilt.
    aborted: AtomicBool,
}

impl Txn {
    /// Register the `transactional.id` with the broker (fencing and aborting whatever an
    /// earlier incarnation of this instance left open).
    pub fn init(
        producer: Arc<ThreadedProducer<AckContext>>,
        stop: &AtomicBool,
    ) -> anyhow::Result<Txn> {
        loop {
            match producer.init_transactions(Duration::from_secs(10)) {
                Ok(()) => break,
                Err(e) if retriable(&e) && !stop.load(Ordering::Acquire) => {
                    tracing::warn!(error = %e, "cannot initialise transactions yet; retrying");
                }
                Err(e) => anyhow::bail!(
                    "cannot initialise Kafka transactions ({e}); exactly-once needs a broker with transactions enabled (transaction.state.log.* settings) and permission to write the transactional id"
                ),
            }
        }
        Ok(Txn {
            producer,
            state: Mutex::new(State::default()),
            sending: AtomicBool::new(false),
            aborted: AtomicBool::new(false),
        })
    }

    /// Open a transaction unless one is open.
    pub fn ensure_open(&self) -> Result<(), TxnError> {
        let mut st = self
            .state
            .lock()
            .map_err(|_| fatal("transaction state poisoned"))?;
        if !st.began {
            self.producer
                .begin_transaction()
                .map_err(|e| classify(&e, "begin"))?;
            st.began = true;
            st.since.get_or_insert_with(Instant::now);
        }
        Ok(())
    }

    /// An input record was consumed (it belongs to the open transaction).
    pub fn note_record(&self) {
        if let Ok(mut st) = self.state.lock() {
            st.since.get_or_insert_with(Instant::now);
            st.records += 1;
        }
    }

    /// The open transaction has reached a bound.
    pub fn due(&self, max_age: Duration, max_records: usize) -> bool {
        self.state
            .lock()
            .map(|st| {
                st.since
                    .is_some_and(|o| o.elapsed() >= max_age || st.records >= max_records)
            })
            .unwrap_or(false)
    }

    pub fn is_open(&self) -> bool {
        self.state.lock().map(|st| st.began).unwrap_or(false)
    }

    /// Was a transaction aborted since the last call (the worker then rewinds)?
    pub fn take_aborted(&self) -> bool {
        self.aborted.swap(false, Ordering::AcqRel)
    }

    /// The abort was followed by a fresh assignment of every partition: nothing to rewind.
    pub fn clear_aborted(&self) {
        self.aborted.store(false, Ordering::Release);
    }

    /// Commit the open transaction with the offsets its completed inputs reached.
    /// `keep_trying` is consulted between attempts while the broker is unreachable.
    pub fn commit<C: ConsumerContext>(
        &self,
        consumer: &BaseConsumer<C>,
        tracker: &Mutex<Tracker>,
        sources: &super::sources::Sources,
        metrics: &Metrics,
        keep_trying: &dyn Fn() -> bool,
    ) -> Result<usize, TxnError> {
        let started = Instant::now();
        if let Ok(mut t) = tracker.lock() {
            t.seal();
        }
        // every output of the transaction acknowledged (commit_transaction flushes too; this
        // makes the offsets below final)
        let r = retry(
            keep_trying,
            || super::acks::drain(&self.producer, ATTEMPT),
            "flush",
        );
        if let Err(e) = r {
            return Err(self.abort_on(e, tracker));
        }
        let offsets = {
            let Ok(mut t) = tracker.lock() else {
                return Err(fatal("offset tracker poisoned"));
            };
            if t.settle(metrics, crate::service::wall_clock_ms()).is_err() {
                drop(t);
                return Err(self.abort_on(
                    TxnError::Aborted("an output record was not acknowledged".into()),
                    tracker,
                ));
            }
            t.to_commit(None)
        };
        if !offsets.is_empty() {
            self.ensure_open()?;
            let Some(gm) = consumer.group_metadata() else {
                return Err(self.abort_on(
                    TxnError::Aborted("no consumer group metadata".into()),
                    tracker,
                ));
            };
            let tpl = sources.tpl(&offsets);
            let r = retry(
                keep_trying,
                || {
                    self.producer
                        .send_offsets_to_transaction(&tpl, &gm, ATTEMPT)
                },
                "send offsets",
            );
            if let Err(e) = r {
                return Err(self.abort_on(e, tracker));
            }
        }
        if self.is_open() {
            let r = retry(
                keep_trying,
                || self.producer.commit_transaction(ATTEMPT),
                "commit",
            );
            if let Err(e) = r {
                return Err(self.abort_on(e, tracker));
            }
        }
        if let Ok(mut st) = self.state.lock() {
            *st = State::default();
        }
        if let Ok(mut t) = tracker.lock() {
            t.mark_committed(&offsets);
        }
        metrics.commits.with_label_values(&["ok"]).inc();
        metrics
            .transaction_seconds
            .observe(started.elapsed().as_secs_f64());
        Ok(offsets.len())
    }

    /// Abort the open transaction (revoke while sending, shutdown, failures).
    pub fn abort(&self, tracker: &Mutex<Tracker>, why: &str) {
        let _ = self.abort_on(TxnError::Aborted(why.to_string()), tracker);
    }

    fn abort_on(&self, e: TxnError, tracker: &Mutex<Tracker>) -> TxnError {
        if matches!(e, TxnError::Fatal(_)) {
            return e;
        }
        if self.is_open() {
            if let Err(a) = self.producer.abort_transaction(Duration::from_secs(30)) {
                if is_fatal(&a) {
                    return fatal(&format!("cannot abort the Kafka transaction: {a}"));
                }
                tracing::warn!(error = %a, "abort of the Kafka transaction did not complete");
            }
        }
        if let Ok(mut st) = self.state.lock() {
            *st = State::default();
        }
        if let Ok(mut t) = tracker.lock() {
            t.discard_uncommitted();
        }
        self.aborted.store(true, Ordering::Release);
        if let TxnError::Aborted(why) = &e {
            tracing::warn!(reason = %why, "Kafka transaction aborted; rebuilding from the committed offsets");
        }
        e
    }
}

/// Run a transactional call until it succeeds, fails for good, or `keep_trying` says stop.
fn retry(
    keep_trying: &dyn Fn() -> bool,
    mut call: impl FnMut() -> rdkafka::error::KafkaResult<()>,
    what: &str,
) -> Result<(), TxnError> {
    let mut warned = false;
    loop {
        match call() {
            Ok(()) => return Ok(()),
            Err(e) if retriable(&e) => {
                if !warned {
                    tracing::warn!(error = %e, step = what, "Kafka transaction waiting for the broker");
                    warned = true;
                }
                if !keep_trying() {
                    return Err(TxnError::Stopped);
                }
            }
            Err(e) => return Err(classify(&e, what)),
        }
    }
}

fn retriable(e: &KafkaError) -> bool {
    match e {
        KafkaError::Transaction(t) => t.is_retriable() && !t.txn_requires_abort(),
        // flush: messages still queued after the attempt's timeout
        KafkaError::Flush(_) => true,
        _ => false,
    }
}

fn is_fatal(e: &KafkaError) -> bool {
    matches!(e, KafkaError::Transaction(t) if t.is_fatal())
}

fn classify(e: &KafkaError, what: &str) -> TxnError {
    match e {
        KafkaError::Transaction(t) if t.txn_requires_abort() => {
            TxnError::Aborted(format!("{what}: {t}"))
        }
        KafkaError::Transaction(t) if t.is_fatal() => fatal(&format!(
            "the Kafka transaction failed for good at {what} ({t}); another instance may use the same transactional id: give each instance its own instance_id"
        )),
        other => TxnError::Aborted(format!("{what}: {other}")),
    }
}

fn fatal(why: &str) -> TxnError {
    TxnError::Fatal(why.to_string())
}
