//! A test kit for code built on the connection machine (feature `testing`): a deterministic
//! random source ([`TestRng`]), a fake clock ([`Clock`]), a throwaway PKI made with rcgen
//! ([`TestPki`]), machine constructors for the common setups ([`client`], [`server`],
//! [`ClientOpts`], [`component_pair`]) and a [`Pair`] of machines that talk to each other in
//! memory.
//!
//! Nothing here is fit for production: the random source is predictable, the credentials
//! are fixed and the certificates are made up. It exists so that this crate's tests, the
//! adapters' tests and applications' tests share one harness instead of each growing its own.
//!
//! A client logging in over STARTTLS with SCRAM and sending a message to the server:
//!
//! ```
//! use xmpp_stream::connection::Event;
//! use xmpp_stream::testing::{Pair, TestPki};
//! use xmpp_stream::xml::Element;
//!
//! let pki = TestPki::example();
//! let mut pair = Pair::c2s_starttls(&pki);
//! pair.pump();
//! assert!(pair.is_established());
//! assert_eq!(
//!     pair.client.bound_jid().unwrap().as_str(),
//!     "juliet@example.com/balcony"
//! );
//!
//! let message = Element::builder("message", "jabber:client")
//!     .attr("to", "romeo@example.net")
//!     .child(Element::builder("body", "jabber:client").text("Wherefore art thou?"))
//!     .build();
//! pair.take_transcript(); // forget the negotiation
//! pair.client.send(&message).unwrap();
//! pair.pump();
//! let transcript = pair.take_transcript();
//! let Some(Event::Stanza(received)) = transcript.server_events.first() else {
//!     panic!("no stanza: {:?}", transcript.server_events);
//! };
//! // The server stamps the sender's full JID.
//! assert_eq!(received.attr("from"), Some("juliet@example.com/balcony"));
//! assert_eq!(
//!     received.child_text("body", "jabber:client").as_deref(),
//!     Some("Wherefore art thou?")
//! );
//! ```
//!
//! The lower-level pieces work on two machines held separately: [`pump`] / [`pump_with`]
//! move bytes between them at a given instant, [`feed`] / [`drain`] drive one machine with
//! hand-written bytes.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::bind::{BindDecision, BindError};
use crate::connection::{
    Connection, Event, InitiatorAuth, InitiatorConfig, ReceiverAuth, ReceiverConfig,
};
use crate::header::StreamKind;
use crate::profile::{Profile, TlsPolicy};
use crate::trust::provider;

// ---------------------------------------------------------------- randomness

/// A deterministic random source (SplitMix64) standing in for a CSPRNG in tests: the same
/// seed gives the same nonces, stream ids and generated resources on every run.
///
/// It claims [`rand_core::CryptoRng`] only so that the machines accept it; never use it
/// outside tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestRng(pub u64);

impl TestRng {
    /// A source starting from `seed`.
    pub fn new(seed: u64) -> TestRng {
        TestRng(seed)
    }
}

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

/// A boxed [`TestRng`], as [`Connection::initiator`] and [`Connection::receiver`] take it.
pub fn rng(seed: u64) -> Box<TestRng> {
    Box::new(TestRng(seed))
}

// ---------------------------------------------------------------- time

/// The origin of test time: one `Instant` per process, taken the first time it is asked
/// for. Tests only add durations to it.
pub fn t0() -> Instant {
    static T0: OnceLock<Instant> = OnceLock::new();
    *T0.get_or_init(Instant::now)
}

/// `n` seconds after [`t0`].
pub fn secs(n: u64) -> Instant {
    t0() + Duration::from_secs(n)
}

/// A fake clock: a start instant and a current instant that moves only when told to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    start: Instant,
    now: Instant,
}

impl Clock {
    /// A clock standing at [`t0`].
    pub fn new() -> Clock {
        Clock::starting_at(t0())
    }

    /// A clock standing at `start`.
    pub fn starting_at(start: Instant) -> Clock {
        Clock { start, now: start }
    }

    /// Where the clock started.
    pub fn start(&self) -> Instant {
        self.start
    }

