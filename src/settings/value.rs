//! Typed values of settings keys and where each came from: one parser per kind for text
//! (environment variables, flags) and for TOML values, so every source accepts the same
//! spellings (booleans as `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`).

use std::fmt;

/// The type of a key, which decides how its text or TOML value is read.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Str,
    Bool,
    /// A whole number in `min..=max`.
    Int {
        min: i64,
        max: i64,
    },
    /// A positive finite number.
    Float,
    /// One of the listed names.
    Choice(&'static [&'static str]),
    /// `host:port` of a socket address.
    Addr,
    /// An RFC 3339 instant.
    Time,
    /// librdkafka `KEY=VALUE` properties; every source adds to the others.
    Pairs,
}

/// A parsed value; its variant follows the key's [`Kind`].
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    Str(String),
    Bool(bool),
    Int(i64),
    Float(f64),
    Pairs(Vec<(String, String)>),
}

impl Val {
    /// The text of a `Str`, `Choice`, `Addr` or `Time` value.
    pub fn text(self) -> String {
        match self {
            Val::Str(s) => s,
            other => format!("{other:?}"),
        }
    }
    pub fn int(&self) -> i64 {
        match self {
            Val::Int(i) => *i,
            _ => 0,
        }
    }
    pub fn flag(&self) -> bool {
        matches!(self, Val::Bool(true))
    }
    pub fn float(&self) -> f64 {
        match self {
            Val::Float(f) => *f,
            Val::Int(i) => *i as f64,
            _ => f64::NAN,
        }
    }
}

/// Where a value came from, for error messages.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    File {
        path: String,
        line: usize,
        column: usize,
    },
    Env(String),
    Flag(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File { path, line, column } => {
                write!(f, "the config file {path}, line {line}, column {column}")
            }
            Source::Env(name) => write!(f, "environment variable {name}"),
            Source::Flag(name) => write!(f, "flag --{name}"),
        }
    }
}

/// Line and column (1-based, columns in characters) of a byte offset in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit_once('\n')
        .map_or(before, |(_, last)| last)
        .chars()
        .count()
        + 1;
    (line, column)
}

/// A boolean from text: `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off` (any case).
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

impl Kind {
    /// Read a value from an environment variable or a flag. `env` selects the list form of
    /// [`Kind::Pairs`] (see [`super::split_kafka_env`]); a flag holds one pair.
    pub fn parse_text(self, s: &str, env: bool) -> Result<Val, String> {
        match self {
            Kind::Str | Kind::Addr | Kind::Time => Ok(Val::Str(s.to_string())),
            Kind::Bool => parse_bool(s)
                .map(Val::Bool)
                .ok_or_else(|| format!("{s:?} is not a boolean; use true/false, 1/0 or yes/no")),
            Kind::Int { .. } => {
                let t = s.trim().replace('_', "");
                let i = t
                    .parse::<i64>()
                    .map_err(|_| format!("{s:?} is not a whole number"))?;
                self.check_int(i)
            }
            Kind::Float => {
                let f = s
                    .trim()
                    .replace('_', "")
                    .parse::<f64>()
                    .map_err(|_| format!("{s:?} is not a number"))?;
                self.check_float(f)
            }
            Kind::Choice(names) => {
                let t = s.trim();
                names
                    .iter()
                    .find(|n| n.eq_ignore_ascii_case(t))
                    .map(|n| Val::Str(n.to_string()))
                    .ok_or_else(|| format!("{s:?} is not one of {}", names.join(", ")))
            }
            Kind::Pairs => {
                let parts = if env {
                    super::split_kafka_env(s)
                } else {
                    vec![s.to_string()]
                };
                let mut out = Vec::with_capacity(parts.len());
                for kv in parts {
                    let Some((k, v)) = kv.split_once('=') else {
                        return Err(format!(
                            "{kv:?} is not KEY=VALUE; use e.g. security.protocol=SSL"
                        ));
                    };
                    out.push((k.trim().to_string(), v.trim().to_string()));
                }
                Ok(Val::Pairs(out))
            }
        }
    }

    /// Read a scalar value from the TOML file. Strings are read as text (so `"3"` and `3`, or
    /// `"yes"`, `1` and `true`, are the same); [`Kind::Pairs`] tables are read by the caller.
    pub fn parse_toml(self, v: &toml::de::DeValue<'_>) -> Result<Val, String> {
        use toml::de::DeValue;
        match (self, v) {
            (_, DeValue::String(s)) => self.parse_text(s, false),
            (Kind::Bool, DeValue::Boolean(b)) => Ok(Val::Bool(*b)),
            (Kind::Bool, DeValue::Integer(i)) => match i.as_str() {
                "0" => Ok(Val::Bool(false)),
                "1" => Ok(Val::Bool(true)),
                other => Err(format!("{other} is not a boolean; use true/false or 1/0")),
            },
            (Kind::Int { .. }, DeValue::Integer(i)) => {
                let n = i64::from_str_radix(i.as_str(), i.radix())
                    .map_err(|_| format!("{} is out of range", i.as_str()))?;
                self.check_int(n)
            }
            (Kind::Float, DeValue::Integer(i)) => self.parse_text(i.as_str(), false),
            (Kind::Float, DeValue::Float(f)) => self.parse_text(f.as_str(), false),
            (Kind::Time, DeValue::Datetime(d)) => Ok(Val::Str(d.to_string())),
            (_, other) => Err(format!(
                "expected {}, found {}",
                self.type_name(),
                other.type_str()
            )),
        }
    }

    fn check_int(self, i: i64) -> Result<Val, String> {
        match self {
            Kind::Int { min, max } if i < min || i > max => Err(if max >= u32::MAX as i64 {
                format!("{i} is out of range; use at least {min} (at most {max})")
            } else {
                format!("{i} is out of range; use {min}..{max}")
            }),
            _ => Ok(Val::Int(i)),
        }
    }

    fn check_float(self, f: f64) -> Result<Val, String> {
        if f.is_finite() && f > 0.0 {
            Ok(Val::Float(f))
        } else {
            Err(format!("{f} is not a positive number"))
        }
    }

    /// The type as the reference and error messages name it.
    pub fn type_name(self) -> String {
        match self {
            Kind::Str => "a string".into(),
            Kind::Bool => "a boolean".into(),
            Kind::Int { min, max } if max >= u32::MAX as i64 => format!("a whole number ≥ {min}"),
            Kind::Int { min, max } => format!("a whole number {min}..{max}"),
            Kind::Float => "a positive number".into(),
            Kind::Choice(names) => format!("one of {}", names.join(", ")),
            Kind::Addr => "an address:port".into(),
            Kind::Time => "an RFC 3339 time".into(),
            Kind::Pairs => "KEY=VALUE properties".into(),
        }
    }

    /// The value's placeholder in `--help`.
    pub fn value_name(self) -> &'static str {
        match self {
            Kind::Str => "TEXT",
            Kind::Bool => "BOOL",
            Kind::Int { .. } => "N",
            Kind::Float => "NUMBER",
            Kind::Choice(_) => "NAME",
            Kind::Addr => "ADDR:PORT",
            Kind::Time => "TIME",
            Kind::Pairs => "KEY=VALUE",
        }
    }
}
