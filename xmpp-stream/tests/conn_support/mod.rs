//! Shared harness of the connection machine tests: a deterministic random source, a test
//! PKI made with rcgen, machine constructors, and a pump that moves bytes between two
//! machines in memory with a fake clock.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use xmpp_stream::connection::{
    Connection, Event, InitiatorAuth, InitiatorConfig, ReceiverAuth, ReceiverConfig,
};
use xmpp_stream::header::StreamKind;
use xmpp_stream::profile::{Profile, TlsPolicy};

/// SplitMix64: deterministic, good enough to stand in for a CSPRNG in tests.
#[derive(Debug, Clone)]
pub struct TestRng(pub u64);

impl rand_core::RngCore for TestRng {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}
impl rand_core::CryptoRng for TestRng {}

pub fn rng(seed: u64) -> Box<TestRng> {
    Box::new(TestRng(seed))
}

/// A CA, a server certificate for example.com (and example.net), and a client certificate
/// for example.org.
pub struct Pki {
    pub ca: CertificateDer<'static>,
    pub server: CertificateDer<'static>,
    pub server_key: Vec<u8>,
    pub peer: CertificateDer<'static>,
    pub peer_key: Vec<u8>,
}

pub fn pki() -> Pki {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let server_key = rcgen::KeyPair::generate().unwrap();
    let server =
        rcgen::CertificateParams::new(vec!["example.com".to_owned(), "example.net".to_owned()])
            .unwrap()
            .signed_by(&server_key, &ca, &ca_key)
            .unwrap();
    let peer_key = rcgen::KeyPair::generate().unwrap();
    let peer = rcgen::CertificateParams::new(vec!["example.org".to_owned()])
        .unwrap()
        .signed_by(&peer_key, &ca, &ca_key)
        .unwrap();
    Pki {
        ca: ca.der().clone(),
        server: server.der().clone(),
        server_key: server_key.serialize_der(),
        peer: peer.der().clone(),
        peer_key: peer_key.serialize_der(),
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

pub fn client_tls(pki: &Pki, with_cert: bool) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.ca.clone()).unwrap();
    let b = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    Arc::new(if with_cert {
        b.with_client_auth_cert(
            vec![pki.peer.clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.peer_key.clone())),
        )
        .unwrap()
    } else {
        b.with_no_client_auth()
    })
}

pub fn server_tls(
    pki: &Pki,
    want_client_cert: bool,
) -> (Arc<rustls::ServerConfig>, Option<CertificateDer<'static>>) {
    let b = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap();
    let b = if want_client_cert {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(pki.ca.clone()).unwrap();
        let v = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            provider(),
        )
        .allow_unauthenticated()
        .build()
        .unwrap();
        b.with_client_cert_verifier(v)
    } else {
        b.with_no_client_auth()
    };
    let cfg = b
        .with_single_cert(
            vec![pki.server.clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.server_key.clone())),
        )
        .unwrap();
    (Arc::new(cfg), Some(pki.server.clone()))
}

/// A profile without TLS, for byte-exact transcripts.
pub fn plaintext_profile() -> Profile {
    let mut p = Profile::rfc6120();
    p.tls = TlsPolicy::Disabled;
    p.allow_plaintext_auth = true;
    p.legacy_session = false;
    p
}

/// The server's credential store, made once per test process (PBKDF2 is slow in debug
/// builds) and shared like a real server shares its store between connections.
pub fn store() -> Arc<xmpp_sasl::MemoryStore> {
    static STORE: std::sync::OnceLock<Arc<xmpp_sasl::MemoryStore>> = std::sync::OnceLock::new();
    STORE
        .get_or_init(|| {
            let mut s = xmpp_sasl::MemoryStore::new().with_domain("example.com");
            s.add_user("juliet", "r0m30myr0m30", 4096, &mut TestRng(99))
                .unwrap();
            Arc::new(s)
        })
        .clone()
}

pub fn t0() -> Instant {
    // One fixed origin per process is enough: tests only add durations to it.
    static T0: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *T0.get_or_init(Instant::now)
}

pub fn secs(n: u64) -> Instant {
    t0() + Duration::from_secs(n)
}

pub struct ClientOpts {
    pub profile: Profile,
    pub tls: Option<Arc<rustls::ClientConfig>>,
    pub direct_tls: bool,
    pub resource: Option<String>,
    pub password: &'static str,
}

