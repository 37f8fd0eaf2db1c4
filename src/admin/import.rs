//! `rta import identifiers|statuses|activities|people|schedules`: CSV files (a header row, the
//! columns named below, other columns ignored) turned into config records. The whole file is
//! validated before anything is written — every error names its line and field, and nothing is
//! written when there is one. Re-running an import writes nothing new (records equal to the
//! current ones are skipped); `--dry-run` prints what would change.

use super::store::{ConfigState, Target};
use crate::config::{check_limits, parse_config_record, ConfigKind};
use anyhow::{bail, Result};
use chrono::TimeZone;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// What a CSV file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportKind {
    /// integration, externalId, person
    Identifiers,
    /// integration, externalStatus, activity
    Statuses,
    /// id, name, type
    Activities,
    /// id, name, team (optional)
    People,
    /// person, date, activity, start, end (local times HH:MM of the account's time zone)
    Schedules,
}

impl ImportKind {
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            ImportKind::Identifiers => &["integration", "externalId", "person"],
            ImportKind::Statuses => &["integration", "externalStatus", "activity"],
            ImportKind::Activities => &["id", "name", "type"],
            ImportKind::People => &["id", "name", "team"],
            ImportKind::Schedules => &["person", "date", "activity", "start", "end"],
        }
    }

    /// Columns that may be empty.
    fn optional(self, col: &str) -> bool {
        matches!(
            (self, col),
            (ImportKind::People, "team" | "name") | (ImportKind::Activities, "name")
        )
    }
}

/// One data row: its line in the file and its values by column.
struct Row {
    line: usize,
    values: BTreeMap<&'static str, String>,
}

impl Row {
    fn get(&self, c: &str) -> &str {
        self.values.get(c).map(String::as_str).unwrap_or("")
    }
}

/// Read and check the CSV's shape: header columns present, required fields non-empty.
fn rows(kind: ImportKind, csv_text: &str, errors: &mut Vec<String>) -> Vec<Row> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(csv_text.as_bytes());
    let header: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(str::to_string).collect(),
        Err(e) => {
            errors.push(format!("line 1: cannot read the header row: {e}"));
            return Vec::new();
        }
    };
    let mut index = BTreeMap::new();
    for c in kind.columns() {
        match header.iter().position(|h| h == c) {
            Some(i) => {
                index.insert(*c, i);
            }
            None if kind.optional(c) => {}
            None => errors.push(format!(
                "line 1: the header has no column {c:?} (expected {})",
                kind.columns().join(",")
            )),
        }
    }
    if !errors.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (n, rec) in rdr.records().enumerate() {
        let line = n + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                errors.push(format!("line {line}: {e}"));
                continue;
            }
        };
        if rec.iter().all(|f| f.is_empty()) {
            continue;
        }
        let mut values = BTreeMap::new();
        for (c, i) in &index {
            let v = rec.get(*i).unwrap_or("").to_string();
            if v.is_empty() && !kind.optional(c) {
                errors.push(format!("line {line}, field {c}: is empty"));
            }
            values.insert(*c, v);
        }
        out.push(Row { line, values });
    }
    out
}

