//! Harness of the relay and admin tests: `rta relay` as a child process, a small HTTP/1.1
//! client, and the admin commands run as the binary.

use super::{create, create_topics, end_offsets, free_port, Broker, Names};
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An HTTP answer: status, headers (lowercase names), body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("answer is not JSON ({e}): {}", self.body))
    }

    /// The `code` of the first error.
    pub fn code(&self) -> String {
        self.json()["errors"][0]["code"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }
}

/// One request on a fresh connection (`Connection: close`).
pub fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Option<Answer> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: relay\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).ok()?;
    s.write_all(body).ok()?;
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let mut lines = head.lines();
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Some(Answer {
        status,
        headers,
        body: body.to_string(),
    })
}

pub const JSON: (&str, &str) = ("Content-Type", "application/json");

/// `rta relay` against the broker; killed on drop unless terminated.
pub struct RelayProc {
    pub child: Option<Child>,
    pub port: u16,
}

impl RelayProc {
    pub fn start(broker: &Broker, names: &Names, extra: &[&str]) -> RelayProc {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_rta"))
            .args([
                "relay",
                "--brokers",
                &broker.addr,
                "--topic-prefix",
                &names.prefix,
                "--http",
                &format!("127.0.0.1:{port}"),
            ])
            .args(extra)
            .env("RTA_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run rta relay");
        let mut r = RelayProc {
            child: Some(child),
            port,
        };
        r.forward_stderr();
        r
    }

    /// Copy the relay's log to this test's stderr, and keep it to check for secrets.
    fn forward_stderr(&mut self) {
        let Some(err) = self.child.as_mut().and_then(|c| c.stderr.take()) else {
            return;
        };
        let path = std::env::temp_dir().join(format!(
            "rta-relay-{}-{}.log",
            std::process::id(),
            self.port
        ));
        std::thread::spawn(move || {
            use std::io::BufRead;
            let mut f = std::fs::File::create(&path).ok();
            for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
                eprintln!("{line}");
                if let Some(f) = f.as_mut() {
                    let _ = writeln!(f, "{line}");
                }
            }
        });
    }

    /// What the relay has logged so far.
    pub fn log(&self) -> String {
        let path = std::env::temp_dir().join(format!(
            "rta-relay-{}-{}.log",
            std::process::id(),
            self.port
        ));
        std::fs::read_to_string(path).unwrap_or_default()
    }

    pub fn post(&self, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
        request(self.port, "POST", path, headers, body)
            .unwrap_or_else(|| panic!("no answer from the relay to POST {}", redact(path)))
    }

    pub fn get(&self, path: &str) -> Option<Answer> {
        request(self.port, "GET", path, &[], b"")
    }

    pub fn wait_ready(&self, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            if let Some(a) = self.get("/readyz") {
                if a.status == 200 {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "relay not ready within {within:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGTERM, and the exit code.
    pub fn terminate(&mut self) -> Option<i32> {
        super::terminate_child(self.child.take()?, "relay")
    }
}

impl Drop for RelayProc {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn redact(path: &str) -> String {
    match path.strip_prefix("/v1/odigo/") {
        Some(_) => "/v1/odigo/{token}".into(),
        None => path.to_string(),
    }
}

/// Run an admin command against the broker (`rta ARGS --brokers … --topic-prefix …`):
/// (exit code, stdout, stderr).
pub fn admin(broker: &Broker, names: &Names, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rta"))
        .args(args)
        .args(["--brokers", &broker.addr, "--topic-prefix", &names.prefix])
        .env("RTA_LOG", "warn")
        .output()
        .expect("run rta");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// [`admin`] that must succeed; its stdout.
pub fn admin_ok(broker: &Broker, names: &Names, args: &[&str]) -> String {
    let (code, out, err) = admin(broker, names, args);
    assert_eq!(code, 0, "rta {args:?} failed: {err}");
    out
}

/// The secret an `integration add` or `integration secret` printed.
pub fn secret_of(out: &str) -> String {
    out.split_whitespace()
        .find(|w| w.starts_with("rta_") && w.len() == 47)
        .unwrap_or_else(|| panic!("no secret in: {out}"))
        .to_string()
}

/// Poll `f` until it returns true, at most `within`.
pub fn eventually(what: &str, within: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !f() {
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Records on a topic (sum of end offsets).
pub fn count(broker: &Broker, topic: &str) -> i64 {
    end_offsets(broker, topic).values().sum()
}

/// Topics of one test, created as an operator would (the relay creates none).
pub fn setup(broker: &Broker, names: &Names) {
    create_topics(broker, names, 3);
    create(broker, &[(names.topic("rta.contact-events"), 3, false)]);
}
