//! The `rta` binary: parses the command line and runs a command. A fatal error is one line on
//! stderr (one JSON log line in JSON mode) and exit status 1; a closed stdout ends quietly with
//! status 0; unknown `RTA_*` variables draw a warning at start.

use clap::Parser;
use rta::cli::{exit_status, init_tracing, Cli, Command};

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help, --version, and the help shown for a missing subcommand
        Err(e)
            if !e.use_stderr()
                || e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand =>
        {
            e.exit()
        }
        Err(e) => {
            eprintln!("rta: {}", rta::cli::usage_error(&e));
            std::process::exit(1);
        }
    };
    let warnings = rta::settings::env_warnings();
    let (json, result) = match &cli.command {
        Command::Run(args) => start(
            args.settings(),
            |s| rta::cli::run::log_json(s, cli.log_json),
            || cli.log_json || wants_json(args.overrides(), args.config.as_deref()),
            &warnings,
            rta::cli::run::run,
        ),
        #[cfg(feature = "kafka")]
        Command::Relay(args) => start(
            args.settings(),
            |s| cli.log_json || s.log_format == rta::settings::LogFormat::Json,
            || cli.log_json || wants_json(args.overrides(), args.config.as_deref()),
            &warnings,
            rta::relay::run,
        ),
        #[cfg(feature = "kafka")]
        Command::Dashboard(args) => start(
            args.run.settings(),
            |s| rta::cli::run::log_json(s, cli.log_json),
            || cli.log_json || wants_json(args.run.overrides(), args.run.config.as_deref()),
            &warnings,
            |s| rta::cli::dashboard::run(s, args.account.as_deref()),
        ),
        command => {
            init_tracing(cli.log_json);
            warn(&warnings);
            let result = match command {
                Command::Process(a) => rta::cli::process::run(a),
                Command::Simulate(a) => rta::cli::simulate::run(a),
                Command::Config(a) => rta::cli::config::run(a),
                #[cfg(feature = "kafka")]
                Command::Integration(a) => rta::cli::admin::integration(a),
                #[cfg(feature = "kafka")]
                Command::Import(a) => rta::cli::admin::import(a),
                #[cfg(feature = "kafka")]
                Command::Unmapped(a) => rta::cli::admin::unmapped(a),
                Command::Run(_) => Ok(()),
                #[cfg(feature = "kafka")]
                Command::Relay(_) => Ok(()),
                #[cfg(feature = "kafka")]
                Command::Dashboard(_) => Ok(()),
            };
            (cli.log_json, result)
        }
    };
    std::process::exit(exit_status(result, json));
}

/// Start a command that has settings: logs in the format they ask for (or, when they cannot
/// be loaded, the one the flag, variable or file asks for), the settings warnings, then `body`.
fn start<S>(
    loaded: anyhow::Result<S>,
    json_of: impl FnOnce(&S) -> bool,
    json_anyway: impl FnOnce() -> bool,
    warnings: &[String],
    body: impl FnOnce(&S) -> anyhow::Result<()>,
) -> (bool, anyhow::Result<()>) {
    let (json, result) = match loaded {
        Ok(s) => {
            let json = json_of(&s);
            init_tracing(json);
            warn(warnings);
            return (json, body(&s));
        }
        Err(e) => (json_anyway(), Err(e)),
    };
    init_tracing(json);
    warn(warnings);
    (json, result)
}

/// Whether the flag, variable or file asks for JSON logs, for settings that did not load.
fn wants_json(
    over: anyhow::Result<rta::settings::Overrides>,
    file: Option<&std::path::Path>,
) -> bool {
    over.is_ok_and(|o| o.wants_json(file))
}

fn warn(warnings: &[String]) {
    for w in warnings {
        tracing::warn!("{w}");
    }
}