    /// The current instant.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// How far the clock has moved since it started.
    pub fn elapsed(&self) -> Duration {
        self.now - self.start
    }

    /// Moves the clock forward by `by`; returns the new current instant.
    pub fn advance(&mut self, by: Duration) -> Instant {
        self.now += by;
        self.now
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::new()
    }
}

// ---------------------------------------------------------------- PKI

/// An end-entity certificate issued by a [`TestPki`], with its private key.
#[derive(Clone)]
pub struct TestCert {
    /// The DNS names it is valid for (subject alternative names).
    pub names: Vec<String>,
    /// The certificate (DER).
    pub cert: CertificateDer<'static>,
    /// The certificate (PEM), for programs that read certificate files.
    pub cert_pem: String,
    key_der: Vec<u8>,
    key_pem: String,
}

impl TestCert {
    /// The private key (PKCS#8).
    pub fn key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()))
    }

    /// The private key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub fn key_pem(&self) -> &str {
        &self.key_pem
    }
}

impl fmt::Debug for TestCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestCert")
            .field("names", &self.names)
            .finish_non_exhaustive()
    }
}

/// A throwaway PKI made with rcgen: a CA, a server certificate it issued, and optionally a
/// client certificate (for mutual TLS and SASL EXTERNAL). Keys are ECDSA P-256, made afresh
/// for every `TestPki`.
pub struct TestPki {
    /// The CA certificate (DER): the trust anchor of [`TestPki::client_config`].
    pub ca: CertificateDer<'static>,
    /// The CA certificate (PEM).
    pub ca_pem: String,
    /// The server's certificate, presented by [`TestPki::server_config`].
    pub server: TestCert,
    /// The client's certificate, presented by [`TestPki::client_config_with_cert`].
    pub client: Option<TestCert>,
    ca_cert: rcgen::Certificate,
    ca_key: rcgen::KeyPair,
}

impl fmt::Debug for TestPki {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestPki")
            .field("server", &self.server)
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

impl TestPki {
    /// A CA (common name "Test CA") and a server certificate for `server_names`; no client
    /// certificate.
    pub fn new(server_names: &[&str]) -> TestPki {
        let ca_key = rcgen::KeyPair::generate().expect("key generation");
        let mut params =
            rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Test CA");
        let ca_cert = params.self_signed(&ca_key).expect("self-signed CA");
        let server = issue(&ca_cert, &ca_key, server_names);
        TestPki {
            ca: ca_cert.der().clone(),
            ca_pem: ca_cert.pem(),
            server,
            client: None,
            ca_cert,
            ca_key,
        }
    }

    /// The same PKI with a client certificate for `client_names`, issued by the same CA.
    pub fn with_client_cert(mut self, client_names: &[&str]) -> TestPki {
        self.client = Some(self.issue(client_names));
        self
    }

    /// The PKI of the example setups: a server certificate for `example.com` and
    /// `example.net`, and a client certificate for `example.org` (the peer server of s2s
    /// tests).
    pub fn example() -> TestPki {
        TestPki::new(&["example.com", "example.net"]).with_client_cert(&["example.org"])
    }

    /// Another end-entity certificate for `names`, issued by this CA.
    pub fn issue(&self, names: &[&str]) -> TestCert {
        issue(&self.ca_cert, &self.ca_key, names)
    }

    /// Like [`TestPki::issue`], but the certificate's DER encoding has the same length in
    /// every process, and so has a TLS handshake presenting it (for fuzzers and tests that
    /// need byte positions in a handshake to keep their meaning): an Ed25519 key (signatures
    /// of a fixed length), the serial number `serial`, and the CA's ECDSA signature made
    /// again until its DER encoding has its longest form (72 bytes).
    pub fn issue_fixed_length(&self, names: &[&str], serial: u64) -> TestCert {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).expect("key generation");
        let mut params = rcgen::CertificateParams::new(names.clone()).expect("valid DNS names");
        params.serial_number = Some(rcgen::SerialNumber::from(serial));
        loop {
            let cert = params
                .clone()
                .signed_by(&key, &self.ca_cert, &self.ca_key)
                .expect("signing");
            // The signature ends the certificate: SEQUENCE { INTEGER r, INTEGER s }, 72 bytes
            // when both integers have their top bit set (a leading zero byte each).
            let der = cert.der();
            let sig = &der[der.len().saturating_sub(72)..];
            if sig.len() == 72
                && sig[..5] == [0x30, 0x46, 0x02, 0x21, 0x00]
                && sig[37..40] == [0x02, 0x21, 0x00]
            {
                return TestCert {
                    names,
                    cert: der.clone(),
                    cert_pem: cert.pem(),
                    key_der: key.serialize_der(),
                    key_pem: key.serialize_pem(),
                };
            }
        }
    }

