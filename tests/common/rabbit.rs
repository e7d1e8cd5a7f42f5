//! A throwaway RabbitMQ node for tests: Debian's rabbitmq-server started directly (not through
//! the service wrapper, which would switch to the rabbitmq user) with its own HOME (Erlang
//! cookie), database, logs, node name `mapi-PORT@localhost`, AMQP port and distribution port on
//! 127.0.0.1, no plug-ins, and an epmd of its own (on its own port: nodes of tests running at
//! once never share one, and it ends with the node); ready after `rabbitmqctl await_startup`.
//! Without
//! rabbitmq-server the AMQP tests are skipped, unless MAPI_AMQP_TESTS=required (the test
//! command sets it), where a missing server fails them.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::broker::free_port;

const SBIN: &str = "/usr/lib/rabbitmq/bin";

pub struct Rabbit {
    pub port: u16,
    pub url: String,
    dist_port: u16,
    node: String,
    dir: tempfile::TempDir,
    /// The rabbitmq-server process, while the node runs.
    server: Option<std::process::Child>,
    epmd_port: u16,
    /// This node's epmd (foreground, ours to stop).
    epmd: Option<std::process::Child>,
}

fn required() -> bool {
    std::env::var("MAPI_AMQP_TESTS").is_ok_and(|v| v == "required")
}

impl Rabbit {
    /// A running node, or `None` (skip) when rabbitmq-server is not installed.
    pub fn start() -> Option<Rabbit> {
        if !Path::new(SBIN).join("rabbitmq-server").exists() {
            assert!(
                !required(),
                "rabbitmq-server is not installed (scripts/lib/install-deps.sh installs it)"
            );
            eprintln!("skipping: rabbitmq-server is not installed");
            return None;
        }
        let dir = tempfile::tempdir().expect("a directory for the node");
        for d in ["home", "mnesia", "log"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        std::fs::write(dir.path().join("enabled_plugins"), "[].\n").unwrap();
        let port = free_port();
        let mut r = Rabbit {
            port,
            url: format!("amqp://guest:guest@127.0.0.1:{port}/%2f"),
            dist_port: free_port(),
            node: format!("mapi-{port}@localhost"),
            dir,
            server: None,
            epmd_port: free_port(),
            epmd: None,
        };
        r.launch();
        Some(r)
    }

    fn env(&self, c: &mut Command) {
        let d = self.dir.path();
        c.env("HOME", d.join("home"))
            .env("RABBITMQ_MNESIA_BASE", d.join("mnesia"))
            .env("RABBITMQ_LOG_BASE", d.join("log"))
            .env("RABBITMQ_NODENAME", &self.node)
            .env("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
            .env("RABBITMQ_NODE_PORT", self.port.to_string())
            .env("RABBITMQ_DIST_PORT", self.dist_port.to_string())
            .env("RABBITMQ_ENABLED_PLUGINS_FILE", d.join("enabled_plugins"))
            .env("RABBITMQ_CONFIG_FILE", d.join("rabbitmq"))
            .env("ERL_EPMD_PORT", self.epmd_port.to_string())
            .current_dir(d);
    }

    fn ctl(&self, args: &[&str]) -> std::process::Output {
        let mut c = Command::new(PathBuf::from(SBIN).join("rabbitmqctl"));
        self.env(&mut c);
        c.arg("-n").arg(&self.node).args(args);
        c.stdin(Stdio::null()).output().expect("run rabbitmqctl")
    }

    fn launch(&mut self) {
        if self.epmd.is_none() {
            let epmd = Command::new("epmd")
                .args(["-port", &self.epmd_port.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start epmd (rabbitmq-server's erlang)");
            self.epmd = Some(epmd);
        }
        let log = std::fs::File::create(self.dir.path().join("server.out")).unwrap();
        let mut c = Command::new(PathBuf::from(SBIN).join("rabbitmq-server"));
        self.env(&mut c);
        let server = c
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start rabbitmq-server");
        self.server = Some(server);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let out = self.ctl(&["await_startup", "--timeout", "30"]);
            if out.status.success() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "RabbitMQ node {} did not start: {}\n{}",
                self.node,
                String::from_utf8_lossy(&out.stderr),
                std::fs::read_to_string(self.dir.path().join("server.out")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// Stops the node (its messages and durable queues stay in its database).
    pub fn stop(&mut self) {
        if let Some(mut server) = self.server.take() {
            let _ = self.ctl(&["shutdown"]);
            // The script ends with the node; a node that would not stop is killed.
            let deadline = Instant::now() + Duration::from_secs(30);
            while server.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = server.kill();
            let _ = server.wait();
        }
    }

    /// Starts it again on the same port and database.
    pub fn restart(&mut self) {
        self.stop();
        self.launch();
    }

    /// `rabbitmqctl list_queues name messages` as (name, ready + unacknowledged) pairs.
    pub fn queue_depths(&self) -> Vec<(String, u64)> {
        let out = self.ctl(&[
            "list_queues",
            "-q",
            "--no-table-headers",
            "name",
            "messages",
        ]);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                let mut it = l.split_whitespace();
                Some((it.next()?.to_string(), it.next()?.parse().ok()?))
            })
            .collect()
    }
}

impl Drop for Rabbit {
    fn drop(&mut self) {
        self.stop();
        if let Some(mut epmd) = self.epmd.take() {
            let _ = epmd.kill();
            let _ = epmd.wait();
        }
    }
}

/// Runs tests/amqp/amqp_tool.py (pika) with `args`, feeding `stdin`; its stdout lines.
pub fn pika(args: &[&str], stdin: &str) -> Vec<String> {
    use std::io::Write;
    let mut child = Command::new(super::broker::python())
        .arg(super::repo_root().join("tests/amqp/amqp_tool.py"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run amqp_tool.py");
    child
        .stdin
        .as_mut()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "amqp_tool {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}
