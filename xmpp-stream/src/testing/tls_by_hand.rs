//! [`TlsByHand`]: a rustls client held by the test, talking to a receiving machine after
//! `<proceed/>`, so that a test reads what the receiver sends *inside* TLS (a
//! [`Transcript`](super::Transcript) only holds ciphertext once TLS is up).

use std::io::{Read, Write};
use std::sync::Arc;

use crate::connection::Connection;

use super::secs;

/// A rustls client held by the test on a receiving machine's TLS (after `<proceed/>`), so
/// that a test reads what the receiver sends inside TLS.
#[derive(Debug)]
pub struct TlsByHand {
    /// The rustls client (to look at the negotiated version or suite).
    pub tls: rustls::ClientConnection,
}

impl TlsByHand {
    /// Runs the TLS handshake with `receiver`, which has just answered `<starttls/>` with
    /// `<proceed/>`, as a client of `example.com` with `config`.
    ///
    /// # Panics
    ///
    /// If the handshake does not complete or the receiver sends anything inside it.
    pub fn handshake(receiver: &mut Connection, config: Arc<rustls::ClientConfig>) -> TlsByHand {
        let name = rustls::pki_types::ServerName::try_from("example.com").expect("a DNS name");
        let tls = rustls::ClientConnection::new(config, name).expect("a TLS client");
        let mut by_hand = TlsByHand { tls };
        assert_eq!(by_hand.exchange(receiver, b""), "");
        assert!(!by_hand.tls.is_handshaking() && receiver.is_tls());
        by_hand
    }

    /// Encrypts `plaintext` for `receiver`, moves records both ways until neither side has
    /// more to say, and returns what `receiver` sent, decrypted.
    ///
    /// # Panics
    ///
    /// If TLS fails or the receiver's plaintext is not UTF-8.
    pub fn exchange(&mut self, receiver: &mut Connection, plaintext: &[u8]) -> String {
        self.tls.writer().write_all(plaintext).expect("buffered");
        let mut received = Vec::new();
        loop {
            let mut moved = false;
            while self.tls.wants_write() {
                let mut records = Vec::new();
                self.tls.write_tls(&mut records).expect("in memory");
                receiver.handle_input(secs(0), &records);
                moved = true;
            }
            while let Some(records) = receiver.poll_transmit() {
                let mut rest = &records[..];
                while !rest.is_empty() {
                    self.tls.read_tls(&mut rest).expect("in memory");
                    self.tls.process_new_packets().expect("valid TLS records");
                }
                moved = true;
            }
            let mut buf = [0u8; 4096];
            loop {
                match self.tls.reader().read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => received.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(e) => panic!("{e}"),
                }
            }
            if !moved {
                return String::from_utf8(received).expect("UTF-8");
            }
        }
    }
}
