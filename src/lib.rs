//! rta — real-time adherence for contact-center workforce management.
//!
//! Layout: `decode` (vendor payloads), `config` (config records and rules), `engine` (the pure
//! adherence engine), `time` (instants, RFC 3339, local grids), `envelope` (NDJSON records),
//! `simulate` (realistic generated days), `cli` (commands at the edge).

pub mod cli;
pub mod config;
pub mod decode;
pub mod engine;
pub mod envelope;
pub mod json;
pub mod simulate;
pub mod time;
