//! Why an input was dead-lettered: one typed [`Reason`] for every dead letter rta writes.
//!
//! A core module (like `time`): decoders, config checks, the engine and the edges all name
//! their rejects with it, and only its [`Reason::as_str`] text leaves the process — as the
//! `reason` field of a dead-letter record (SPEC §6.5) and as the `reason` label of
//! `rta_dead_letters_total` / `rta_contact_dead_letters_total`. Those strings are a wire
//! contract: a variant's text never changes. A [`Reject`] is a reason with its detail. The README's table of reasons is checked against
//! [`Reason::ALL`] by a test here.

/// Declares the enum, its texts, its one-line descriptions and `ALL` from one list.
macro_rules! reasons {
    ($($variant:ident = $text:literal : $doc:literal,)+) => {
        /// Why an input record (or one element of it) was dead-lettered.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Reason {
            $(#[doc = $doc] $variant,)+
        }

        impl Reason {
            /// Every reason, in declaration order (`ALL[r as usize] == r`).
            pub const ALL: [Reason; [$(Reason::$variant),+].len()] = [$(Reason::$variant),+];

            /// The reason's text: the dead letter's `reason` field and the metric label.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Reason::$variant => $text,)+
                }
            }

            /// When it happens, in one line (the README's table).
            pub const fn describe(self) -> &'static str {
                match self {
                    $(Reason::$variant => $doc,)+
                }
            }
        }
    };
}

reasons! {
    InvalidJson = "invalid_json":
        "The value is not JSON, or not of the expected shape (events, contacts, config).",
    MissingField = "missing_field":
        "A required field is missing or unusable (agent events: also of a wrong type); also: no record key, no value, no `rta-integration` header.",
    BadTimestamp = "bad_timestamp":
        "A time is unreadable or outside the accepted range; also: injixo `endTime` not after `startTime`.",
    InvalidValue = "invalid_value":
        "A contact item is not an object, or a field has the wrong type or value.",
    UnknownIntegration = "unknown_integration":
        "The integration is not configured (or not active) for the account, or not injixo-api for contacts.",
    TooLate = "too_late":
        "An event or contact time is more than the retention before the account's clock.",
    FutureTimestamp = "future_timestamp":
        "An event or contact time is too far ahead of the clock (`future_tolerance_seconds`, or `limits.max_clock_jump_hours` on event time).",
    InvalidConfig = "invalid_config":
        "A config record's key or value is invalid, or breaks a limit.",
    TooLarge = "too_large":
        "A record, field, element list or `rta process` input line is over its size limit.",
    PersonFull = "person_full":
        "The person already retains `limits.max_timeline` events.",
    UnmappedFull = "unmapped_full":
        "The account already reports `limits.max_unmapped` distinct unmapped values.",
    ParkingFull = "parking_full":
        "Too many events of an unmapped identifier (or of the account) are parked.",
    HoldFull = "hold_full":
        "The integration is paused and its hold buffer is full.",
    QueuesFull = "queues_full":
        "A contact of a new queue or channel beyond `limits.max_queues` / `limits.max_channels`.",
    InvalidEnvelope = "invalid_envelope":
        "An `rta process` input line is not a readable NDJSON envelope.",
    UnknownTopic = "unknown_topic":
        "An `rta process` envelope names a topic that is not an input topic.",
    BadChangelogRecord = "bad_changelog_record":
        "A state-store record (`rta.changelog`) cannot be restored; its partition is rebuilt from input (`docs/changelog.md`).",
}

/// A typed reject: why, and a detail for the dead letter. Decoders return one per record or
/// element (`decode::DecodeError`), the account one per event or contact it refuses; the
/// engine's edge (`engine::dead_letters`) turns it into the dead-letter record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reject {
    pub reason: Reason,
    pub detail: String,
}

impl Reject {
    pub fn new(reason: Reason, detail: impl Into<String>) -> Reject {
        Reject {
            reason,
            detail: detail.into(),
        }
    }
}

/// Number of reasons (the length of per-reason counter arrays).
pub const COUNT: usize = Reason::ALL.len();

impl Reason {
    /// The reason of a text, if it is one.
    pub fn parse(s: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's table of reasons, one row per reason in [`Reason::ALL`] order.
    fn readme_table() -> String {
        let mut t = String::from("| reason | when |\n|---|---|\n");
        for r in Reason::ALL {
            t.push_str(&format!("| `{}` | {} |\n", r.as_str(), r.describe()));
        }
        t
    }

    #[test]
    fn all_is_indexed_by_the_discriminant_and_texts_are_distinct() {
        for (i, r) in Reason::ALL.into_iter().enumerate() {
            assert_eq!(r as usize, i);
            assert_eq!(Reason::parse(r.as_str()), Some(r));
            assert!(r
                .as_str()
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_'));
        }
        let mut texts: Vec<_> = Reason::ALL.iter().map(|r| r.as_str()).collect();
        texts.sort();
        texts.dedup();
        assert_eq!(texts.len(), COUNT);
    }

    #[test]
    fn the_readme_lists_every_reason() {
        let readme = include_str!("../README.md");
        // the table sits in a list item: indented by two spaces
        let table: String = readme_table().lines().map(|l| format!("  {l}\n")).collect();
        assert!(
            readme.contains(&table),
            "README.md (\"Dead letters\") must hold the table of reasons, exactly:\n{table}"
        );
    }

    #[test]
    fn alert_rules_name_only_reasons_that_exist() {
        let mut seen = 0;
        for (file, text) in [
            ("deploy/alerts.yaml", include_str!("../deploy/alerts.yaml")),
            (
                "deploy/alerts.test.yaml",
                include_str!("../deploy/alerts.test.yaml"),
            ),
        ] {
            let quoted = text.split("reason=\"").skip(1).map(|t| t.split('"').next());
            let labels = text.split("reason: ").skip(1).map(|t| t.lines().next());
            for value in quoted.chain(labels).flatten() {
                assert!(Reason::parse(value.trim()).is_some(), "{file}: {value:?}");
                seen += 1;
            }
        }
        assert!(seen >= 6, "the rules and their tests name reasons: {seen}");
    }

    #[test]
    fn the_dead_letter_schema_lists_every_reason() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../docs/schemas/dead-letter.json"))
                .unwrap_or_default();
        let listed: Vec<&str> = schema["properties"]["reason"]["examples"]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default();
        let all: Vec<&str> = Reason::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(listed, all, "docs/schemas/dead-letter.json reason examples");
    }
}
