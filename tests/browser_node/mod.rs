//! The browser scripts of `tests/browser/` (Debian's chromium driven by playwright-core) as child
//! processes of the dashboard tests and benchmarks: prerequisites checked with one line saying
//! what to install, stdout read line by line (the scripts announce phases on it), stdin open for
//! the test to feed the changes it produced, and every wait bounded.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The crate's root directory.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Chromium, node and playwright-core are there, or panic with what to install.
pub fn prerequisites() {
    if !Path::new("/usr/bin/chromium").exists() {
        panic!("chromium is missing: install Debian's package (apt-get install chromium); .ci/run does");
    }
    let node = Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        panic!("node is missing: install Node.js 20 or newer (apt-get install nodejs npm)");
    }
    if !root()
        .join("tests/browser/node_modules/playwright-core")
        .is_dir()
    {
        panic!("playwright-core is missing: run `npm ci --prefix tests/browser`; .ci/run does");
    }
}

/// A running `node tests/browser/SCRIPT`.
pub struct Script {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    /// Every stdout line read so far.
    pub out: Vec<String>,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Script {
    /// Start `script` (a file of tests/browser/) with `env`.
    pub fn start(script: &str, env: &[(&str, &str)]) -> Script {
        prerequisites();
        let dir = root().join("tests/browser");
        let mut child = Command::new("node")
            .arg(dir.join(script))
            .current_dir(&dir)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start node");
        let stdout = child.stdout.take().expect("stdout");
        let mut stderr = child.stderr.take().expect("stderr");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });
        Script {
            stdin: child.stdin.take(),
            child,
            lines,
            out: Vec::new(),
            stderr: Some(stderr),
        }
    }

    /// Read stdout (echoing it) until a line starts with `prefix`: that line, or None when the
    /// script ended or `within` passed first.
    pub fn wait_line(&mut self, prefix: &str, within: Duration) -> Option<String> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            let line = self.lines.recv_timeout(left).ok()?;
            println!("{line}");
            self.out.push(line.clone());
            if line.starts_with(prefix) {
                return Some(line);
            }
        }
    }

    /// Write one line to the script's stdin.
    pub fn send(&mut self, line: &str) {
        if let Some(s) = self.stdin.as_mut() {
            let _ = writeln!(s, "{line}");
            let _ = s.flush();
        }
    }

    /// Close stdin, wait at most `within` for the exit (killed after): the exit status (None:
    /// killed) and everything it printed.
    pub fn finish(mut self, within: Duration) -> (Option<ExitStatus>, String) {
        self.stdin = None;
        let deadline = Instant::now() + within;
        let status = loop {
            if let Ok(Some(st)) = self.child.try_wait() {
                break Some(st);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(200)) {
            println!("{line}");
            self.out.push(line);
        }
        let err = self
            .stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        eprint!("{err}");
        (status, format!("{}\n{err}", self.out.join("\n")))
    }
}

impl Drop for Script {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Panic unless the script exited with 0.
pub fn assert_success(status: Option<ExitStatus>, output: &str, what: &str) {
    match status {
        None => panic!("{what}: the browser script did not finish in time:\n{output}"),
        Some(st) => assert!(st.success(), "{what} failed in chromium:\n{output}"),
    }
}

/// Screenshots the script should have written (each over 10 kB).
pub fn assert_screenshots(dir: &Path, names: &[&str]) {
    for shot in names {
        let len = std::fs::metadata(dir.join(shot))
            .map(|m| m.len())
            .unwrap_or(0);
        assert!(len > 10_000, "screenshot {shot} missing or empty");
    }
}
