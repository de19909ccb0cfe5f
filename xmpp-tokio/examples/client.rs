//! A command-line client:
//!
//! ```text
//! cargo run -p xmpp-tokio --example client -- --jid alice@localhost --password secret \
//!     [--connect HOST:PORT] [--ca cert.pem | --insecure-skip-verify] [--send JID BODY]... \
//!     [--receive N] [--timeout SECONDS]
//! ```
//!
//! Logs in, sends initial presence, sends each message, waits for N messages and prints each
//! as `FROM: BODY`, then closes. Exit 0 on success; otherwise non-zero with a one-line reason
//! (1: the session failed, 2: bad arguments).

#[path = "common/tls.rs"]
mod tls;

use std::process::ExitCode;
use std::time::Duration;

use xmpp_stream::connection::Event;
use xmpp_stream::xml::Element;
use xmpp_tokio::ClientConfig;

const NS_CLIENT: &str = "jabber:client";
const USAGE: &str = "usage: client --jid JID --password PASSWORD [--connect HOST:PORT] [--ca cert.pem | --insecure-skip-verify] [--send JID BODY]... [--receive N] [--timeout SECONDS]";

struct Args {
    jid: String,
    password: String,
    connect: Option<(String, u16)>,
    ca: Option<String>,
    insecure: bool,
    send: Vec<(String, String)>,
    receive: usize,
    timeout: Duration,
}

fn parse(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut a = Args {
        jid: String::new(),
        password: String::new(),
        connect: None,
        ca: None,
        insecure: false,
        send: Vec::new(),
        receive: 0,
        timeout: Duration::from_secs(30),
    };
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--jid" => a.jid = value()?,
            "--password" => a.password = value()?,
            "--connect" => {
                let v = value()?;
                let (h, p) = v
                    .rsplit_once(':')
                    .ok_or_else(|| format!("--connect {v}: expected HOST:PORT"))?;
                let port = p.parse().map_err(|e| format!("--connect {v}: {e}"))?;
                let host = h.trim_start_matches('[').trim_end_matches(']').to_owned();
                a.connect = Some((host, port));
            }
            "--ca" => a.ca = Some(value()?),
            "--insecure-skip-verify" => a.insecure = true,
            "--send" => {
                let to = value()?;
                let body = value()?;
                a.send.push((to, body));
            }
            "--receive" => {
                let v = value()?;
                a.receive = v.parse().map_err(|e| format!("--receive {v}: {e}"))?;
            }
            "--timeout" => {
                let v = value()?;
                let s: u64 = v.parse().map_err(|e| format!("--timeout {v}: {e}"))?;
                a.timeout = Duration::from_secs(s.max(1));
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if a.jid.is_empty() || a.password.is_empty() {
        return Err("--jid and --password are needed".into());
    }
    if a.ca.is_some() && a.insecure {
        return Err("--ca and --insecure-skip-verify exclude each other".into());
    }
    Ok(a)
}

async fn run(a: Args) -> Result<(), String> {
    let tls = match (&a.ca, a.insecure) {
        (Some(path), _) => tls::client_trusting_pem(path)?,
        (None, true) => tls::client_insecure()?,
        (None, false) => tls::client_webpki()?,
    };
    let mut config = ClientConfig::new(tls);
    config.server = a.connect.clone();
    config.connect_timeout = a.timeout;
    config.login_timeout = a.timeout;
    let jid = a.jid.parse().map_err(|e| format!("--jid {}: {e}", a.jid))?;
    let mut client = xmpp_tokio::connect(&jid, &a.password, &config)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(jid = %client.jid, mechanism = %client.mechanism, "logged in");
    let h = &client.handle;
    h.send(Element::new("presence", NS_CLIENT))
        .await
        .map_err(|e| format!("sending presence: {e}"))?;
    for (to, body) in &a.send {
        let msg = Element::builder("message", NS_CLIENT)
            .attr("to", to.clone())
            .attr("type", "chat")
            .child(Element::builder("body", NS_CLIENT).text(body.clone()))
            .build();
        h.send(msg)
            .await
            .map_err(|e| format!("sending to {to}: {e}"))?;
    }
    let deadline = tokio::time::Instant::now() + a.timeout;
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
    let args = match parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
