//! The blocking twin of the tokio `client` example (same arguments, output and exit codes):
//!
//! ```text
//! cargo run -p xmpp-blocking --example blocking-client -- --jid alice@localhost --password secret \
//!     [--connect HOST:PORT] [--ca cert.pem | --insecure-skip-verify] [--send JID BODY]... \
//!     [--receive N] [--timeout SECONDS]
//! ```
//!
//! Logs in, sends initial presence, sends each message, waits for N messages and prints each
//! as `FROM: BODY`, then closes. Exit 0 on success; otherwise `error: REASON` on stderr and
//! exit status 2 (bad arguments, followed by the usage line) or 1 (anything else). Error
//! bounces (`type='error'`) are not counted as received messages.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use xmpp_blocking::{Client, ClientConfig, Event, Trust};
use xmpp_jid::Jid;
use xmpp_stanza::{Message, MessageType, Presence};

/// The parsed command line.
struct Args {
    jid: String,
    password: String,
    connect: Option<(String, u16)>,
    trust: Trust,
    send: Vec<(Jid, String)>,
    receive: usize,
    timeout: Duration,
}

const USAGE: &str = "usage: blocking-client --jid JID --password PASSWORD [--connect HOST:PORT] [--ca cert.pem | --insecure-skip-verify] [--send JID BODY]... [--receive N] [--timeout SECONDS]";

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut jid = None;
    let mut password = None;
    let mut connect = None;
    let mut ca = None;
    let mut insecure = false;
    let mut send = Vec::new();
    let mut receive = 0;
    let mut timeout = Duration::from_secs(30);
    while let Some(flag) = it.next() {
        let mut value = |what: &str| it.next().ok_or_else(|| format!("{flag} needs {what}"));
        match flag.as_str() {
            "--jid" => jid = Some(value("a JID")?),
            "--password" => password = Some(value("a password")?),
            "--connect" => {
                let v = value("HOST:PORT")?;
                let (host, port) = v
                    .rsplit_once(':')
                    .ok_or_else(|| format!("--connect {v}: expected HOST:PORT"))?;
                let port = port
                    .parse::<u16>()
                    .map_err(|_| format!("--connect {v}: bad port"))?;
                let host = host.trim_start_matches('[').trim_end_matches(']');
                connect = Some((host.to_owned(), port));
            }
            "--ca" => ca = Some(value("a PEM file")?),
            "--insecure-skip-verify" => insecure = true,
            "--send" => {
                let to = value("JID BODY")?;
                let body = value("JID BODY")?;
                let to = Jid::new(&to).map_err(|e| format!("--send {to}: {e}"))?;
                send.push((to, body));
            }
            "--receive" => {
                let v = value("a count")?;
                receive = v
                    .parse()
                    .map_err(|_| format!("--receive {v}: not a count"))?;
            }
            "--timeout" => {
                let v = value("seconds")?;
                let secs: u64 = v.parse().map_err(|e| format!("--timeout {v}: {e}"))?;
                timeout = Duration::from_secs(secs.max(1));
            }
            "--help" | "-h" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let trust = match (ca, insecure) {
        (Some(_), true) => return Err("--ca and --insecure-skip-verify exclude each other".into()),
        (Some(path), false) => {
            let pem = std::fs::read(&path).map_err(|e| format!("--ca {path}: {e}"))?;
            Trust::from_pem(&pem).map_err(|e| format!("--ca {path}: {e}"))?
        }
        (None, true) => Trust::InsecureSkipVerify,
        (None, false) => Trust::WebPkiRoots,
    };
    let (Some(jid), Some(password)) = (
        jid.filter(|j| !j.is_empty()),
        password.filter(|p| !p.is_empty()),
    ) else {
        return Err("--jid and --password are needed".into());
    };
    Ok(Args {
        jid,
        password,
        connect,
        trust,
        send,
        receive,
        timeout,
    })
}

fn run(args: Args) -> Result<(), String> {
    let started = Instant::now();
    let deadline = started + args.timeout;
    let config = ClientConfig {
        trust: args.trust,
        connect_override: args.connect,
        login_timeout: args.timeout,
        connect_timeout: args.timeout,
        ..ClientConfig::default()
    };
    let mut client =
        Client::connect(&args.jid, &args.password, config).map_err(|e| e.to_string())?;
    client
        .send_stanza(Presence::available())
        .map_err(|e| e.to_string())?;
    for (to, body) in args.send {
        client
            .send_stanza(Message::chat(to, body))
            .map_err(|e| e.to_string())?;
    }
    let mut received = 0;
    while received < args.receive {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(format!(
                "timed out after {received} of {} messages",
                args.receive
            ));
        }
        match client.recv_timeout(left).map_err(|e| e.to_string())? {
            Some(Event::Stanza(el)) if el.name() == "message" => {
                // Malformed messages and error bounces are not counted.
                let Ok(msg) = Message::try_from(&el) else {
                    continue;
                };
                if msg.kind == MessageType::Error {
                    continue;
                }
                if let Some(body) = msg.body() {
                    let from = msg.from.as_ref().map(|j| j.as_str()).unwrap_or("?");
                    println!("{from}: {body}");
                    received += 1;
                }
            }
            Some(Event::Closed(reason)) => {
                return Err(format!("the server closed the stream: {reason:?}"));
            }
            Some(Event::StreamError(e)) => return Err(format!("stream error: {e}")),
            Some(_) => {}
            None => {}
        }
    }
    client.close().map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", e.replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}
