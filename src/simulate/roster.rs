//! Who works in the simulated contact center: persons (names, teams, ACD logins and which
//! integration reports them) and the extra agents whose logins are not configured.

use std::collections::HashSet;

use super::rng::Rng;
use super::SimOptions;

const FIRST_NAMES: &[&str] = &[
    "Anna", "Ben", "Clara", "David", "Elena", "Felix", "Greta", "Hugo", "Ines", "Jonas", "Katrin",
    "Lukas", "Marie", "Noah", "Olivia", "Paul", "Quentin", "Rosa", "Simon", "Tina", "Uwe", "Vera",
    "Wim", "Xenia", "Yusuf", "Zoe", "Amelie", "Bruno", "Chloe", "Dennis", "Emma", "Finn", "Hanna",
    "Ivan", "Julia", "Karim", "Lea", "Mats", "Nina", "Oskar", "Pia", "Rafael", "Sofia", "Theo",
    "Ula", "Viktor", "Lina", "Malik",
];

const LAST_NAMES: &[&str] = &[
    "Smith",
    "Martin",
    "Schmidt",
    "Dubois",
    "Rossi",
    "Garcia",
    "Novak",
    "Jansen",
    "Berg",
    "Keller",
    "Moreau",
    "Weber",
    "Fischer",
    "Lambert",
    "Costa",
    "Nowak",
    "Larsen",
    "Meyer",
    "Bauer",
    "Wagner",
    "Richter",
    "Klein",
    "Wolf",
    "Neumann",
    "Schwarz",
    "Hofmann",
    "Roux",
    "Fontaine",
    "Ferrari",
    "Romano",
    "Silva",
    "Santos",
    "Horvat",
    "Kovacs",
    "Nielsen",
    "Lindqvist",
    "Brown",
    "Taylor",
    "Wilson",
    "Evans",
    "Murphy",
    "Kelly",
    "Yilmaz",
    "Demir",
    "Popescu",
    "Ivanova",
    "Petrov",
    "Sato",
];

const TEAMS: &[&str] = &[
    "Billing",
    "Sales",
    "Support",
    "Retention",
    "Technical",
    "Onboarding",
];

/// Which integration reports a person's statuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    Odigo,
    Injixo,
}

/// One configured person and their single ACD login.
#[derive(Clone, Debug)]
pub struct Person {
    /// `p1`..`pN`.
    pub id: String,
    pub name: String,
    pub team: &'static str,
    /// The external identifier, e.g. `anna.smith@acme.example`.
    pub login: String,
    pub channel: Channel,
}

/// Random-stream ids (see [`Rng::stream`]) of this module.
const STREAM_PERSON: u64 = 1;
const STREAM_TEAMS: u64 = 2;
const STREAM_UNMAPPED: u64 = 3;

/// The e-mail-like domain of the account's logins: `acme` → `acme.example`.
fn domain(account: &str) -> String {
    let clean: String = account
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("{}.example", if clean.is_empty() { "sim" } else { &clean })
}

/// A login `first.last@domain` not yet in `taken` (a number is appended on collision).
fn unique_login(first: &str, last: &str, domain: &str, taken: &mut HashSet<String>) -> String {
    let base = format!(
        "{}.{}",
        first.to_ascii_lowercase(),
        last.to_ascii_lowercase()
    );
    let mut n = 1u32;
    loop {
        let login = if n == 1 {
            format!("{base}@{domain}")
        } else {
            format!("{base}{n}@{domain}")
        };
        if taken.insert(login.clone()) {
            return login;
        }
        n += 1;
    }
}

