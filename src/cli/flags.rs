//! The flags of `rta run`, one per settings key, generated from the declaration
//! ([`crate::settings::KEYS`]). Values stay text here; the settings readers parse them, so a bad
//! value is reported naming its flag, like variables and file keys.

use crate::settings::{Kind, KEYS};
use clap::{Arg, ArgAction, ArgMatches, Command};

/// The settings flags given, as (flag name without `--`, value), in key order.
#[derive(Clone, Debug, Default)]
pub struct KeyFlags(pub Vec<(String, String)>);

impl clap::FromArgMatches for KeyFlags {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let mut flags = KeyFlags::default();
        flags.update_from_arg_matches(m)?;
        Ok(flags)
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        for k in KEYS {
            if let Ok(Some(values)) = m.try_get_many::<String>(k.name) {
                for v in values {
                    self.0.push((k.flag.to_string(), v.clone()));
                }
            }
        }
        Ok(())
    }
}

impl clap::Args for KeyFlags {
    fn augment_args(mut cmd: Command) -> Command {
        for k in KEYS {
            let heading = match k.split().0 {
                "" => "Settings",
                "topics" => "Settings: topics",
                "embedded" => "Settings: embedded default",
                "limits" => "Settings: limits",
                _ => "Settings: Kafka",
            };
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
