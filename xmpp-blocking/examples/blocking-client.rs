//! The blocking twin of the tokio `client` example (same arguments, output and exit codes):
//!
//! ```text
//! cargo run -p xmpp-blocking --example blocking-client -- --jid alice@localhost --password secret \
//!     [--connect HOST:PORT] [--ca cert.pem | --insecure-skip-verify] [--crl crl.pem]... \
//!     [--send JID BODY]... [--receive N] [--timeout SECONDS]
//! cargo run -p xmpp-blocking --example blocking-client -- --help
//! ```
//!
//! Logs in, sends initial presence, sends each message, waits for N messages and prints each
//! as `FROM: BODY`, then closes. Exit 0 on success; otherwise `error: REASON` on stderr and
//! exit status 2 (bad arguments, with a pointer to `--help`) or 1 (anything else). Error
//! bounces (`type='error'`) are not counted as received messages.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::builder::NonEmptyStringValueParser;
use clap::error::ErrorKind;
use clap::{ArgAction, CommandFactory, Parser};
use xmpp_blocking::{Client, ClientConfig, Event, Trust};
use xmpp_jid::Jid;
use xmpp_stanza::{Message, MessageType, Presence};

/// The blocking twin of the tokio `client` example: logs in to an XMPP server, sends initial
/// presence and the given messages, prints each received message as `FROM: BODY`, then closes.
///
/// Exit status: 0 on success, 1 when the session failed (`error: REASON` on stderr), 2 for bad
/// arguments. Error bounces are not counted as received messages.
#[derive(Parser)]
#[command(name = "blocking-client")]
struct Cli {
    /// The account to log in as, e.g. alice@localhost.
    #[arg(long, value_name = "JID", value_parser = NonEmptyStringValueParser::new())]
    jid: String,
    /// The account's password.
    #[arg(
        long,
        value_name = "PASSWORD",
        allow_hyphen_values = true,
        value_parser = NonEmptyStringValueParser::new()
    )]
    password: String,
    /// Connect to this address instead of resolving the JID's domain through DNS SRV records.
    /// IPv6 addresses may be bracketed: [::1]:5222.
    #[arg(long, value_name = "HOST:PORT", value_parser = host_port)]
    connect: Option<(String, u16)>,
    /// Trust only the certificates in this PEM file (default: the Mozilla root store).
    #[arg(long, value_name = "cert.pem", conflicts_with = "insecure_skip_verify")]
    ca: Option<String>,
    /// Accept any server certificate (testing only: no protection against an attacker).
    #[arg(long)]
    insecure_skip_verify: bool,
    /// Check the server's certificate chain against the certificate revocation list of this PEM
    /// file (repeatable). A certificate whose issuer has no CRL here is refused.
    #[arg(
        long = "crl",
        value_name = "crl.pem",
        conflicts_with = "insecure_skip_verify"
    )]
    crls: Vec<String>,
    /// Send a chat message with this body to JID after login (repeatable).
    #[arg(
        long,
        num_args = 2,
        value_names = ["JID", "BODY"],
        action = ArgAction::Append,
        allow_hyphen_values = true
    )]
    send: Vec<String>,
    /// Wait for this many messages and print each as `FROM: BODY`.
    #[arg(long, value_name = "N", default_value_t = 0)]
    receive: usize,
    /// Bound, in seconds, on connecting, on logging in and on waiting for the messages
    /// (at least 1).
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    timeout: u64,
}

/// `HOST:PORT`, the host possibly in brackets (`[::1]:5222`).
fn host_port(v: &str) -> Result<(String, u16), String> {
    let (host, port) = v.rsplit_once(':').ok_or("expected HOST:PORT")?;
    let port = port.parse::<u16>().map_err(|_| "bad port")?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Ok((host.to_owned(), port))
}

/// The command line, checked: the CA file read, the recipients parsed.
struct Args {
    jid: String,
    password: String,
    connect: Option<(String, u16)>,
    trust: Trust,
    send: Vec<(Jid, String)>,
    receive: usize,
    timeout: Duration,
}

/// What clap cannot check alone; an error here is a usage error too (status 2).
fn check(cli: Cli) -> Result<Args, String> {
    let mut trust = match (cli.ca, cli.insecure_skip_verify) {
        (Some(path), _) => {
            let pem = std::fs::read(&path).map_err(|e| format!("--ca {path}: {e}"))?;
            Trust::from_pem(&pem).map_err(|e| format!("--ca {path}: {e}"))?
        }
        (None, true) => Trust::insecure_skip_verify(),
        (None, false) => Trust::webpki_roots(),
    };
    for path in &cli.crls {
        let pem = std::fs::read(path).map_err(|e| format!("--crl {path}: {e}"))?;
        trust = trust
            .with_crl_pem(&pem)
            .map_err(|e| format!("--crl {path}: {e}"))?;
    }
    let send = cli
        .send
        .chunks_exact(2)
        .map(|pair| {
            let to = Jid::new(&pair[0]).map_err(|e| format!("--send {}: {e}", pair[0]))?;
            Ok((to, pair[1].clone()))
        })
        .collect::<Result<_, String>>()?;
    Ok(Args {
        jid: cli.jid,
        password: cli.password,
        connect: cli.connect,
        trust,
        send,
        receive: cli.receive,
        timeout: Duration::from_secs(cli.timeout.max(1)),
    })
}

fn run(args: Args) -> Result<(), String> {
    let started = Instant::now();
    let deadline = started + args.timeout;
    let mut config = ClientConfig::trusting(&args.trust).map_err(|e| e.to_string())?;
    config.server = args.connect;
    config.login_timeout = args.timeout;
    config.connect_timeout = args.timeout;
    let jid = args
        .jid
        .parse()
        .map_err(|e| format!("--jid {}: {e}", args.jid))?;
    let mut client = Client::connect(&jid, &args.password, &config).map_err(|e| e.to_string())?;
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
    // Usage errors exit with status 2, `--help` with 0.
    let args = match check(Cli::parse()) {
        Ok(a) => a,
        Err(e) => Cli::command().error(ErrorKind::ValueValidation, e).exit(),
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", e.replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}
