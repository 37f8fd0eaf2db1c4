//! Command-line entry points: argument parsing, the file/stdio edge of each command, and how
//! a command ends (fatal errors as one line, or one JSON log line; a closed stdout quietly).

#[cfg(feature = "kafka")]
pub mod admin;
pub mod config;
#[cfg(feature = "kafka")]
pub mod dashboard;
pub mod flags;
pub mod process;
pub mod process_workers;
#[cfg(feature = "kafka")]
pub mod relay;
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
    /// Log as JSON lines instead of human-readable text (RTA_LOG_JSON: true/false, 1/0, yes/no).
    #[arg(
        long,
        global = true,
        env = "RTA_LOG_JSON",
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
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
    /// Settings tools: print the configuration reference.
    Config(config::ConfigArgs),
    /// The webhook ingest (SPEC §9): authenticate requests, produce their bodies to Kafka.
    #[cfg(feature = "kafka")]
    Relay(relay::RelayArgs),
    /// The supervisor's page and API over Kafka: reads the output topics and the config.
    #[cfg(feature = "kafka")]
    Dashboard(dashboard::DashboardArgs),
    /// Add, rotate, pause, resume, delete or list integrations (config records).
    #[cfg(feature = "kafka")]
    Integration(admin::IntegrationArgs),
    /// Import identifiers, statuses, activities, people or schedules from CSV.
    #[cfg(feature = "kafka")]
    Import(admin::ImportArgs),
    /// An account's unmapped identifiers and statuses (`--csv`: ready to fill in and import).
    #[cfg(feature = "kafka")]
    Unmapped(admin::UnmappedArgs),
}

/// Set up tracing on stderr (stdout carries records).
pub fn init_tracing(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("RTA_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(!json && std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// A command-line error (unknown flag, missing value) as one line: clap's message and tip,
/// without the usage block.
pub fn usage_error(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let mut parts: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Usage:") && !l.starts_with("For more"))
        .map(|l| l.strip_prefix("error: ").unwrap_or(l))
        .collect();
    parts.push("see rta --help");
    parts.join("; ")
}

/// Whether an error is a write to a closed pipe (`rta process | head -1`): the reader has
/// what it wanted, so the command ends quietly with status 0.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The exit status of a finished command, reporting a fatal error as one line: a JSON log
/// line in JSON mode (tracing must be set up), else `rta: …` on stderr.
pub fn exit_status(result: anyhow::Result<()>, json: bool) -> i32 {
    match result {
        Ok(()) => 0,
        Err(e) if is_broken_pipe(&e) => 0,
        Err(e) => {
            let msg = format!("{e:#}").replace('\n', " ");
            if json {
                tracing::error!(fatal = true, "{msg}");
            } else {
                eprintln!("rta: {msg}");
            }
            1
        }
    }
}
