//! Command-line entry points: argument parsing and the file/stdio edge of each command.

pub mod process;
pub mod run;
pub mod simulate;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "rta",
    version,
    about = "Real-time adherence stream processor for contact-center WFM"
)]
pub struct Cli {
    /// Log as JSON lines instead of human-readable text.
    #[arg(long, global = true, env = "RTA_LOG_JSON")]
    pub log_json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the streaming service: Kafka in and out, or (without brokers) the embedded default.
    Run(run::RunArgs),
    /// Run the engine over NDJSON envelopes (SPEC §7) and write the output records as NDJSON.
    Process(process::ProcessArgs),
    /// Write a realistic simulated day (config, schedules, ACD events) as NDJSON envelopes.
    Simulate(simulate::SimulateArgs),
}

/// Set up tracing on stderr (stdout carries records).
pub fn init_tracing(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("RTA_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
