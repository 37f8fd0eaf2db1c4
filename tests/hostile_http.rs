//! `rta run`'s HTTP limits (issue 10): 1,100 idle connections neither exhaust the service's file
//! descriptors nor stop `/healthz` from answering. `rta run` (embedded default, no brokers)
//! runs as a child with the usual soft limit of 1,024 descriptors and a memory limit.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn healthz(port: u16) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    out.starts_with("HTTP/1.1 200").then_some(out)
}

fn wait_healthz(port: u16, within: Duration) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < within {
        if healthz(port).is_some() {
            return Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

#[test]
fn idle_connections_do_not_starve_healthz() {
    // this test process holds 1,100 sockets: raise its own descriptor limit
    let me = std::process::id().to_string();
    let raised = Command::new("prlimit")
        .args(["--pid", &me, "--nofile=4096:4096"])
        .status()
        .expect("prlimit (util-linux)");
    assert!(
        raised.success(),
        "cannot raise this test's descriptor limit"
    );
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut rta = Command::new("prlimit")
        .args(["--nofile=1024:1024", &format!("--as={}", 2u64 << 30), "--"])
        .arg(env!("CARGO_BIN_EXE_rta"))
        .args([
            "run",
            "--http",
            &format!("127.0.0.1:{port}"),
            "--persons",
            "20",
        ])
        .env("RTA_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start rta run");
    let result = std::panic::catch_unwind(|| {
        assert!(
            wait_healthz(port, Duration::from_secs(20)).is_some(),
            "rta run never answered /healthz"
        );
        let start = Instant::now();
        let mut idle = Vec::new();
        for _ in 0..1100 {
            if let Ok(s) = TcpStream::connect(("127.0.0.1", port)) {
                idle.push(s);
            }
        }
        eprintln!(
            "{} idle connections opened in {:?}",
            idle.len(),
            start.elapsed()
        );
        // Beyond the connection limit new connections are closed at once; the idle ones are
        // closed after the header-read timeout (5 s): /healthz answers within it.
        let took = wait_healthz(port, Duration::from_secs(10));
        eprintln!("/healthz answered after {took:?} with 1,100 idle connections");
        assert!(took.is_some(), "/healthz did not answer within 10 s");
        drop(idle);
        assert!(healthz(port).is_some());
    });
    let alive = rta.try_wait().ok().flatten().is_none();
    let _ = rta.kill();
    let _ = rta.wait();
    assert!(alive, "rta run exited");
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}
