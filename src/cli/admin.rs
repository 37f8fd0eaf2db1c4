//! `rta integration`, `rta import` and `rta unmapped`: arguments, and where they write
//! (`--brokers` or `--output FILE.ndjson`).

use crate::admin::import::ImportKind;
use crate::admin::integration::{self, AddArgs, VendorArg};
use crate::admin::{import, unmapped, Target};
use crate::settings::split_kafka_env;
use anyhow::{bail, Context, Result};
use std::path::PathBuf;

/// Where the records are read and written.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct TargetArgs {
    /// Kafka bootstrap servers (rta.config is read to its end, then written).
    #[arg(long, env = "RTA_BROKERS")]
    pub brokers: Option<String>,
    /// Instead of Kafka: an NDJSON file of envelopes (its records are the current state; new
    /// ones are appended; `rta process` reads it).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Prefix of every topic name.
    #[arg(long, env = "RTA_TOPIC_PREFIX", default_value = "")]
    pub topic_prefix: String,
    /// librdkafka property KEY=VALUE, passed through (repeatable; TLS, SASL).
    #[arg(long = "kafka")]
    pub kafka: Vec<String>,
}

impl TargetArgs {
    pub fn target(&self) -> Result<Target> {
        match (&self.brokers, &self.output) {
            (Some(_), Some(_)) => bail!("give either --brokers or --output, not both"),
            (None, Some(f)) => Ok(Target::File(f.clone())),
            (Some(b), None) if !b.trim().is_empty() => {
                let mut kafka = std::collections::BTreeMap::new();
                let env = std::env::var("RTA_KAFKA")
                    .map(|v| split_kafka_env(&v))
                    .unwrap_or_default();
                for kv in env.iter().chain(&self.kafka) {
                    let Some((k, v)) = kv.split_once('=') else {
                        bail!("--kafka {kv:?} is not KEY=VALUE; use e.g. --kafka security.protocol=SSL");
                    };
                    kafka.insert(k.trim().to_string(), v.trim().to_string());
                }
                Ok(Target::Kafka {
                    brokers: b.clone(),
                    prefix: self.topic_prefix.clone(),
                    kafka,
                })
            }
            _ => bail!(
                "say where the config records are: --brokers HOST:PORT or --output FILE.ndjson"
            ),
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct IntegrationArgs {
    #[command(subcommand)]
    pub command: IntegrationCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum IntegrationCommand {
    /// Add an integration; prints its secret once (odigo: the notification URL).
    Add {
        #[arg(long)]
        account: String,
        #[arg(long, value_enum)]
        vendor: VendorArg,
        #[arg(long)]
        name: String,
        /// Integration id (default: the next free number of the account).
        #[arg(long)]
        id: Option<String>,
        /// odigo: external status PAUSE:{pauseCode} instead of PAUSE.
        #[arg(long)]
        detailed_breaks: bool,
        /// The relay's public URL, to print the Odigo notification URL.
        #[arg(long, env = "RTA_RELAY_URL")]
        relay_url: Option<String>,
        #[command(flatten)]
        target: TargetArgs,
    },
    /// Generate a new secret (the old one stops working once the relays read the record).
    Secret {
        account: String,
        id: String,
        #[arg(long, env = "RTA_RELAY_URL")]
        relay_url: Option<String>,
        #[command(flatten)]
        target: TargetArgs,
    },
    /// Pause: events are accepted and held until resumed.
    Pause {
        account: String,
        id: String,
        #[command(flatten)]
        target: TargetArgs,
    },
    /// Resume: held events are applied.
    Resume {
        account: String,
        id: String,
        #[command(flatten)]
        target: TargetArgs,
    },
    /// Delete: the secret is revoked, new events are dead letters, delivered data stays.
    Delete {
        account: String,
        id: String,
        #[command(flatten)]
        target: TargetArgs,
    },
    /// List an account's integrations (secrets are never shown).
    List {
        #[arg(long)]
        account: String,
        #[command(flatten)]
        target: TargetArgs,
    },
}

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// identifiers, statuses, activities, people or schedules.
    #[arg(value_enum)]
    pub kind: ImportKind,
    /// The CSV file (header row with the kind's columns).
    pub file: PathBuf,
    #[arg(long)]
    pub account: String,
    /// Print what would change; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub target: TargetArgs,
}

#[derive(clap::Args, Debug)]
pub struct UnmappedArgs {
    #[arg(long)]
    pub account: String,
    /// Print one kind as CSV ready to fill in and import back.
    #[arg(long)]
    pub csv: bool,
    /// With --csv: identifier (default) or status.
    #[arg(long, default_value = "identifier", value_parser = ["identifier", "status"])]
    pub kind: String,
    /// Read the reports from this NDJSON file (rta process output) instead of Kafka.
    #[arg(long, conflicts_with = "output")]
    pub input: Option<PathBuf>,
    #[command(flatten)]
    pub target: TargetArgs,
}

pub fn integration(a: &IntegrationArgs) -> Result<()> {
    use IntegrationCommand::*;
    let out = match &a.command {
        Add {
            account,
            vendor,
            name,
            id,
            detailed_breaks,
            relay_url,
            target,
        } => integration::add(
            &target.target()?,
            &AddArgs {
                account,
                vendor: *vendor,
                name,
                id: id.as_deref(),
                detailed_breaks: *detailed_breaks,
                relay_url: relay_url.as_deref(),
            },
        )?,
        Secret {
            account,
            id,
            relay_url,
            target,
        } => integration::rotate(&target.target()?, account, id, relay_url.as_deref())?,
        Pause {
            account,
            id,
            target,
        } => integration::set_paused(&target.target()?, account, id, true)?,
        Resume {
            account,
            id,
            target,
        } => integration::set_paused(&target.target()?, account, id, false)?,
        Delete {
            account,
            id,
            target,
        } => integration::delete(&target.target()?, account, id)?,
        List { account, target } => integration::list(&target.target()?, account)?,
    };
    print!("{out}");
    Ok(())
}

pub fn import(a: &ImportArgs) -> Result<()> {
    let text = std::fs::read_to_string(&a.file)
        .with_context(|| format!("cannot read the CSV file {}", a.file.display()))?;
    let out = import::run(&a.target.target()?, a.kind, &a.account, &text, a.dry_run)?;
    print!("{out}");
    Ok(())
}

pub fn unmapped(a: &UnmappedArgs) -> Result<()> {
    let t = match &a.input {
        Some(f) => Target::File(f.clone()),
        None => a.target.target()?,
    };
    let reports = unmapped::reports(&t, &a.account)?;
    let out = match a.csv {
        true => unmapped::csv(&reports, &a.kind)?,
        false => unmapped::table(&reports),
    };
    print!("{out}");
    Ok(())
}
