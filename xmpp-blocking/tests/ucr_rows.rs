//! Focused tests of UCR rows about TCP and SRV resolution that the blocking client implements,
//! one row's text per test, against the IM server of the test rig on loopback.

mod support;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use xmpp_blocking::dns::SrvResolver;
use xmpp_blocking::{Client, Error, Event};
use xmpp_stanza::Iq;
use xmpp_stanza::xep::ping::Ping;
use xmpp_stream::resolve::SrvRecord;

/// SRV answers for `_xmpp-client._tcp.localhost.` only, remembering every name asked for.
struct Recording {
    records: Vec<SrvRecord>,
    asked: Mutex<Vec<String>>,
}

impl SrvResolver for Recording {
    fn lookup_srv(&self, name: &str) -> Result<Option<Vec<SrvRecord>>, Error> {
        self.asked.lock().unwrap().push(name.to_owned());
        Ok((name == "_xmpp-client._tcp.localhost.").then(|| self.records.clone()))
    }
}

fn dead_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Copies bytes from `from` to `to` until `from` ends, then shuts `to` down for writing.
fn copy(mut from: TcpStream, mut to: TcpStream) {
    let mut buf = [0u8; 16 * 1024];
    while let Ok(n) = from.read(&mut buf) {
        if n == 0 || to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

#[test]
fn ucr_tcp_1_one_tcp_connection_carries_the_negotiation_and_the_session() {
    let (server, ca) = support::tls_server();
    let upstream = server.local_addr();
    // A TCP relay in front of the server that counts the connections made to it.
    let relay = TcpListener::bind("127.0.0.1:0").unwrap();
    let relay_port = relay.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    std::thread::spawn(move || {
        for client in relay.incoming() {
            let Ok(client) = client else { break };
            counter.fetch_add(1, Ordering::SeqCst);
            let up = TcpStream::connect(upstream).unwrap();
            let (c2, u2) = (client.try_clone().unwrap(), up.try_clone().unwrap());
            std::thread::spawn(move || copy(client, up));
            std::thread::spawn(move || copy(u2, c2));
        }
    });
    let config = support::client_config(&server, &ca).with_server("127.0.0.1", relay_port);
    // STARTTLS, SASL with its restart, binding: all of it before `connect` returns.
    let mut client =
        Client::connect(&"alice@localhost".parse().unwrap(), "secret", &config).unwrap();
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "negotiation on one connection"
    );
    // Stanzas then flow on that same connection.
    let ping = Iq::get(Some("localhost".parse().unwrap()), "p1", Ping);
    client.send_stanza(ping).unwrap();
    loop {
        match client.recv().unwrap() {
            Event::Stanza(el) if el.attr("id") == Some("p1") => {
                assert_eq!(el.attr("type"), Some("result"));
                break;
            }
            Event::Stanza(_) => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "no second connection");
    client.close().unwrap();
}

#[test]
fn ucr_tcp_4_ucr_tcp_9_the_client_resolves_srv_and_connects_on_the_records_port() {
    let (server, ca) = support::tls_server();
    let port = server.local_addr().port();
    let resolver = Arc::new(Recording {
        records: vec![SrvRecord::new(0, 0, port, "127.0.0.1.")],
        asked: Mutex::new(Vec::new()),
    });
    let mut config = support::client_config(&server, &ca);
    config.server = None;
    config.srv = resolver.clone();
    // The server listens on the record's port only (not on 5222), so a login proves it.
    let client = Client::connect(&"alice@localhost".parse().unwrap(), "secret", &config).unwrap();
    assert_eq!(client.jid().to_bare().as_str(), "alice@localhost");
    let asked = resolver.asked.lock().unwrap().clone();
    assert!(
        asked.contains(&"_xmpp-client._tcp.localhost.".to_owned()),
        "{asked:?}"
    );
    client.close().unwrap();
}

#[test]
fn ucr_tcp_12_when_every_srv_target_failed_the_client_gives_up() {
    let (dead1, dead2) = (dead_port(), dead_port());
    let resolver = Arc::new(Recording {
        records: vec![
            SrvRecord::new(0, 0, dead1, "127.0.0.1."),
            SrvRecord::new(5, 0, dead2, "127.0.0.1."),
        ],
        asked: Mutex::new(Vec::new()),
    });
    let (server, ca) = support::tls_server();
    let mut config = support::client_config(&server, &ca);
    config.server = None;
    config.srv = resolver;
    let err = Client::connect(&"alice@localhost".parse().unwrap(), "secret", &config).unwrap_err();
    // Both targets were tried in order; the error names the last one, and no fallback to
    // `localhost:5222` followed it.
    match err {
        Error::Connect { target, .. } => {
            assert!(
                target.starts_with(&format!("127.0.0.1:{dead2}")),
                "{target}"
            )
        }
        other => panic!("{other:?}"),
    }
}
