//! Secrets (SPEC §9): generation (32 bytes from the OS's secure generator, base64url without
//! padding, prefixed `rta_`), their SHA-256 as stored in integration records, and the relay's
//! credential table: a presented secret is hashed, looked up by the first bytes of its hash and
//! compared in full in constant time. Secrets themselves are never stored, logged or shown
//! after creation.

use crate::config::{IntegrationRec, Vendor};
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use subtle::ConstantTimeEq;

/// Prefix of every secret rta generates.
pub const SECRET_PREFIX: &str = "rta_";

/// A new secret: `rta_` + 32 random bytes, base64url without padding (47 characters).
pub fn generate_secret() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| anyhow::anyhow!("the OS's secure random generator failed: {e}"))?;
    Ok(format!(
        "{SECRET_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

/// SHA-256 of a secret.
pub fn sha256(secret: &[u8]) -> [u8; 32] {
    Sha256::digest(secret).into()
}

/// Lowercase hex, as in `tokenSha256` / `apiKeySha256`.
pub fn hex(h: &[u8; 32]) -> String {
    let mut s = String::with_capacity(64);
    for b in h {
        s.push(char::from(b"0123456789abcdef"[(b >> 4) as usize]));
        s.push(char::from(b"0123456789abcdef"[(b & 15) as usize]));
    }
    s
}

fn unhex(s: &str) -> Option<[u8; 32]> {
    let b = s.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let nib = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = (nib(b[2 * i])? << 4) | nib(b[2 * i + 1])?;
    }
    Some(out)
}

/// Which credential a secret is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SecretKind {
    /// An odigo integration's URL token (in the path).
    OdigoToken,
    /// An injixo-api integration's API key (`Authorization: Bearer`).
    ApiKey,
}

/// Whom a secret authenticates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub account: String,
    pub integration: String,
}

struct Entry {
    hash: [u8; 32],
    kind: SecretKind,
    principal: Principal,
}

/// The relay's view of every integration's secrets, kept from `rta.config`.
#[derive(Default)]
pub struct Credentials {
    /// First 8 bytes of the hash → entries (almost always one).
    buckets: HashMap<u64, Vec<Entry>>,
    /// (account, integration) → the hashes it holds, to replace them on update.
    by_integration: HashMap<(String, String), Vec<[u8; 32]>>,
}

fn bucket(h: &[u8; 32]) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&h[..8]);
    u64::from_le_bytes(b)
}

impl Credentials {
    /// Install an integration record's secrets (replacing what it had).
    pub fn upsert(&mut self, account: &str, rec: &IntegrationRec) {
        self.remove(account, &rec.id);
        let h = rec.secrets.as_deref();
        let (hash, kind) = match rec.vendor {
            Vendor::Odigo => (
                h.and_then(|h| h.token_sha256.as_deref()),
                SecretKind::OdigoToken,
            ),
            Vendor::InjixoApi => (
                h.and_then(|h| h.api_key_sha256.as_deref()),
                SecretKind::ApiKey,
            ),
        };
        let Some(hash) = hash.and_then(unhex) else {
            return;
        };
        let principal = Principal {
            account: account.to_string(),
            integration: rec.id.clone(),
        };
        self.buckets.entry(bucket(&hash)).or_default().push(Entry {
            hash,
            kind,
            principal: principal.clone(),
        });
        self.by_integration
            .insert((principal.account, principal.integration), vec![hash]);
    }

    /// Forget an integration (deleted: its secret is revoked).
    pub fn remove(&mut self, account: &str, integration: &str) {
        let Some(hashes) = self
            .by_integration
            .remove(&(account.to_string(), integration.to_string()))
        else {
            return;
        };
        for h in hashes {
            let b = bucket(&h);
            if let Some(v) = self.buckets.get_mut(&b) {
                v.retain(|e| {
                    !(e.principal.account == account && e.principal.integration == integration)
                });
                if v.is_empty() {
                    self.buckets.remove(&b);
                }
            }
        }
    }

    /// Who `secret` authenticates as a credential of `kind`, if anyone.
    pub fn authenticate(&self, kind: SecretKind, secret: &[u8]) -> Option<&Principal> {
        let h = sha256(secret);
        let mut found = None;
        for e in self.buckets.get(&bucket(&h))? {
            // every candidate is compared in full, in constant time
            let same: bool = e.hash.ct_eq(&h).into();
            if same && e.kind == kind {
                found = Some(&e.principal);
            }
        }
        found
    }

    /// Integrations with a secret.
    pub fn len(&self) -> usize {
        self.by_integration.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_integration.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str, vendor: Vendor, secret: &str) -> IntegrationRec {
        let h = Some(hex(&sha256(secret.as_bytes())));
        IntegrationRec {
            id: id.into(),
            vendor,
            name: String::new(),
            paused: false,
            detailed_breaks: false,
            fields: None,
            secrets: Some(Box::new(crate::config::SecretHashes {
                token_sha256: if vendor == Vendor::Odigo {
                    h.clone()
                } else {
                    None
                },
                api_key_sha256: if vendor == Vendor::InjixoApi { h } else { None },
            })),
        }
    }

    #[test]
    fn secrets_have_the_documented_shape_and_differ() {
        let a = generate_secret().unwrap();
        let b = generate_secret().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 4 + 43);
        assert!(a.starts_with("rta_"));
        assert!(a[4..]
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        let h = hex(&sha256(b"abc"));
        assert_eq!(
            h,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(unhex(&h), Some(sha256(b"abc")));
    }

    #[test]
    fn lookup_rotation_and_revocation() {
        let mut c = Credentials::default();
        c.upsert("acme", &rec("1", Vendor::Odigo, "tok-1"));
        c.upsert("acme", &rec("2", Vendor::InjixoApi, "key-2"));
        let p = c.authenticate(SecretKind::OdigoToken, b"tok-1").unwrap();
        assert_eq!((p.account.as_str(), p.integration.as_str()), ("acme", "1"));
        // a token is not an API key, and the other way round
        assert!(c.authenticate(SecretKind::ApiKey, b"tok-1").is_none());
        assert!(c.authenticate(SecretKind::OdigoToken, b"key-2").is_none());
        assert!(c.authenticate(SecretKind::ApiKey, b"key-2").is_some());
        assert!(c.authenticate(SecretKind::OdigoToken, b"tok-x").is_none());
        // rotation: the old secret stops working
        c.upsert("acme", &rec("1", Vendor::Odigo, "tok-1b"));
        assert!(c.authenticate(SecretKind::OdigoToken, b"tok-1").is_none());
        assert!(c.authenticate(SecretKind::OdigoToken, b"tok-1b").is_some());
        // deletion revokes
        c.remove("acme", "1");
        assert!(c.authenticate(SecretKind::OdigoToken, b"tok-1b").is_none());
        assert_eq!(c.len(), 1);
    }
}
