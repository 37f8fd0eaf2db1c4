//! Tests of the three sources (file, environment, flags) against the one declaration, the
//! unknown-variable warning and the generated reference.

use super::keys::{by_name, Declared, KEYS};
use super::tests::{flags, write};
use super::value::Kind;
use super::*;

fn env(pairs: &[(&str, &str)]) -> Overrides {
    Overrides {
        env: pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        flags: Vec::new(),
    }
}

fn err(file: Option<&str>, over: &Overrides) -> String {
    let f = file.map(write);
    let e = Settings::load(f.as_ref().map(|f| f.0.as_path()), over).unwrap_err();
    let msg = format!("{e:#}");
    assert!(!msg.contains('\n'), "one line: {msg}");
    msg
}

/// A valid value different from the default, as text.
fn sample<S: Declared>(k: &Key<S>) -> String {
    let default = (k.default)(&S::default());
    match k.kind {
        Kind::Bool => (default != "true").to_string(),
        Kind::Int { max, .. } => {
            // a described default ("(the number of cores)"): the sample is max - 1
            let d: i64 = default.parse().unwrap_or(max);
            (if d < max { d + 1 } else { d - 1 }).to_string()
        }
        Kind::Float => "2.5".into(),
        Kind::Choice(names) => names.iter().find(|n| **n != default).unwrap().to_string(),
        Kind::Addr => "127.0.0.1:9999".into(),
        Kind::Time if k.name.ends_with("min_time") => "2001-01-01T00:00:00Z".into(),
        Kind::Time => "2099-01-01T00:00:00Z".into(),
        Kind::Pairs => "linger.ms=7".into(),
        Kind::Str if k.name.ends_with("time_zone") => "America/New_York".into(),
        Kind::Str if k.name == "http_token" => "0123456789abcdef-token".into(),
        Kind::Str => format!("x-{}", k.name.replace(['.', '_'], "-")),
    }
}

/// The sample as a TOML file: typed literals for numbers and booleans.
fn toml_of<S>(k: &Key<S>, v: &str) -> String {
    let (table, name) = k.split();
    let line = match k.kind {
        Kind::Pairs => {
            let (p, val) = v.split_once('=').unwrap();
            format!("{p:?} = {val:?}")
        }
        Kind::Bool | Kind::Int { .. } | Kind::Float => format!("{name} = {v}"),
        _ => format!("{name} = {v:?}"),
    };
    match (k.kind, table) {
        (Kind::Pairs, _) => format!("[{name}]\n{line}\n"),
        (_, "") => format!("{line}\n"),
        (_, t) => format!("[{t}]\n{line}\n"),
    }
}

type Load<S> = fn(Option<&Path>, &Overrides) -> anyhow::Result<S>;

/// Every key of `S` set by the file, by its variable and by its flag gives the same settings,
/// and not the defaults. `base` flags are given too (e.g. the relay's required brokers),
/// except with the key they set.
fn settable<S: Declared + PartialEq + std::fmt::Debug>(load: Load<S>, base: (&str, &str)) {
    let with = |over: Overrides, k: &Key<S>| {
        let mut over = over;
        if k.flag != base.0 {
            over.flags.push((base.0.into(), base.1.into()));
        }
        over
    };
    for k in S::keys() {
        let default = load(None, &with(Overrides::default(), k)).ok();
        let v = sample(k);
        let f = write(&toml_of(k, &v));
        let by_file = load(Some(&f.0), &with(Overrides::default(), k))
            .unwrap_or_else(|e| panic!("{}: {e:#}", k.name));
        let by_env = load(None, &with(env(&[(k.env, &v)]), k))
            .unwrap_or_else(|e| panic!("{}: {e:#}", k.env));
        let by_flag = load(None, &with(flags(&[(k.flag, &v)]), k))
            .unwrap_or_else(|e| panic!("--{}: {e:#}", k.flag));
        assert_ne!(
            Some(&by_file),
            default.as_ref(),
            "{} = {v} changed nothing",
            k.name
        );
        assert_eq!(by_file, by_env, "{}", k.env);
        assert_eq!(by_file, by_flag, "--{}", k.flag);
    }
}

