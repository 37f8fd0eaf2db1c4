//! `rta unmapped --account A [--csv]`: the current unmapped identifiers and statuses of an
//! account, read from `rta.unmapped` (the latest report per key; tombstoned ones are mapped).
//! `--csv` prints one kind as a file ready to fill in and import back with `rta import`.

use super::store::Target;
use anyhow::Result;
use serde_json::Value;

/// One current report.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub integration: String,
    pub kind: String,
    pub value: String,
    pub count: u64,
    pub last_seen: String,
    pub suggestions: Vec<String>,
}

/// The account's current reports, most frequent first.
pub fn reports(t: &Target, account: &str) -> Result<Vec<Report>> {
    let latest = t.read_topic("rta.unmapped")?;
    let mut out: Vec<Report> = latest
        .values()
        .filter_map(|v| serde_json::from_slice::<Value>(v).ok())
        .filter(|v| v["account"].as_str() == Some(account))
        .map(|v| Report {
            integration: v["integration"].as_str().unwrap_or("").to_string(),
            kind: v["kind"].as_str().unwrap_or("").to_string(),
            value: v["value"].as_str().unwrap_or("").to_string(),
            count: v["count"].as_u64().unwrap_or(0),
            last_seen: v["lastSeen"].as_str().unwrap_or("").to_string(),
            suggestions: v["suggestions"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    out.sort_by(|a, b| {
        (
            a.kind.as_str(),
            std::cmp::Reverse(a.count),
            a.integration.as_str(),
            a.value.as_str(),
        )
            .cmp(&(
                b.kind.as_str(),
                std::cmp::Reverse(b.count),
                b.integration.as_str(),
                b.value.as_str(),
            ))
    });
    Ok(out)
}

/// A table for humans.
pub fn table(reports: &[Report]) -> String {
    let mut s = String::from("kind\tintegration\tvalue\tcount\tlastSeen\tsuggestions\n");
    for r in reports {
        s.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\n",
            r.kind,
            r.integration,
            r.value,
            r.count,
            r.last_seen,
            r.suggestions.join(" ")
        ));
    }
    s
}

/// The reports of one kind (`identifier` or `status`) as an import file: the import columns
/// with the mapping left empty to fill in, then `count`, `lastSeen` and `suggestions` (ignored
/// by the import).
pub fn csv(reports: &[Report], kind: &str) -> Result<String> {
    let (value_col, target_col) = match kind {
        "status" => ("externalStatus", "activity"),
        _ => ("externalId", "person"),
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "integration",
        value_col,
        target_col,
        "count",
        "lastSeen",
        "suggestions",
    ])?;
    for r in reports.iter().filter(|r| r.kind == kind) {
        w.write_record([
            r.integration.as_str(),
            r.value.as_str(),
            "",
            &r.count.to_string(),
            r.last_seen.as_str(),
            &r.suggestions.join(" "),
        ])?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| anyhow::anyhow!("cannot write CSV: {e}"))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