    /// A client configuration trusting the CA and presenting no certificate.
    pub fn client_config(&self) -> Arc<rustls::ClientConfig> {
        Arc::new(self.client_builder().with_no_client_auth())
    }

    /// A client configuration trusting the CA and presenting the client certificate.
    ///
    /// # Panics
    ///
    /// If the PKI has no client certificate ([`TestPki::with_client_cert`]).
    pub fn client_config_with_cert(&self) -> Arc<rustls::ClientConfig> {
        let client = self
            .client
            .as_ref()
            .expect("TestPki::client_config_with_cert: this PKI has no client certificate");
        Arc::new(
            self.client_builder()
                .with_client_auth_cert(vec![client.cert.clone()], client.key())
                .expect("client certificate and key match"),
        )
    }

    /// The server side, as [`ReceiverConfig::tls`] takes it: a configuration presenting the
    /// server certificate and asking for no client certificate, and that certificate (for
    /// `tls-server-end-point` channel binding).
    pub fn server_config(&self) -> (Arc<rustls::ServerConfig>, Option<CertificateDer<'static>>) {
        self.server_with(false)
    }

    /// Like [`TestPki::server_config`], but asking for a client certificate: one issued by
    /// this CA is verified, none is accepted too (the SASL layer decides).
    pub fn server_config_with_client_auth(
        &self,
    ) -> (Arc<rustls::ServerConfig>, Option<CertificateDer<'static>>) {
        self.server_with(true)
    }

    fn roots(&self) -> rustls::RootCertStore {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(self.ca.clone())
            .expect("the CA is a valid anchor");
        roots
    }

    fn client_builder(
        &self,
    ) -> rustls::ConfigBuilder<rustls::ClientConfig, rustls::client::WantsClientCert> {
        rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_root_certificates(self.roots())
    }

    fn server_with(
        &self,
        client_auth: bool,
    ) -> (Arc<rustls::ServerConfig>, Option<CertificateDer<'static>>) {
        let builder = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("protocol versions");
        let builder = if client_auth {
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(self.roots()),
                provider(),
            )
            .allow_unauthenticated()
            .build()
            .expect("client verifier");
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let config = builder
            .with_single_cert(vec![self.server.cert.clone()], self.server.key())
            .expect("server certificate and key match");
        (Arc::new(config), Some(self.server.cert.clone()))
    }
}

fn issue(ca_cert: &rcgen::Certificate, ca_key: &rcgen::KeyPair, names: &[&str]) -> TestCert {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let key = rcgen::KeyPair::generate().expect("key generation");
    let cert = rcgen::CertificateParams::new(names.clone())
        .expect("valid DNS names")
        .signed_by(&key, ca_cert, ca_key)
        .expect("signing");
    TestCert {
        names,
        cert: cert.der().clone(),
        cert_pem: cert.pem(),
        key_der: key.serialize_der(),
        key_pem: key.serialize_pem(),
    }
}

// ---------------------------------------------------------------- machines

/// The account of the example setups: `juliet@example.com`.
pub const USER: &str = "juliet";
/// The domain of the example c2s setups.
pub const DOMAIN: &str = "example.com";
/// The password of [`USER`] in [`store`].
pub const PASSWORD: &str = "r0m30myr0m30";
/// The resource [`BindPolicy::AcceptRequested`] binds when the client asks for none.
pub const GENERATED_RESOURCE: &str = "generated";

