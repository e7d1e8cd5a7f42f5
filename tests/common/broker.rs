//! A real Kafka-protocol broker for tests: tansu on a free 127.0.0.1 port, stopped by PID.
//! Without tansu the Kafka tests are skipped, unless MAPI_KAFKA_TESTS=required (the test
//! command sets it), where a missing broker fails them.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Broker {
    child: Option<Child>,
    /// The working directory (SQLite storage lives there).
    dir: Option<PathBuf>,
    pub port: u16,
    pub bootstrap: String,
    storage: String,
    bin: PathBuf,
    /// The port advertised to clients (a TLS front's), when not `port`.
    pub advertised: Option<u16>,
    /// Whether clients must authenticate (SASL SCRAM).
    pub authentication: bool,
}

/// A broker binary: `$ENV`, else ~/.cargo/bin/NAME, else NAME on the PATH.
fn find_bin(env: &str, name: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env) {
        return Some(PathBuf::from(p));
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let cargo_bin = home.join(".cargo/bin").join(name);
    if cargo_bin.exists() {
        return Some(cargo_bin);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.exists())
    })
}

fn tansu_bin() -> Option<PathBuf> {
    find_bin("MAPI_TANSU", "tansu")
}

/// nisshi 0.8.1, tansu's successor (same command line), for the consumer-group tests: tansu
/// 0.6.0 leaves a group rebalancing for good once a member leaves
/// (tests/kafka/group_leave_repro.py shows it with kafka-python alone).
fn nisshi_bin() -> Option<PathBuf> {
    find_bin("MAPI_NISSHI", "nisshi")
}

fn required() -> bool {
    std::env::var("MAPI_KAFKA_TESTS").is_ok_and(|v| v == "required")
}