impl ClientOpts {
    pub fn plaintext() -> Self {
        ClientOpts {
            profile: plaintext_profile(),
            tls: None,
            direct_tls: false,
            resource: Some("balcony".into()),
            password: "r0m30myr0m30",
        }
    }
    pub fn tls(pki: &Pki) -> Self {
        ClientOpts {
            profile: Profile::rfc6120(),
            tls: Some(client_tls(pki, false)),
            direct_tls: false,
            resource: Some("balcony".into()),
            password: "r0m30myr0m30",
        }
    }
}

pub fn client(opts: ClientOpts) -> Connection {
    let cfg = InitiatorConfig {
        kind: StreamKind::Client,
        to: "example.com".into(),
        from: Some("juliet@example.com".into()),
        tls: opts.tls,
        direct_tls: opts.direct_tls,
        auth: InitiatorAuth::Sasl(
            xmpp_sasl::Credentials::password("juliet", opts.password).unwrap(),
        ),
        resource: opts.resource,
    };
    Connection::initiator(cfg, Arc::new(opts.profile), rng(1), t0()).unwrap()
}

pub fn server(
    profile: Profile,
    tls: Option<(Arc<rustls::ServerConfig>, Option<CertificateDer<'static>>)>,
    direct_tls: bool,
) -> Connection {
    let cfg = ReceiverConfig {
        kind: StreamKind::Client,
        domains: vec!["example.com".into()],
        tls,
        direct_tls,
        auth: ReceiverAuth::Sasl(store()),
    };
    Connection::receiver(cfg, Arc::new(profile), rng(2), t0()).unwrap()
}

pub fn plaintext_server() -> Connection {
    server(plaintext_profile(), None, false)
}

/// Everything that passed in one direction, and the events of both sides.
#[derive(Debug, Default)]
pub struct Transcript {
    pub c2s: Vec<u8>,
    pub s2c: Vec<u8>,
    pub client_events: Vec<Event>,
    pub server_events: Vec<Event>,
}

impl Transcript {
    pub fn c2s_str(&self) -> String {
        String::from_utf8_lossy(&self.c2s).into_owned()
    }
    pub fn s2c_str(&self) -> String {
        String::from_utf8_lossy(&self.s2c).into_owned()
    }
}

/// Moves bytes both ways until neither side has anything to send, collecting events. The
/// server application answers bind requests with `bind`.
pub fn pump_with(
    client: &mut Connection,
    server: &mut Connection,
    now: Instant,
    t: &mut Transcript,
    bind: &mut dyn FnMut(&mut Connection, Option<String>),
) {
    for _ in 0..200 {
        let mut moved = false;
        if let Some(b) = client.poll_transmit() {
            t.c2s.extend_from_slice(&b);
            server.handle_input(now, &b);
            moved = true;
        }
        while let Some(e) = server.poll_event() {
            if let Event::BindRequest { resource } = &e {
                let r = resource.clone();
                t.server_events.push(e);
                bind(server, r);
                moved = true;
                continue;
            }
            t.server_events.push(e);
        }
        if let Some(b) = server.poll_transmit() {
            t.s2c.extend_from_slice(&b);
            client.handle_input(now, &b);
            moved = true;
        }
        while let Some(e) = client.poll_event() {
            t.client_events.push(e);
        }
        if !moved {
            return;
        }
    }
    panic!("the machines did not settle");
}

/// Pump where bind requests are accepted as asked (or with a fixed generated resource).
pub fn pump(client: &mut Connection, server: &mut Connection, now: Instant, t: &mut Transcript) {
    pump_with(client, server, now, t, &mut |s, r| {
        let r = r.unwrap_or_else(|| "generated".to_owned());
        s.bind(xmpp_stream::bind::BindDecision::Accept(r)).unwrap();
    });
}

/// Feeds raw bytes to a machine and returns (bytes it sent, events).
pub fn feed(conn: &mut Connection, now: Instant, input: &[u8]) -> (String, Vec<Event>) {
    conn.handle_input(now, input);
    drain(conn)
}

pub fn drain(conn: &mut Connection) -> (String, Vec<Event>) {
    let mut out = Vec::new();
    while let Some(b) = conn.poll_transmit() {
        out.extend_from_slice(&b);
    }
    let mut events = Vec::new();
    while let Some(e) = conn.poll_event() {
        events.push(e);
    }
    (String::from_utf8_lossy(&out).into_owned(), events)
}