/// A profile without TLS (and with PLAIN allowed, no legacy session), for byte-exact
/// transcripts. Every preset requires TLS; this one is for tests only.
pub fn plaintext_profile() -> Profile {
    let mut p = Profile::rfc6120();
    p.tls = TlsPolicy::Disabled;
    p.allow_plaintext_auth = true;
    p.legacy_session = false;
    p
}

/// The server's credential store: [`USER`] with [`PASSWORD`] in [`DOMAIN`] (SCRAM, 4096
/// iterations). Made once per process (PBKDF2 is slow in debug builds) and shared, like a
/// real server shares its store between connections.
pub fn store() -> Arc<xmpp_sasl::MemoryStore> {
    static STORE: OnceLock<Arc<xmpp_sasl::MemoryStore>> = OnceLock::new();
    STORE
        .get_or_init(|| {
            let mut s = xmpp_sasl::MemoryStore::new().with_domain(DOMAIN);
            s.add_user(USER, PASSWORD, 4096, &mut TestRng(99))
                .expect("valid user");
            Arc::new(s)
        })
        .clone()
}

/// How [`client`] sets up the c2s initiator for `juliet@example.com`.
#[derive(Debug, Clone)]
pub struct ClientOpts {
    /// The policy.
    pub profile: Profile,
    /// TLS (`None` with a profile that disables it).
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// XEP-0368 Direct TLS.
    pub direct_tls: bool,
    /// The resource to ask for (`None`: let the server generate one).
    pub resource: Option<String>,
    /// The password to log in with.
    pub password: &'static str,
}

impl ClientOpts {
    /// No TLS ([`plaintext_profile`]), resource `balcony`, the right password.
    pub fn plaintext() -> Self {
        ClientOpts {
            profile: plaintext_profile(),
            tls: None,
            direct_tls: false,
            resource: Some("balcony".into()),
            password: PASSWORD,
        }
    }

    /// STARTTLS trusting `pki`'s CA (no client certificate) with the RFC 6120 profile,
    /// resource `balcony`, the right password.
    pub fn tls(pki: &TestPki) -> Self {
        ClientOpts {
            profile: Profile::rfc6120(),
            tls: Some(pki.client_config()),
            direct_tls: false,
            resource: Some("balcony".into()),
            password: PASSWORD,
        }
    }
}

/// A c2s initiator for `juliet@example.com` (random seed 1, starting at [`t0`]).
pub fn client(opts: ClientOpts) -> Connection {
    let cfg = InitiatorConfig {
        kind: StreamKind::Client,
        to: DOMAIN.into(),
        from: Some(format!("{USER}@{DOMAIN}")),
        tls: opts.tls,
        direct_tls: opts.direct_tls,
        auth: InitiatorAuth::Sasl(
            xmpp_sasl::Credentials::password(USER, opts.password).expect("valid credentials"),
        ),
        resource: opts.resource,
    };
    Connection::initiator(cfg, Arc::new(opts.profile), rng(1), t0()).expect("valid config")
}

