//! `rta simulate`: write a generated day as NDJSON.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct SimulateArgs {
    /// Number of persons.
    #[arg(long, default_value_t = 50)]
    pub persons: usize,
    /// Local date to simulate (YYYY-MM-DD).
    #[arg(long, default_value = "2026-11-23")]
    pub date: String,
    /// Random seed: the same seed gives the same day.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Account id.
    #[arg(long, default_value = "acme")]
    pub account: String,
    /// IANA time zone of the account.
    #[arg(long, default_value = "Europe/Berlin")]
    pub time_zone: String,
    /// Contacts offered to the simulated queues over the day, as contact events (default: 30 per
    /// person; 0: none).
    #[arg(long)]
    pub contacts_per_day: Option<usize>,
    /// Output file (default: stdout).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

pub fn run(args: &SimulateArgs) -> Result<()> {
    let date = chrono::NaiveDate::parse_from_str(&args.date, "%Y-%m-%d")
        .map_err(|_| anyhow::anyhow!("--date {:?} is not a YYYY-MM-DD date", args.date))?;
    crate::time::Grid::new(&args.time_zone, 15).map_err(|e| anyhow::anyhow!("--time-zone: {e}"))?;
    let mut opts = crate::simulate::SimOptions::new(args.persons, date, args.seed);
    opts.account = args.account.clone();
    opts.time_zone = args.time_zone.clone();
    if let Some(n) = args.contacts_per_day {
        opts.contacts_per_day = n;
    }
    match &args.output {
        Some(p) => {
            let f = std::fs::File::create(p)
                .with_context(|| format!("cannot write --output {}", p.display()))?;
            let mut w = std::io::BufWriter::new(f);
            crate::simulate::write_ndjson(&opts, &mut w)
                .and_then(|()| w.flush())
                .with_context(|| format!("cannot write --output {}", p.display()))?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::new(stdout.lock());
            // a closed pipe (`rta simulate | head -1`) ends quietly: see cli::exit_status
            crate::simulate::write_ndjson(&opts, &mut w)
                .and_then(|()| w.flush())
                .context("cannot write to stdout")?;
        }
    }
    Ok(())
}
