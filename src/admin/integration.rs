//! `rta integration add|secret|pause|resume|delete|list`: the integration lifecycle as config
//! records (SPEC §3, §9). A secret is printed once, when it is made; only its SHA-256 is
//! written. Every record is checked with the service's own decoder before it is written.

use super::store::{ConfigState, Target};
use crate::config::{parse_config_record, parse_key, ConfigKey, ConfigKind};
use crate::relay::auth::{generate_secret, hex, sha256};
use anyhow::{bail, Result};
use serde_json::{json, Value};

/// The vendors an integration can be (SPEC §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum VendorArg {
    Odigo,
    InjixoApi,
}

impl VendorArg {
    fn name(self) -> &'static str {
        match self {
            VendorArg::Odigo => "odigo",
            VendorArg::InjixoApi => "injixo-api",
        }
    }
}

fn key(account: &str, id: &str) -> String {
    ConfigKind::Integration.render(account, &[id])
}

/// Check a record with the service's decoder and serialise it.
fn checked(key: &str, v: &Value) -> Result<Vec<u8>> {
    let bytes = v.to_string().into_bytes();
    if let Err(e) = parse_config_record(Some(key), Some(&bytes)) {
        bail!("the record {key} would be invalid: {e}");
    }
    Ok(bytes)
}

fn secret_field(vendor: &str) -> &'static str {
    match vendor {
        "odigo" => "tokenSha256",
        _ => "apiKeySha256",
    }
}

/// What to print about a new secret.
fn announce(vendor: &str, secret: &str, relay_url: Option<&str>) -> String {
    match vendor {
        "odigo" => {
            let mut s = format!("URL token (shown once, store it now): {secret}\n");
            match relay_url {
                Some(u) => s.push_str(&format!(
                    "Notification URL to paste into Odigo: {}/v1/odigo/{secret}\n",
                    u.trim_end_matches('/')
                )),
                None => s.push_str(
                    "Notification URL: {relay URL}/v1/odigo/{token} (give --relay-url to print it)\n",
                ),
            }
            s
        }
        _ => format!(
            "API key (shown once, store it now): {secret}\nSend it as: Authorization: Bearer {secret}\n"
        ),
    }
}

pub struct AddArgs<'a> {
    pub account: &'a str,
    pub vendor: VendorArg,
    pub name: &'a str,
    pub id: Option<&'a str>,
    pub detailed_breaks: bool,
    pub relay_url: Option<&'a str>,
}

/// `rta integration add`: the record, and the secret printed once.
pub fn add(t: &Target, a: &AddArgs) -> Result<String> {
    let state = ConfigState::load(t)?;
    let id = match a.id {
        Some(id) => id.to_string(),
        None => {
            let max = state
                .of_kind(a.account, ConfigKind::Integration)
                .filter_map(|(k, _)| match parse_key(k).ok()?.1 {
                    ConfigKey::Integration(id) => id.parse::<u64>().ok(),
                    _ => None,
                })
                .max()
                .unwrap_or(0);
            (max + 1).to_string()
        }
    };
    let k = key(a.account, &id);
    if state.records.contains_key(&k) {
        bail!(
            "integration {id} already exists in account {}; choose another --id",
            a.account
        );
    }
    let secret = generate_secret()?;
    let vendor = a.vendor.name();
    let mut v = json!({
        "kind": "integration", "account": a.account, "id": id, "vendor": vendor,
        "name": a.name, "paused": false,
    });
    if a.vendor == VendorArg::Odigo {
        v["detailedBreaks"] = Value::Bool(a.detailed_breaks);
    }
    v[secret_field(vendor)] = Value::String(hex(&sha256(secret.as_bytes())));
    t.write_config(&[(k.clone(), Some(checked(&k, &v)?))])?;
    Ok(format!(
        "integration {id} ({vendor}, {:?}) added to account {}\n{}",
        a.name,
        a.account,
        announce(vendor, &secret, a.relay_url)
    ))
}

fn existing(state: &ConfigState, account: &str, id: &str) -> Result<(String, Value)> {
    let k = key(account, id);
    match state.records.get(&k) {
        Some(v) => Ok((k, v.clone())),
        None => bail!("integration {id} does not exist in account {account}; see rta integration list --account {account}"),
    }
}

