//! Measures the memory of a logged-in idle client (for the benchmark notes): logs in over
//! STARTTLS, sends initial presence, stays idle, then prints the process's peak and current
//! resident set (`VmHWM`, `VmRSS` from `/proc/self/status`, Linux) before and after.
//!
//! ```text
//! cargo run --release -p xmpp-blocking --example idle-memory -- --jid alice@localhost \
//!     --password secret --connect 127.0.0.1:5222 --ca cert.pem [--idle SECONDS]
//! cargo run -p xmpp-blocking --example idle-memory -- --help
//! ```
//!
//! `--idle` defaults to 5 seconds. Exit status: 0 on success, 1 when the session failed, 2 for
//! bad arguments.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use xmpp_blocking::{Client, ClientConfig, Trust};
use xmpp_stanza::Presence;

fn status(label: &str) {
    let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let pick = |key: &str| {
        text.lines()
            .find(|l| l.starts_with(key))
            .map(|l| l[key.len()..].trim().to_owned())
            .unwrap_or_else(|| "n/a".into())
    };
    println!("{label}: VmHWM {} VmRSS {}", pick("VmHWM:"), pick("VmRSS:"));
}

/// Measures the memory of a logged-in idle client: logs in over STARTTLS, sends initial
/// presence, stays idle, and prints the process's peak and current resident set (VmHWM, VmRSS
/// from /proc/self/status, Linux) at the start, once logged in and after the idle time.
///
/// Exit status: 0 on success, 1 when the session failed, 2 for bad arguments.
#[derive(Parser)]
#[command(name = "idle-memory")]
struct Args {
    /// The account to log in as, e.g. alice@localhost.
    #[arg(long, value_name = "JID")]
    jid: String,
    /// The account's password.
    #[arg(long, value_name = "PASSWORD", allow_hyphen_values = true)]
    password: String,
    /// The server's address (IPv6 addresses may be bracketed: [::1]:5222).
    #[arg(long, value_name = "HOST:PORT", value_parser = host_port)]
    connect: (String, u16),
    /// Trust only the certificates in this PEM file.
    #[arg(long, value_name = "cert.pem")]
    ca: String,
    /// How long to stay idle after login, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 5)]
    idle: u64,
}

/// `HOST:PORT`, the host possibly in brackets (`[::1]:5222`).
fn host_port(v: &str) -> Result<(String, u16), String> {
    let (h, p) = v.rsplit_once(':').ok_or("expected HOST:PORT")?;
    let port = p.parse().map_err(|_| "expected HOST:PORT (bad port)")?;
    Ok((h.trim_matches(['[', ']']).to_owned(), port))
}

fn main() -> ExitCode {
    // Usage errors exit with status 2, `--help` with 0.
    let Args {
        jid,
        password,
        connect: (host, port),
        ca,
        idle,
    } = Args::parse();
    status("start");
    let config = match std::fs::read(&ca)
        .map_err(|e| e.to_string())
        .and_then(|pem| Trust::from_pem(&pem).map_err(|e| e.to_string()))
        .and_then(|trust| ClientConfig::trusting(&trust).map_err(|e| e.to_string()))
    {
        Ok(c) => c.with_server(host, port),
        Err(e) => {
            eprintln!("idle-memory: --ca {ca}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let jid = match jid.parse() {
        Ok(j) => j,
        Err(e) => {
            eprintln!("idle-memory: --jid {jid}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut client = match Client::connect(&jid, &password, &config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("idle-memory: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = client.send_stanza(Presence::available()) {
        eprintln!("idle-memory: {e}");
        return ExitCode::FAILURE;
    }
    status("logged in");
    // Idle: answer nothing, just keep the stream (keepalives run from the machine's timers).
    let until = std::time::Instant::now() + Duration::from_secs(idle);
    while let Some(left) = until.checked_duration_since(std::time::Instant::now()) {
        match client.recv_timeout(left) {
            Ok(_) => {}
            Err(e) => {
                eprintln!("idle-memory: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    status("idle");
    match client.close() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("idle-memory: {e}");
            ExitCode::FAILURE
        }
    }
}
