//! `docs/configuration.md`, generated from the declaration of every key (`rta config
//! reference` prints it; a test fails when the committed file differs).

use super::keys::{Declared, OTHER_VARS};
use super::value::Kind;
use super::{RelaySettings, Settings};
use std::fmt::Write;

/// The configuration reference as Markdown.
pub fn reference_markdown() -> String {
    let mut md = String::new();
    md.push_str(
        "# Configuration reference\n\n\
<!-- Generated from src/settings/keys.rs by `rta config reference > docs/configuration.md`; \
do not edit by hand (a test compares). -->\n\n\
`rta run` (and `rta dashboard`) reads its settings from a TOML file (`--config FILE` or `RTA_CONFIG`), `RTA_*` \
environment variables and flags. Flags win over variables, variables over the file, the file \
over the defaults. [`deploy/rta.example.toml`](../deploy/rta.example.toml) shows every key.\n\n\
- Booleans accept `true`/`false`, `1`/`0`, `yes`/`no` and `on`/`off` from every source; \
a boolean flag alone (`--create-topics`) means true.\n\
- An empty variable counts as unset.\n\
- Unknown keys in the file are refused at start; an `RTA_*` variable that names no setting \
(e.g. `RTA_BROKER`) draws a warning at start naming it and the closest known name.\n\
- Errors are one line naming the source: the file with line and column, the variable or the \
flag; the exit status is 1.\n\
- `[kafka]` properties from the file, `RTA_KAFKA` and `--kafka` add to each other (a later \
source wins for the same property).\n",
    );
    tables::<Settings>(&mut md);
    md.push_str(
        "\n## Other `RTA_*` variables\n\n\
These are read by rta, its tests or its scripts and are not settings; they draw no warning.\n\n\
| Variable | Use |\n|---|---|\n",
    );
    for (name, doc) in OTHER_VARS {
        let _ = writeln!(md, "| `{name}` | {doc} |");
    }
    md.push_str(
        "\n# `rta relay`\n\n\
The relay (SPEC §9) reads its own keys the same way: a TOML file (`--config FILE` or \
`RTA_RELAY_CONFIG`; [`deploy/relay.example.toml`](../deploy/relay.example.toml) shows every \
key), `RTA_*` variables and flags, with the same precedence and errors. Keys that `rta run` \
has too use the same names and variables; a key of the other command in the file is refused \
as unknown.\n",
    );
    tables::<RelaySettings>(&mut md);
    md
}

/// One table of the reference per table of `S`'s file.
fn tables<S: Declared>(md: &mut String) {
    let defaults = S::default();
    for table in S::tables() {
        let _ = write!(md, "\n## {}\n\n", table.heading);
        md.push_str("| Key | Variable | Flag | Type | Default | Description |\n");
        md.push_str("|---|---|---|---|---|---|\n");
        for k in S::keys().iter().filter(|k| k.split().0 == table.name) {
            let default = (k.default)(&defaults);
            let default = if default.starts_with('(') {
                default.trim_matches(|c| c == '(' || c == ')').to_string()
            } else if default.is_empty() {
                "empty".into()
            } else {
                format!("`{default}`")
            };
            let flag = match k.alias {
                Some(a) => format!("`--{}` (`--{a}`)", k.flag),
                None => format!("`--{}`", k.flag),
            };
            let name = match k.kind {
                Kind::Pairs => "any property, e.g. `\"linger.ms\" = 5`".to_string(),
                _ => format!("`{}`", k.split().1),
            };
            let _ = writeln!(
                md,
                "| {name} | `{}` | {flag} | {} | {default} | {} |",
                k.env,
                k.kind.type_name(),
                k.doc.replace('|', "\\|")
            );
        }
    }
}