/// The records a CSV file means for `account`: (key, value, line) in file order, or every error.
pub fn plan(
    kind: ImportKind,
    account: &str,
    csv_text: &str,
    state: &ConfigState,
) -> Result<Vec<(String, Value)>, Vec<String>> {
    let mut errors = Vec::new();
    let rows = rows(kind, csv_text, &mut errors);
    let mut out: Vec<(String, Value, usize)> = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let exists = |k: ConfigKind, id: &str| state.records.contains_key(&k.render(account, &[id]));
    match kind {
        ImportKind::Schedules => schedules(account, &rows, state, &mut out, &mut errors),
        _ => {
            for r in &rows {
                let (key, v) = match kind {
                    ImportKind::Identifiers => {
                        let (i, e, p) =
                            (r.get("integration"), r.get("externalId"), r.get("person"));
                        if !i.is_empty() && !exists(ConfigKind::Integration, i) {
                            errors.push(format!("line {}, field integration: integration {i:?} does not exist in account {account}", r.line));
                        }
                        (
                            ConfigKind::Identifier.render(account, &[i, e]),
                            json!({"kind":"identifier","account":account,"integration":i,"externalId":e,"person":p}),
                        )
                    }
                    ImportKind::Statuses => {
                        let (i, s, a) = (
                            r.get("integration"),
                            r.get("externalStatus"),
                            r.get("activity"),
                        );
                        if !i.is_empty() && !exists(ConfigKind::Integration, i) {
                            errors.push(format!("line {}, field integration: integration {i:?} does not exist in account {account}", r.line));
                        }
                        if !a.is_empty() && a != "1" && !exists(ConfigKind::Activity, a) {
                            errors.push(format!("line {}, field activity: activity {a:?} does not exist in account {account} (import activities first)", r.line));
                        }
                        (
                            ConfigKind::Status.render(account, &[i, s]),
                            json!({"kind":"status","account":account,"integration":i,"externalStatus":s,"activity":a}),
                        )
                    }
                    ImportKind::Activities => {
                        let id = r.get("id");
                        (
                            ConfigKind::Activity.render(account, &[id]),
                            json!({"kind":"activity","account":account,"id":id,"name":r.get("name"),"type":r.get("type")}),
                        )
                    }
                    ImportKind::People => {
                        let id = r.get("id");
                        let mut v =
                            json!({"kind":"person","account":account,"id":id,"name":r.get("name")});
                        if !r.get("team").is_empty() {
                            v["team"] = Value::String(r.get("team").to_string());
                        }
                        (ConfigKind::Person.render(account, &[id]), v)
                    }
                    ImportKind::Schedules => unreachable!("handled above"),
                };
                out.push((key, v, r.line));
            }
        }
    }
    // every record as the service would read it; duplicates within the file
    let limits = crate::engine::Limits::builtin();
    for (key, v, line) in &out {
        if let Some(first) = seen.insert(key.clone(), *line) {
            errors.push(format!("line {line}: the same {key} as line {first}"));
        }
        let bytes = v.to_string().into_bytes();
        match parse_config_record(Some(key), Some(&bytes)) {
            Ok(change) => {
                if let Err(e) = check_limits(&change, &limits) {
                    errors.push(format!("line {line}: {e}"));
                }
            }
            Err(e) => errors.push(format!("line {line}: {e}")),
        }
    }
    if errors.is_empty() {
        Ok(out.into_iter().map(|(k, v, _)| (k, v)).collect())
    } else {
        errors.sort_by_key(|e| line_of(e));
        errors.dedup();
        Err(errors)
    }
}

fn line_of(e: &str) -> usize {
    e.strip_prefix("line ")
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Local `HH:MM[:SS]` → seconds of the day.
fn clock(s: &str) -> Option<u32> {
    let parts: Vec<&str> = s.split(':').collect();
    if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.len() != 2) {
        return None;
    }
    let n: Vec<u32> = parts
        .iter()
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let (h, m, sec) = (n[0], n[1], n.get(2).copied().unwrap_or(0));
    (h <= 24 && m < 60 && sec < 60 && (h < 24 || (m == 0 && sec == 0)))
        .then_some(h * 3600 + m * 60 + sec)
}

/// A schedule row: start, end, activity, line.
type Segment = (i64, i64, String, usize);

