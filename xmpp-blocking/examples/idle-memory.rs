//! Measures the memory of a logged-in idle client (for the benchmark notes): logs in over
//! STARTTLS, sends initial presence, stays idle, then prints the process's peak and current
//! resident set (`VmHWM`, `VmRSS` from `/proc/self/status`, Linux) before and after.
//!
//! ```text
//! cargo run --release -p xmpp-blocking --example idle-memory -- --jid alice@localhost \
//!     --password secret --connect 127.0.0.1:5222 --ca cert.pem [--idle SECONDS]
//! ```

use std::process::ExitCode;
use std::time::Duration;

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

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut jid, mut password, mut connect, mut ca, mut idle) = (None, None, None, None, 5u64);
    while let Some(flag) = args.next() {
        let value = args.next();
        match (flag.as_str(), value) {
            ("--jid", v) => jid = v,
            ("--password", v) => password = v,
            ("--connect", v) => connect = v,
            ("--ca", v) => ca = v,
            ("--idle", Some(v)) => idle = v.parse().unwrap_or(5),
            (other, _) => {
                eprintln!("idle-memory: unknown or incomplete argument {other}");
                return ExitCode::from(2);
            }
        }
    }
    let (Some(jid), Some(password), Some(connect), Some(ca)) = (jid, password, connect, ca) else {
        eprintln!("idle-memory: --jid, --password, --connect and --ca are required");
        return ExitCode::from(2);
    };
    let Some((host, port)) = connect
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h.trim_matches(['[', ']']).to_owned(), p.parse().ok()?)))
    else {
        eprintln!("idle-memory: --connect HOST:PORT");
        return ExitCode::from(2);
    };
    status("start");
    let trust = match std::fs::read(&ca)
        .map_err(|e| e.to_string())
        .and_then(|pem| Trust::from_pem(&pem).map_err(|e| e.to_string()))
    {
        Ok(t) => t,
        Err(e) => {
            eprintln!("idle-memory: --ca {ca}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let config = ClientConfig {
        trust,
        connect_override: Some((host, port)),
        ..ClientConfig::default()
    };
    let mut client = match Client::connect(&jid, &password, config) {
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
