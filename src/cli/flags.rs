//! The flags of a command with settings, one per key, generated from its declaration
//! ([`crate::settings::KEYS`] for `rta run` and `rta dashboard`,
//! [`crate::settings::RELAY_KEYS`] for `rta relay`). Values stay text here; the settings readers
//! parse them, so a bad value is reported naming its flag, like variables and file keys.

use crate::settings::{Declared, Kind, Settings};
use clap::{Arg, ArgAction, ArgMatches, Command};
use std::marker::PhantomData;

/// The settings flags given, as (flag name without `--`, value), in key order.
#[derive(Clone, Debug)]
pub struct KeyFlags<S = Settings> {
    pub pairs: Vec<(String, String)>,
    of: PhantomData<fn() -> S>,
}

impl<S> Default for KeyFlags<S> {
    fn default() -> Self {
        KeyFlags {
            pairs: Vec::new(),
            of: PhantomData,
        }
    }
}

impl<S: Declared> clap::FromArgMatches for KeyFlags<S> {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let mut flags = KeyFlags::default();
        flags.update_from_arg_matches(m)?;
        Ok(flags)
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        for k in S::keys() {
            if let Ok(Some(values)) = m.try_get_many::<String>(k.name) {
                for v in values {
                    self.pairs.push((k.flag.to_string(), v.clone()));
                }
            }
        }
        Ok(())
    }
}

impl<S: Declared> clap::Args for KeyFlags<S> {
    fn augment_args(mut cmd: Command) -> Command {
        for k in S::keys() {
            let table = k.split().0;
            let heading = S::tables()
                .iter()
                .find(|t| t.name == table)
                .map_or("Settings", |t| t.help);
            let help = k
                .doc
                .split(". ")
                .next()
                .unwrap_or(k.doc)
                .trim_end_matches('.');
            let mut a = Arg::new(k.name)
                .long(k.flag)
                .value_name(k.kind.value_name())
                .value_parser(clap::value_parser!(String))
                .help(format!("{help} [env: {}]", k.env))
                .help_heading(heading);
            a = match k.kind {
                Kind::Pairs => a.action(ArgAction::Append),
                Kind::Bool => a
                    .action(ArgAction::Set)
                    .num_args(0..=1)
                    .default_missing_value("true"),
                _ => a.action(ArgAction::Set),
            };
            if let Some(alias) = k.alias {
                a = a.alias(alias);
            }
            cmd = cmd.arg(a);
        }
        cmd
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}
