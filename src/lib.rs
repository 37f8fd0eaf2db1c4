//! rta — real-time adherence for contact-center workforce management.
//!
//! Layout, from the pure core out to the edges:
//! - `time`, `reason` (the typed dead-letter reasons), `decode` (vendor payloads), `config` (config records and rules), `engine` (the
//!   pure adherence engine: time is passed in, no I/O), `envelope` (NDJSON records),
//!   `simulate` (realistic generated days);
//! - `service` (the transport-independent processing core of `rta run`: config table,
//!   account ownership, live views), `settings` (TOML / env / flags), `metrics` (Prometheus
//!   catalogue);
//! - edges: `kafka` (consumer group, producer, commits), `embedded` (simulated agents, no
//!   broker), `http` (metrics, probes, JSON views), `relay` (the webhook ingest of SPEC §9),
//!   `admin` (integration lifecycle, CSV imports, unmapped reports), `cli` (commands).

#[cfg(feature = "kafka")]
pub mod admin;
pub mod cli;
pub mod config;
#[cfg(feature = "kafka")]
pub mod dashboard;
pub mod decode;
pub mod embedded;
pub mod engine;
pub mod envelope;
pub mod http;
pub mod json;
#[cfg(feature = "kafka")]
pub mod kafka;
pub mod metrics;
pub mod reason;
#[cfg(feature = "kafka")]
pub mod relay;
pub mod service;
pub mod settings;
pub mod simulate;
pub mod time;
pub mod wire;