/// Schedule rows grouped by (person, date) into one record each (it replaces that day).
fn schedules(
    account: &str,
    rows: &[Row],
    state: &ConfigState,
    out: &mut Vec<(String, Value, usize)>,
    errors: &mut Vec<String>,
) {
    let tz_name = state
        .records
        .get(&ConfigKind::Settings.render(account, &[]))
        .and_then(|v| v["timeZone"].as_str())
        .unwrap_or("UTC")
        .to_string();
    let Ok(tz) = tz_name.parse::<chrono_tz::Tz>() else {
        errors.push(format!(
            "the account's time zone {tz_name:?} is not an IANA time zone"
        ));
        return;
    };
    // (person, date) → [(start, end, activity, line)]
    let mut days: BTreeMap<(String, String), Vec<Segment>> = BTreeMap::new();
    let mut first_line: BTreeMap<(String, String), usize> = BTreeMap::new();
    for r in rows {
        let (person, date) = (r.get("person"), r.get("date"));
        let Some(d) = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .ok()
            .filter(|_| date.len() == 10)
        else {
            errors.push(format!(
                "line {}, field date: {date:?} is not a YYYY-MM-DD date",
                r.line
            ));
            continue;
        };
        let mut instant = |field: &str, next_day: bool| -> Option<i64> {
            let Some(secs) = clock(r.get(field)) else {
                errors.push(format!(
                    "line {}, field {field}: {:?} is not a local time HH:MM",
                    r.line,
                    r.get(field)
                ));
                return None;
            };
            let day = if next_day { d.succ_opt()? } else { d };
            let naive = day.and_hms_opt(0, 0, 0)? + chrono::Duration::seconds(i64::from(secs));
            match tz.from_local_datetime(&naive).earliest() {
                Some(t) => Some(t.timestamp_millis()),
                None => {
                    errors.push(format!(
                        "line {}, field {field}: {} does not exist in {tz_name} (clock change)",
                        r.line,
                        r.get(field)
                    ));
                    None
                }
            }
        };
        let Some(start) = instant("start", false) else {
            continue;
        };
        let overnight = clock(r.get("end"))
            .zip(clock(r.get("start")))
            .is_some_and(|(e, s)| e <= s);
        let Some(end) = instant("end", overnight) else {
            continue;
        };
        let k = (person.to_string(), date.to_string());
        first_line.entry(k.clone()).or_insert(r.line);
        days.entry(k)
            .or_default()
            .push((start, end, r.get("activity").to_string(), r.line));
    }
    for ((person, date), mut segs) in days {
        segs.sort_by_key(|s| s.0);
        for w in segs.windows(2) {
            if w[1].0 < w[0].1 {
                errors.push(format!(
                    "line {}, field start: overlaps the segment of line {}",
                    w[1].3, w[0].3
                ));
            }
        }
        let segments: Vec<Value> = segs
            .iter()
            .map(|(s, e, a, _)| json!({"activity": a, "start": crate::time::format_rfc3339(*s), "end": crate::time::format_rfc3339(*e)}))
            .collect();
        let line = first_line
            .get(&(person.clone(), date.clone()))
            .copied()
            .unwrap_or(0);
        out.push((
            ConfigKind::Schedule.render(account, &[&person, &date]),
            json!({"kind":"schedule","account":account,"person":person,"date":date,"segments":segments}),
            line,
        ));
    }
}

/// Run an import: validate, compare with the current records, write what changed (unless
/// `dry_run`). Returns the report for humans.
pub fn run(
    t: &Target,
    kind: ImportKind,
    account: &str,
    csv_text: &str,
    dry_run: bool,
) -> Result<String> {
    let state = ConfigState::load(t)?;
    let planned = match plan(kind, account, csv_text, &state) {
        Ok(p) => p,
        Err(errors) => bail!(
            "nothing written: {} error(s) in the file: {}",
            errors.len(),
            errors.join("; ")
        ),
    };
    let mut report = String::new();
    let mut writes = Vec::new();
    let (mut added, mut changed, mut same) = (0, 0, 0);
    let verb = |w: &str| {
        if dry_run {
            format!("would {w}")
        } else {
            w.to_string()
        }
    };
    for (k, v) in planned {
        match state.records.get(&k) {
            Some(old) if *old == v => same += 1,
            Some(_) => {
                changed += 1;
                report.push_str(&format!("{} {k}\n", verb("change")));
                writes.push((k, Some(v.to_string().into_bytes())));
            }
            None => {
                added += 1;
                report.push_str(&format!("{} {k}\n", verb("add")));
                writes.push((k, Some(v.to_string().into_bytes())));
            }
        }
    }
    if !dry_run {
        t.write_config(&writes)?;
    }
    report.push_str(&format!(
        "{}: {added} added, {changed} changed, {same} unchanged{}\n",
        match kind {
            ImportKind::Identifiers => "identifiers",
            ImportKind::Statuses => "statuses",
            ImportKind::Activities => "activities",
            ImportKind::People => "people",
            ImportKind::Schedules => "schedules",
        },
        if dry_run {
            " (dry run: nothing written)"
        } else {
            ""
        }
    ));
    Ok(report)
}

#[cfg(test)]
mod tests;
