//! The TLS layer of a connection machine: rustls' sans-IO connection types behind a
//! ciphertext-in / plaintext-out interface, with channel binding and the peer's identity.
//!
//! This module owns the byte path through TLS. [`TlsLayer`] wraps a
//! [`rustls::ClientConnection`] or [`rustls::ServerConnection`]; the connection machine
//! feeds it the bytes it received from the wire ([`TlsLayer::read_ciphertext`]), gets the
//! decrypted plaintext back, writes plaintext in ([`TlsLayer::write_plaintext`]) and takes the
//! ciphertext to transmit ([`TlsLayer::take_ciphertext`]). Certificate verification is the
//! caller's rustls configuration (roots, CRLs, client-certificate verifiers); this layer
//! reports what was verified as a [`PeerIdentity`] and exports channel-binding data
//! ([`ChannelBinding`]) for SCRAM-PLUS.
//!
//! No sockets, no clock: everything happens in memory.

use std::io::{self, Read, Write};
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, ServerName};
use sha2::Digest;

/// The TLS exporter label of RFC 9266 (`tls-exporter` channel binding).
pub const EXPORTER_LABEL: &[u8] = b"EXPORTER-Channel-Binding";

/// Errors of the TLS layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// The TLS protocol failed (bad record, handshake failure, certificate rejected, ...).
    /// An alert for the peer may be waiting in [`TlsLayer::take_ciphertext`].
    #[error("TLS failed: {0}")]
    Protocol(#[from] rustls::Error),
    /// The peer sent a TLS close_notify: no more plaintext will come.
    #[error("TLS session closed by the peer")]
    Closed,
    /// rustls refused to buffer more data (the peer sends faster than we decrypt).
    #[error("TLS buffer full: {0}")]
    Buffer(io::Error),
}

/// Which channel-binding type to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelBindingType {
    /// RFC 9266 `tls-exporter` (TLS 1.3 only): 32 bytes of keying material exported with
    /// the label `EXPORTER-Channel-Binding` and an empty context.
    TlsExporter,
    /// RFC 5929 `tls-server-end-point`: a hash of the server's end-entity certificate
    /// (SHA-256 when its signature uses MD5 or SHA-1, otherwise that signature's hash).
    TlsServerEndPoint,
}

impl ChannelBindingType {
    /// The registered name (`tls-exporter`, `tls-server-end-point`).
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelBindingType::TlsExporter => "tls-exporter",
            ChannelBindingType::TlsServerEndPoint => "tls-server-end-point",
        }
    }
}

/// Channel-binding data of one TLS session.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChannelBinding {
    /// The binding type.
    pub kind: ChannelBindingType,
    /// The binding data.
    pub data: Vec<u8>,
}

/// What the TLS handshake established about the peer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PeerIdentity {
    /// The peer's certificate chain (end-entity first) as verified by the caller's rustls
    /// configuration; empty when the peer presented none (a client without a certificate).
    pub certificates: Vec<CertificateDer<'static>>,
    /// Initiator: the name the server certificate was verified against (the domain the user
    /// asked for, never the SRV target). Receiver: the SNI name the client asked for.
    pub server_name: Option<String>,
    /// The negotiated protocol version, e.g. `TLSv1_3`.
    pub protocol: Option<String>,
    /// The negotiated ALPN protocol (`xmpp-client` / `xmpp-server` with Direct TLS).
    pub alpn: Option<Vec<u8>>,
}

/// A TLS session in memory: ciphertext in, plaintext out.
#[derive(Debug)]
pub struct TlsLayer {
    conn: rustls::Connection,
    /// The verified server name (client side).
    server_name: Option<String>,
    /// Server side: the `tls-server-end-point` hash of our own end-entity certificate, taken
    /// when the session is made (the hash, not the certificate, stays with the connection).
    own_end_point: Option<Vec<u8>>,
    peer_closed: bool,
}

impl TlsLayer {
    /// A client session that verifies the server as `server_name` with `config`.
    pub fn client(config: Arc<rustls::ClientConfig>, server_name: &str) -> Result<Self, TlsError> {
        let name = ServerName::try_from(server_name.to_owned()).map_err(|_| {
            TlsError::Protocol(rustls::Error::General("invalid server name".into()))
        })?;
        let conn = rustls::ClientConnection::new(config, name)?;
        Ok(TlsLayer {
            conn: rustls::Connection::Client(conn),
            server_name: Some(server_name.to_owned()),
            own_end_point: None,
            peer_closed: false,
        })
    }