/// A free loopback port.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Broker {
    /// A broker with in-memory storage, or `None` (skip) when tansu is not installed.
    pub fn memory() -> Option<Broker> {
        Broker::start("memory://tansu/".to_string(), None)
    }

    /// A broker storing in SQLite under `dir` (survives restarts).
    pub fn sqlite(dir: &std::path::Path) -> Option<Broker> {
        // tansu resolves the SQLite path against its working directory.
        Broker::start("sqlite://tansu.db".to_string(), Some(dir.to_path_buf()))
    }

    /// A nisshi broker with in-memory storage, for consumer groups whose members come and go;
    /// `None` (skip) when nisshi is not installed.
    pub fn memory_for_groups() -> Option<Broker> {
        let Some(bin) = nisshi_bin() else {
            assert!(
                !required(),
                "nisshi is not installed (scripts/lib/install-deps.sh installs it)"
            );
            eprintln!("skipping: nisshi is not installed");
            return None;
        };
        Broker::start_with(bin, "memory://nisshi/".to_string(), None)
    }

    fn start(storage: String, dir: Option<PathBuf>) -> Option<Broker> {
        let Some(bin) = tansu_bin() else {
            assert!(
                !required(),
                "tansu is not installed (scripts/lib/install-deps.sh installs it)"
            );
            eprintln!("skipping: tansu is not installed");
            return None;
        };
        Broker::start_with(bin, storage, dir)
    }

    fn start_with(bin: PathBuf, storage: String, dir: Option<PathBuf>) -> Option<Broker> {
        let port = free_port();
        let mut b = Broker {
            child: None,
            dir,
            port,
            bootstrap: format!("127.0.0.1:{port}"),
            storage,
            bin,
            advertised: None,
            authentication: false,
        };
        b.launch();
        Some(b)
    }

    /// Restarts the broker advertising `port` (a TLS front's) to clients instead of its own.
    pub fn advertise(&mut self, port: u16) {
        self.advertised = Some(port);
        self.restart();
    }

    /// Restarts the broker requiring SASL authentication (users made with `create_user`).
    pub fn require_authentication(&mut self) {
        self.authentication = true;
        self.restart();
    }

    /// Creates a SCRAM-SHA-512 user (the broker must not require authentication yet).
    pub fn create_user(&self, name: &str, password: &str) {
        self.cli(&["user", "create", "--mechanism", "scram512", name, password]);
    }

    /// Runs the broker's command line against it (`--broker` added after the subcommand).
    fn cli(&self, args: &[&str]) {
        let url = format!("tcp://127.0.0.1:{}", self.port);
        let (command, rest) = args.split_at(2);
        let out = Command::new(&self.bin)
            .args(command)
            .args(["--broker", &url])
            .args(rest)
            .output()
            .unwrap_or_else(|e| panic!("run {} {}: {e}", self.bin.display(), command.join(" ")));
        assert!(
            out.status.success(),
            "{} {args:?}: {}",
            self.bin.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn launch(&mut self) {
        let url = format!("tcp://127.0.0.1:{}", self.port);
        let advertised = format!("tcp://127.0.0.1:{}", self.advertised.unwrap_or(self.port));
        let mut command = Command::new(&self.bin);
        if let Some(d) = &self.dir {
            command.current_dir(d);
        }
        if self.authentication {
            command.arg("broker").arg("--authentication");
        } else {
            command.arg("broker");
        }
        let child = command
            .args([
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &advertised,
                "--storage-engine",
                &self.storage,
            ])
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tansu");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "tansu did not listen on {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the broker (SIGKILL by PID) and waits for it.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port and storage.
    pub fn restart(&mut self) {
        self.stop();
        self.launch();
    }

    /// Creates a topic with the broker's command line.
    pub fn create_topic(&self, name: &str, partitions: u32) {
        self.cli(&[
            "topic",
            "create",
            "--partitions",
            &partitions.to_string(),
            name,
        ]);
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The Python with kafka-python (MAPI_TEST_PYTHON, else build/venv).
pub fn python() -> PathBuf {
    std::env::var_os("MAPI_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| super::repo_root().join("build/venv/bin/python"))
}

pub fn tool() -> PathBuf {
    super::repo_root().join("tests/kafka/kafka_tool.py")
}

/// One message as kafka-python read it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub topic: String,
    pub partition: i64,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub value: Vec<u8>,
    pub headers: Vec<(String, Vec<u8>)>,
}

fn unb64(v: &serde_json::Value) -> Option<Vec<u8>> {
    let s = v.as_str()?;
    // A tiny base64 decoder, so the tests need no extra crate.
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let mut buf = 0u32;
    let mut bits = 0;
    for c in s.bytes().take_while(|&c| c != b'=') {
        let v = A.iter().position(|&a| a == c)? as u32;
        buf = (buf << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    Some(out)
}

/// Base64 text as bytes.
pub fn unb64_text(s: &str) -> Vec<u8> {
    unb64(&serde_json::Value::String(s.to_string())).unwrap_or_default()
}

/// Reads `count` messages of `topic` from the beginning with kafka-python.
pub fn python_consume(bootstrap: &str, topic: &str, count: usize, timeout_s: u32) -> Vec<Seen> {
    python_consume_with(bootstrap, topic, count, timeout_s, &serde_json::json!({}))
}

/// `python_consume` with extra kafka-python client settings (TLS, SASL).
pub fn python_consume_with(
    bootstrap: &str,
    topic: &str,
    count: usize,
    timeout_s: u32,
    config: &serde_json::Value,
) -> Vec<Seen> {
    let out = Command::new(python())
        .arg(tool())
        .env("KAFKA_TOOL_CONFIG", config.to_string())
        .args([
            "consume",
            bootstrap,
            topic,
            &count.to_string(),
            &timeout_s.to_string(),
        ])
        .output()
        .expect("run kafka_tool.py consume");
    assert!(
        out.status.success(),
        "kafka_tool consume: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let j: serde_json::Value = serde_json::from_str(l).expect("kafka_tool output");
            Seen {
                topic: j["topic"].as_str().unwrap().to_string(),
                partition: j["partition"].as_i64().unwrap(),
                offset: j["offset"].as_i64().unwrap(),
                key: unb64(&j["key"]),
                value: unb64(&j["value"]).unwrap_or_default(),
                headers: j["headers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|h| {
                        (
                            h[0].as_str().unwrap().to_string(),
                            unb64(&h[1]).unwrap_or_default(),
                        )
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Produces messages with kafka-python: (key, value, partition).
pub fn python_produce(
    bootstrap: &str,
    topic: &str,
    messages: &[(Option<&str>, &str, Option<i32>)],
) {
    let lines: Vec<serde_json::Value> = messages
        .iter()
        .map(|(k, v, p)| serde_json::json!({"key": k, "value": v, "partition": p}))
        .collect();
    python_produce_lines(bootstrap, topic, &lines);
}

/// Produces messages with kafka-python, each given as kafka_tool.py's input line
/// (`key`, `value` or `value_b64` for bytes that are not UTF-8, `partition`).
pub fn python_produce_lines(bootstrap: &str, topic: &str, messages: &[serde_json::Value]) {
    use std::io::Write;
    let mut child = Command::new(python())
        .arg(tool())
        .args(["produce", bootstrap, topic])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run kafka_tool.py produce");
    {
        let stdin = child.stdin.as_mut().unwrap();
        for m in messages {
            writeln!(stdin, "{m}").unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "kafka_tool produce: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        messages.len().to_string()
    );
}
