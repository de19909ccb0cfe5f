//! Bring your own event loop: a client machine driven by `Driver::process` from a `mio`
//! poll loop over a non-blocking socket (no thread, no async runtime).
//!
//! ```text
//! cargo run -p xmpp-blocking --example mio-poll
//! ```
//!
//! It starts the crate's blocking server on loopback (TLS switched off to keep the example
//! self-contained), logs in as `juliet@localhost`, sends itself a message, prints it when it
//! comes back and closes. Takes no arguments (`--help` says so).

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use mio::{Events, Interest, Poll, Token};
use xmpp_blocking::xmpp_server::Config;
use xmpp_blocking::{Driver, Event, ImServer, ServerConfig};
use xmpp_stream::connection::{Connection, InitiatorAuth, InitiatorConfig};
use xmpp_stream::header::StreamKind;
use xmpp_stream::profile::{Profile, TlsPolicy};
use xmpp_stream::xml::Element;

const NS: &str = "jabber:client";
const SOCKET: Token = Token(0);

/// Bring your own event loop: a client machine driven by `Driver::process` from a mio poll
/// loop over a non-blocking socket (no thread, no async runtime).
///
/// Starts the crate's blocking server on loopback (TLS off), logs in as juliet@localhost, sends
/// itself a message, prints it when it comes back and closes. Exit status 0 on success, 1 on
/// failure (after at most 30 s). Takes no arguments.
#[derive(Parser)]
#[command(name = "mio-poll")]
struct Args {}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Usage errors exit with status 2, `--help` with 0.
    Args::parse();
    let mut profile = Profile::rfc6120();
    profile.tls = TlsPolicy::Disabled;
    profile.allow_plaintext_auth = true;
    let mut store = xmpp_sasl::MemoryStore::new().with_domain("localhost");
    store.add_user("juliet", "r0m30", 4096, &mut rand_core::OsRng)?;
    let config = ServerConfig::new(
        Config::new(["localhost"]),
        Arc::new(profile.clone()),
        None,
        Arc::new(store),
    );
    let server = ImServer::bind("127.0.0.1:0", config)?.spawn()?;

    // Connect, then hand the socket to mio in non-blocking mode.
    let std_stream = std::net::TcpStream::connect(server.local_addr())?;
    std_stream.set_nonblocking(true)?;
    let mut socket = mio::net::TcpStream::from_std(std_stream);
    let mut poll = Poll::new()?;
    poll.registry()
        .register(&mut socket, SOCKET, Interest::READABLE | Interest::WRITABLE)?;

    let conn = Connection::initiator(
        InitiatorConfig {
            kind: StreamKind::Client,
            to: "localhost".into(),
            from: Some("juliet@localhost".into()),
            tls: None,
            direct_tls: false,
            auth: InitiatorAuth::Sasl(xmpp_sasl::Credentials::password("juliet", "r0m30")?),
            resource: Some("poll".into()),
        },
        Arc::new(profile),
        Box::new(rand_core::OsRng),
        Instant::now(),
    )?;
    let mut driver = Driver::new(conn, socket);
    let mut events = Events::with_capacity(8);
    let give_up = Instant::now() + Duration::from_secs(30);
    let mut sent = false;
    loop {
        // One step: write what is pending, read what is there, fire due timers.
        let step = driver.process(Instant::now())?;
        while let Some(event) = driver.poll_event() {
            match event {
                Event::Established => {
                    let me = driver.connection().bound_jid().map(|j| j.to_string());
                    let mut msg = Element::new("message", NS);
                    msg.set_attr("to", me.unwrap_or_default());
                    let mut body = Element::new("body", NS);
                    body.push_text("hello from a mio loop");
                    msg.push_child(body);
                    driver.connection_mut().send(&msg)?;
                    sent = true;
                }
                Event::Stanza(el) if el.name() == "message" && sent => {
                    println!(
                        "{}: {}",
                        el.attr("from").unwrap_or(""),
                        el.child_text("body", NS).unwrap_or_default()
                    );
                    driver.connection_mut().close();
                }
                Event::Closed(reason) => {
                    println!("closed: {reason:?}");
                    return Ok(());
                }
                _ => {}
            }
        }
        // Answers and stanzas made while handling events go out now (a `WouldBlock` keeps
        // them for the next writable event).
        driver.flush()?;
        if step.read_again
            || driver
                .connection()
                .poll_timeout()
                .is_some_and(|t| t <= Instant::now())
        {
            continue;
        }
        // Sleep until the socket is ready or the machine's next timer is due.
        let now = Instant::now();
        if now >= give_up {
            return Err("no answer in time".into());
        }
        let wake = step.next_timeout.map_or(give_up, |t| t.min(give_up));
        poll.poll(&mut events, Some(wake.saturating_duration_since(now)))?;
        if driver.is_eof() {
            return Err("the server closed the connection".into());
        }
    }
}
