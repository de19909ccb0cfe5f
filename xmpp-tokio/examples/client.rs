//! A command-line client:
//!
//! ```text
//! cargo run -p xmpp-tokio --example client -- --jid alice@localhost --password secret \
//!     [--connect HOST:PORT] [--ca cert.pem | --insecure-skip-verify] [--crl crl.pem]... \
//!     [--send JID BODY]... [--receive N] [--timeout SECONDS]
//! cargo run -p xmpp-tokio --example client -- --help
//! ```
//!
//! Logs in, sends initial presence, sends each message, waits for N messages and prints each
//! as `FROM: BODY`, then closes. Exit 0 on success; otherwise non-zero with a one-line reason
//! (1: the session failed, 2: bad arguments).

#[path = "common/tls.rs"]
mod tls;

use std::process::ExitCode;
use std::time::Duration;

use clap::builder::NonEmptyStringValueParser;
use clap::{ArgAction, Parser};
use xmpp_stream::connection::Event;
use xmpp_stream::xml::Element;
use xmpp_tokio::ClientConfig;

const NS_CLIENT: &str = "jabber:client";

/// Logs in to an XMPP server, sends initial presence and the given messages, prints each
/// received message as `FROM: BODY`, then closes.
///
/// Exit status: 0 on success, 1 when the session failed (one line on stderr says why), 2 for
/// bad arguments.
#[derive(Parser)]
#[command(name = "client")]
struct Args {
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
    /// Connect to this address instead of resolving the JID's domain (SRV, then the domain on
    /// port 5222). IPv6 addresses may be bracketed: [::1]:5222.
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
    let (h, p) = v.rsplit_once(':').ok_or("expected HOST:PORT")?;
    let port = p.parse().map_err(|e| format!("port {p}: {e}"))?;
    let host = h.trim_start_matches('[').trim_end_matches(']').to_owned();
    Ok((host, port))
}

impl Args {
    fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout.max(1))
    }

    /// The `--send` pairs: (JID, BODY).
    fn messages(&self) -> impl Iterator<Item = (&String, &String)> {
        self.send.chunks_exact(2).map(|p| (&p[0], &p[1]))
    }
}

async fn run(a: Args) -> Result<(), String> {
    let tls = match (&a.ca, a.insecure_skip_verify) {
        (Some(path), _) => tls::trust_pem(path, &a.crls)?,
        (None, true) => xmpp_tokio::Trust::insecure_skip_verify(),
        (None, false) => tls::with_crls(xmpp_tokio::Trust::webpki_roots(), &a.crls)?,
    }
    .client_config()
    .map_err(|e| e.to_string())?;
    let mut config = ClientConfig::new(tls);
    config.server = a.connect.clone();
    config.connect_timeout = a.timeout();
    config.login_timeout = a.timeout();
    let jid = a.jid.parse().map_err(|e| format!("--jid {}: {e}", a.jid))?;
    let mut client = xmpp_tokio::connect(&jid, &a.password, &config)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(jid = %client.jid, mechanism = %client.mechanism, "logged in");
    let h = &client.handle;
    h.send(Element::new("presence", NS_CLIENT))
        .await
        .map_err(|e| format!("sending presence: {e}"))?;
    for (to, body) in a.messages() {
        let msg = Element::builder("message", NS_CLIENT)
            .attr("to", to.clone())
            .attr("type", "chat")
            .child(Element::builder("body", NS_CLIENT).text(body.clone()))
            .build();
        h.send(msg)
            .await
            .map_err(|e| format!("sending to {to}: {e}"))?;
    }
    let deadline = tokio::time::Instant::now() + a.timeout();
    let mut received = 0;
    while received < a.receive {
        let ev = tokio::time::timeout_at(deadline, client.events.next())
            .await
            .map_err(|_| format!("timed out after {received} of {} messages", a.receive))?;
        match ev {
            Some(Event::Stanza(el)) if el.name() == "message" => {
                if let Some(body) = el.child_text("body", NS_CLIENT) {
                    println!("{}: {}", el.attr("from").unwrap_or("?"), body);
                    received += 1;
                }
            }
            Some(Event::Closed(r)) => return Err(format!("the server closed the stream: {r:?}")),
            None => return Err("the connection ended".into()),
            Some(_) => {}
        }
    }
    client
        .handle
        .close()
        .await
        .map_err(|e| format!("closing: {e}"))?;
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(ev) = client.events.next().await {
            if matches!(ev, Event::Closed(_)) {
                break;
            }
        }
    })
    .await;
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .try_init();
    // Usage errors exit with status 2, `--help` with 0.
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
