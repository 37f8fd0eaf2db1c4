//! Worker threads (`E2E_WORKERS`, e.g. `"1 2"`): `rta run` with each `--workers` count over a
//! day of 20 accounts on 8 partitions, both guarantees, ratios to the first count.

use super::common::*;
use super::rate::{produce_day, rta_rate, shown, Rate};

/// `rta run --workers N` for each count over one simulated day of 20 accounts.
pub fn workers_throughput(broker: &Broker, persons: usize, counts: &[usize]) {
    let names = Names::new("wk.");
    create_topics(broker, &names, 8);
    let (input, total) = produce_day(broker, &names, accounts_day(20, (persons / 20).max(1), 11));
    println!("workers: {total} agent-event records (20 accounts, {persons} persons, 8 partitions)");
    let cfg = std::env::temp_dir().join("rta-e2e-workers.toml");
    std::fs::write(&cfg, "commit_interval_ms = 200\n").unwrap();
    for guarantee in ["at-least-once", "exactly-once"] {
        let mut first: Option<Rate> = None;
        for &n in counts {
            let group = format!("rta-wk-{guarantee}-{n}");
            let workers = n.to_string();
            let instance = format!("wk{n}");
            let extra = std::env::var("E2E_RTA_ARGS").unwrap_or_default();
            let mut args: Vec<&str> = vec![
                "--config",
                cfg.to_str().unwrap(),
                "--processing-guarantee",
                guarantee,
                "--instance-id",
                &instance,
                "--workers",
                &workers,
            ];
            args.extend(extra.split_whitespace());
            let r = rta_rate(broker, &names, &group, &input, total, &args);
            println!("rta run --workers {n} ({guarantee}): {}", shown(r));
            match (first, r) {
                (None, Some(r)) => first = Some(r),
                (Some(f), Some(r)) => println!(
                    "= --workers {n} at {:.2}× the rate of --workers {}, {:.2}× its CPU per input",
                    r.per_second / f.per_second,
                    counts[0],
                    r.cpu_us_per_record / f.cpu_us_per_record
                ),
                _ => {}
            }
        }
    }
}
