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
        Command::Run(args) => match args.settings() {
            Ok(s) => {
                let json = rta::cli::run::log_json(&s, cli.log_json);
                init_tracing(json);
                warn(&warnings);
                (json, rta::cli::run::run(&s))
            }
            Err(e) => {
                let json = cli.log_json
                    || args
                        .overrides()
                        .is_ok_and(|o| o.wants_json(args.config.as_deref()));
                init_tracing(json);
                warn(&warnings);
                (json, Err(e))
            }
        },
        #[cfg(feature = "kafka")]
        Command::Relay(args) => match args.settings() {
            Ok(s) => {
                let json = cli.log_json || s.log_format == rta::settings::LogFormat::Json;
                init_tracing(json);
                warn(&warnings);
                (json, rta::relay::run(&s))
            }
            Err(e) => {
                let json = cli.log_json
                    || args
                        .overrides()
                        .is_ok_and(|o| o.wants_json(args.config.as_deref()));
                init_tracing(json);
                warn(&warnings);
                (json, Err(e))
            }
        },
        #[cfg(feature = "kafka")]
        Command::Dashboard(args) => match args.run.settings() {
            Ok(s) => {
                let json = rta::cli::run::log_json(&s, cli.log_json);
                init_tracing(json);
                warn(&warnings);
                (json, rta::cli::dashboard::run(&s, args.account.as_deref()))
            }
            Err(e) => {
                init_tracing(cli.log_json);
                (cli.log_json, Err(e))
            }
        },
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

fn warn(warnings: &[String]) {
    for w in warnings {
        tracing::warn!("{w}");
    }
}