/// The persons `p1`..`pN` of the day. About 10% report through the injixo-api integration
/// (at least one when there are 10 or more persons), the others through Odigo.
pub fn persons(opts: &SimOptions) -> Vec<Person> {
    let mut team_rng = Rng::stream(opts.seed, STREAM_TEAMS, 0);
    let team_count = 4 + team_rng.below(3) as usize;
    let teams = &TEAMS[..team_count];
    let domain = domain(&opts.account);
    let mut taken = HashSet::new();
    let mut out: Vec<Person> = (0..opts.persons)
        .map(|i| {
            let mut rng = Rng::stream(opts.seed, STREAM_PERSON, i as u64);
            let first = rng.pick(FIRST_NAMES).copied().unwrap_or("Alex");
            let last = rng.pick(LAST_NAMES).copied().unwrap_or("Doe");
            let team = rng.pick(teams).copied().unwrap_or("Support");
            let injixo = opts.injixo_integration.is_some() && rng.chance(0.10);
            Person {
                id: format!("p{}", i + 1),
                name: format!("{first} {last}"),
                team,
                login: unique_login(first, last, &domain, &mut taken),
                channel: if injixo {
                    Channel::Injixo
                } else {
                    Channel::Odigo
                },
            }
        })
        .collect();
    if opts.injixo_integration.is_some()
        && out.len() >= 10
        && !out.iter().any(|p| p.channel == Channel::Injixo)
    {
        // `out` has at least 10 elements here.
        let last = out.len() - 1;
        out[last].channel = Channel::Injixo;
    }
    out
}

/// Odigo logins that are not configured: `round(persons × unmapped_agents)` of them (at least
/// one when the rate is positive and there are 20 or more persons). Half (rounded up) are
/// near-misses of a mapped Odigo login — other case or a trailing space — preferably of persons
/// in `idle` (who produce no events of their own that day); the rest are unknown logins.
pub fn unmapped_logins(opts: &SimOptions, persons: &[Person], idle: &[bool]) -> Vec<String> {
    let rate = if opts.unmapped_agents.is_finite() {
        opts.unmapped_agents.max(0.0)
    } else {
        0.0
    };
    let mut count = (opts.persons as f64 * rate).round() as usize;
    if rate > 0.0 && opts.persons >= 20 {
        count = count.max(1);
    }
    let mut rng = Rng::stream(opts.seed, STREAM_UNMAPPED, 0);
    let mut bases: Vec<&Person> = persons
        .iter()
        .zip(idle.iter().copied().chain(std::iter::repeat(false)))
        .filter(|(p, is_idle)| *is_idle && p.channel == Channel::Odigo)
        .map(|(p, _)| p)
        .collect();
    bases.extend(
        persons
            .iter()
            .zip(idle.iter().copied().chain(std::iter::repeat(false)))
            .filter(|(p, is_idle)| !*is_idle && p.channel == Channel::Odigo)
            .map(|(p, _)| p),
    );
    let near = (count - count / 2).min(bases.len());
    let mut taken: HashSet<String> = persons.iter().map(|p| p.login.clone()).collect();
    let mut out = Vec::with_capacity(count);
    for base in bases.iter().take(near) {
        let variant = match rng.below(3) {
            0 => capitalize_parts(&base.login),
            1 => base.login.to_uppercase(),
            _ => format!("{} ", base.login),
        };
        taken.insert(variant.clone());
        out.push(variant);
    }
    let domain = domain(&opts.account);
    while out.len() < count {
        let first = rng.pick(FIRST_NAMES).copied().unwrap_or("Sam");
        let last = rng.pick(LAST_NAMES).copied().unwrap_or("Temp");
        out.push(unique_login(
            &format!("ext.{first}"),
            last,
            &domain,
            &mut taken,
        ));
    }
    out
}

/// `anna.smith@x` → `Anna.Smith@x`.
fn capitalize_parts(login: &str) -> String {
    let mut out = String::with_capacity(login.len());
    let mut up = true;
    for c in login.chars() {
        out.push(if up { c.to_ascii_uppercase() } else { c });
        up = c == '.' && !out.contains('@');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_miss_variants() {
        assert_eq!(
            capitalize_parts("anna.smith@acme.example"),
            "Anna.Smith@acme.example"
        );
        assert_eq!(domain("Big Corp"), "big-corp.example");
    }
}