    /// A server session with `config`. `own_certificate` is the end-entity certificate the
    /// configuration presents; it is needed only for `tls-server-end-point` on this side.
    pub fn server(
        config: Arc<rustls::ServerConfig>,
        own_certificate: Option<CertificateDer<'static>>,
    ) -> Result<Self, TlsError> {
        let conn = rustls::ServerConnection::new(config)?;
        Ok(TlsLayer {
            conn: rustls::Connection::Server(conn),
            server_name: None,
            own_end_point: own_certificate.and_then(|c| server_end_point_hash(c.as_ref())),
            peer_closed: false,
        })
    }

    /// Whether the handshake is still running.
    pub fn is_handshaking(&self) -> bool {
        self.conn.is_handshaking()
    }

    /// Whether the peer sent close_notify.
    pub fn peer_closed(&self) -> bool {
        self.peer_closed
    }

    /// Feeds ciphertext from the wire, all of it, appending any decrypted plaintext to
    /// `plaintext`. Returns the number of plaintext bytes appended.
    ///
    /// On `Err(Protocol)` the session is dead; any alert for the peer is available from
    /// [`take_ciphertext`](Self::take_ciphertext).
    pub fn read_ciphertext(
        &mut self,
        mut ciphertext: &[u8],
        plaintext: &mut Vec<u8>,
    ) -> Result<usize, TlsError> {
        let before = plaintext.len();
        while !ciphertext.is_empty() {
            match self.conn.read_tls(&mut ciphertext) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => {
                    // rustls' input buffer is full: process and drain, then retry once.
                    self.process(plaintext)?;
                    match self.conn.read_tls(&mut ciphertext) {
                        Ok(_) => {}
                        Err(_) => return Err(TlsError::Buffer(e)),
                    }
                }
            }
            self.process(plaintext)?;
        }
        Ok(plaintext.len() - before)
    }

    fn process(&mut self, plaintext: &mut Vec<u8>) -> Result<(), TlsError> {
        let state = self.conn.process_new_packets()?;
        let available = state.plaintext_bytes_to_read();
        if available > 0 {
            let start = plaintext.len();
            plaintext.resize(start + available, 0);
            let mut filled = 0;
            while filled < available {
                match self.conn.reader().read(&mut plaintext[start + filled..]) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(_) => break,
                }
            }
            plaintext.truncate(start + filled);
        }
        if state.peer_has_closed() {
            self.peer_closed = true;
        }
        Ok(())
    }

    /// Queues plaintext for the peer (buffered by rustls until the handshake completes).
    pub fn write_plaintext(&mut self, data: &[u8]) -> Result<(), TlsError> {
        self.conn.writer().write_all(data).map_err(TlsError::Buffer)
    }

    /// Appends every pending ciphertext byte (handshake, data, alerts) to `out`.
    pub fn take_ciphertext(&mut self, out: &mut Vec<u8>) -> usize {
        let before = out.len();
        while self.conn.wants_write() {
            match self.conn.write_tls(out) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        out.len() - before
    }

    /// Whether ciphertext is waiting for [`take_ciphertext`](Self::take_ciphertext).
    pub fn wants_write(&self) -> bool {
        self.conn.wants_write()
    }

    /// Queues a close_notify alert.
    pub fn send_close_notify(&mut self) {
        self.conn.send_close_notify();
    }

    /// What the handshake established about the peer (`None` while handshaking).
    pub fn peer_identity(&self) -> Option<PeerIdentity> {
        if self.conn.is_handshaking() {
            return None;
        }
        let server_name = match &self.conn {
            rustls::Connection::Client(_) => self.server_name.clone(),
            rustls::Connection::Server(s) => s.server_name().map(str::to_owned),
        };
        Some(PeerIdentity {
            certificates: self
                .conn
                .peer_certificates()
                .map(<[_]>::to_vec)
                .unwrap_or_default(),
            server_name,
            protocol: self.conn.protocol_version().map(|v| format!("{v:?}")),
            alpn: self.conn.alpn_protocol().map(<[u8]>::to_vec),
        })
    }

    /// The negotiated cipher suite (`None` while handshaking).
    pub fn negotiated_cipher_suite(&self) -> Option<rustls::CipherSuite> {
        self.conn.negotiated_cipher_suite().map(|s| s.suite())
    }

    /// Exports channel-binding data of `kind`, or `None` when it is not available (still
    /// handshaking, `tls-exporter` on TLS 1.2, or a certificate whose signature hash is not
    /// defined for `tls-server-end-point`, such as Ed25519).
    pub fn channel_binding(&self, kind: ChannelBindingType) -> Option<ChannelBinding> {
        if self.conn.is_handshaking() {
            return None;
        }
        let data = match kind {
            ChannelBindingType::TlsExporter => {
                if self.conn.protocol_version() != Some(rustls::ProtocolVersion::TLSv1_3) {
                    return None;
                }
                self.conn
                    .export_keying_material([0u8; 32], EXPORTER_LABEL, Some(&[]))
                    .ok()?
                    .to_vec()
            }
            ChannelBindingType::TlsServerEndPoint => match &self.conn {
                rustls::Connection::Client(c) => {
                    server_end_point_hash(c.peer_certificates()?.first()?.as_ref())?
                }
                rustls::Connection::Server(_) => self.own_end_point.clone()?,
            },
        };
        Some(ChannelBinding { kind, data })
    }

    /// The first channel binding available, preferring `tls-exporter`.
    pub fn best_channel_binding(&self) -> Option<ChannelBinding> {
        self.channel_binding(ChannelBindingType::TlsExporter)
            .or_else(|| self.channel_binding(ChannelBindingType::TlsServerEndPoint))
    }
}