#[test]
fn every_key_is_settable_by_file_variable_and_flag() {
    settable::<Settings>(Settings::load, ("log-format", "text"));
}

#[test]
fn every_relay_key_is_settable_by_file_variable_and_flag() {
    settable::<RelaySettings>(RelaySettings::load, ("brokers", "k:9092"));
}

fn round_trip<S: Declared + PartialEq + std::fmt::Debug>() {
    let d = S::default();
    for k in S::keys() {
        let text = (k.default)(&d);
        if text.starts_with('(') {
            continue; // a description, not a value
        }
        let mut s = S::default();
        let v = k.kind.parse_text(&text, false).unwrap();
        (k.set)(&mut s, v).unwrap();
        assert_eq!(s, d, "{} = {text}", k.name);
    }
}

#[test]
fn defaults_round_trip_through_their_text() {
    round_trip::<Settings>();
    round_trip::<RelaySettings>();
}

fn unique<S: Declared>() {
    let keys = S::keys();
    for (i, k) in keys.iter().enumerate() {
        assert!(k.env.starts_with("RTA_"), "{}", k.env);
        assert!(!OTHER_VARS.iter().any(|(n, _)| *n == k.env), "{}", k.env);
        for o in &keys[i + 1..] {
            assert!(
                k.name != o.name && k.env != o.env && k.flag != o.flag,
                "{}",
                k.name
            );
            assert!(
                o.alias != Some(k.flag) && k.alias != Some(o.flag),
                "{}",
                k.flag
            );
        }
        let table = k.split().0;
        assert!(S::tables().iter().any(|t| t.name == table), "{}", k.name);
        assert!(!k.doc.is_empty());
    }
}

#[test]
fn declaration_names_are_unique_and_regular() {
    unique::<Settings>();
    unique::<RelaySettings>();
    // a variable both commands read names the same key and flag in both
    for r in RELAY_KEYS {
        if let Some(k) = KEYS.iter().find(|k| k.env == r.env) {
            assert_eq!((k.name, k.flag), (r.name, r.flag), "{}", r.env);
        }
        assert!(
            !KEYS
                .iter()
                .any(|k| k.env != r.env && (k.name == r.name || k.flag == r.flag)),
            "{}",
            r.name
        );
    }
}

#[test]
fn precedence_is_flag_then_variable_then_file() {
    let f = write("partitions = 3\ngroup_id = \"file\"\ncreate_topics = true\n");
    let over = Overrides {
        env: vec![
            ("RTA_PARTITIONS".into(), "4".into()),
            ("RTA_GROUP_ID".into(), "env".into()),
        ],
        flags: vec![("partitions".into(), "5".into())],
    };
    let s = Settings::load(Some(&f.0), &over).unwrap();
    assert_eq!(s.partitions, 5);
    assert_eq!(s.group_id, "env");
    assert!(s.create_topics);
    // an empty variable is unset
    let s = Settings::load(Some(&f.0), &env(&[("RTA_GROUP_ID", "")])).unwrap();
    assert_eq!(s.group_id, "file");
}

#[test]
fn booleans_accept_the_usual_spellings_everywhere() {
    for (text, want) in [
        ("1", true),
        ("0", false),
        ("true", true),
        ("false", false),
        ("yes", true),
        ("no", false),
        ("TRUE", true),
        ("off", false),
    ] {
        let e = Settings::load(None, &env(&[("RTA_CREATE_TOPICS", text)])).unwrap();
        let f = Settings::load(None, &flags(&[("create-topics", text)])).unwrap();
        assert_eq!((e.create_topics, f.create_topics), (want, want), "{text}");
        let file = write(&format!("create_topics = {text:?}\n"));
        let s = Settings::load(Some(&file.0), &Overrides::default()).unwrap();
        assert_eq!(s.create_topics, want, "file {text:?}");
    }
    for (toml, want) in [("0", false), ("1", true), ("false", false), ("true", true)] {
        let file = write(&format!("create_topics = {toml}\n"));
        let s = Settings::load(Some(&file.0), &Overrides::default()).unwrap();
        assert_eq!(s.create_topics, want, "file {toml}");
    }
    assert!(err(None, &env(&[("RTA_CREATE_TOPICS", "maybe")]))
        .contains("environment variable RTA_CREATE_TOPICS: \"maybe\" is not a boolean"));
    assert_eq!(parse_bool(" Yes "), Some(true));
}

