//! Our TLS channel bindings, checked against OpenSSL over a real loopback socket.
//!
//! SCRAM-PLUS is otherwise only tested rustls-against-rustls, where a wrong derivation
//! (a wrong exporter label or context, the wrong certificate, the wrong hash) would be wrong
//! the same way on both sides and still pass. Here [`TlsLayer`] talks to an independent peer,
//! `tests/peers/channel_binding_peer.py` (OpenSSL through pyOpenSSL, its RFC 5929 hash
//! computed with `cryptography`), in both roles, and both sides' bindings must agree byte
//! for byte:
//!
//! * `tls-exporter` (RFC 9266): the TLS 1.3 exporter, label `EXPORTER-Channel-Binding`,
//!   empty context, 32 bytes; absent on TLS 1.2.
//! * `tls-server-end-point` (RFC 5929 §4.1): the server certificate's DER hashed with its
//!   signature's hash. The certificates are ECDSA P-256 signed with SHA-256, P-384 signed
//!   with SHA-384, and a P-256 key signed by a P-384 CA with SHA-384 (the hash follows the
//!   issuer's signature, not the key), so SHA-256 is not the only hash checked.
//!
//! Needs `python3` with pyOpenSSL (`scripts/ci-deps` installs it); without it the tests fail.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use xmpp_stream::tls::{ChannelBindingType, TlsLayer};

const TIMEOUT: Duration = Duration::from_secs(20);
const SERVER_NAME: &str = "example.com";

/// A CA and a server certificate for [`SERVER_NAME`], as DER and as PEM files.
struct Pki {
    name: &'static str,
    /// Length of the expected `tls-server-end-point` hash (32 for SHA-256, 48 for SHA-384).
    hash_len: usize,
    dir: PathBuf,
    ca_der: CertificateDer<'static>,
    cert_der: CertificateDer<'static>,
    key_der: Vec<u8>,
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

type Alg = &'static rcgen::SignatureAlgorithm;

fn pki(name: &'static str, ca_alg: Alg, leaf_alg: Alg, hash_len: usize) -> Pki {
    static N: AtomicUsize = AtomicUsize::new(0);
    let ca_key = rcgen::KeyPair::generate_for(ca_alg).unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Interop CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = rcgen::KeyPair::generate_for(leaf_alg).unwrap();
    let cert = rcgen::CertificateParams::new(vec![SERVER_NAME.to_owned()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    let n = N.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("xmpp-cb-interop-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
    Pki {
        name,
        hash_len,
        dir,
        ca_der: ca.der().clone(),
        cert_der: cert.der().clone(),
        key_der: key.serialize_der(),
    }
}

fn all_pkis() -> Vec<Pki> {
    use rcgen::{PKCS_ECDSA_P256_SHA256 as P256, PKCS_ECDSA_P384_SHA384 as P384};
    vec![
        pki("P-256/SHA-256", &P256, &P256, 32),
        pki("P-384/SHA-384", &P384, &P384, 48),
        pki("P-256 key, P-384 CA/SHA-384", &P384, &P256, 48),
    ]
}

fn versions(tls12: bool) -> &'static [&'static rustls::SupportedProtocolVersion] {
    static TLS12_ONLY: [&rustls::SupportedProtocolVersion; 1] = [&rustls::version::TLS12];
    if tls12 {
        &TLS12_ONLY
    } else {
        rustls::DEFAULT_VERSIONS
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    xmpp_stream::trust::provider()
}

fn client_config(pki: &Pki, tls12: bool) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.ca_der.clone()).unwrap();
    let b = rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(versions(tls12))
        .unwrap();
    Arc::new(b.with_root_certificates(roots).with_no_client_auth())
}

fn server_config(pki: &Pki, tls12: bool) -> Arc<rustls::ServerConfig> {
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.key_der.clone()));
    let b = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(versions(tls12))
        .unwrap();
    Arc::new(
        b.with_no_client_auth()
            .with_single_cert(vec![pki.cert_der.clone()], key)
            .unwrap(),
    )
}

/// The Python peer: its stdout lines arrive on a channel, so every wait is bounded; its
/// stderr goes to ours (tracebacks); it is killed on drop.
struct Peer {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Peer {
    fn spawn(args: &[&str]) -> Peer {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/peers/channel_binding_peer.py"
        );
        let mut child = Command::new("python3")
            .arg(script)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run python3 ({e}): run scripts/ci-deps"));
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Peer { child, lines }
    }

    fn line(&self) -> String {
        let line =
            (self.lines.recv_timeout(TIMEOUT)).expect("the OpenSSL peer printed no line in time");
        assert!(
            !line.starts_with("MISSING"),
            "pyOpenSSL is not installed ({line}): run scripts/ci-deps"
        );
        line
    }

    /// Waits, with a deadline, for a successful exit.
    fn finish(&mut self) {
        let deadline = Instant::now() + TIMEOUT;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return assert!(status.success(), "the OpenSSL peer failed: {status}");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("the OpenSSL peer did not exit in time");
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Accepts one connection, polling a non-blocking listener until the deadline.
fn accept(listener: &TcpListener) -> TcpStream {
    listener.set_nonblocking(true).unwrap();
    let deadline = Instant::now() + TIMEOUT;
    loop {
        match listener.accept() {
            Ok((sock, _)) => return sock,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10))
            }
            Err(e) => panic!("the OpenSSL client did not connect: {e}"),
        }
    }
}

