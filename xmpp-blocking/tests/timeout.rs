//! A server that accepts and then says nothing must not hang the client.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use xmpp_blocking::{Client, ClientConfig, Error, Trust};

/// The usual configuration (the Mozilla roots), connecting to `127.0.0.1:port`.
fn config(port: u16) -> ClientConfig {
    ClientConfig::trusting(&Trust::webpki_roots())
        .unwrap()
        .with_server("127.0.0.1", port)
}

#[test]
fn silent_server_gives_a_login_timeout_error() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accept and hold the socket open, never answering, until the test is done.
    let (done, wait) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        let _ = wait.recv();
        drop(sock);
    });
    let mut config = config(port);
    config.login_timeout = Duration::from_millis(300);
    let err = Client::connect(&"alice@localhost".parse().unwrap(), "secret", &config).unwrap_err();
    assert!(err.is_timeout(), "expected a timeout, got {err:?}");
    assert!(matches!(err, Error::Timeout { during: "login" }));
    done.send(()).unwrap();
    holder.join().unwrap();
}

#[test]
fn refused_connection_is_a_connect_error() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let config = config(port);
    let err = Client::connect(&"alice@localhost".parse().unwrap(), "secret", &config).unwrap_err();
    assert!(matches!(err, Error::Connect { .. }), "{err:?}");
}

#[test]
fn a_jid_without_a_local_part_is_refused_before_any_io() {
    // Nothing listens on port 1: an attempt to connect would be a connect error.
    let domain = "localhost".parse().unwrap();
    let err = Client::connect(&domain, "secret", &config(1)).unwrap_err();
    assert!(matches!(err, Error::Jid { .. }), "{err:?}");
}

#[test]
fn server_going_silent_mid_negotiation_gives_a_login_timeout_error() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (done, wait) = std::sync::mpsc::channel::<()>();
    // Answers the header with STARTTLS features, then never answers <starttls/>.
    let peer = std::thread::spawn(move || {
        let (mut sock, _) = listener.accept().unwrap();
        let mut buf = [0u8; 4096];
        let n = sock.read(&mut buf).unwrap();
        assert!(n > 0 && buf[..n].windows(7).any(|w| w == b"stream:"));
        sock.write_all(
            b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
              xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='localhost' \
              version='1.0'><stream:features><starttls \
              xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>",
        )
        .unwrap();
        let _ = wait.recv();
        drop(sock);
    });
    let mut config = config(port);
    config.login_timeout = Duration::from_millis(500);
    let err = Client::connect(&"alice@localhost".parse().unwrap(), "secret", &config).unwrap_err();
    assert!(matches!(err, Error::Timeout { during: "login" }), "{err:?}");
    done.send(()).unwrap();
    peer.join().unwrap();
}