#[test]
fn errors_name_their_source() {
    let e = err(None, &env(&[("RTA_PARTITIONS", "many")]));
    assert!(e.contains("environment variable RTA_PARTITIONS"), "{e}");
    let e = err(None, &flags(&[("partitions", "many")]));
    assert!(
        e.contains("flag --partitions: \"many\" is not a whole number"),
        "{e}"
    );
    let e = err(None, &flags(&[("persons", "0")]));
    assert!(e.contains("flag --persons: 0 is out of range"), "{e}");
    let e = err(None, &env(&[("RTA_KAFKA", "enable.auto.commit=false")]));
    assert!(
        e.contains("environment variable RTA_KAFKA") && e.contains("managed"),
        "{e}"
    );
    // type error: path, line, column, key
    let e = err(
        Some("group_id = \"g\"\n\n[embedded]\npersons = \"lots\"\n"),
        &Overrides::default(),
    );
    assert!(
        e.contains("rta-settings-")
            && e.contains(
                ".toml, line 4, column 11: embedded.persons: \"lots\" is not a whole number"
            ),
        "{e}"
    );
    let e = err(Some("partitions = true\n"), &Overrides::default());
    assert!(
        e.contains(
            "line 1, column 14: partitions: expected a whole number 1..100000, found boolean"
        ),
        "{e}"
    );
    // syntax error
    let e = err(
        Some("group_id = \"g\"\nclock = \"wall\n"),
        &Overrides::default(),
    );
    assert!(e.contains(".toml, line 2, column"), "{e}");
    // unknown keys, with the closest name
    let e = err(Some("\n[topics]\ndlqq = \"x\"\n"), &Overrides::default());
    assert!(
        e.contains("line 3, column 1: unknown key \"topics.dlqq\"; did you mean \"topics.dlq\"?"),
        "{e}"
    );
    let e = err(Some("kafka = 1\n"), &Overrides::default());
    assert!(e.contains("kafka must be a table"), "{e}");
    let e = err(
        Some("[kafka]\n\"linger.ms\" = [1]\n"),
        &Overrides::default(),
    );
    assert!(
        e.contains("line 2, column 15: kafka property \"linger.ms\""),
        "{e}"
    );
}

#[test]
fn file_kafka_properties_may_be_dotted_keys() {
    let f = write("[kafka]\nsecurity.protocol = \"SSL\"\n\"linger.ms\" = 5\n");
    let s = Settings::load(Some(&f.0), &Overrides::default()).unwrap();
    assert_eq!(s.kafka["security.protocol"], "SSL");
    assert_eq!(s.kafka["linger.ms"], "5");
    let f = write("[kafka]\nenable.auto.commit = true\n");
    let e = Settings::load(Some(&f.0), &Overrides::default()).unwrap_err();
    assert!(format!("{e:#}").contains("line 2, column 22"), "{e:#}");
}

#[test]
fn the_highest_topic_prefix_wins_once() {
    let f = write("[topics]\nprefix = \"file.\"\n");
    let s = Settings::load(Some(&f.0), &flags(&[("topic-prefix", "flag.")])).unwrap();
    assert_eq!(s.topics.config, "flag.rta.config");
    let s = Settings::load(Some(&f.0), &Overrides::default()).unwrap();
    assert_eq!(s.topics.dlq, "file.rta.dlq");
}

