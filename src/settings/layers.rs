//! The three sources of settings — the TOML file, `RTA_*` environment variables and flags —
//! read into entries (key, value, source) by a declaration of keys (`keys.rs` for `rta run`,
//! `relay_keys.rs` for `rta relay`); and the warning for `RTA_*` variables that name no key.

use super::keys::{by_env, by_flag, by_name, Declared, Key, KEYS, OTHER_VARS};
use super::relay_keys::RELAY_KEYS;
use super::value::{line_col, Kind, Source, Val};
use anyhow::{anyhow, Context, Result};
use std::path::Path;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// One value from one source.
pub struct Entry<S: 'static> {
    pub key: &'static Key<S>,
    pub val: Val,
    pub source: Source,
}

impl<S> Entry<S> {
    /// Store the value; an error names the source (and, for the file, the key).
    pub fn apply(self, s: &mut S) -> Result<()> {
        let Entry { key, val, source } = self;
        (key.set)(s, val).map_err(|m| match &source {
            Source::File { .. } => anyhow!("{source}: {}: {m}", key.name),
            _ => anyhow!("{source}: {m}"),
        })
    }
}

/// Read the TOML file at `path`.
pub fn read_file<S: Declared>(path: &Path) -> Result<Vec<Entry<S>>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the config file {}", path.display()))?;
    parse_file(&text, &path.display().to_string())
}

/// Parse a TOML file's text; `path` names it in errors, with line and column.
pub fn parse_file<S: Declared>(text: &str, path: &str) -> Result<Vec<Entry<S>>> {
    let at = |span: std::ops::Range<usize>| {
        let (line, column) = line_col(text, span.start);
        Source::File {
            path: path.to_string(),
            line,
            column,
        }
    };
    let doc = DeTable::parse(text).map_err(|e| {
        let message = e.message().trim().replace('\n', "; ");
        match e.span() {
            Some(span) => anyhow!("{}: {message}", at(span)),
            None => anyhow!("the config file {path}: {message}"),
        }
    })?;
    let mut out = Vec::new();
    for (k, v) in doc.get_ref().iter() {
        let name: &str = k.get_ref();
        let is_table = S::tables()
            .iter()
            .any(|t| !t.name.is_empty() && t.name == name);
        match v.get_ref() {
            DeValue::Table(table) if name == "kafka" => {
                let Some(key) = by_name::<S>("kafka") else {
                    continue;
                };
                let mut pairs = Vec::new();
                kafka_pairs(table, "", &mut pairs);
                for (prop, v) in pairs {
                    let val = scalar_text(v.get_ref())
                        .map_err(|m| anyhow!("{}: kafka property {prop:?}: {m}", at(v.span())))?;
                    out.push(Entry {
                        key,
                        val: Val::Pairs(vec![(prop, val)]),
                        source: at(v.span()),
                    });
                }
            }
            DeValue::Table(table) if is_table => {
                for (k2, v2) in table.iter() {
                    let full = format!("{name}.{}", k2.get_ref());
                    out.push(entry(&full, v2, at(k2.span()), at(v2.span()))?);
                }
            }
            _ if is_table || name == "kafka" => {
                return Err(anyhow!(
                    "{}: {name} must be a table ([{name}])",
                    at(v.span())
                ));
            }
            _ => out.push(entry(name, v, at(k.span()), at(v.span()))?),
        }
    }
    Ok(out)
}

fn entry<S: Declared>(
    name: &str,
    v: &Spanned<DeValue<'_>>,
    key_at: Source,
    value_at: Source,
) -> Result<Entry<S>> {
    let Some(key) = by_name::<S>(name).filter(|k| !matches!(k.kind, Kind::Pairs)) else {
        let hint = closest(name, S::keys().iter().map(|k| k.name))
            .map(|c| format!("; did you mean {c:?}?"))
            .unwrap_or_default();
        return Err(anyhow!(
            "{key_at}: unknown key {name:?}{hint} (docs/configuration.md lists every key)"
        ));
    };
    let val = key
        .kind
        .parse_toml(v.get_ref())
        .map_err(|m| anyhow!("{value_at}: {name}: {m}"))?;
    Ok(Entry {
        key,
        val,
        source: value_at,
    })
}