/// A c2s receiver for `example.com` authenticating against [`store`] (random seed 2,
/// starting at [`t0`]). `tls` is what [`TestPki::server_config`] returns.
pub fn server(
    profile: Profile,
    tls: Option<(Arc<rustls::ServerConfig>, Option<CertificateDer<'static>>)>,
    direct_tls: bool,
) -> Connection {
    let cfg = ReceiverConfig {
        kind: StreamKind::Client,
        domains: vec![DOMAIN.into()],
        tls,
        direct_tls,
        auth: ReceiverAuth::Sasl(store()),
    };
    Connection::receiver(cfg, Arc::new(profile), rng(2), t0()).expect("valid config")
}

/// [`server`] with [`plaintext_profile`] and no TLS.
pub fn plaintext_server() -> Connection {
    server(plaintext_profile(), None, false)
}

/// A XEP-0114 component `plays.shakespeare.lit` logging in with `secret`, and the server of
/// `shakespeare.lit` that knows it with the secret `"secret"` (no TLS; random seeds 21 and
/// 22, starting at [`t0`]). Returns (component, server).
pub fn component_pair(secret: &str) -> (Connection, Connection) {
    let mut profile = Profile::rfc6120();
    profile.tls = TlsPolicy::Disabled;
    let profile = Arc::new(profile);
    let component = Connection::initiator(
        InitiatorConfig {
            kind: StreamKind::Component,
            to: "plays.shakespeare.lit".into(),
            from: None,
            tls: None,
            direct_tls: false,
            auth: InitiatorAuth::ComponentSecret(secret.into()),
            resource: None,
        },
        profile.clone(),
        rng(21),
        t0(),
    )
    .expect("valid config");
    let server = Connection::receiver(
        ReceiverConfig {
            kind: StreamKind::Component,
            domains: vec!["shakespeare.lit".into()],
            tls: None,
            direct_tls: false,
            auth: ReceiverAuth::Components(vec![("plays.shakespeare.lit".into(), "secret".into())]),
        },
        profile,
        rng(22),
        t0(),
    )
    .expect("valid config");
    (component, server)
}

// ---------------------------------------------------------------- pumping

/// Everything that passed in each direction (wire bytes: ciphertext once TLS is up), and
/// the events of both sides, in order.
#[derive(Debug, Default)]
pub struct Transcript {
    /// Bytes the client (initiator) sent.
    pub c2s: Vec<u8>,
    /// Bytes the server (receiver) sent.
    pub s2c: Vec<u8>,
    /// Events the client reported.
    pub client_events: Vec<Event>,
    /// Events the server reported (bind requests included, answered by the pump).
    pub server_events: Vec<Event>,
}

impl Transcript {
    /// [`Transcript::c2s`] as text (lossy).
    pub fn c2s_str(&self) -> String {
        String::from_utf8_lossy(&self.c2s).into_owned()
    }

    /// [`Transcript::s2c`] as text (lossy).
    pub fn s2c_str(&self) -> String {
        String::from_utf8_lossy(&self.s2c).into_owned()
    }
}

/// How many rounds [`pump_with`] runs before it gives up.
const MAX_ROUNDS: usize = 200;

/// Moves bytes both ways at `now` until neither side has anything to send, recording them
/// and the events in `t`. The server application answers bind requests with `bind`.
///
/// # Panics
///
/// If the machines are still exchanging bytes after 200 rounds.
pub fn pump_with(
    client: &mut Connection,
    server: &mut Connection,
    now: Instant,
    t: &mut Transcript,
    bind: &mut dyn FnMut(&mut Connection, Option<String>),
) {
    for _ in 0..MAX_ROUNDS {
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
    panic!(
        "the machines did not settle: still exchanging bytes after {MAX_ROUNDS} rounds \
         ({} bytes client to server, {} bytes server to client so far; last client event {:?}, \
         last server event {:?})",
        t.c2s.len(),
        t.s2c.len(),
        t.client_events.last(),
        t.server_events.last(),
    );
}

/// [`pump_with`] answering bind requests by [`BindPolicy::AcceptRequested`].
pub fn pump(client: &mut Connection, server: &mut Connection, now: Instant, t: &mut Transcript) {
    pump_with(client, server, now, t, &mut |s, r| {
        BindPolicy::AcceptRequested.answer(s, r)
    });
}

/// Feeds raw bytes to a machine at `now` and returns (the bytes it sent, its events).
pub fn feed(conn: &mut Connection, now: Instant, input: &[u8]) -> (String, Vec<Event>) {
    conn.handle_input(now, input);
    drain(conn)
}

/// Everything a machine has to send (as text, lossy) and its pending events.
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

/// An application's answer to a bind request for a resource: it calls [`Connection::bind`].
pub type BindAnswer = Box<dyn FnMut(&mut Connection, Option<String>) + Send>;

/// How the server side of a [`Pair`] answers [`Event::BindRequest`].
#[derive(Default)]
#[non_exhaustive]
pub enum BindPolicy {
    /// Bind the requested resource, or [`GENERATED_RESOURCE`] when none is requested (the
    /// default).
    #[default]
    AcceptRequested,
    /// Bind the requested resource, or one from [`Connection::generate_resource`].
    AcceptOrGenerate,
    /// Refuse every request with this error.
    Refuse(BindError),
    /// Let the closure answer (with [`Connection::bind`]) the request for this resource.
    Custom(BindAnswer),
}

impl BindPolicy {
    /// Answers a bind request for `resource` on `server`.
    ///
    /// # Panics
    ///
    /// If `server` is not waiting for a bind decision.
    pub fn answer(&mut self, server: &mut Connection, resource: Option<String>) {
        let decision = match self {
            BindPolicy::AcceptRequested => {
                BindDecision::Accept(resource.unwrap_or_else(|| GENERATED_RESOURCE.to_owned()))
            }
            BindPolicy::AcceptOrGenerate => {
                BindDecision::Accept(resource.unwrap_or_else(|| server.generate_resource()))
            }
            BindPolicy::Refuse(error) => BindDecision::Refuse(*error),
            BindPolicy::Custom(answer) => return answer(server, resource),
        };
        server
            .bind(decision)
            .expect("the server waits for a bind decision");
    }
}

impl fmt::Debug for BindPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BindPolicy::AcceptRequested => f.write_str("AcceptRequested"),
            BindPolicy::AcceptOrGenerate => f.write_str("AcceptOrGenerate"),
            BindPolicy::Refuse(e) => f.debug_tuple("Refuse").field(e).finish(),
            BindPolicy::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

/// Two machines connected in memory: an initiator (client, component or originating
/// server) and a receiver, a fake [`Clock`], the [`Transcript`] of everything that passed
/// and the [`BindPolicy`] of the server side.
#[derive(Debug)]
pub struct Pair {
    /// The initiating machine.
    pub client: Connection,
    /// The receiving machine.
    pub server: Connection,
    /// The time both machines see; [`Pair::advance`] moves it.
    pub clock: Clock,
    /// What passed since the pair was made or [`Pair::take_transcript`] was last called.
    pub transcript: Transcript,
    /// How the server answers bind requests.
    pub bind: BindPolicy,
}

impl Pair {
    /// A pair of the given machines, made at [`t0`] (as every constructor of this module
    /// makes them), with the default [`BindPolicy`].
    pub fn new(client: Connection, server: Connection) -> Pair {
        Pair {
            client,
            server,
            clock: Clock::new(),
            transcript: Transcript::default(),
            bind: BindPolicy::default(),
        }
    }

    /// c2s over STARTTLS with the RFC 6120 profile and SCRAM: [`ClientOpts::tls`] against
    /// [`server`] presenting `pki`'s server certificate.
    pub fn c2s_starttls(pki: &TestPki) -> Pair {
        Pair::new(
            client(ClientOpts::tls(pki)),
            server(Profile::rfc6120(), Some(pki.server_config()), false),
        )
    }

    /// c2s without TLS ([`plaintext_profile`]): readable transcripts.
    pub fn c2s_plaintext() -> Pair {
        Pair::new(client(ClientOpts::plaintext()), plaintext_server())
    }

    /// A component and its server ([`component_pair`]).
    pub fn component(secret: &str) -> Pair {
        let (component, server) = component_pair(secret);
        Pair::new(component, server)
    }

    /// The same pair with another bind policy.
    pub fn with_bind_policy(mut self, policy: BindPolicy) -> Pair {
        self.bind = policy;
        self
    }

    /// Moves bytes both ways at the clock's current instant until both machines settle,
    /// appending to [`Pair::transcript`].
    ///
    /// # Panics
    ///
    /// If the machines never settle (see [`pump_with`]).
    pub fn pump(&mut self) {
        let Pair {
            client,
            server,
            clock,
            transcript,
            bind,
        } = self;
        pump_with(client, server, clock.now(), transcript, &mut |s, r| {
            bind.answer(s, r)
        });
    }

    /// Moves the clock forward by `by`, fires the timers that are due on either machine,
    /// then [`pumps`](Pair::pump).
    pub fn advance(&mut self, by: Duration) {
        let now = self.clock.advance(by);
        for conn in [&mut self.client, &mut self.server] {
            if conn.poll_timeout().is_some_and(|t| t <= now) {
                conn.handle_timeout(now);
            }
        }
        self.pump();
    }

    /// Whether both machines have finished negotiating.
    pub fn is_established(&self) -> bool {
        self.client.is_established() && self.server.is_established()
    }

    /// The transcript so far, leaving an empty one in its place.
    pub fn take_transcript(&mut self) -> Transcript {
        std::mem::take(&mut self.transcript)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::RngCore;

    #[test]
    fn the_same_seed_gives_the_same_bytes() {
        let (mut a, mut b) = (TestRng::new(7), TestRng::new(7));
        let (mut x, mut y) = ([0u8; 13], [0u8; 13]);
        a.fill_bytes(&mut x);
        b.fill_bytes(&mut y);
        assert_eq!(x, y);
        assert_ne!(TestRng::new(8).next_u64(), TestRng::new(7).next_u64());
    }

    #[test]
    fn the_clock_moves_only_when_told() {
        let mut clock = Clock::new();
        assert_eq!(clock.now(), t0());
        assert_eq!(clock.advance(Duration::from_secs(3)), secs(3));
        assert_eq!(clock.now(), secs(3));
        assert_eq!(clock.start(), t0());
        assert_eq!(clock.elapsed(), Duration::from_secs(3));
    }

    #[test]
    fn plaintext_pair_logs_in_with_the_bind_policy() {
        let mut pair = Pair::c2s_plaintext();
        pair.pump();
        assert!(pair.is_established());
        assert!(pair.transcript.c2s_str().contains("<bind"));
        assert!(
            pair.transcript
                .s2c_str()
                .contains("juliet@example.com/balcony")
        );

        let mut opts = ClientOpts::plaintext();
        opts.resource = None;
        let mut pair = Pair::new(client(opts), plaintext_server());
        pair.pump();
        let jid = pair.client.bound_jid().unwrap().as_str().to_owned();
        assert_eq!(jid, format!("juliet@example.com/{GENERATED_RESOURCE}"));

        let mut opts = ClientOpts::plaintext();
        opts.resource = None;
        let mut pair = Pair::new(client(opts), plaintext_server())
            .with_bind_policy(BindPolicy::AcceptOrGenerate);
        pair.pump();
        let jid = pair.client.bound_jid().unwrap().as_str().to_owned();
        assert!(!jid.ends_with(GENERATED_RESOURCE), "{jid}");
        assert_eq!(
            pair.server.bound_jid().map(|j| j.as_str()),
            Some(jid.as_str())
        );
    }

    #[test]
    fn component_pair_and_timers() {
        let mut pair = Pair::component("secret");
        pair.pump();
        assert!(pair.is_established());
        pair.take_transcript();
        pair.client.close();
        pair.advance(Duration::from_secs(1));
        assert!(pair.client.is_closed() && pair.server.is_closed());
        assert_eq!(pair.clock.elapsed(), Duration::from_secs(1));
    }

    #[test]
    fn pki_issues_certificates_its_configs_accept() {
        let pki = TestPki::example();
        assert_eq!(pki.server.names, ["example.com", "example.net"]);
        assert!(pki.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(pki.server.key_pem().contains("PRIVATE KEY"));
        let mut pair = Pair::c2s_starttls(&pki);
        pair.pump();
        assert!(pair.client.is_tls() && pair.is_established());
        // With the client certificate and a server that asks for one, the server sees it.
        let mut opts = ClientOpts::tls(&pki);
        opts.tls = Some(pki.client_config_with_cert());
        let mut pair = Pair::new(
            client(opts),
            server(
                Profile::rfc6120(),
                Some(pki.server_config_with_client_auth()),
                false,
            ),
        );
        pair.pump();
        assert!(pair.is_established());
        let seen = pair.transcript.server_events.iter().find_map(|e| match e {
            Event::TlsEstablished(peer) => Some(peer.certificates.clone()),
            _ => None,
        });
        assert_eq!(seen, Some(vec![pki.client.as_ref().unwrap().cert.clone()]));
    }
}
