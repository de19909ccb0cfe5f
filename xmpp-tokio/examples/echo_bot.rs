//! An echo bot on the session API: every chat message comes back to its sender. A lost link
//! is replaced (XEP-0199 pings find silent ones; reconnection with back-off is the default).
//!
//! cargo run -p xmpp-tokio --example echo_bot -- --jid bot@example.com --password secret \
//!     [--connect HOST:PORT] [--ca ca.pem]
use clap::Parser;
use xmpp_tokio::{ClientConfig, Session, SessionEvent, Trust};

/// Answers every chat message with its own body.
#[derive(Parser)]
struct Args {
    /// The bot's account.
    #[arg(long)]
    jid: xmpp_tokio::BareJid,
    /// Its password.
    #[arg(long)]
    password: String,
    /// Connect to HOST:PORT instead of resolving the domain.
    #[arg(long, value_parser = parse_server)]
    connect: Option<(String, u16)>,
    /// Trust the CA certificates of this PEM file instead of the Mozilla roots.
    #[arg(long)]
    ca: Option<String>,
}

fn parse_server(s: &str) -> Result<(String, u16), String> {
    let (host, port) = s.rsplit_once(':').ok_or("expected HOST:PORT")?;
    Ok((
        host.trim_matches(['[', ']']).to_owned(),
        port.parse().map_err(|e| format!("{e}"))?,
    ))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let trust = match &args.ca {
        Some(path) => Trust::from_pem(&std::fs::read(path)?)?,
        None => Trust::webpki_roots(),
    };
    let mut config = ClientConfig::trusting(&trust)?;
    config.server = args.connect;
    let mut bot = Session::connect(&args.jid, &args.password, &config).await?;
    while let Some(event) = bot.events.recv().await {
        match event {
            SessionEvent::Message(m) => {
                if let (Some(from), Some(body)) = (&m.from, m.body()) {
                    bot.handle.send_chat(&from.to_bare(), body).await?;
                }
            }
            SessionEvent::Reconnecting {
                attempt,
                delay,
                reason,
            } => {
                eprintln!("link lost ({reason}); attempt {attempt} in {delay:?}");
            }
            SessionEvent::Disconnected(reason) => return Err(reason.to_string().into()),
            _ => {}
        }
    }
    Ok(())
}
