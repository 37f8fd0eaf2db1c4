//! An Apache Kafka 4.4.0 broker for the tests: KRaft, one combined node (broker + controller)
//! on free loopback ports with a temp data dir, from the jars `tests/broker/pom.xml` names
//! (fetched with Maven on first use, cached in `tests/broker/target/dependency`).
//!
//! The JVM runs under a small shell that kills it when the test process goes away (its stdin
//! is a pipe only the test process holds), so no broker outlives a test binary, even one that
//! panics or is killed. Data dirs and logs live under `target/tmp/kafka-{pid}-{n}`; those of
//! processes that are gone are removed at the next start, so a failed run's log stays there to
//! be read.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Credentials of the SASL listener: SCRAM-SHA-256/512 (StorageTool's `--add-scram` cannot
/// take a comma) and PLAIN (whose password has commas, as real ones may).
pub const SASL_USER: &str = "rta";
pub const SASL_PASSWORD: &str = "rta-scram-secret";
pub const PLAIN_PASSWORD: &str = "plain,secret=with,commas";

#[derive(Clone, Copy, Debug, Default)]
pub struct BrokerOptions {
    /// Also listen with SASL_SSL (a CA and a certificate made for the test, SCRAM-SHA-256/512
    /// and PLAIN credentials).
    pub sasl_ssl: bool,
}

pub struct Broker {
    /// The watchdog shell (its stdin keeps the JVM alive).
    watchdog: Option<(Child, ChildStdin)>,
    /// The PLAINTEXT listener.
    pub addr: String,
    /// The SASL_SSL listener, if any.
    pub secure_addr: Option<String>,
    pub dir: PathBuf,
    java_args: Vec<String>,
}

static SEQ: AtomicUsize = AtomicUsize::new(0);

impl Broker {
    /// A broker of this test alone (stopped on drop).
    pub fn start() -> Broker {
        Broker::start_with(BrokerOptions::default())
    }

