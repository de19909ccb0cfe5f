//! The load generator logs in to ejabberd 23.01 (scripts/interop/ejabberd.sh on loopback): a
//! server that offers SCRAM-SHA-1-PLUS without advertising its channel-binding type. The
//! generator's `--mechanism SCRAM-SHA-1` (its default) is used exactly: before, it was upgraded
//! to -PLUS with a guessed binding and ejabberd refused every login. Fails (never skips) when
//! ejabberd is missing.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use xmpp_interop::PeerServer;

fn run_bounded(cmd: &mut Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + limit;
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{cmd:?} did not finish in {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn value(out: &Output, key: &str) -> Option<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")).map(str::to_owned))
}

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
