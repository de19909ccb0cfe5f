//! Keeps the load generator from rotting: runs `xmpp-load` against the reference server (the
//! `server` example of xmpp-tokio, built here) with a handful of clients and checks what it
//! reports: every message delivered, the requested mechanism, the server's memory read. No
//! timing is asserted; every wait is bounded.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use xmpp_interop::{PeerServer, run_bounded};

/// Builds the reference server example (a no-op when fresh) and returns its path. `cargo test
/// --all-targets` builds examples only as hashed test harnesses, so the test builds it itself;
/// the target directory comes from the inherited environment.
fn reference_server() -> PathBuf {
    let status = Command::new(env!("CARGO"))
        .args([
            "build",
            "--offline",
            "--quiet",
            "-p",
            "xmpp-tokio",
            "--example",
            "server",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building the server example failed");
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).unwrap();
    let path = dir.join("examples").join("server");
    assert!(path.exists(), "{} is not built", path.display());
    path
}

/// Kills the process on drop (also when an assertion fails first).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A reference server on a free loopback port with the accounts u0..u(N-1).
fn start_server(dir: &Path, accounts: usize) -> (Running, String) {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    std::fs::write(dir.join("cert.pem"), ck.cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), ck.key_pair.serialize_pem()).unwrap();
    let mut child = Running(
        Command::new(reference_server())
            .args(["--listen", "127.0.0.1:0", "--domain", "localhost"])
            .arg("--tls-cert")
            .arg(dir.join("cert.pem"))
            .arg("--tls-key")
            .arg(dir.join("key.pem"))
            .args(["--user-range", &format!("u:{accounts}:secret")])
            .args(["--mechanism", "SCRAM-SHA-1"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx
            .recv_timeout(left)
            .expect("the server prints `listening on ADDR` within 60 s");
        if let Some(addr) = line.strip_prefix("listening on ") {
            return (child, addr.to_owned());
        }
    }
}

/// The value of `key=` in the generator's report.
fn value(out: &Output, key: &str) -> Option<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")).map(str::to_owned))
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xmpp-load-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn generator(addr: &str, dir: &Path, server: &Running) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xmpp-load"));
    cmd.args(["--server", addr, "--domain", "localhost", "--trust"])
        .arg(dir.join("cert.pem"))
        .args(["--server-pid", &server.0.id().to_string()])
        .args(["--timeout", "30", "--deadline", "120"]);
    cmd
}

#[test]
fn pairs_mode_delivers_every_message_and_reads_the_server_memory() {
    let dir = temp_dir("pairs");
    let (server, addr) = start_server(&dir, 4);
    let out = run_bounded(
        generator(&addr, &dir, &server).args([
            "--mode",
            "pairs",
            "--clients",
            "4",
            "--messages",
            "5",
            "--window",
            "2",
        ]),
        Duration::from_secs(150),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "xmpp-load failed: {stderr}");
    assert_eq!(value(&out, "clients").as_deref(), Some("4"));
    // 2 pairs x 2 directions x 5 messages, each one received and timed.
    assert_eq!(value(&out, "messages").as_deref(), Some("20"));
    assert_eq!(value(&out, "mechanism").as_deref(), Some("SCRAM-SHA-1"));
    let p50: u64 = value(&out, "latency_p50_us").unwrap().parse().unwrap();
    let p99: u64 = value(&out, "latency_p99_us").unwrap().parse().unwrap();
    let max: u64 = value(&out, "latency_max_us").unwrap().parse().unwrap();
    assert!(p50 <= p99 && p99 <= max, "percentiles out of order");
    let hwm: u64 = value(&out, "server_after_hwm_kib")
        .unwrap()
        .parse()
        .unwrap();
    let rss: u64 = value(&out, "server_after_rss_kib")
        .unwrap()
        .parse()
        .unwrap();
    assert!(hwm >= rss && rss > 0, "server memory not read: {hwm} {rss}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn idle_mode_holds_the_clients_and_reports_memory_per_connection() {
    let dir = temp_dir("idle");
    let (server, addr) = start_server(&dir, 3);
    let out = run_bounded(
        generator(&addr, &dir, &server).args(["--mode", "idle", "--clients", "3", "--settle", "0"]),
        Duration::from_secs(150),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "xmpp-load failed: {stderr}");
    assert_eq!(value(&out, "clients").as_deref(), Some("3"));
    let per: f64 = value(&out, "per_connection_kib").unwrap().parse().unwrap();
    assert!(per.is_finite(), "per-connection memory not computed");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unknown_accounts_fail_with_a_reason() {
    let dir = temp_dir("noaccount");
    let (server, addr) = start_server(&dir, 1);
    // u1 does not exist: the login fails and the generator says so.
    let out = run_bounded(
        generator(&addr, &dir, &server).args(["--mode", "idle", "--clients", "2"]),
        Duration::from_secs(150),
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("u1@localhost: login failed"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_arguments_are_refused_with_usage() {
    let out = run_bounded(
        Command::new(env!("CARGO_BIN_EXE_xmpp-load")).args(["--mode", "pairs", "--clients", "3"]),
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--server <HOST:PORT>"), "{stderr}");
    assert!(stderr.contains("Usage: xmpp-load"), "{stderr}");

    // Checked before anything connects: an odd number of clients in pairs mode.
    let out = run_bounded(
        Command::new(env!("CARGO_BIN_EXE_xmpp-load")).args([
            "--server",
            "127.0.0.1:1",
            "--domain",
            "localhost",
            "--trust",
            "cert.pem",
            "--clients",
            "3",
        ]),
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: --clients 3: pairs mode needs an even number"),
        "{stderr}"
    );

    let out = run_bounded(
        Command::new(env!("CARGO_BIN_EXE_xmpp-load")).arg("--no-such-flag"),
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: ") && stderr.contains("--no-such-flag"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn help_prints_usage_and_exits_zero() {
    let out = run_bounded(
        Command::new(env!("CARGO_BIN_EXE_xmpp-load")).arg("--help"),
        Duration::from_secs(30),
    );
    assert!(out.status.success(), "{:?}", out.status);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Usage: xmpp-load"), "{stdout}");
    assert!(stdout.contains("--server-pid <PID>"), "{stdout}");
}

/// ejabberd 23.01 (scripts/interop/ejabberd.sh) offers SCRAM-SHA-1-PLUS without advertising its
/// channel-binding type: the generator's `--mechanism SCRAM-SHA-1` (its default) is used
/// exactly. Before, it was upgraded to -PLUS with a guessed binding and every login was refused.
#[test]
fn pairs_against_ejabberd_log_in_with_the_named_mechanism_and_deliver_every_message() {
    let ejabberd = PeerServer::start(
        "ejabberd",
        "load",
        &["u0:secret", "u1:secret", "u2:secret", "u3:secret"],
    );
    let out = run_bounded(
        Command::new(env!("CARGO_BIN_EXE_xmpp-load"))
            .args(["--server", &format!("127.0.0.1:{}", ejabberd.port)])
            .args(["--domain", "localhost", "--trust"])
            .arg(ejabberd.ca())
            .args(["--mechanism", "SCRAM-SHA-1"])
            .args(["--mode", "pairs", "--clients", "4", "--messages", "5"])
            .args(["--timeout", "30", "--deadline", "120"]),
        Duration::from_secs(150),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "xmpp-load against ejabberd failed: {stderr}"
    );
    assert_eq!(value(&out, "clients").as_deref(), Some("4"));
    assert_eq!(value(&out, "messages").as_deref(), Some("20"));
    assert_eq!(value(&out, "mechanism").as_deref(), Some("SCRAM-SHA-1"));
}
