//! `rta dashboard` against the test broker: started on a free loopback port, reading the topics
//! of one test's names; stopped like `rta run` (the same [`Rta`] handle).

use super::{free_port, Broker, Names, Rta};
use std::process::{Command, Stdio};

/// Start `rta dashboard` on the broker with `extra` flags (e.g. `--account A`).
pub fn start_dashboard(broker: &Broker, names: &Names, extra: &[&str]) -> Rta {
    let http = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_rta"))
        .args([
            "dashboard",
            "--brokers",
            &broker.addr,
            "--topic-prefix",
            &names.prefix,
            "--http",
            &format!("127.0.0.1:{http}"),
        ])
        .args(extra)
        .env("RTA_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("run rta dashboard");
    Rta {
        child: Some(child),
        http,
    }
}