#[test]
fn unknown_variables_warn_by_name_with_the_closest_known_name() {
    let w = unknown_env_warnings([
        "RTA_BROKER",
        "RTA_BROKERS",
        "RTA_LOG",
        "PATH",
        "RTA_ZZZZZZZZZ",
    ]);
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(
        w[0].contains("RTA_BROKER is ignored; did you mean RTA_BROKERS?"),
        "{}",
        w[0]
    );
    assert!(
        w[1].contains("RTA_ZZZZZZZZZ") && !w[1].contains("did you mean"),
        "{}",
        w[1]
    );
    let w = unknown_env_warnings(["RTA_TOPICS_PREFIX", "RTA_GROUPID", "RTA_LOG_JSON"]);
    assert!(w[0].contains("did you mean RTA_TOPIC_PREFIX?"), "{w:?}");
    assert!(w[1].contains("did you mean RTA_GROUP_ID?"), "{w:?}");
    assert_eq!(w.len(), 2);
}

/// Every `RTA_*` name the repository uses (code, tests, benchmarks, scripts, deploy kit, docs)
/// is a key's variable or a listed other variable, so none of them draws the warning (the
/// tests of the warning itself, which use typos on purpose, are left out).
#[test]
fn every_variable_the_repository_uses_is_known() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut names = std::collections::BTreeSet::new();
    let mut stack: Vec<_> = [
        "src",
        "tests",
        "benches",
        ".ci",
        "deploy",
        "docs",
        "README.md",
    ]
    .iter()
    .map(|d| root.join(d))
    .collect();
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            for e in std::fs::read_dir(&p).unwrap() {
                let e = e.unwrap().path();
                let skip = [
                    "target",
                    "dependency",
                    "tests_sources.rs",
                    "settings_cli.rs",
                ];
                if !skip.iter().any(|s| e.ends_with(s)) {
                    stack.push(e);
                }
            }
        } else if let Ok(text) = std::fs::read_to_string(&p) {
            for (i, _) in text.match_indices("RTA_") {
                let tail = &text[i..];
                let end = tail
                    .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
                    .unwrap_or(tail.len());
                let name = tail[..end].trim_end_matches('_');
                // the docs' example of a typo
                if name.len() > 4 && name != "RTA_BROKER" {
                    names.insert(name.to_string());
                }
            }
        }
    }
    assert!(
        names.contains("RTA_BROKERS") && names.contains("RTA_TEST_SEED"),
        "{names:?}"
    );
    let w = unknown_env_warnings(names.iter().map(String::as_str));
    assert!(w.is_empty(), "{w:#?}");
}

#[test]
fn the_reference_in_docs_is_up_to_date() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/configuration.md");
    let committed = std::fs::read_to_string(&p).unwrap_or_default();
    let now = reference_markdown();
    for (env, flag) in KEYS
        .iter()
        .map(|k| (k.env, k.flag))
        .chain(RELAY_KEYS.iter().map(|k| (k.env, k.flag)))
    {
        assert!(now.contains(env) && now.contains(&format!("`--{flag}`")));
    }
    assert!(
        committed == now,
        "docs/configuration.md is out of date; regenerate it: \
         cargo run --release -- config reference > docs/configuration.md"
    );
}

/// The keys an example file shows, commented out or not (`table.key`).
fn shown_in(example: &str) -> std::collections::BTreeSet<String> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(example);
    let text = std::fs::read_to_string(p).unwrap();
    let mut table = String::new();
    let mut shown = std::collections::BTreeSet::new();
    for line in text.lines() {
        let l = line.trim_start_matches('#').trim();
        if let Some(t) = l.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            table = t.to_string();
            shown.insert(table.clone());
        } else if let Some((k, _)) = l.split_once('=') {
            let k = k.trim().trim_matches('"');
            if !k.is_empty() && !k.contains(' ') {
                let full = if table.is_empty() {
                    k.to_string()
                } else {
                    format!("{table}.{k}")
                };
                shown.insert(full);
            }
        }
    }
    shown
}

#[test]
fn the_example_files_show_every_key() {
    let shown = shown_in("deploy/rta.example.toml");
    for k in KEYS {
        assert!(
            shown.contains(k.name),
            "deploy/rta.example.toml does not show {}",
            k.name
        );
    }
    assert!(by_name::<Settings>("kafka").is_some());
    let shown = shown_in("deploy/relay.example.toml");
    for k in RELAY_KEYS {
        assert!(
            shown.contains(k.name),
            "deploy/relay.example.toml does not show {}",
            k.name
        );
    }
}
