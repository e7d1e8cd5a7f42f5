//! A TLS front for the test broker: a throwaway CA and server certificate made with the
//! `openssl` command, and stunnel (Debian `stunnel4`) accepting TLS on a 127.0.0.1 port and
//! forwarding plaintext to tansu, which advertises the front's port (tansu 0.6.0 cannot turn
//! TLS on itself: docs/decisions.md).

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::broker::free_port;

pub struct TlsFront {
    _dir: tempfile::TempDir,
    /// The CA that signed the front's certificate.
    pub ca: PathBuf,
    /// Another CA, which did not.
    pub wrong_ca: PathBuf,
    pub port: u16,
    child: Child,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn make_ca(dir: &Path, name: &str) {
    let (key, pem) = (format!("{name}.key"), format!("{name}.pem"));
    let subject = format!("/CN=messageapi test {name}");
    openssl(
        dir,
        &[
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", &key, "-out", &pem,
            "-days", "2", "-subj", &subject,
        ],
    );
}

fn stunnel() -> &'static str {
    if Command::new("stunnel4")
        .arg("-version")
        .stderr(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .is_ok()
    {
        "stunnel4"
    } else {
        "stunnel"
    }
}

impl TlsFront {
    /// A TLS front on a free port for the plaintext broker on `target`.
    pub fn start(target: u16) -> TlsFront {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        make_ca(d, "ca");
        make_ca(d, "wrong-ca");
        openssl(
            d,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=127.0.0.1",
            ],
        );
        std::fs::write(
            d.join("san.cnf"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
        )
        .unwrap();
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "server.pem",
                "-days",
                "2",
                "-extfile",
                "san.cnf",
            ],
        );
        let port = free_port();
        let conf = format!(
            "foreground = yes\npid =\noutput = {}\n[kafka]\naccept = 127.0.0.1:{port}\nconnect = 127.0.0.1:{target}\ncert = {}\nkey = {}\n",
            d.join("stunnel.log").display(),
            d.join("server.pem").display(),
            d.join("server.key").display()
        );
        std::fs::write(d.join("stunnel.conf"), conf).unwrap();
        let child = Command::new(stunnel())
            .arg(d.join("stunnel.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start stunnel (scripts/lib/install-deps.sh installs stunnel4)");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "stunnel did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        TlsFront {
            ca: d.join("ca.pem"),
            wrong_ca: d.join("wrong-ca.pem"),
            port,
            child,
            _dir: dir,
        }
    }

    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