/// `rta integration secret`: a new secret; the old one stops working once relays read it.
pub fn rotate(t: &Target, account: &str, id: &str, relay_url: Option<&str>) -> Result<String> {
    let state = ConfigState::load(t)?;
    let (k, mut v) = existing(&state, account, id)?;
    let vendor = v["vendor"].as_str().unwrap_or("").to_string();
    let secret = generate_secret()?;
    v[secret_field(&vendor)] = Value::String(hex(&sha256(secret.as_bytes())));
    t.write_config(&[(k.clone(), Some(checked(&k, &v)?))])?;
    Ok(format!(
        "integration {id} of account {account} has a new secret; the old one stops working as soon as the relays have read it\n{}",
        announce(&vendor, &secret, relay_url)
    ))
}

/// `rta integration pause|resume`.
pub fn set_paused(t: &Target, account: &str, id: &str, paused: bool) -> Result<String> {
    let state = ConfigState::load(t)?;
    let (k, mut v) = existing(&state, account, id)?;
    if v["paused"].as_bool() == Some(paused) {
        return Ok(format!(
            "integration {id} of account {account} is already {}\n",
            if paused { "paused" } else { "running" }
        ));
    }
    v["paused"] = Value::Bool(paused);
    t.write_config(&[(k.clone(), Some(checked(&k, &v)?))])?;
    Ok(match paused {
        true => format!("integration {id} of account {account} paused: its events are held until it is resumed\n"),
        false => format!("integration {id} of account {account} resumed: held events are applied\n"),
    })
}

/// `rta integration delete`: a tombstone. Its secret is revoked; what it delivered stays.
pub fn delete(t: &Target, account: &str, id: &str) -> Result<String> {
    let state = ConfigState::load(t)?;
    let (k, _) = existing(&state, account, id)?;
    t.write_config(&[(k, None)])?;
    Ok(format!(
        "integration {id} of account {account} deleted: its secret is revoked, its new events are dead letters, what it delivered stays\n"
    ))
}

/// `rta integration list`: one line per integration; secrets are never shown.
pub fn list(t: &Target, account: &str) -> Result<String> {
    let state = ConfigState::load(t)?;
    let mut out = String::from("id\tvendor\tname\tpaused\tdetailedBreaks\tsecret\n");
    for (_, v) in state.of_kind(account, ConfigKind::Integration) {
        let s = |f: &str| {
            v[f].as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v[f].to_string())
        };
        let has_secret = v["tokenSha256"].is_string() || v["apiKeySha256"].is_string();
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\n",
            s("id"),
            s("vendor"),
            v["name"].as_str().unwrap_or(""),
            v["paused"].as_bool().unwrap_or(false),
            v["detailedBreaks"].as_bool().unwrap_or(false),
            if has_secret { "set" } else { "none" }
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_in_a_file_never_shows_the_secret_again() {
        let path =
            std::env::temp_dir().join(format!("rta-integration-{}.ndjson", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let t = Target::File(path.clone());
        let add = |name: &'static str| AddArgs {
            account: "acme",
            vendor: VendorArg::Odigo,
            name,
            id: None,
            detailed_breaks: true,
            relay_url: Some("https://relay.example.com/"),
        };
        let out = add_one(&t, &add("Paris"));
        let token = out
            .split_whitespace()
            .find(|w| w.starts_with("rta_"))
            .unwrap()
            .to_string();
        assert!(out.contains(&format!("https://relay.example.com/v1/odigo/{token}")));
        assert!(add_one(&t, &add("Lyon")).starts_with("integration 2 "));
        let state = ConfigState::load(&t).unwrap();
        let rec = &state.records["acme/integration/1"];
        assert_eq!(rec["tokenSha256"], hex(&sha256(token.as_bytes())));
        assert_eq!(rec["detailedBreaks"], true);
        let file = std::fs::read_to_string(&path).unwrap();
        assert!(!file.contains(&token), "the secret was written");

        assert!(set_paused(&t, "acme", "1", true)
            .unwrap()
            .contains("paused"));
        let listed = list(&t, "acme").unwrap();
        assert!(
            listed.contains("1\todigo\tParis\ttrue\ttrue\tset"),
            "{listed}"
        );
        assert!(!listed.contains(&token));
        let rotated = rotate(&t, "acme", "1", None).unwrap();
        assert!(!rotated.contains(&token));
        delete(&t, "acme", "1").unwrap();
        let e = set_paused(&t, "acme", "1", false).unwrap_err().to_string();
        assert!(e.contains("does not exist"), "{e}");
        assert!(!list(&t, "acme").unwrap().contains("Paris"));
        let _ = std::fs::remove_file(&path);
    }

    fn add_one(t: &Target, a: &AddArgs) -> String {
        add(t, a).unwrap()
    }
}
