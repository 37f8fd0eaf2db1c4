//! `rta relay`: the webhook ingest (SPEC §9). Settings as for `rta run`: a TOML file
//! (`deploy/relay.example.toml`), `RTA_*` variables and one flag per key, all from the relay's
//! declaration of keys (`settings::RELAY_KEYS`).

use super::flags::KeyFlags;
use crate::settings::{Overrides, RelaySettings};
use anyhow::Result;
use std::path::PathBuf;

#[derive(clap::Args, Debug, Default)]
pub struct RelayArgs {
    /// TOML settings file of the relay (docs/configuration.md, deploy/relay.example.toml).
    #[arg(long, short, env = "RTA_RELAY_CONFIG")]
    pub config: Option<PathBuf>,
    /// One flag per settings key of the relay (docs/configuration.md).
    #[command(flatten)]
    pub flags: KeyFlags<RelaySettings>,
}

impl RelayArgs {
    /// The environment and flag layers.
    pub fn overrides(&self) -> Result<Overrides> {
        Ok(Overrides {
            env: crate::settings::env_vars()?,
            flags: self.flags.pairs.clone(),
        })
    }

    /// File, environment and flags, merged and checked.
    pub fn settings(&self) -> Result<RelaySettings> {
        RelaySettings::load(self.config.as_deref(), &self.overrides()?)
    }
}
