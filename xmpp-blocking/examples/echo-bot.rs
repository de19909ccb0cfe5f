//! An echo bot on the blocking session API: every chat message comes back to its sender.
//!
//! ```text
//! cargo run -p xmpp-blocking --example echo-bot -- --jid bot@example.com --password secret \
//!     [--connect HOST:PORT] [--ca cert.pem]
//! ```
//!
//! Prints `online as JID` once the roster is in, then runs until the session ends: a lost link
//! is replaced (XEP-0199 pings find silent ones; reconnection with back-off is the default),
//! each attempt said on stderr. Exit status: 1 when the session failed or ended for good
//! (`error: REASON` on stderr), 2 for bad arguments.

use std::process::ExitCode;

use clap::Parser;
use xmpp_blocking::{ClientConfig, Session, SessionEvent, Trust};
use xmpp_jid::BareJid;
use xmpp_stanza::MessageType;

/// Answers every chat message with its own body, reconnecting when the link is lost.
///
/// Exit status: 1 when the session failed or ended (`error: REASON` on stderr), 2 for bad
/// arguments.
#[derive(Parser)]
#[command(name = "echo-bot")]
struct Args {
    /// The bot's account, e.g. bot@localhost.
    #[arg(long, value_name = "JID")]
    jid: BareJid,
    /// The account's password.
    #[arg(long, value_name = "PASSWORD", allow_hyphen_values = true)]
    password: String,
    /// Connect to this address instead of resolving the JID's domain through DNS SRV records.
    #[arg(long, value_name = "HOST:PORT", value_parser = host_port)]
    connect: Option<(String, u16)>,
    /// Trust only the certificates in this PEM file (default: the Mozilla root store).
    #[arg(long, value_name = "cert.pem")]
    ca: Option<String>,
}

/// `HOST:PORT`, the host possibly in brackets (`[::1]:5222`).
fn host_port(v: &str) -> Result<(String, u16), String> {
    let (host, port) = v.rsplit_once(':').ok_or("expected HOST:PORT")?;
    let port = port.parse::<u16>().map_err(|_| "bad port")?;
    Ok((host.trim_matches(['[', ']']).to_owned(), port))
}

fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let trust = match &args.ca {
        Some(path) => Trust::from_pem(&std::fs::read(path).map_err(|e| format!("{path}: {e}"))?)?,
        None => Trust::webpki_roots(),
    };
    let mut config = ClientConfig::trusting(&trust)?;
    config.server = args.connect;
    let mut bot = Session::connect(&args.jid, &args.password, &config)?;
    println!("online as {}", bot.jid());
    loop {
        match bot.next_event(None)? {
            // Chat and normal messages only: echoing an error bounce could loop.
            Some(SessionEvent::Message(m))
                if matches!(m.kind, MessageType::Chat | MessageType::Normal) =>
            {
                if let (Some(from), Some(body)) = (&m.from, m.body()) {
                    bot.send_chat(&from.to_bare(), body)?;
                }
            }
            Some(SessionEvent::Reconnecting {
                attempt,
                delay,
                reason,
            }) => {
                eprintln!("link lost ({reason}); attempt {attempt} in {delay:?}");
            }
            Some(SessionEvent::Disconnected(reason)) => {
                return Err(format!("disconnected: {reason}").into());
            }
            _ => {}
        }
    }
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", e.to_string().replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}
