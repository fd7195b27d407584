//! Starts a server process (the reference Node server, or our interop-server example)
//! on a free port and watches its stdout.
#![allow(dead_code)]
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Which implementation of the interop contract to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The official Node `socket.io` server.
    Reference,
    /// Our `interop-server` example.
    Ours,
}

/// A server process speaking the interop contract (tests/interop/CONTRACT.md).
pub struct Peer {
    pub port: u16,
    child: Child,
    pub logs: Arc<Mutex<Vec<String>>>,
}

impl Peer {
    /// The official `socket.io` server (`node tests/interop/reference-server.js`).
    pub fn reference(args: &[&str]) -> Peer {
        Peer::reference_on(free_port(), args)
    }

    pub fn reference_on(port: u16, args: &[&str]) -> Peer {
        let script = repo_root().join("tests/interop/reference-server.js");
        let mut cmd = Command::new("node");
        cmd.arg(script).arg("--port").arg(port.to_string()).args(args);
        Peer::spawn(cmd, port)
    }

    /// Our `interop-server` example (built by `cargo build --examples`).
    pub fn ours_on(port: u16, args: &[&str]) -> Peer {
        let exe = std::env::current_exe().expect("test executable path");
        let bin = exe.parent().and_then(|deps| deps.parent()).expect("target dir").join("examples/interop-server");
        assert!(bin.exists(), "{} is missing: run `cargo build -p sio-core --examples`", bin.display());
        let mut cmd = Command::new(bin);
        cmd.arg("--port").arg(port.to_string()).args(args);
        Peer::spawn(cmd, port)
    }

    /// A server of `kind`.
    pub fn start(kind: Kind, port: u16, args: &[&str]) -> Peer {
        match kind {
            Kind::Reference => Peer::reference_on(port, args),
            Kind::Ours => Peer::ours_on(port, args),
        }
    }

    fn spawn(mut cmd: Command, port: u16) -> Peer {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("server process starts (is node installed?)");
        let stdout = child.stdout.take().expect("piped stdout");
        let logs: Arc<Mutex<Vec<String>>> = Arc::default();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let sink = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.starts_with("listening on") {
                    let _ = ready_tx.send(());
                }
                sink.lock().unwrap().push(line);
            }
        });
        ready_rx.recv_timeout(Duration::from_secs(20)).expect("server prints its ready line");
        Peer { port, child, logs }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Waits for a log line containing every one of `parts`.
    pub async fn wait_log(&self, parts: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(l) = self.logs.lock().unwrap().iter().find(|l| parts.iter().all(|p| l.contains(p))) {
                return l.clone();
            }
            assert!(Instant::now() < deadline, "no log line with {parts:?}: {:?}", self.logs.lock().unwrap());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    pub fn signal(&self, sig: &str) {
        let _ = Command::new("kill").arg(format!("-{sig}")).arg(self.child.id().to_string()).status();
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.signal("CONT");
        self.kill();
    }
}
