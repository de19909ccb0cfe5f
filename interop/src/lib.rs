//! Test support, not published: the IM scenario suite that every server of this workspace
//! runs ([`scenarios`]), and a throwaway server peer (Prosody or ejabberd, the Debian
//! packages that `scripts/ci-deps` installs) on loopback, run by its script in
//! `scripts/interop/` with its own config, certificate and accounts, and stopped on drop (also
//! when the test panics). A missing peer fails the test; it never skips.
//!
//! ```no_run
//! let ejabberd = xmpp_interop::PeerServer::start("ejabberd", "doc", &["alice:secret"]);
//! println!("c2s on 127.0.0.1:{} and [::1]:{}, trust {}", ejabberd.port, ejabberd.port,
//!          ejabberd.ca().display());
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod cut_proxy;
pub mod scenarios;

pub use cut_proxy::CutProxy;

use std::path::PathBuf;
use std::process::Command;

/// A running peer server.
pub struct PeerServer {
    script: PathBuf,
    /// Its directory (config, data, logs, `cert.pem`).
    pub dir: PathBuf,
    /// Its c2s port on 127.0.0.1 and ::1.
    pub port: u16,
}

impl PeerServer {
    /// Starts `peer` (`prosody` or `ejabberd`) with these `NAME:PASSWORD` accounts.
    pub fn start(peer: &str, tag: &str, accounts: &[&str]) -> PeerServer {
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../scripts/interop/{peer}.sh"));
        let dir =
            std::env::temp_dir().join(format!("xmpp-interop-{peer}-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let out = Command::new("timeout")
            .arg("120")
            .arg(&script)
            .arg("start")
            .arg(&dir)
            .args(accounts)
            .output()
            .unwrap_or_else(|e| panic!("run {}: {e}", script.display()));
        assert!(
            out.status.success(),
            "{peer} could not be started (install it with scripts/ci-deps): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let port = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("the script prints the port");
        PeerServer { script, dir, port }
    }

    /// The server's certificate, the one trust anchor the clients need.
    pub fn ca(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }
}

impl Drop for PeerServer {
    fn drop(&mut self) {
        let _ = Command::new("timeout")
            .arg("30")
            .arg(&self.script)
            .arg("stop")
            .arg(&self.dir)
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs `cmd` with its output captured, killing it if it has not finished within `limit`
/// (the test then fails, naming the command).
pub fn run_bounded(cmd: &mut Command, limit: std::time::Duration) -> std::process::Output {
    use std::process::Stdio;
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd:?} could not start: {e}"));
    let deadline = std::time::Instant::now() + limit;
    loop {
        if child.try_wait().ok().flatten().is_some() {
            return child
                .wait_with_output()
                .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} did not finish in {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