    /// One broker for every test of this binary that needs nothing special (tests keep apart
    /// by topic prefix and group id).
    pub fn shared() -> &'static Broker {
        static SHARED: OnceLock<Broker> = OnceLock::new();
        SHARED.get_or_init(Broker::start)
    }

    pub fn start_with(opts: BrokerOptions) -> Broker {
        let jars = jars();
        let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        remove_stale(&base);
        let dir = base.join(format!(
            "kafka-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("broker dir");
        // three distinct ports: each free_port() alone may hand out the one it just released
        let [plain, controller, secure] = free_ports::<3>();
        let mut listeners =
            format!("PLAINTEXT://127.0.0.1:{plain},CONTROLLER://127.0.0.1:{controller}");
        let mut advertised = format!("PLAINTEXT://127.0.0.1:{plain}");
        let mut protocols = "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT".to_string();
        let mut extra = String::new();
        if opts.sasl_ssl {
            make_certificates(&dir);
            listeners.push_str(&format!(",SASL_SSL://127.0.0.1:{secure}"));
            advertised.push_str(&format!(",SASL_SSL://127.0.0.1:{secure}"));
            protocols.push_str(",SASL_SSL:SASL_SSL");
            let d = dir.display();
            extra = format!(
                "sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256,PLAIN\n\
                 listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;\n\
                 listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;\n\
                 listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_{SASL_USER}=\"{}\";\n\
                 ssl.keystore.type=PEM\n\
                 ssl.keystore.location={d}/broker.pem\n\
                 ssl.truststore.type=PEM\n\
                 ssl.truststore.location={d}/ca.crt\n",
                PLAIN_PASSWORD
            );
        }
        let d = dir.display();
        let props = format!(
            "process.roles=broker,controller\n\
             node.id=1\n\
             controller.quorum.voters=1@127.0.0.1:{controller}\n\
             controller.listener.names=CONTROLLER\n\
             listeners={listeners}\n\
             advertised.listeners={advertised}\n\
             listener.security.protocol.map={protocols}\n\
             inter.broker.listener.name=PLAINTEXT\n\
             log.dirs={d}/data\n\
             num.partitions=1\n\
             auto.create.topics.enable=false\n\
             offsets.topic.replication.factor=1\n\
             offsets.topic.num.partitions=3\n\
             transaction.state.log.replication.factor=1\n\
             transaction.state.log.min.isr=1\n\
             transaction.state.log.num.partitions=3\n\
             group.initial.rebalance.delay.ms=0\n\
             log.cleaner.backoff.ms=1000\n\
             {extra}"
        );
        std::fs::write(dir.join("server.properties"), props).expect("server.properties");
        std::fs::write(
            dir.join("log4j2.properties"),
            format!(
                "status = warn\n\
                 appender.f.type = File\n\
                 appender.f.name = F\n\
                 appender.f.fileName = {d}/broker.log\n\
                 appender.f.layout.type = PatternLayout\n\
                 appender.f.layout.pattern = [%d] %p %m (%c)%n\n\
                 rootLogger.level = info\n\
                 rootLogger.appenderRef.f.ref = F\n"
            ),
        )
        .expect("log4j2.properties");
        let classpath = format!("{}/*", jars.display());
        let log4j = format!("-Dlog4j2.configurationFile={d}/log4j2.properties");
        // storage first: a cluster id, and the SCRAM credentials when asked for
        let mut format_args: Vec<String> = vec![
            "-cp".into(),
            classpath.clone(),
            log4j.clone(),
            "kafka.tools.StorageTool".into(),
            "format".into(),
            "-t".into(),
            "rta-test-cluster-id-0".into(),
            "-c".into(),
            format!("{d}/server.properties"),
        ];
        if opts.sasl_ssl {
            for m in ["SCRAM-SHA-512", "SCRAM-SHA-256"] {
                format_args.push("--add-scram".into());
                format_args.push(format!("{m}=[name={SASL_USER},password={SASL_PASSWORD}]"));
            }
        }
        let out = Command::new("java")
            .args(&format_args)
            .output()
            .expect("run java (StorageTool format)");
        assert!(
            out.status.success(),
            "kafka.tools.StorageTool format failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let java_args = vec![
            "-Xmx1g".to_string(),
            "-Xms256m".into(),
            "-XX:+UseSerialGC".into(),
            "-cp".into(),
            classpath,
            log4j,
            "kafka.Kafka".into(),
            format!("{d}/server.properties"),
        ];
        let mut b = Broker {
            watchdog: None,
            addr: format!("127.0.0.1:{plain}"),
            secure_addr: opts.sasl_ssl.then(|| format!("127.0.0.1:{secure}")),
            dir,
            java_args,
        };
        b.launch();
        b
    }

    fn launch(&mut self) {
        let d = self.dir.display().to_string();
        // `read` returns when the test process (the pipe's only writer) is gone
        let script = format!(
            "java \"$@\" >>'{d}/stdout.log' 2>&1 & echo $! >'{d}/pid'; read _; kill -9 $! 2>/dev/null"
        );
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg("sh")
            .args(&self.java_args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the broker JVM");
        let stdin = child.stdin.take().expect("watchdog stdin");
        self.watchdog = Some((child, stdin));
        self.wait_metadata(Duration::from_secs(90));
    }

    /// Wait until the broker answers a metadata request.
    fn wait_metadata(&self, within: Duration) {
        use rdkafka::consumer::{BaseConsumer, Consumer};
        let c: BaseConsumer = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", &self.addr)
            .set("log_level", "0")
            .create()
            .expect("metadata client");
        let deadline = Instant::now() + within;
        loop {
            if let Ok(md) = c.fetch_metadata(None, Duration::from_secs(1)) {
                if !md.brokers().is_empty() {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "Kafka did not answer metadata within {within:?}; its log: {}\n{}",
                self.dir.join("broker.log").display(),
                self.log_tail(30)
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The JVM's pid.
    fn pid(&self) -> Option<String> {
        std::fs::read_to_string(self.dir.join("pid"))
            .ok()
            .map(|p| p.trim().to_string())
    }

    /// Kill the broker JVM (SIGKILL: a crash, or a pulled cable) and wait until its port is
    /// closed. Its data dir and ports are kept for [`Broker::restart`].
    pub fn stop(&mut self) {
        if let Some(pid) = self.pid() {
            let _ = Command::new("kill").args(["-9", &pid]).status();
        }
        if let Some((mut child, stdin)) = self.watchdog.take() {
            drop(stdin);
            let _ = child.wait();
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(&self.addr).is_ok() {
            assert!(
                Instant::now() < deadline,
                "broker still listening after kill"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Start the broker again on the same data dir and ports.
    pub fn restart(&mut self) {
        self.launch();
    }

    /// The last lines of the broker's log.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(self.dir.join("broker.log")).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// The CA certificate clients trust (SASL_SSL brokers).
    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.crt")
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// `N` distinct free loopback ports (held together while they are picked).
pub fn free_ports<const N: usize>() -> [u16; N] {
    let held: Vec<std::net::TcpListener> = (0..N)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("a free loopback port"))
        .collect();
    std::array::from_fn(|i| held[i].local_addr().expect("a bound port").port())
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Where the broker's jars are: fetched with Maven when missing.
fn jars() -> PathBuf {
    static JARS: OnceLock<PathBuf> = OnceLock::new();
    static FETCH: Mutex<()> = Mutex::new(());
    JARS.get_or_init(|| {
        let _g = FETCH.lock();
        let pom = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/broker/pom.xml");
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/broker/target/dependency");
        if Command::new("java").arg("-version").output().is_err() {
            panic!("java not found: the Kafka tests run Apache Kafka 4.4.0 and need Java 17 (apt-get install openjdk-17-jre-headless), or run bash .ci/run");
        }
        let ready = |d: &Path| d.join("kafka_2.13-4.4.0.jar").exists() && d.join("log4j-slf4j-impl-2.25.5.jar").exists();
        if !ready(&dir) {
            let out = Command::new("mvn")
                .args(["-q", "-B", "-f"])
                .arg(&pom)
                .args(["dependency:copy-dependencies", "-DincludeScope=runtime"])
                .output();
            match out {
                Err(_) => panic!("mvn not found: the Kafka tests fetch Apache Kafka 4.4.0 with Maven (apt-get install maven), or run bash .ci/run"),
                Ok(o) if !o.status.success() => panic!(
                    "mvn could not fetch Apache Kafka 4.4.0 (mvn -f tests/broker/pom.xml dependency:copy-dependencies): {}",
                    String::from_utf8_lossy(&o.stdout).lines().chain(String::from_utf8_lossy(&o.stderr).lines()).filter(|l| l.contains("ERROR")).collect::<Vec<_>>().join(" ")
                ),
                Ok(_) => {}
            }
            assert!(ready(&dir), "mvn ran but {} holds no kafka_2.13-4.4.0.jar", dir.display());
        }
        dir
    })
    .clone()
}

/// Remove the dirs of test processes that are gone.
fn remove_stale(base: &Path) {
    let Ok(rd) = std::fs::read_dir(base) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix("kafka-")
            .and_then(|r| r.split('-').next())
        else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// A CA and a broker certificate for 127.0.0.1 / localhost, with the `openssl` command.
fn make_certificates(dir: &Path) {
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl not found: apt-get install openssl");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=rta-test-ca",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "broker.key",
        "-out",
        "broker.csr",
        "-subj",
        "/CN=localhost",
    ]);
    std::fs::write(
        dir.join("san.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .expect("san.ext");
    run(&[
        "x509",
        "-req",
        "-in",
        "broker.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "broker.crt",
        "-days",
        "2",
        "-extfile",
        "san.ext",
    ]);
    // PEM key store: the (PKCS#8, unencrypted) key, then the certificate chain
    let key = std::fs::read_to_string(dir.join("broker.key")).expect("broker.key");
    let crt = std::fs::read_to_string(dir.join("broker.crt")).expect("broker.crt");
    let ca = std::fs::read_to_string(dir.join("ca.crt")).expect("ca.crt");
    let mut f = std::fs::File::create(dir.join("broker.pem")).expect("broker.pem");
    write!(f, "{key}{crt}{ca}").expect("broker.pem");
}