/// The `[kafka]` table's properties, dotted names (`security.protocol = …` without quotes)
/// flattened.
fn kafka_pairs<'a, 'i>(
    table: &'a DeTable<'i>,
    prefix: &str,
    out: &mut Vec<(String, &'a Spanned<DeValue<'i>>)>,
) {
    for (k, v) in table.iter() {
        let name = format!("{prefix}{}", k.get_ref());
        match v.get_ref() {
            DeValue::Table(inner) => kafka_pairs(inner, &format!("{name}."), out),
            _ => out.push((name, v)),
        }
    }
}

fn scalar_text(v: &DeValue<'_>) -> Result<String, String> {
    match v {
        DeValue::String(s) => Ok(s.to_string()),
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
            .map(|n| n.to_string())
            .map_err(|_| format!("{} is out of range", i.as_str())),
        DeValue::Float(f) => Ok(f.as_str().to_string()),
        DeValue::Boolean(b) => Ok(b.to_string()),
        other => Err(format!(
            "must be a string, number or boolean (got {})",
            other.type_str()
        )),
    }
}

/// The `RTA_*` variables that name keys; empty values count as unset.
pub fn read_env<S: Declared>(env: &[(String, String)]) -> Result<Vec<Entry<S>>> {
    let mut out = Vec::new();
    for (name, value) in env {
        let Some(key) = by_env::<S>(name) else {
            continue;
        };
        if value.trim().is_empty() {
            continue;
        }
        let source = Source::Env(name.clone());
        let val = key
            .kind
            .parse_text(value, true)
            .map_err(|m| anyhow!("{source}: {m}"))?;
        out.push(Entry { key, val, source });
    }
    Ok(out)
}

/// Flags as (name without `--`, value), in command-line order.
pub fn read_flags<S: Declared>(flags: &[(String, String)]) -> Result<Vec<Entry<S>>> {
    let mut out = Vec::new();
    for (flag, value) in flags {
        let source = Source::Flag(flag.clone());
        let key = by_flag::<S>(flag).ok_or_else(|| anyhow!("{source}: no such setting"))?;
        let val = key
            .kind
            .parse_text(value, false)
            .map_err(|m| anyhow!("{source}: {m}"))?;
        out.push(Entry { key, val, source });
    }
    Ok(out)
}

/// The process's `RTA_*` variables; a value that is not UTF-8 is an error naming it.
pub fn env_vars() -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (k, v) in std::env::vars_os() {
        let Some(name) = k.to_str().filter(|n| n.starts_with("RTA_")) else {
            continue;
        };
        let value = v
            .into_string()
            .map_err(|_| anyhow!("environment variable {name}: the value is not UTF-8"))?;
        out.push((name.to_string(), value));
    }
    Ok(out)
}

/// Every file, `RTA_*` variable and flag, then the checks: the load of any declared settings
/// struct. `finish` applies what needs every key (a topic prefix) and the cross-key checks.
pub fn load<S: Declared>(
    file: Option<&Path>,
    env: &[(String, String)],
    flags: &[(String, String)],
) -> Result<S> {
    let mut s = S::default();
    let mut entries = match file {
        Some(path) => read_file::<S>(path)?,
        None => Vec::new(),
    };
    entries.extend(read_env::<S>(env)?);
    entries.extend(read_flags::<S>(flags)?);
    for e in entries {
        e.apply(&mut s)?;
    }
    Ok(s)
}

/// One warning for every `RTA_*` name that is neither a key's variable (of any command) nor
/// one of the other variables rta and its tests read, with the closest known name.
pub fn unknown_env_warnings<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let known = || {
        KEYS.iter()
            .map(|k| k.env)
            .chain(RELAY_KEYS.iter().map(|k| k.env))
            .chain(OTHER_VARS.iter().map(|(n, _)| *n))
    };
    let mut out = Vec::new();
    for name in names {
        if !name.starts_with("RTA_") || known().any(|k| k == name) {
            continue;
        }
        let hint = closest(name, known())
            .map(|c| format!("; did you mean {c}?"))
            .unwrap_or_default();
        out.push(format!(
            "unknown environment variable {name} is ignored{hint} (docs/configuration.md lists every variable)"
        ));
    }
    out
}

/// The candidate closest to `name` by edit distance, if close enough to be a typo.
fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.len() / 4).clamp(2, 4);
    candidates
        .map(|c| {
            (
                edit_distance(&name.to_ascii_uppercase(), &c.to_ascii_uppercase()),
                c,
            )
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