fn flush(tls: &mut TlsLayer, sock: &mut TcpStream) -> std::io::Result<()> {
    let mut out = Vec::new();
    tls.take_ciphertext(&mut out);
    sock.write_all(&out)
}

/// Shuttles TLS records (the handshake included) until the plaintext `expect` has arrived.
fn pump_until(tls: &mut TlsLayer, sock: &mut TcpStream, expect: &[u8]) {
    let (mut plain, mut buf) = (Vec::new(), [0u8; 16384]);
    loop {
        flush(tls, sock).expect("writing to the OpenSSL peer");
        if plain.ends_with(expect) {
            return;
        }
        let n = sock
            .read(&mut buf)
            .expect("reading from the OpenSSL peer (timed out?)");
        assert!(n > 0, "the OpenSSL peer closed before sending {expect:?}");
        tls.read_ciphertext(&buf[..n], &mut plain)
            .expect("TLS with the OpenSSL peer");
    }
}

/// A string (or null: `None`) field of the peer's one-line JSON.
fn json_field(json: &str, key: &str) -> Option<String> {
    let at = json
        .find(&format!("\"{key}\": "))
        .unwrap_or_else(|| panic!("no {key}: {json}"));
    let value = json[at + key.len() + 4..].strip_prefix('"')?;
    Some(value[..value.find('"').unwrap()].to_owned())
}

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

/// Our bindings must equal OpenSSL's, byte for byte.
fn assert_same_bindings(ours: &TlsLayer, theirs: &str, pki: &Pki, tls12: bool) {
    let what = format!(
        "{}, TLS 1.{}; OpenSSL: {theirs}",
        pki.name,
        if tls12 { 2 } else { 3 }
    );
    let (version, our_version) = if tls12 {
        ("TLSv1.2", "TLSv1_2")
    } else {
        ("TLSv1.3", "TLSv1_3")
    };
    assert_eq!(
        json_field(theirs, "version").as_deref(),
        Some(version),
        "{what}"
    );
    let identity = ours.peer_identity().unwrap();
    assert_eq!(identity.protocol.as_deref(), Some(our_version), "{what}");
    let binding = |kind| {
        let b = ours.channel_binding(kind)?;
        assert_eq!(b.kind, kind);
        Some(hex(&b.data))
    };

    let exporter = binding(ChannelBindingType::TlsExporter);
    let exporter_len = if tls12 { None } else { Some(2 * 32) };
    assert_eq!(
        exporter.as_ref().map(String::len),
        exporter_len,
        "tls-exporter: {what}"
    );
    assert_eq!(
        exporter,
        json_field(theirs, "tls-exporter"),
        "tls-exporter differs: {what}"
    );

    let end_point = binding(ChannelBindingType::TlsServerEndPoint);
    let end_point_len = Some(2 * pki.hash_len);
    assert_eq!(
        end_point.as_ref().map(String::len),
        end_point_len,
        "end point: {what}"
    );
    let expected = json_field(theirs, "tls-server-end-point");
    assert_eq!(end_point, expected, "tls-server-end-point differs: {what}");
}

/// One session per certificate between our [`TlsLayer`] and the OpenSSL peer in the other
/// role: handshake, "ping" from the client, "pong" from the server, close_notify.
fn interop(openssl_is_server: bool, tls12: bool) {
    let version = if tls12 { "1.2" } else { "1.3" };
    for pki in all_pkis() {
        let file = |name: &str| pki.dir.join(name).to_str().unwrap().to_owned();
        let (mut peer, mut sock, mut tls, expect);
        if openssl_is_server {
            peer = Peer::spawn(&["server", "0", &file("cert.pem"), &file("key.pem"), version]);
            let line = peer.line();
            let port = line
                .strip_prefix("LISTENING ")
                .and_then(|p| p.parse::<u16>().ok());
            let port = port.unwrap_or_else(|| panic!("unexpected: {line}"));
            sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
            tls = TlsLayer::client(client_config(&pki, tls12), SERVER_NAME).unwrap();
            tls.write_plaintext(b"ping\n").unwrap();
            expect = b"pong\n";
        } else {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let port = listener.local_addr().unwrap().port().to_string();
            peer = Peer::spawn(&["client", &port, &file("ca.pem"), SERVER_NAME, version]);
            sock = accept(&listener);
            sock.set_nonblocking(false).unwrap();
            let own_cert = Some(pki.cert_der.clone());
            tls = TlsLayer::server(server_config(&pki, tls12), own_cert).unwrap();
            expect = b"ping\n";
        }
        sock.set_read_timeout(Some(TIMEOUT)).unwrap();
        sock.set_write_timeout(Some(TIMEOUT)).unwrap();
        pump_until(&mut tls, &mut sock, expect);
        assert!(!tls.is_handshaking());
        if !openssl_is_server {
            tls.write_plaintext(b"pong\n").unwrap();
        }
        tls.send_close_notify();
        let _ = flush(&mut tls, &mut sock); // the peer may already be gone: fine
        let theirs = peer.line();
        peer.finish();
        assert_same_bindings(&tls, &theirs, &pki, tls12);
    }
}

#[test]
fn channel_binding_tls_exporter_matches_openssl_as_server() {
    interop(true, false);
}

#[test]
fn channel_binding_tls_exporter_matches_openssl_as_client() {
    interop(false, false);
}

#[test]
fn channel_binding_tls12_server_end_point_matches_openssl_as_server() {
    interop(true, true);
}

#[test]
fn channel_binding_tls12_server_end_point_matches_openssl_as_client() {
    interop(false, true);
}
