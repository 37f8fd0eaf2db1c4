//! `rta.config` records into the engine. A record is checked once ([`config_input`]: key,
//! size, parse, limits) and the result applied ([`Engine::on_config_change`]); the service
//! parses a record once and hands the same change to its config table and to the engine, and
//! replays the table's typed records without parsing them again
//! ([`Engine::replay_config`]).

use super::{too_large, Account, Engine, Limits, Origin, Outputs};
use crate::config::{
    check_limits, parse_config_record, ConfigChange, ConfigError, ConfigKey, ConfigRecord,
};

/// One `rta.config` record checked: its change, or why it is a dead letter (a key that is not
/// UTF-8 or unusable, a value over the size limit, not JSON, invalid, over the limits).
pub fn config_input(origin: &Origin, limits: &Limits) -> Result<ConfigChange, ConfigError> {
    let key = match origin.key.map(std::str::from_utf8) {
        Some(Ok(k)) => Some(k),
        Some(Err(_)) => return Err(ConfigError::Invalid("config key is not UTF-8".into())),
        None => None,
    };
    if let Some(detail) = origin.payload.and_then(|p| too_large(p, limits)) {
        return Err(ConfigError::TooLarge(detail));
    }
    let change = parse_config_record(key, origin.payload)?;
    check_limits(&change, limits)?;
    Ok(change)
}

impl Engine {
    /// Apply one `rta.config` record (checked here: [`config_input`]).
    pub fn on_config(&mut self, origin: &Origin, out: &mut Outputs) {
        let checked = config_input(origin, &self.opts.limits);
        self.on_config_change(origin, checked.as_ref(), out);
    }

    /// Apply one `rta.config` record already checked by [`config_input`]: its change, or its
    /// dead letter (`origin` is the record, for the dead letter).
    pub fn on_config_change(
        &mut self,
        origin: &Origin,
        checked: Result<&ConfigChange, &ConfigError>,
        out: &mut Outputs,
    ) {
        match checked {
            Ok(change) => self.replay_config(change.account(), change.key(), change.record(), out),
            Err(e) => {
                self.stats.config_records += 1;
                let detail = e.to_string();
                self.split(out).0.dead_letter(origin, e.reason(), &detail)
            }
        }
    }

    /// Apply a valid config record of `account` (`None`: its key deleted), as kept in the
    /// config table.
    pub fn replay_config(
        &mut self,
        account: &str,
        key: &ConfigKey,
        record: Option<&ConfigRecord>,
        out: &mut Outputs,
    ) {
        self.stats.config_records += 1;
        let clock = self.clock;
        let (mut ctx, accounts) = self.split(out);
        let acct = accounts
            .entry(account.into())
            .or_insert_with(|| Account::new(account, clock));
        acct.on_config(key, record, &mut ctx);
    }
}