/// The hash algorithms `tls-server-end-point` may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EndPointHash {
    Sha256,
    Sha384,
    Sha512,
}

/// RFC 5929 §4.1: hash the DER certificate with its signature algorithm's hash, SHA-256
/// when that is MD5 or SHA-1. `None` for an unparsable certificate or an algorithm without
/// a defined hash.
pub fn server_end_point_hash(cert_der: &[u8]) -> Option<Vec<u8>> {
    let hash = signature_hash(cert_der)?;
    Some(match hash {
        EndPointHash::Sha256 => sha2::Sha256::digest(cert_der).to_vec(),
        EndPointHash::Sha384 => sha2::Sha384::digest(cert_der).to_vec(),
        EndPointHash::Sha512 => sha2::Sha512::digest(cert_der).to_vec(),
    })
}

/// Reads one DER TLV at the start of `input`: (tag, content, rest).
fn der_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

const OID_RSA_MD5: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x04];
const OID_RSA_SHA1: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05];
const OID_RSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
const OID_RSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
const OID_RSA_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c];
const OID_RSA_SHA512: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d];
const OID_ECDSA_SHA1: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01];
const OID_ECDSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
const OID_ECDSA_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];
const OID_ECDSA_SHA512: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04];
const OID_SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
const OID_SHA384: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
const OID_SHA512: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03];

