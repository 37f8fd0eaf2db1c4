//! The `rta` binary: parses the command line and runs a command; errors are one line on stderr.

use clap::Parser;
use rta::cli::{Cli, Command};

fn main() {
    let cli = Cli::parse();
    if let Command::Run(args) = &cli.command {
        let result = args.settings().and_then(|s| {
            rta::cli::init_tracing(rta::cli::run::log_json(&s, cli.log_json));
            rta::cli::run::run(&s)
        });
        if let Err(e) = result {
            eprintln!("rta: {e:#}");
            std::process::exit(1);
        }
        return;
    }
    rta::cli::init_tracing(cli.log_json);
    let result = match &cli.command {
        Command::Run(_) => Ok(()),
        Command::Process(a) => rta::cli::process::run(a),
        Command::Simulate(a) => rta::cli::simulate::run(a),
    };
    if let Err(e) = result {
        eprintln!("rta: {e:#}");
        std::process::exit(1);
    }
}