/// The hash to use for `tls-server-end-point`, from the certificate's outer
/// `signatureAlgorithm` (Certificate ::= SEQUENCE { tbs, signatureAlgorithm, signature }).
fn signature_hash(cert_der: &[u8]) -> Option<EndPointHash> {
    let (tag, cert, _) = der_tlv(cert_der)?;
    if tag != 0x30 {
        return None;
    }
    let (_, _tbs, rest) = der_tlv(cert)?;
    let (tag, alg, _) = der_tlv(rest)?;
    if tag != 0x30 {
        return None;
    }
    let (tag, oid, params) = der_tlv(alg)?;
    if tag != 0x06 {
        return None;
    }
    match oid {
        OID_RSA_MD5 | OID_RSA_SHA1 | OID_ECDSA_SHA1 | OID_RSA_SHA256 | OID_ECDSA_SHA256 => {
            Some(EndPointHash::Sha256)
        }
        OID_RSA_SHA384 | OID_ECDSA_SHA384 => Some(EndPointHash::Sha384),
        OID_RSA_SHA512 | OID_ECDSA_SHA512 => Some(EndPointHash::Sha512),
        OID_RSA_PSS => {
            // RSASSA-PSS-params ::= SEQUENCE { hashAlgorithm [0] DEFAULT sha1, ... }
            let (tag, pss, _) = der_tlv(params)?;
            if tag != 0x30 {
                return None;
            }
            match der_tlv(pss) {
                Some((0xa0, hash_alg, _)) => {
                    let (_, alg_id, _) = der_tlv(hash_alg)?;
                    let (_, hash_oid, _) = der_tlv(alg_id)?;
                    match hash_oid {
                        OID_SHA256 => Some(EndPointHash::Sha256),
                        OID_SHA384 => Some(EndPointHash::Sha384),
                        OID_SHA512 => Some(EndPointHash::Sha512),
                        _ => Some(EndPointHash::Sha256),
                    }
                }
                // Absent: SHA-1, which RFC 5929 upgrades to SHA-256.
                _ => Some(EndPointHash::Sha256),
            }
        }
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::testing::TestPki;

    /// A test CA, a server certificate for `example.com` and a client certificate for
    /// `example.net`, both signed by it.
    fn test_pki() -> TestPki {
        TestPki::new(&["example.com"]).with_client_cert(&["example.net"])
    }

    fn client_config(pki: &TestPki, with_cert: bool) -> Arc<rustls::ClientConfig> {
        if with_cert {
            pki.client_config_with_cert()
        } else {
            pki.client_config()
        }
    }

    fn server_config(pki: &TestPki, want_client_cert: bool) -> Arc<rustls::ServerConfig> {
        if want_client_cert {
            pki.server_config_with_client_auth().0
        } else {
            pki.server_config().0
        }
    }

    /// Runs the handshake by shuttling bytes until neither side has anything to send.
    fn pump(client: &mut TlsLayer, server: &mut TlsLayer) -> Result<(Vec<u8>, Vec<u8>), TlsError> {
        let mut to_client_plain = Vec::new();
        let mut to_server_plain = Vec::new();
        for _ in 0..20 {
            let mut c2s = Vec::new();
            client.take_ciphertext(&mut c2s);
            server.read_ciphertext(&c2s, &mut to_server_plain)?;
            let mut s2c = Vec::new();
            server.take_ciphertext(&mut s2c);
            client.read_ciphertext(&s2c, &mut to_client_plain)?;
            if c2s.is_empty() && s2c.is_empty() {
                break;
            }
        }
        Ok((to_client_plain, to_server_plain))
    }

    #[test]
    fn handshake_in_memory_and_plaintext_both_ways() {
        let pki = test_pki();
        let mut client = TlsLayer::client(client_config(&pki, false), "example.com").unwrap();
        let mut server =
            TlsLayer::server(server_config(&pki, false), Some(pki.server.cert.clone())).unwrap();
        // Plaintext written before the handshake completes is buffered and delivered after.
        client.write_plaintext(b"<stream:stream>").unwrap();
        let (_, to_server) = pump(&mut client, &mut server).unwrap();
        assert!(!client.is_handshaking() && !server.is_handshaking());
        assert_eq!(to_server, b"<stream:stream>");
        server.write_plaintext(b"hello").unwrap();
        let (to_client, _) = pump(&mut client, &mut server).unwrap();
        assert_eq!(to_client, b"hello");
    }

    #[test]
    fn ciphertext_fed_one_byte_at_a_time() {
        let pki = test_pki();
        let mut client = TlsLayer::client(client_config(&pki, false), "example.com").unwrap();
        let mut server = TlsLayer::server(server_config(&pki, false), None).unwrap();
        let mut plain = Vec::new();
        for _ in 0..10 {
            let mut c2s = Vec::new();
            client.take_ciphertext(&mut c2s);
            for b in &c2s {
                server
                    .read_ciphertext(std::slice::from_ref(b), &mut plain)
                    .unwrap();
            }
            let mut s2c = Vec::new();
            server.take_ciphertext(&mut s2c);
            for b in &s2c {
                client
                    .read_ciphertext(std::slice::from_ref(b), &mut plain)
                    .unwrap();
            }
        }
        assert!(!client.is_handshaking());
        client.write_plaintext(b"abc").unwrap();
        let mut c2s = Vec::new();
        client.take_ciphertext(&mut c2s);
        for b in &c2s {
            server
                .read_ciphertext(std::slice::from_ref(b), &mut plain)
                .unwrap();
        }
        assert_eq!(plain, b"abc");
    }

    /// A certificate for another name is refused. (Name checks are UCR §5.4 policy, see also
    /// UCR-TLS-12; the c2s validation row names expiry, revocation and the chain, which
    /// `tests/conn_revocation.rs` checks.)
    #[test]
    fn wrong_name_fails_and_sends_an_alert() {
        let pki = test_pki();
        let mut client = TlsLayer::client(client_config(&pki, false), "example.org").unwrap();
        let mut server = TlsLayer::server(server_config(&pki, false), None).unwrap();
        let err = pump(&mut client, &mut server).unwrap_err();
        assert!(matches!(err, TlsError::Protocol(_)), "{err:?}");
        // The client queued an alert for the server.
        let mut alert = Vec::new();
        client.take_ciphertext(&mut alert);
        assert!(!alert.is_empty());
        // Fed to the server, the alert ends the server's session as well.
        let mut plain = Vec::new();
        assert!(matches!(
            server.read_ciphertext(&alert, &mut plain),
            Err(TlsError::Protocol(_))
        ));
    }

    #[test]
    fn garbage_ciphertext_is_a_protocol_error() {
        let pki = test_pki();
        let mut server = TlsLayer::server(server_config(&pki, false), None).unwrap();
        let mut out = Vec::new();
        let err = server
            .read_ciphertext(b"<stream:stream xmlns='jabber:client'>", &mut out)
            .unwrap_err();
        assert!(matches!(err, TlsError::Protocol(_)));
    }

    #[test]
    fn channel_binding_matches_on_both_sides() {
        let pki = test_pki();
        let mut client = TlsLayer::client(client_config(&pki, false), "example.com").unwrap();
        let mut server =
            TlsLayer::server(server_config(&pki, false), Some(pki.server.cert.clone())).unwrap();
        assert_eq!(
            client.best_channel_binding(),
            None,
            "not before the handshake"
        );
        pump(&mut client, &mut server).unwrap();
        let ce = client
            .channel_binding(ChannelBindingType::TlsExporter)
            .unwrap();
        let se = server
            .channel_binding(ChannelBindingType::TlsExporter)
            .unwrap();
        assert_eq!(ce.data.len(), 32);
        assert_eq!(ce, se);
        let cp = client
            .channel_binding(ChannelBindingType::TlsServerEndPoint)
            .unwrap();
        let sp = server
            .channel_binding(ChannelBindingType::TlsServerEndPoint)
            .unwrap();
        assert_eq!(cp, sp);
        // rcgen signs with ECDSA P-256 + SHA-256: the end-point hash is SHA-256 of the DER.
        assert_eq!(
            cp.data,
            sha2::Sha256::digest(pki.server.cert.as_ref()).to_vec()
        );
        assert_eq!(
            client.best_channel_binding().unwrap().kind,
            ChannelBindingType::TlsExporter
        );
        assert_eq!(ChannelBindingType::TlsExporter.as_str(), "tls-exporter");
    }

    #[test]
    fn peer_identity_reports_certificates_and_names() {
        let pki = test_pki();
        let mut client = TlsLayer::client(client_config(&pki, true), "example.com").unwrap();
        let mut server = TlsLayer::server(server_config(&pki, true), None).unwrap();
        assert_eq!(client.peer_identity(), None);
        pump(&mut client, &mut server).unwrap();
        let c = client.peer_identity().unwrap();
        assert_eq!(c.server_name.as_deref(), Some("example.com"));
        assert_eq!(c.certificates.first(), Some(&pki.server.cert));
        assert_eq!(c.protocol.as_deref(), Some("TLSv1_3"));
        let s = server.peer_identity().unwrap();
        assert_eq!(s.certificates.first(), pki.client.as_ref().map(|c| &c.cert));
        assert_eq!(s.server_name.as_deref(), Some("example.com"));
    }

    #[test]
    fn close_notify_is_reported() {
        let pki = test_pki();
        let mut client = TlsLayer::client(client_config(&pki, false), "example.com").unwrap();
        let mut server = TlsLayer::server(server_config(&pki, false), None).unwrap();
        pump(&mut client, &mut server).unwrap();
        client.send_close_notify();
        pump(&mut client, &mut server).unwrap();
        assert!(server.peer_closed());
    }

    #[test]
    fn end_point_hash_of_malformed_der_is_none() {
        assert_eq!(server_end_point_hash(b""), None);
        assert_eq!(
            server_end_point_hash(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]),
            None
        );
        assert_eq!(server_end_point_hash(&[0x30, 0x03, 0x02, 0x01, 0x00]), None);
        // Every proper prefix of a real certificate is malformed (no hash, no panic); the
        // whole certificate hashes.
        let pki = test_pki();
        let der = pki.server.cert.as_ref();
        for n in 0..der.len() {
            assert_eq!(
                server_end_point_hash(&der[..n]),
                None,
                "prefix of {n} bytes"
            );
        }
        assert!(server_end_point_hash(der).is_some());
    }
}
